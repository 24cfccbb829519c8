import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import { cliFor } from '../support/cli.ts';
import { ADMIN_TOKEN, startExampleServer, type TestServer } from '../support/server.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
// 02:00 in London on a Wednesday: pages now are night pages for everyone in Europe.
const START = Date.parse('2026-03-11T02:00:00Z');

/** A small, known history, then the report over it through the API, as CSV, and through the CLI. */
describe('reports', () => {
  let t: TestServer;
  let time: ManualClock;
  let amUrl: string;
  const { ok, firebreak } = cliFor(() => t.url, ADMIN_TOKEN);

  const fire = async (alertname: string, fingerprint: string) => {
    const response = await fetch(t.url + amUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        version: '4',
        groupKey: `{}:{alertname="${alertname}"}`,
        status: 'firing',
        receiver: 'firebreak',
        alerts: [{ status: 'firing', labels: { alertname }, annotations: {}, startsAt: new Date(time.now()).toISOString(), fingerprint }],
      }),
    });
    expect(response.status).toBeLessThan(300);
  };

  beforeAll(async () => {
    time = new ManualClock(START);
    t = await startExampleServer({ clock: time, timers: false });
    amUrl = (await t.api('POST', '/api/v1/integrations', { kind: 'alertmanager', name: 'am' })).body.url;

    // A P1 from an alert that fires three times: acknowledged after 10 minutes, resolved after 40.
    await fire('DLQDepthCritical', 'dlq-1');
    await fire('DLQDepthCritical', 'dlq-1');
    await fire('DLQDepthCritical', 'dlq-1');
    const dlq = (await t.api('GET', '/api/v1/alerts?label=alertname=DLQDepthCritical')).body.items[0].incidentId;
    time.advance(10 * MINUTE);
    await t.api('POST', `/api/v1/incidents/${dlq}/ack`, {});
    time.advance(30 * MINUTE);
    await t.api('PATCH', `/api/v1/incidents/${dlq}`, { status: 'resolved' });

    // A P2 declared by hand, never acknowledged: its 4-hour initial response breaches.
    time.advance(20 * MINUTE);
    const p2 = (await t.api('POST', '/api/v1/incidents', { title: '=HYPERLINK("http://evil")', severity: 'P2', services: ['redis'] })).body.id;
    time.advance(5 * HOUR);
    await t.server.fireDueTimers();
    await t.api('PATCH', `/api/v1/incidents/${p2}`, { status: 'resolved' });

    // A silenced alert: stored, but it opens nothing.
    await t.api('POST', '/api/v1/silences', { matchers: ['alertname="ScraperStalled"'], duration: '2h', comment: 'known flake' });
    await fire('ScraperStalled', 'scraper-1');
  });
  afterAll(async () => {
    await t?.stop();
  });

  const range = () => `from=${new Date(START - HOUR).toISOString()}&to=${new Date(time.now() + HOUR).toISOString()}`;

  it('counts incidents, MTTA and MTTR, SLA compliance, breaches, alert noise and on-call load', async () => {
    const report = (await t.api('GET', `/api/v1/reports?${range()}`)).body;
    expect(report.incidents).toMatchObject({ total: 2, open: 0, bySeverity: { P1: 1, P2: 1 }, byService: { 'dlq-manager': 1, redis: 1 } });
    expect(report.timeToAcknowledge).toMatchObject({ count: 1, meanMs: 10 * MINUTE, medianMs: 10 * MINUTE });
    expect(report.timeToResolve).toMatchObject({ count: 2, medianMs: 40 * MINUTE });
    const initial = report.sla.find((s: any) => s.kind === 'initialResponse');
    expect(initial).toMatchObject({ metInTime: 1, breached: 1, compliance: 0.5 });
    expect(report.breaches).toEqual([expect.objectContaining({ kind: 'initialResponse' })]);
    expect(report.alerts.total).toBe(2);
    expect(report.alerts.noisiest[0]).toMatchObject({ name: 'DLQDepthCritical', alerts: 1, occurrences: 3, incidents: 1 });
    expect(report.alerts.withoutAction).toEqual([expect.objectContaining({ name: 'ScraperStalled', alerts: 1 })]);
    expect(report.oncall.length).toBeGreaterThan(0);
    expect(report.oncall[0].pages).toBeGreaterThan(0);
    expect(report.oncall[0].nightPages).toBe(report.oncall[0].pages);

    const p1Only = (await t.api('GET', `/api/v1/reports?${range()}&severity=P1`)).body;
    expect(p1Only.incidents.total).toBe(1);
    expect((await t.api('GET', `/api/v1/reports?${range()}&service=redis`)).body.incidents.total).toBe(1);
  });

  it('gives each table as CSV, with formula-looking text defused', async () => {
    const response = await fetch(`${t.url}/api/v1/reports?${range()}&format=csv&table=incidents`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const lines = (await response.text()).trimEnd().split('\r\n');
    expect(lines[0]).toBe('id,title,severity,status,services,declared_at,acknowledged_at,resolved_at,time_to_acknowledge_s,time_to_resolve_s,alerts,breaches');
    expect(lines).toHaveLength(3);
    expect(lines.some((line) => line.includes(`"'=HYPERLINK(""http://evil"")"`))).toBe(true);
    expect(lines.some((line) => line.includes(',600,2400,1,0'))).toBe(true);
  });

  it('refuses periods that make no sense', async () => {
    expect((await t.api('GET', `/api/v1/reports?from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z`)).status).toBe(400);
    expect((await t.api('GET', `/api/v1/reports?from=2024-01-01T00:00:00Z&to=2026-01-01T00:00:00Z`)).status).toBe(400);
    expect((await t.api('GET', `/api/v1/reports?format=csv&table=nope`)).status).toBe(400);
    expect((await t.api('GET', `/api/v1/reports`, undefined, await t.token('viewer'))).status).toBe(200);
  });

  it('prints the report and its CSV from the CLI', async () => {
    const since = new Date(START - HOUR).toISOString();
    const until = new Date(time.now() + HOUR).toISOString();
    const text = await ok(['report', '--since', since, '--until', until]);
    expect(text.stdout).toContain('2 incidents (0 still open)');
    expect(text.stdout).toMatch(/initial response\s+1\s+0\s+1\s+0\s+50%/);
    expect(text.stdout).toMatch(/DLQDepthCritical\s+1\s+3\s+1/);
    const csv = await ok(['report', '--since', since, '--until', until, '--csv', 'sla']);
    expect(csv.stdout.split('\r\n')[0]).toBe('clock,met_in_time,met_late,breached,pending,compliance');
    expect((await firebreak(['report', '--csv', 'everything'])).code).toBe(2);
  });
});
