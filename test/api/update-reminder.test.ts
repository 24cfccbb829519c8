import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import { startHttpReceiver } from '../support/receivers.ts';
import { startExampleServer, webhookTo, type TestServer } from '../support/server.ts';

const MINUTE = 60_000;
const START = Date.parse('2026-03-10T10:00:00Z');

/**
 * The update cadence of the example's P0 is 15 minutes: after an update, the next is
 * due 15 minutes later, and the communications lead hears 5 minutes before, once.
 */
describe('update-due reminders', () => {
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
  const remindersOf = (incidentId: string) => hook.received.filter((r) => r.json?.type === 'reminder' && r.json?.data?.incident?.id === incidentId);
  const dueSoon = async (incidentId: string) =>
    (await t.api('GET', `/api/v1/incidents/${incidentId}/timeline?limit=500`)).body.items.filter((e: any) => e.kind === 'update.due-soon');

  it('reminds the communications lead once, 5 minutes before a 15-minute cadence runs out', async () => {
    const incident = (await t.api('POST', '/api/v1/incidents', { title: 'Search is down', severity: 'P0', services: ['rest-api'] })).body;
    await t.api('PUT', `/api/v1/incidents/${incident.id}/roles/communications`, { assignee: 'priya' });
    await settle();
    expect((await t.api('POST', `/api/v1/incidents/${incident.id}/updates`, { message: 'Investigating', public: true })).status).toBe(201);

    time.advance(9 * MINUTE);
    await settle();
    expect(await dueSoon(incident.id)).toEqual([]);

    time.advance(1 * MINUTE);
    await settle();
    const entries = await dueSoon(incident.id);
    expect(entries).toHaveLength(1);
    expect(entries[0].text).toMatch(/^P0 update due in 5m /);
    const sent = remindersOf(incident.id);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.json.data.recipient.userId).toBe('priya');
    expect(sent[0]!.json.data.text).toContain('P0 update due in 5m');

    // Nothing more for the same interval, however long it stays quiet.
    time.advance(30 * MINUTE);
    await settle();
    expect(await dueSoon(incident.id)).toHaveLength(1);
    expect(remindersOf(incident.id)).toHaveLength(1);
  });

  it('reminds nobody when the update comes in time, and reminds the commander when there is no communications lead', async () => {
    const incident = (await t.api('POST', '/api/v1/incidents', { title: 'Payments slow', severity: 'P0', services: ['rest-api'], commander: 'tomasz' })).body;
    await settle();
    await t.api('POST', `/api/v1/incidents/${incident.id}/updates`, { message: 'Investigating' });
    time.advance(8 * MINUTE);
    await t.api('POST', `/api/v1/incidents/${incident.id}/updates`, { message: 'Failing over' });
    time.advance(2 * MINUTE);
    await settle();
    // Ten minutes after the first update, but only two after the second: nothing yet.
    expect(await dueSoon(incident.id)).toEqual([]);
    time.advance(8 * MINUTE);
    await settle();
    expect(await dueSoon(incident.id)).toHaveLength(1);
    expect(remindersOf(incident.id).map((r) => r.json.data.recipient.userId)).toEqual(['tomasz']);
  });
});
