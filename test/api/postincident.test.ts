import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import { startHttpReceiver } from '../support/receivers.ts';
import { startExampleServer, webhookTo, type TestServer } from '../support/server.ts';

const HOUR = 3_600_000;
const START = Date.parse('2026-03-10T10:00:00Z');

/**
 * After the incident, with the example's checklist (the emergency playbook's three
 * stages) and a controllable clock: tasks and their reminders, the post-mortem draft
 * and its versions, action items and their due dates.
 */
describe('post-incident', () => {
  let t: TestServer;
  let time: ManualClock;
  let hook: Awaited<ReturnType<typeof startHttpReceiver>>;

  beforeAll(async () => {
    hook = await startHttpReceiver();
    time = new ManualClock(START);
    t = await startExampleServer({ clock: time, timers: false, rewrite: webhookTo(hook.url) });
  });
  afterAll(async () => {
    await t?.stop();
    await hook?.close();
  });

  const settle = async () => {
    await t.server.fireDueTimers();
    await t.server.deliverNow();
  };
  const remindersTo = (userId: string, headline: RegExp) =>
    hook.received.filter((r) => r.json?.type === 'reminder' && r.json.data.recipient.userId === userId && headline.test(r.json.data.headline));
  const timeline = async (id: string) => (await t.api('GET', `/api/v1/incidents/${id}/timeline?limit=1000`)).body.items as Array<{ kind: string; text: string; actor: string }>;

  let incidentId: string;
  let resolvedAt: number;

  it('turns the checklist into tasks due 0 h, 24 h and 1 week after resolution, and drafts a post-mortem from the timeline', async () => {
    const incident = (await t.api('POST', '/api/v1/incidents', { title: 'DLQ overflow <b>', severity: 'P1', services: ['dlq-manager'], commander: 'amara' })).body;
    incidentId = incident.id;
    time.advance(5 * 60_000);
    await t.api('POST', `/api/v1/incidents/${incidentId}/ack`, { comment: 'on it' });
    await t.api('POST', `/api/v1/incidents/${incidentId}/notes`, { text: 'Replayed 1,200 messages\nfrom the DLQ' });
    await t.api('POST', `/api/v1/incidents/${incidentId}/updates`, { message: 'Replay under way', public: true });
    time.advance(40 * 60_000);
    expect((await t.api('PATCH', `/api/v1/incidents/${incidentId}`, { status: 'resolved' })).status).toBe(200);
    resolvedAt = time.now();

    const tasks = (await t.api('GET', `/api/v1/incidents/${incidentId}/tasks`)).body.items;
    expect(tasks).toHaveLength(17);
    const dueTimes = [...new Set(tasks.map((task: any) => Date.parse(task.dueAt) - resolvedAt))];
    expect(dueTimes).toEqual([0, 24 * HOUR, 7 * 24 * HOUR]);
    expect(tasks[0]).toMatchObject({ stage: 'Immediately after resolution', title: 'All services reporting healthy', done: false });

    const postmortem = (await t.api('GET', `/api/v1/incidents/${incidentId}/postmortem`)).body;
    expect(postmortem.version).toBe(1);
    const entries = await timeline(incidentId);
    const drafted = entries.findIndex((entry) => entry.kind === 'postmortem.drafted');
    const before = entries.slice(0, drafted);
    const section = postmortem.markdown.split('### Every entry')[1]!.split('## Runbook runs')[0]!;
    const lines = section.trim().split('\n');
    // One line per timeline entry up to the draft, in the same order, its text on one line.
    expect(lines).toHaveLength(before.length);
    before.forEach((entry, i) => {
      expect(lines[i]).toContain(` · ${entry.kind} · `);
      expect(lines[i]).toContain(entry.text.split('\n')[0]!.replace(/([\\`*_[\]<>|#])/g, '\\$1'));
    });
    expect(postmortem.markdown).toContain('# Post-mortem: DLQ overflow \\<b\\>');
    expect(postmortem.markdown).toContain('- **Duration:** 45m');
    expect(postmortem.markdown).toMatch(/\| Initial response \| .* \| met in time/);
    for (const heading of ['## Root cause', '## Contributing factors', '## Lessons learned', '## Action items']) expect(postmortem.markdown).toContain(heading);
  });

  it('checks tasks off with who and when, and reminds the commander of the open ones when a stage is due', async () => {
    const tasks = (await t.api('GET', `/api/v1/incidents/${incidentId}/tasks`)).body.items;
    const done = await t.api('PATCH', `/api/v1/incidents/${incidentId}/tasks/${tasks[0].id}`, { done: true });
    expect(done.body).toMatchObject({ done: true, doneBy: 'token:bootstrap' });
    expect((await t.api('PATCH', `/api/v1/incidents/${incidentId}/tasks/01ARZ3NDEKTSV4RRFFQ69G5FAV`, { done: true })).status).toBe(404);

    await settle();
    const immediately = remindersTo('amara', /^Post-incident tasks due/);
    expect(immediately).toHaveLength(1);
    expect(immediately[0]!.json.data.text).not.toContain('All services reporting healthy');
    expect(immediately[0]!.json.data.text).toContain('Metrics normalized');

    time.advance(24 * HOUR);
    await settle();
    expect(remindersTo('amara', /^Post-incident tasks due/)).toHaveLength(2);
    time.advance(24 * HOUR);
    await settle();
    expect(remindersTo('amara', /^Post-incident tasks due/)).toHaveLength(2);
    expect((await timeline(incidentId)).filter((e) => e.kind === 'tasks.due')).toHaveLength(2);
  });

  it('keeps every version of the post-mortem and refuses a save from a stale version', async () => {
    const first = (await t.api('GET', `/api/v1/incidents/${incidentId}/postmortem`)).body;
    const edited = first.markdown.replace('_Why did it happen?', 'The consumer pool was sized for last year.\n\n_Why did it happen?');
    const saved = await t.api('PUT', `/api/v1/incidents/${incidentId}/postmortem`, { markdown: edited, version: 1 });
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({ version: 2, updatedBy: 'token:bootstrap' });
    expect(saved.body.versions.map((v: any) => v.version)).toEqual([1, 2]);

    const stale = await t.api('PUT', `/api/v1/incidents/${incidentId}/postmortem`, { markdown: 'mine', version: 1 });
    expect(stale.status).toBe(409);
    expect(stale.body.error.details.version).toBe(2);
    expect((await t.api('GET', `/api/v1/incidents/${incidentId}/postmortem?version=1`)).body.markdown).toBe(first.markdown);

    const file = await fetch(`${t.url}/api/v1/incidents/${incidentId}/postmortem.md`, { headers: { authorization: `Bearer ${(await t.token('viewer'))}` } });
    expect(file.headers.get('content-type')).toBe('text/markdown; charset=utf-8');
    expect(file.headers.get('content-disposition')).toBe(`attachment; filename="postmortem-${incidentId}-v2.md"`);
    expect(await file.text()).toBe(edited);
    expect((await t.api('PUT', `/api/v1/incidents/${incidentId}/postmortem`, { markdown: 'x', version: 2 }, await t.token('viewer'))).status).toBe(403);
  });

  it('tracks action items with owners and due dates, and reminds the owner once when one is overdue', async () => {
    const due = new Date(time.now() + 2 * 24 * HOUR).toISOString();
    const created = await t.api('POST', `/api/v1/incidents/${incidentId}/action-items`, { title: 'Autoscale the DLQ consumers', owner: 'tomasz', dueAt: due, trackerUrl: 'https://tracker.example/PLAT-42' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ owner: 'tomasz', status: 'open', overdue: false });
    expect((await t.api('POST', `/api/v1/incidents/${incidentId}/action-items`, { title: 'x', owner: 'ghost' })).status).toBe(400);
    expect((await t.api('POST', `/api/v1/incidents/${incidentId}/action-items`, { title: 'x', trackerUrl: 'javascript:alert(1)' })).status).toBe(400);
    expect((await t.api('POST', `/api/v1/incidents/${incidentId}/action-items`, {})).status).toBe(400);

    time.advance(2 * 24 * HOUR + 60_000);
    await settle();
    expect(remindersTo('tomasz', /^Action item overdue/)).toHaveLength(1);
    const overdue = (await t.api('GET', '/api/v1/action-items?owner=tomasz&overdue=true')).body.items;
    expect(overdue.map((item: any) => item.id)).toEqual([created.body.id]);
    time.advance(24 * HOUR);
    await settle();
    expect(remindersTo('tomasz', /^Action item overdue/)).toHaveLength(1);

    const closed = await t.api('PATCH', `/api/v1/action-items/${created.body.id}`, { status: 'done' });
    expect(closed.body).toMatchObject({ status: 'done', overdue: false });
    expect((await t.api('GET', '/api/v1/action-items?owner=tomasz&overdue=true')).body.items).toEqual([]);
    const kinds = (await timeline(incidentId)).map((e) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(['action-item.created', 'action-item.overdue', 'action-item.status']));
  });
});
