import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import { openEventStream } from '../support/sse.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const CONFIG = fileURLToPath(new URL('./fixtures/firebreak.yaml', import.meta.url));
const SECRET = `s3cr3t-${randomUUID()}`;

/**
 * Runs through the HTTP API, with this test acting as the runner agent over the real
 * runner protocol (the local runner is off in this config), so every state is visible.
 */
describe('runbook runs over the API', () => {
  let t: TestServer;
  let clock: ManualClock;
  let responder: string;
  let responder2: string;
  let viewer: string;
  let runner: string;
  const identity = { id: 'runner-test-1', name: 'db1', labels: { env: 'prod', host: 'db1' } };

  beforeAll(async () => {
    process.env.FIREBREAK_TEST_RUN_SECRET = SECRET;
    clock = new ManualClock(Date.parse('2026-03-02T10:00:00Z'));
    t = await startTestServer({ configPath: CONFIG, clock });
    [responder, responder2, viewer, runner] = await Promise.all([t.token('responder'), t.token('responder'), t.token('viewer'), t.token('runner')]);
  });
  afterAll(async () => {
    await t?.stop();
    delete process.env.FIREBREAK_TEST_RUN_SECRET;
  });

  const claim = async (claimId = randomUUID(), token = runner) =>
    t.api('POST', '/api/v1/runner/claim', { runner: identity, claim: claimId, waitMs: 0 }, token);
  const act = (runId: string, step: string, action: string, body: unknown, token: string) =>
    t.api('POST', `/api/v1/runs/${runId}/steps/${step}/${action}`, body, token);
  const stepOf = (run: any, id: string) => run.steps.find((s: any) => s.id === id);

  async function incidentFromAlert(labels: Record<string, string>): Promise<string> {
    const integration = await t.api('POST', '/api/v1/integrations', { kind: 'alertmanager', name: `am-${randomUUID().slice(0, 6)}` });
    expect(integration.status).toBe(201);
    const sent = await t.api('POST', integration.body.url, {
      version: '4',
      status: 'firing',
      receiver: 'firebreak',
      groupKey: '{}:{}',
      alerts: [{ status: 'firing', labels: { alertname: 'QueueStuck', ...labels }, annotations: { summary: 'queue stuck' }, startsAt: new Date(clock.now()).toISOString() }],
    });
    expect(sent.status).toBeLessThan(300);
    const alerts = await t.api('GET', `/api/v1/alerts?label=queue=${labels.queue}`);
    expect(alerts.body.items[0].incidentId).toBeTruthy();
    return alerts.body.items[0].incidentId as string;
  }

  it('lists the configured runbooks and links an incident to the one its alert calls for', async () => {
    const list = await t.api('GET', '/api/v1/runbooks', undefined, viewer);
    expect(list.status).toBe(200);
    expect(list.body.items.map((r: any) => r.id)).toEqual(['queue-replay']);
    expect(list.body.items[0].scenarios.map((s: any) => s.id)).toEqual(['scenario-a', 'scenario-b']);
    const incident = await incidentFromAlert({ queue: `orders-${randomUUID().slice(0, 4)}` });
    const linked = await t.api('GET', `/api/v1/incidents/${incident}/runbooks`, undefined, viewer);
    expect(linked.body.items).toMatchObject([{ id: 'queue-replay', alerts: ['QueueStuck'] }]);
  });

  it('shows a dry run with exact commands and environments, and stores nothing', async () => {
    const hostile = '$(touch /tmp/pwned); rm -rf ~ `id`\nsecond line';
    const before = await t.api('GET', '/api/v1/runs');
    const dry = await t.api('POST', '/api/v1/runs', { runbook: 'queue-replay', scenario: 'A', params: { MESSAGE_ID: hostile, OUT_FILE: '/tmp/x' }, dryRun: true }, responder);
    expect(dry.status).toBe(200);
    expect(dry.body.dryRun).toBe(true);
    const replay = stepOf(dry.body, 'scenario-a-1');
    expect(replay.command).toBe('echo "replaying ${MESSAGE_ID}"\necho "$MESSAGE_ID" > "$OUT_FILE"');
    expect(replay.command).not.toContain('touch');
    expect(replay.env.MESSAGE_ID).toBe(hostile);
    expect(replay.approval).toMatchObject({ required: true, needed: 1 });
    expect(dry.body.steps.map((s: any) => s.id)).not.toContain('scenario-b-1');
    expect(stepOf(dry.body, 'investigation-1').missingParameters).toEqual(['QUEUE_NAME']);
    const after = await t.api('GET', '/api/v1/runs');
    expect(after.body.items.length).toBe(before.body.items.length);
  });

  it('refuses what roles do not allow: viewers start nothing, runner tokens only run steps', async () => {
    expect((await t.api('POST', '/api/v1/runs', { runbook: 'queue-replay' }, viewer)).status).toBe(403);
    expect((await t.api('POST', '/api/v1/runs', { runbook: 'queue-replay' }, runner)).status).toBe(403);
    expect((await t.api('GET', '/api/v1/incidents', undefined, runner)).status).toBe(403);
    expect((await t.api('GET', '/api/v1/runs', undefined, runner)).status).toBe(403);
    expect((await claim(randomUUID(), responder)).status).toBe(403);
    const unknown = await t.api('POST', '/api/v1/runs', { runbook: 'no-such-runbook' }, responder);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');
    const badParam = await t.api('POST', '/api/v1/runs', { runbook: 'queue-replay', params: { LD_PRELOAD: '/x.so' } }, responder);
    expect(badParam.status).toBe(400);
  });

  it('lets the one who asked withdraw the request and an approver refuse one, each recorded as what it was', async () => {
    const incident = await incidentFromAlert({ queue: `orders-${randomUUID().slice(0, 4)}` });
    const run = (await t.api('POST', '/api/v1/runs', { runbook: 'queue-replay', incident }, responder)).body.run;
    expect(stepOf((await act(run.id, 'investigation-2', 'start', {}, responder)).body.run, 'investigation-2').state).toBe('awaiting-approval');
    // Neither the one who asked nor an approver: may not refuse.
    expect((await act(run.id, 'investigation-2', 'reject', {}, responder2)).status).toBe(403);
    const withdrawn = await act(run.id, 'investigation-2', 'reject', { comment: 'wrong queue' }, responder);
    expect(withdrawn.status).toBe(200);
    const afterWithdrawal = stepOf(withdrawn.body.run, 'investigation-2');
    expect(afterWithdrawal.state).toBe('pending');
    expect(afterWithdrawal.approval.decisions.map((d: any) => d.decision)).toEqual(['withdrawn']);

    expect((await act(run.id, 'investigation-2', 'start', {}, responder)).status).toBe(200);
    const refused = await act(run.id, 'investigation-2', 'reject', { comment: 'not during the sale' }, undefined as any);
    expect(refused.status).toBe(200);
    expect(stepOf(refused.body.run, 'investigation-2').approval.decisions.map((d: any) => d.decision)).toEqual(['withdrawn', 'rejected']);

    const texts = (await t.api('GET', `/api/v1/incidents/${incident}/timeline?limit=200`, undefined, viewer)).body.items.filter((e: any) => e.kind === 'run.step.rejected').map((e: any) => e.text);
    expect(texts).toHaveLength(2);
    expect(texts[0]).toMatch(/withdrew the request for step .*: wrong queue$/);
    expect(texts[1]).toMatch(/refused step .*: not during the sale$/);
  });

  it('waits for a second person to approve, runs on a runner, masks secrets, and puts it all on the timeline', async () => {
    const queue = `orders-${randomUUID().slice(0, 4)}`;
    const incident = await incidentFromAlert({ queue });
    const created = await t.api('POST', '/api/v1/runs', { runbook: 'queue-replay', incident }, responder);
    expect(created.status).toBe(201);
    const run = created.body.run;
    expect(run.approvalRule).toMatchObject({ steps: 'all', approverRoles: ['admin'], origin: 'runbooks.authorization.P1' });
    const stream = await openEventStream(`${t.url}/api/v1/events?run=${run.id}`, viewer);
    try {
      // P1: every step waits for an admin's approval.
      const asked = await act(run.id, 'investigation-2', 'start', {}, responder);
      expect(asked.status).toBe(200);
      expect(stepOf(asked.body.run, 'investigation-2').state).toBe('awaiting-approval');
      expect((await claim()).status).toBe(204);

      const self = await act(run.id, 'investigation-2', 'approve', {}, responder);
      expect(self.status).toBe(403);
      const wrongRole = await act(run.id, 'investigation-2', 'approve', {}, responder2);
      expect(wrongRole.status).toBe(403);
      expect(wrongRole.body.error.details.approverRoles).toEqual(['admin']);
      const approved = await act(run.id, 'investigation-2', 'approve', { comment: 'go ahead' }, t.server.adminToken ?? undefined as any);
      expect(approved.status).toBe(200);
      expect(stepOf(approved.body.run, 'investigation-2').state).toBe('queued');

      const claimed = await claim();
      expect(claimed.status).toBe(200);
      const assignment = claimed.body.assignment;
      expect(assignment).toMatchObject({ runId: run.id, stepId: 'investigation-2', kind: 'shell', attempt: 1 });
      expect(assignment.env.FIREBREAK_ALERT_QUEUE).toBe(queue);
      expect(assignment.env.FIREBREAK_INCIDENT_ID).toBe(incident);
      expect(assignment.secretEnv).toEqual(['FIREBREAK_TEST_RUN_SECRET']);

      const before = stepOf((await t.api('GET', `/api/v1/runs/${run.id}`, undefined, viewer)).body.run, 'investigation-2');
      expect(before.output).toMatchObject({ text: '', lastSeq: 0 });
      const out = await t.api('POST', `/api/v1/runner/assignments/${assignment.id}/output`, { chunks: [{ seq: 1, stream: 'stdout', text: `secret=${SECRET} label=${queue}\n` }] }, runner);
      expect(out.status).toBe(200);
      expect(out.body.cancel).toBe(false);
      // A resent chunk is ignored; a chunk from the future is refused.
      expect((await t.api('POST', `/api/v1/runner/assignments/${assignment.id}/output`, { chunks: [{ seq: 1, stream: 'stdout', text: 'again\n' }] }, runner)).status).toBe(200);
      expect((await t.api('POST', `/api/v1/runner/assignments/${assignment.id}/output`, { chunks: [{ seq: 5, stream: 'stdout', text: 'gap\n' }] }, runner)).status).toBe(400);

      const finished = await t.api('POST', `/api/v1/runner/assignments/${assignment.id}/finish`, { exitCode: 0, signal: null, timedOut: false, cancelled: false, error: null, lastSeq: 1, durationMs: 42 }, runner);
      expect(finished.status).toBe(200);
      // Sent again (its answer lost): nothing changes.
      expect((await t.api('POST', `/api/v1/runner/assignments/${assignment.id}/finish`, { exitCode: 1, signal: null, timedOut: false, cancelled: false, error: null, lastSeq: 1, durationMs: 42 }, runner)).status).toBe(200);

      const view = (await t.api('GET', `/api/v1/runs/${run.id}`, undefined, viewer)).body.run;
      const step = stepOf(view, 'investigation-2');
      expect(step.state).toBe('succeeded');
      expect(step.output.text).toBe(`secret=•••••• label=${queue}\n`);
      // The chunk the text ends with: a live run.output chunk 1 arriving late is known to be in it already.
      expect(step.output.lastSeq).toBe(1);
      expect(step.approval.decisions).toMatchObject([{ decision: 'approved', comment: 'go ahead' }]);

      const timeline = (await t.api('GET', `/api/v1/incidents/${incident}/timeline?limit=200`, undefined, viewer)).body;
      const kinds = timeline.items.map((e: any) => e.kind);
      for (const kind of ['run.started', 'run.step.approval-requested', 'run.step.approved', 'run.step.started', 'run.step.succeeded']) expect(kinds).toContain(kind);
      const done = timeline.items.find((e: any) => e.kind === 'run.step.succeeded');
      expect(done.data.output).toContain('secret=••••••');
      expect(JSON.stringify(timeline)).not.toContain(SECRET);

      await expect.poll(() => stream.events.some((e) => e.event === 'run.output')).toBe(true);
      expect(JSON.stringify(stream.events)).not.toContain(SECRET);
      const states = stream.events.filter((e) => e.event === 'run.step').map((e) => e.data.data.state);
      expect(states).toEqual(expect.arrayContaining(['awaiting-approval', 'queued', 'running', 'succeeded']));
    } finally {
      await stream.close();
    }
  });

  it('hands a retried claim the same step, and marks a silent runner’s step unknown without re-running it', async () => {
    const created = await t.api('POST', '/api/v1/runs', { runbook: 'queue-replay', scenario: 'B' }, responder);
    const run = created.body.run;
    expect((await act(run.id, 'verification-1', 'start', {}, responder)).body.run.steps.find((s: any) => s.id === 'verification-1').state).toBe('queued');
    const claimId = randomUUID();
    const first = await claim(claimId);
    const again = await claim(claimId);
    expect(first.status).toBe(200);
    expect(again.body.assignment.id).toBe(first.body.assignment.id);
    expect((await claim()).status).toBe(204);

    clock.advance(31_000);
    expect(await t.server.runs.sweep()).toBe(1);
    const view = (await t.api('GET', `/api/v1/runs/${run.id}`)).body.run;
    expect(stepOf(view, 'verification-1').state).toBe('unknown');
    // The runner comes back: its assignment is gone, and nothing is queued again.
    const late = await t.api('POST', `/api/v1/runner/assignments/${first.body.assignment.id}/heartbeat`, {}, runner);
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('assignment_gone');
    expect((await claim()).status).toBe(204);

    const retried = await act(run.id, 'verification-1', 'retry', {}, responder);
    expect(stepOf(retried.body.run, 'verification-1')).toMatchObject({ state: 'queued', attempt: 2 });
    const second = await claim();
    expect(second.body.assignment.attempt).toBe(2);
  });

  it('asks a gating decision first, skips on no, and lets people do manual steps by hand', async () => {
    const run = (await t.api('POST', '/api/v1/runs', { runbook: 'queue-replay', scenario: 'scenario-b' }, responder)).body.run;
    const early = await act(run.id, 'scenario-b-1', 'start', {}, responder);
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe('decision_required');
    const no = await act(run.id, 'scenario-b-1', 'answer', { decision: 'scenario-b-1-decision-1', answer: 'no' }, responder);
    expect(stepOf(no.body.run, 'scenario-b-1').state).toBe('skipped');

    const manual = await act(run.id, 'verification-2', 'start', {}, responder);
    expect(stepOf(manual.body.run, 'verification-2')).toMatchObject({ state: 'running', byPerson: true });
    const doneByHand = await act(run.id, 'verification-2', 'complete', { outcome: 'succeeded', comment: 'graph flat' }, responder);
    expect(stepOf(doneByHand.body.run, 'verification-2').state).toBe('succeeded');
    expect((await act(run.id, 'verification-2', 'complete', {}, responder)).status).toBe(400);
  });

  it('stops a running step when a person cancels it, and needs parameters before starting', async () => {
    const run = (await t.api('POST', '/api/v1/runs', { runbook: 'queue-replay' }, responder)).body.run;
    const needs = await act(run.id, 'investigation-1', 'start', {}, responder);
    expect(needs.status).toBe(400);
    expect(needs.body.error.details.missingParameters).toEqual(['QUEUE_NAME']);
    const started = await act(run.id, 'investigation-1', 'start', { params: { QUEUE_NAME: 'orders' } }, responder);
    expect(stepOf(started.body.run, 'investigation-1').state).toBe('queued');
    const assignment = (await claim()).body.assignment;
    expect(assignment.env.QUEUE_NAME).toBe('orders');
    await act(run.id, 'investigation-1', 'cancel', { comment: 'wrong queue' }, responder2);
    const beat = await t.api('POST', `/api/v1/runner/assignments/${assignment.id}/heartbeat`, {}, runner);
    expect(beat.body.cancel).toBe(true);
    await t.api('POST', `/api/v1/runner/assignments/${assignment.id}/finish`, { exitCode: null, signal: 'SIGTERM', timedOut: false, cancelled: true, error: null, lastSeq: 0, durationMs: 5 }, runner);
    const view = (await t.api('GET', `/api/v1/runs/${run.id}`)).body.run;
    expect(stepOf(view, 'investigation-1').state).toBe('cancelled');

    const cancelled = await t.api('POST', `/api/v1/runs/${run.id}/cancel`, { comment: 'done here' }, responder);
    expect(cancelled.body.run.state).toBe('cancelled');
    expect((await act(run.id, 'verification-1', 'start', {}, responder)).status).toBe(409);
  });
});
