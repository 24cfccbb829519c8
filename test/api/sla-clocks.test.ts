import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const MINUTE = 60_000;
const START = Date.parse('2026-03-10T10:00:00.000Z'); // a Tuesday

const clock = (incident: any, kind: string, seq = 0) =>
  incident.clocks.find((c: any) => c.kind === kind && c.seq === seq);

describe('SLA clocks', () => {
  let t: TestServer;
  let time: ManualClock;

  beforeEach(async () => {
    time = new ManualClock(START);
    t = await startTestServer({ clock: time, timers: false });
  });
  afterEach(async () => t.stop());

  const declare = async (severity: string) => {
    const response = await t.api('POST', '/api/v1/incidents', { title: `${severity} test`, severity });
    expect(response.status).toBe(201);
    return response.body;
  };

  it('gives a P1 an initial-response clock due an hour after declaring, met by acknowledging', async () => {
    const incident = await declare('P1');
    expect(clock(incident, 'initialResponse')).toMatchObject({ state: 'pending', dueAt: new Date(START + 60 * MINUTE).toISOString() });
    expect(clock(incident, 'stakeholderNotification').dueAt).toBe(new Date(START + 120 * MINUTE).toISOString());
    expect(clock(incident, 'mitigationStarted').dueAt).toBe(new Date(START + 120 * MINUTE).toISOString());
    // The cadence starts with the first stakeholder update, not before it.
    expect(clock(incident, 'updateCadence')).toBeUndefined();

    time.advance(10 * MINUTE);
    const acked = await t.api('POST', `/api/v1/incidents/${incident.id}/ack`, { comment: 'on it' });
    expect(acked.status).toBe(200);
    expect(clock(acked.body, 'initialResponse')).toMatchObject({ state: 'met', metAt: new Date(START + 10 * MINUTE).toISOString() });

    time.advance(2 * 60 * MINUTE);
    await t.server.fireDueTimers();
    const later = (await t.api('GET', `/api/v1/incidents/${incident.id}`)).body;
    expect(clock(later, 'initialResponse').state).toBe('met');
    expect(clock(later, 'stakeholderNotification').state).toBe('breached');
  });

  it('breaches a clock that passes its due time, on the timeline and as an event', async () => {
    const incident = await declare('P0');
    time.advance(15 * MINUTE - 1);
    await t.server.fireDueTimers();
    expect(clock((await t.api('GET', `/api/v1/incidents/${incident.id}`)).body, 'initialResponse').state).toBe('pending');
    time.advance(1);
    await t.server.fireDueTimers();

    const shown = (await t.api('GET', `/api/v1/incidents/${incident.id}`)).body;
    expect(clock(shown, 'initialResponse')).toMatchObject({ state: 'breached', breachedAt: new Date(START + 15 * MINUTE).toISOString() });
    const timeline = (await t.api('GET', `/api/v1/incidents/${incident.id}/timeline`)).body.items;
    const breaches = timeline.filter((e: any) => e.kind === 'sla.breached');
    expect(breaches).toHaveLength(1);
    expect(breaches[0].text).toContain('initial response');
    const events = await t.server.services.store.repos.events.after(0, 1000);
    expect(events.filter((e) => e.type === 'sla.breached' && e.incidentId === incident.id)).toHaveLength(1);

    // Acknowledging after the breach does not rewrite history.
    const acked = await t.api('POST', `/api/v1/incidents/${incident.id}/ack`, {});
    expect(clock(acked.body, 'initialResponse').state).toBe('breached');
  });

  it('meets investigation and mitigation clocks as the status moves forward', async () => {
    const p2 = await declare('P2');
    expect(clock(p2, 'investigationStarted').dueAt).toBe(new Date(START + 8 * 60 * MINUTE).toISOString());
    time.advance(30 * MINUTE);
    const identified = await t.api('PATCH', `/api/v1/incidents/${p2.id}`, { status: 'identified' });
    expect(clock(identified.body, 'investigationStarted').state).toBe('met');

    const p1 = await declare('P1');
    time.advance(5 * MINUTE);
    // Skipping straight to monitoring implies mitigation started.
    const monitoring = await t.api('PATCH', `/api/v1/incidents/${p1.id}`, { status: 'monitoring' });
    expect(clock(monitoring.body, 'mitigationStarted')).toMatchObject({ state: 'met', metAt: new Date(time.now()).toISOString() });
  });

  it('runs the update cadence from the last stakeholder update', async () => {
    const incident = await declare('P0');
    time.advance(20 * MINUTE);
    const first = await t.api('POST', `/api/v1/incidents/${incident.id}/updates`, { message: 'Investigating elevated errors', public: true });
    expect(first.status).toBe(201);
    expect(clock(first.body.incident, 'stakeholderNotification').state).toBe('met');
    expect(clock(first.body.incident, 'updateCadence', 0)).toMatchObject({
      state: 'pending',
      dueAt: new Date(START + 35 * MINUTE).toISOString(),
    });

    time.advance(10 * MINUTE);
    const second = await t.api('POST', `/api/v1/incidents/${incident.id}/updates`, { message: 'Mitigation in progress' });
    expect(clock(second.body.incident, 'updateCadence', 0).state).toBe('met');
    expect(clock(second.body.incident, 'updateCadence', 1).dueAt).toBe(new Date(START + 45 * MINUTE).toISOString());

    time.advance(16 * MINUTE);
    await t.server.fireDueTimers();
    const shown = (await t.api('GET', `/api/v1/incidents/${incident.id}`)).body;
    expect(clock(shown, 'updateCadence', 1).state).toBe('breached');
  });

  it('counts next-business-day for P3 in business hours', async () => {
    // Friday 16:00 London time: the response is due by the end of Monday's working day.
    time.set(Date.parse('2026-03-13T16:00:00Z'));
    const incident = await declare('P3');
    const due = new Date(clock(incident, 'initialResponse').dueAt);
    expect(due.getUTCDay()).toBe(1);
    expect(due.toISOString().slice(0, 10)).toBe('2026-03-16');
  });

  it('recomputes open clocks when the severity changes, and says so on the timeline', async () => {
    const incident = await declare('P2');
    time.advance(5 * MINUTE);
    const raised = await t.api('PATCH', `/api/v1/incidents/${incident.id}`, { severity: 'P0' });
    expect(raised.status).toBe(200);
    expect(clock(raised.body, 'initialResponse').dueAt).toBe(new Date(START + 15 * MINUTE).toISOString());
    expect(clock(raised.body, 'mitigationStarted').state).toBe('pending');
    expect(clock(raised.body, 'investigationStarted').state).toBe('cancelled');
    const timeline = (await t.api('GET', `/api/v1/incidents/${incident.id}/timeline`)).body.items;
    expect(timeline.find((e: any) => e.kind === 'severity').text).toContain('from P2 to P0');

    // The old four-hour deadline no longer fires; the new fifteen-minute one does.
    time.advance(10 * MINUTE);
    await t.server.fireDueTimers();
    const shown = (await t.api('GET', `/api/v1/incidents/${incident.id}`)).body;
    expect(clock(shown, 'initialResponse').state).toBe('breached');
    const breaches = (await t.api('GET', `/api/v1/incidents/${incident.id}/timeline`)).body.items.filter((e: any) => e.kind === 'sla.breached');
    expect(breaches.map((e: any) => e.data.kind)).toEqual(['initialResponse']);
  });

  it('stops the clocks that no longer apply when an incident resolves', async () => {
    const incident = await declare('P0');
    await t.api('POST', `/api/v1/incidents/${incident.id}/updates`, { message: 'first' });
    time.advance(5 * MINUTE);
    const resolved = await t.api('PATCH', `/api/v1/incidents/${incident.id}`, { status: 'resolved' });
    expect(clock(resolved.body, 'updateCadence').state).toBe('cancelled');
    expect(clock(resolved.body, 'mitigationStarted').state).toBe('met');
    time.advance(60 * MINUTE);
    await t.server.fireDueTimers();
    const timeline = (await t.api('GET', `/api/v1/incidents/${incident.id}/timeline`)).body.items;
    expect(timeline.filter((e: any) => e.kind === 'sla.breached')).toEqual([]);
  });
});
