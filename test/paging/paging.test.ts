import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import { startHttpReceiver, startSmtpReceiver } from '../support/receivers.ts';
import { exampleConfigText, startTestServer, type TestServer } from '../support/server.ts';

const MINUTE = 60_000;
// Tuesday 10 March 2026, 10:00 in London (GMT): the daytime layer is on.
const START = Date.parse('2026-03-10T10:00:00Z');
const SLACK_SECRET_ENV = 'FIREBREAK_TEST_SLACK_SIGNING_SECRET';

describe('paging', () => {
  let t: TestServer;
  let time: ManualClock;
  let hook: Awaited<ReturnType<typeof startHttpReceiver>>;
  let smtp: Awaited<ReturnType<typeof startSmtpReceiver>>;
  let dir: string;
  let amUrl: string;

  beforeAll(async () => {
    hook = await startHttpReceiver();
    smtp = await startSmtpReceiver();
    process.env[SLACK_SECRET_ENV] = 'slack-signing-secret-for-tests';
    dir = mkdtempSync(join(tmpdir(), 'firebreak-paging-'));
    const config = exampleConfigText()
      .replace('url: http://127.0.0.1:9099/firebreak', `url: ${hook.url}`)
      .replace('port: 2525', `port: ${smtp.port}`)
      .replace('  ackLinkTtl: 24h', `  ackLinkTtl: 24h\n  slackSigningSecretEnv: ${SLACK_SECRET_ENV}`);
    writeFileSync(join(dir, 'firebreak.yaml'), config);
    time = new ManualClock(START);
    t = await startTestServer({ clock: time, timers: false, configPath: join(dir, 'firebreak.yaml') });
    amUrl = (await t.api('POST', '/api/v1/integrations', { kind: 'alertmanager', name: 'am' })).body.url;
  });
  afterAll(async () => {
    await t.stop();
    await hook.close();
    await smtp.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const fireAlert = async (alertname: string, fingerprint: string) => {
    const response = await fetch(t.url + amUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        version: '4', groupKey: `{}:{alertname="${alertname}"}`, status: 'firing', receiver: 'firebreak', groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: 'http://am',
        alerts: [{ status: 'firing', labels: { alertname }, annotations: {}, startsAt: new Date(time.now()).toISOString(), endsAt: '0001-01-01T00:00:00Z', generatorURL: '', fingerprint }],
      }),
    });
    expect(response.status).toBe(200);
    const alert = (await t.api('GET', `/api/v1/alerts?label=alertname=${alertname}`)).body.items[0];
    return alert.incidentId as string;
  };
  const pagesTo = (incidentId: string) => hook.received.filter((r) => r.json?.data?.incident?.id === incidentId && r.json?.type === 'page');
  const settle = async () => {
    await t.server.fireDueTimers();
    await t.server.deliverNow();
  };

  it('pages the on-call person of the example schedule, escalates to level 2 without an acknowledgement, and stops once acknowledged', async () => {
    const oncall = (await t.api('GET', '/api/v1/schedules/platform/oncall')).body;
    expect(oncall.source).toMatchObject({ kind: 'layer', layerId: 'daytime' });
    const incidentId = await fireAlert('DLQDepthCritical', 'dlq-1');
    await settle();
    expect(pagesTo(incidentId).map((r) => r.json.data.recipient.userId)).toEqual([oncall.userId]);
    const first = pagesTo(incidentId)[0]!;
    // Receivers drop re-deliveries by this id: the same for every retry of one page step.
    expect(first.json.data.idempotencyKey).toMatch(/^page:[0-9A-Z]{26}:0$/);
    expect(first.headers['webhook-id']).toBe(first.json.data.idempotencyKey);
    expect(first.json.data.actions.map((a: any) => a.label)).toEqual(['Acknowledge', 'Open incident']);

    time.advance(15 * MINUTE);
    await settle();
    const recipients = pagesTo(incidentId).map((r) => r.json.data.recipient.userId);
    expect(recipients).toEqual([oncall.userId, 'amara']);
    // The five-minute email step of the first person went out too, before level 2.
    expect(smtp.mails.some((m) => m.raw.includes('DLQ overflow'))).toBe(true);

    const ack = await t.api('POST', `/api/v1/incidents/${incidentId}/ack`, { comment: 'on it' });
    expect(ack.status).toBe(200);
    const mailsBefore = smtp.mails.length;
    time.advance(30 * MINUTE);
    await settle();
    expect(pagesTo(incidentId)).toHaveLength(2);
    expect(smtp.mails.length).toBe(mailsBefore);
    const kinds = (await t.api('GET', `/api/v1/incidents/${incidentId}/timeline`)).body.items.map((e: any) => e.kind);
    expect(kinds.filter((k: string) => k === 'paged')).toHaveLength(2);
    expect(kinds).toContain('paging.stopped');
    expect(kinds).toContain('delivery');
    const pages = (await t.api('GET', `/api/v1/incidents/${incidentId}/pages`)).body.items;
    expect(pages.every((p: any) => p.state === 'stopped')).toBe(true);
  });

  it('acknowledges from the signed link in a page, and refuses forged or expired links', async () => {
    const incidentId = await fireAlert('DiskSpaceHigh', 'disk-1');
    await settle();
    const link: string = pagesTo(incidentId)[0]!.json.data.actions[0].url;
    const path = new URL(link).pathname;
    const view = await fetch(t.url + path);
    expect(view.status).toBe(200);
    expect(await view.text()).toContain('<form method="post">');
    expect((await t.api('GET', `/api/v1/incidents/${incidentId}`)).body.acknowledgedAt).toBeNull();

    const forged = path.slice(0, -3) + (path.endsWith('AAA') ? 'BBB' : 'AAA');
    expect((await fetch(t.url + forged, { method: 'POST' })).status).toBe(401);
    // A browser gets a page that says so; anything else the usual error envelope.
    const inBrowser = await fetch(t.url + forged, { headers: { accept: 'text/html,application/xhtml+xml' } });
    expect(inBrowser.status).toBe(401);
    expect(await inBrowser.text()).toContain('This link does not work');
    const scripted = await fetch(t.url + forged);
    expect(scripted.status).toBe(401);
    expect(((await scripted.json()) as any).error.code).toBe('unauthenticated');

    const done = await fetch(t.url + path, { method: 'POST' });
    expect(done.status).toBe(200);
    const incident = (await t.api('GET', `/api/v1/incidents/${incidentId}`)).body;
    expect(incident.acknowledgedBy).toMatch(/^user:/);
    expect((await fetch(t.url + path, { method: 'POST' })).status).toBe(409);

    time.advance(25 * 60 * MINUTE);
    expect((await fetch(t.url + path)).status).toBe(401);
  });

  it('acknowledges from a Slack button only with a valid Slack signature', async () => {
    const incidentId = await fireAlert('MemoryUsageHigh', 'mem-1');
    await settle();
    const link: string = pagesTo(incidentId)[0]!.json.data.actions[0].url;
    const body = `payload=${encodeURIComponent(JSON.stringify({ type: 'block_actions', user: { id: 'U123' }, actions: [{ url: link }] }))}`;
    const ts = String(Math.floor(time.now() / 1000));
    const post = (signature: string) =>
      fetch(`${t.url}/api/v1/integrations/slack/interactions`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': ts, 'x-slack-signature': signature },
        body,
      });
    expect((await post('v0=deadbeef')).status).toBe(401);
    expect((await t.api('GET', `/api/v1/incidents/${incidentId}`)).body.acknowledgedAt).toBeNull();
    const signature = `v0=${createHmac('sha256', process.env[SLACK_SECRET_ENV]!).update(`v0:${ts}:${body}`).digest('hex')}`;
    const accepted = await post(signature);
    expect(accepted.status).toBe(200);
    expect((await t.api('GET', `/api/v1/incidents/${incidentId}`)).body.acknowledgedAt).not.toBeNull();
  });

  it('retries while the receiver is down and delivers once it is back; dead letters replay', async () => {
    hook.answerWith(503, { 'retry-after': '1' });
    const incidentId = await fireAlert('ScraperStalled', 'stall-1');
    await settle();
    expect(pagesTo(incidentId)).toHaveLength(0);
    const pending = (await t.api('GET', `/api/v1/outbox?incident=${incidentId}&state=pending`)).body.items;
    expect(pending[0]).toMatchObject({ attempts: 1, lastStatus: 503 });

    hook.answerWith(200);
    time.advance(MINUTE);
    await settle();
    expect(pagesTo(incidentId)).toHaveLength(1);

    // A receiver that never recovers: the message ends as a dead letter after its attempts.
    hook.answerWith(500);
    const second = await fireAlert('DataQualityScoreLow', 'dq-1');
    for (let i = 0; i < 10; i++) {
      await settle();
      time.advance(15 * MINUTE);
    }
    const dead = (await t.api('GET', `/api/v1/outbox?incident=${second}&state=dead`)).body.items;
    expect(dead.length).toBeGreaterThan(0);
    const timeline = (await t.api('GET', `/api/v1/incidents/${second}/timeline`)).body.items;
    expect(timeline.some((e: any) => e.kind === 'delivery' && e.text.includes('dead letter'))).toBe(true);

    hook.answerWith(200);
    const replay = await t.api('POST', `/api/v1/outbox/${dead[0].id}/replay`);
    expect(replay.status).toBe(200);
    expect((await t.api('POST', `/api/v1/outbox/${dead[0].id}/replay`)).status).toBe(409);
    await t.server.deliverNow();
    expect(hook.received.some((r) => r.headers['webhook-id'] === dead[0].idempotencyKey)).toBe(true);
    const responder = await t.token('responder');
    expect((await t.api('GET', '/api/v1/outbox', undefined, responder)).status).toBe(403);
  });

  it('takes overrides: the covering person is on call and paged', async () => {
    const now = time.now();
    const override = await t.api('POST', '/api/v1/schedules/platform/overrides', {
      user: 'tomasz',
      start: new Date(now - MINUTE).toISOString(),
      end: new Date(now + 60 * MINUTE).toISOString(),
    });
    expect(override.status).toBe(201);
    const oncall = (await t.api('GET', '/api/v1/schedules/platform/oncall')).body;
    expect(oncall).toMatchObject({ userId: 'tomasz', source: { kind: 'override', overrideId: override.body.id } });
    const shifts = (await t.api('GET', `/api/v1/schedules/platform/shifts?from=${new Date(now).toISOString()}&to=${new Date(now + 2 * 60 * MINUTE).toISOString()}`)).body.items;
    expect(shifts[0]).toMatchObject({ userId: 'tomasz', end: new Date(now + 60 * MINUTE).toISOString() });
    const viewer = await t.token('viewer');
    const ics = await fetch(`${t.url}/api/v1/schedules/platform/calendar.ics?token=${viewer}`);
    expect(ics.headers.get('content-type')).toContain('text/calendar');
    expect(await ics.text()).toContain('BEGIN:VCALENDAR');
    expect((await fetch(`${t.url}/api/v1/schedules/platform/calendar.ics`)).status).toBe(401);

    const incidentId = await fireAlert('APIGatewayErrorRateHigh', 'gw-override');
    await settle();
    expect(pagesTo(incidentId).map((r) => r.json.data.recipient.userId)).toEqual(['tomasz']);
    expect((await t.api('DELETE', `/api/v1/schedules/platform/overrides/${override.body.id}`)).status).toBe(204);
  });

  it('reassigns and escalates on request, on the timeline', async () => {
    const incident = (await t.api('POST', '/api/v1/incidents', { title: 'manual', severity: 'P2' })).body;
    await settle();
    expect((await t.api('POST', `/api/v1/incidents/${incident.id}/reassign`, { user: 'lucia', reason: 'she knows the scraper' })).status).toBe(202);
    await settle();
    expect(pagesTo(incident.id).at(-1)!.json.data.recipient.userId).toBe('lucia');
    expect((await t.api('POST', `/api/v1/incidents/${incident.id}/escalate`, { reason: 'need the lead' })).status).toBe(202);
    await settle();
    expect(pagesTo(incident.id).at(-1)!.json.data.recipient.userId).toBe('amara');
    const kinds = (await t.api('GET', `/api/v1/incidents/${incident.id}/timeline`)).body.items.map((e: any) => e.kind);
    expect(kinds).toContain('reassigned');
    expect((await t.api('POST', `/api/v1/incidents/${incident.id}/reassign`, { user: 'nobody' })).status).toBe(400);
  });

  it('lets an acknowledgement lapse after the ack timeout of the policy, with a reminder first, and pages again', async () => {
    const incidentId = await fireAlert('DatabaseConnectionPoolHigh', 'pool-lapse');
    await settle();
    const acked = await t.api('POST', `/api/v1/incidents/${incidentId}/ack`, { comment: 'looking at the pool' });
    expect(acked.body.acknowledgedAt).not.toBeNull();
    const pagesBefore = pagesTo(incidentId).length;

    time.advance(110 * MINUTE); // ackTimeout 2h, ackReminder 10m before it
    await settle();
    let kinds = (await t.api('GET', `/api/v1/incidents/${incidentId}/timeline`)).body.items.map((e: any) => e.kind);
    expect(kinds).toContain('ack.reminder');
    expect(kinds).not.toContain('ack.lapsed');

    time.advance(10 * MINUTE);
    await settle();
    const incident = (await t.api('GET', `/api/v1/incidents/${incidentId}`)).body;
    expect(incident.acknowledgedAt).toBeNull();
    kinds = (await t.api('GET', `/api/v1/incidents/${incidentId}/timeline`)).body.items.map((e: any) => e.kind);
    expect(kinds).toContain('ack.lapsed');
    expect(pagesTo(incidentId).length).toBeGreaterThan(pagesBefore);
  });

  it('tells the people paged when an SLA clock breaches', async () => {
    const incident = (await t.api('POST', '/api/v1/incidents', { title: 'Total outage', severity: 'P0', services: ['dlq-manager'] })).body;
    await settle();
    time.advance(15 * MINUTE); // P0 initial response: 15 minutes
    await settle();
    const breach = hook.received.find((r) => r.json?.data?.incident?.id === incident.id && r.json?.type === 'sla.breached');
    expect(breach?.json.data.headline).toContain('SLA breached (initial response)');
  });
});
