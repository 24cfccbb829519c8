import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.ts';

interface AmAlert {
  status?: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  fingerprint?: string;
}

/** An Alertmanager v4 webhook body, as Alertmanager sends it. */
function webhook(alerts: AmAlert[], groupKey = '{}:{alertname="x"}') {
  const status = alerts.some((a) => (a.status ?? 'firing') === 'firing') ? 'firing' : 'resolved';
  return {
    version: '4',
    groupKey,
    truncatedAlerts: 0,
    status,
    receiver: 'firebreak',
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://alertmanager.example:9093',
    alerts: alerts.map((a) => ({
      status: a.status ?? 'firing',
      labels: a.labels,
      annotations: a.annotations ?? {},
      startsAt: '2026-11-23T10:00:00.000Z',
      endsAt: a.status === 'resolved' ? '2026-11-23T10:05:00.000Z' : '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus.example:9090/graph?g0.expr=up',
      fingerprint: a.fingerprint ?? Object.entries(a.labels).map(([k, v]) => `${k}${v}`).join('').slice(0, 16),
    })),
  };
}

describe('alert pipeline', () => {
  let t: TestServer;
  let amUrl: string;
  let pdKey: string;
  let integrationId: string;
  let amKey: string;

  beforeAll(async () => {
    t = await startTestServer();
    const am = await t.api('POST', '/api/v1/integrations', { kind: 'alertmanager', name: 'prod alertmanager' });
    expect(am.status).toBe(201);
    expect(am.body.key).toMatch(/^fbi_/);
    integrationId = am.body.integration.id;
    amKey = am.body.key;
    amUrl = am.body.url;
    const pd = await t.api('POST', '/api/v1/integrations', { kind: 'pagerduty', name: 'legacy pd', service: 'rest-api' });
    pdKey = pd.body.key;
  });
  afterAll(async () => t.stop());

  const post = (body: unknown, url = amUrl) =>
    fetch(t.url + url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const incidentOf = async (alertName: string) => {
    const alerts = (await t.api('GET', `/api/v1/alerts?label=alertname=${alertName}`)).body.items;
    return alerts[0]?.incidentId ? (await t.api('GET', `/api/v1/incidents/${alerts[0].incidentId}`)).body : undefined;
  };

  it('opens one incident with the catalog severity, service and title', async () => {
    const response = await post(webhook([{ labels: { alertname: 'DLQDepthCritical', queue: 'enrichment' }, annotations: { summary: 'DLQ at 2,500' } }]));
    expect(response.status).toBe(200);
    expect((await response.json()) as any).toMatchObject({ status: 'success', alerts: 1, results: { opened: 1 } });
    const incident = await incidentOf('DLQDepthCritical');
    expect(incident).toMatchObject({ severity: 'P1', services: ['dlq-manager'], title: 'DLQ overflow: DLQ at 2,500', declaredBy: 'integration:prod alertmanager' });
    const timeline = (await t.api('GET', `/api/v1/incidents/${incident.id}/timeline`)).body.items;
    expect(timeline.map((e: any) => e.kind)).toContain('alert.attached');
  });

  it('deduplicates 1,000 repeats of one alert into one alert and one incident', async () => {
    const body = webhook([{ labels: { alertname: 'DiskSpaceHigh', instance: 'db1' }, fingerprint: 'disk-db1' }]);
    const answers = await Promise.all(Array.from({ length: 1000 }, () => post(body)));
    expect(answers.every((r) => r.status === 200)).toBe(true);
    const alerts = (await t.api('GET', '/api/v1/alerts?label=alertname=DiskSpaceHigh')).body.items;
    expect(alerts).toHaveLength(1);
    expect(alerts[0].count).toBe(1000);
    const incidents = (await t.api('GET', '/api/v1/incidents?limit=500')).body.items.filter((i: any) => i.title.startsWith('Disk space critical'));
    expect(incidents).toHaveLength(1);
    expect(incidents[0].title).toBe('Disk space critical on db1');
  });

  it('counts every alert received by what became of it, repeats answered at once included', async () => {
    const received = async () => {
      const text = await (await fetch(`${t.url}/metrics`)).text();
      const counts: Record<string, number> = {};
      for (const [, result, value] of text.matchAll(/^firebreak_alerts_received_total\{integration="alertmanager",result="(\w+)"\} (\d+)$/gm)) counts[result!] = Number(value);
      return counts;
    };
    const before = await received();
    const alerts = Array.from({ length: 5 }, (_, i) => ({ labels: { alertname: 'MetricsCounted', shard: String(i) }, fingerprint: `counted-${i}` }));
    expect(((await (await post(webhook(alerts))).json()) as any).results).toEqual({ opened: 1, attached: 4 });
    for (let i = 0; i < 3; i++) expect(((await (await post(webhook(alerts))).json()) as any).results).toEqual({ repeat: 5 });
    const after = await received();
    const delta = (result: string) => (after[result] ?? 0) - (before[result] ?? 0);
    expect({ opened: delta('opened'), attached: delta('attached'), repeat: delta('repeat') }).toEqual({ opened: 1, attached: 4, repeat: 15 });
  });

  it('attaches later alerts of the group to the open incident, and resolving all of them moves it to monitoring', async () => {
    const a = { labels: { alertname: 'CircuitBreakerOpen', provider: 'spotify', worker: '1' }, fingerprint: 'cb-1' };
    const b = { labels: { alertname: 'CircuitBreakerOpen', provider: 'spotify', worker: '2' }, fingerprint: 'cb-2' };
    await post(webhook([a]));
    const second = (await (await post(webhook([b]))).json()) as any;
    expect(second.results).toEqual({ attached: 1 });
    const incident = await incidentOf('CircuitBreakerOpen');
    expect(incident.title).toBe('Circuit breaker open for spotify');
    expect((await t.api('GET', `/api/v1/alerts?incident=${incident.id}`)).body.items).toHaveLength(2);

    await post(webhook([{ ...a, status: 'resolved' }]));
    expect((await t.api('GET', `/api/v1/incidents/${incident.id}`)).body.status).toBe('investigating');
    await post(webhook([{ ...b, status: 'resolved' }]));
    const after = (await t.api('GET', `/api/v1/incidents/${incident.id}`)).body;
    expect(after.status).toBe('monitoring');
    const kinds = (await t.api('GET', `/api/v1/incidents/${incident.id}/timeline`)).body.items.map((e: any) => e.kind);
    expect(kinds.filter((k: string) => k === 'alert.resolved')).toHaveLength(2);
    expect(kinds).toContain('alerts.resolved');

    // Firing again soon after reopens nothing new: the incident is still open (monitoring), so it attaches.
    const again = (await (await post(webhook([a]))).json()) as any;
    expect(again.results).toEqual({ attached: 1 });
  });

  it('reopens a resolved incident when its group fires again within the window', async () => {
    const alert = { labels: { alertname: 'MemoryUsageHigh', container: 'rest-api' }, fingerprint: 'mem-1' };
    await post(webhook([alert]));
    const incident = await incidentOf('MemoryUsageHigh');
    await t.api('PATCH', `/api/v1/incidents/${incident.id}`, { status: 'resolved' });
    await post(webhook([{ ...alert, status: 'resolved' }]));
    const again = (await (await post(webhook([alert]))).json()) as any;
    expect(again.results).toEqual({ reopened: 1 });
    expect((await t.api('GET', `/api/v1/incidents/${incident.id}`)).body.status).toBe('investigating');
  });

  it('stores silenced alerts without opening incidents, and expiring the silence restores handling', async () => {
    const alert = { labels: { alertname: 'ScraperStalled', scraper: 'ra' }, fingerprint: 'stall-ra' };
    const silence = await t.api('POST', '/api/v1/silences', { matchers: ['alertname="ScraperStalled"', 'scraper=~"r.*"'], duration: '2h', comment: 'RA maintenance' });
    expect(silence.status).toBe(201);
    expect(silence.body.state).toBe('active');
    const silenced = (await (await post(webhook([alert]))).json()) as any;
    expect(silenced.results).toEqual({ silenced: 1 });
    const stored = (await t.api('GET', '/api/v1/alerts?label=alertname=ScraperStalled')).body.items[0];
    expect(stored).toMatchObject({ status: 'firing', incidentId: null, suppressedBy: `silence:${silence.body.id}` });

    expect((await t.api('DELETE', `/api/v1/silences/${silence.body.id}`)).body.state).toBe('expired');
    const handled = (await (await post(webhook([alert]))).json()) as any;
    expect(handled.results).toEqual({ opened: 1 });
    const { body } = await t.api('GET', `/api/v1/alerts/${stored.id}`);
    expect(body.history.map((h: any) => h.kind)).toEqual(['silenced', 'fired']);
  });

  it('refuses a silence that would match everything', async () => {
    const response = await t.api('POST', '/api/v1/silences', { matchers: ['alertname=~".*"'], duration: '1h', comment: 'oops' });
    expect(response.status).toBe(400);
  });

  it('inhibits target alerts while a source alert fires with equal labels', async () => {
    await post(webhook([{ labels: { alertname: 'DatabaseConnectionPoolHigh', env: 'prod' }, fingerprint: 'pool-prod' }]));
    const target = (await (await post(webhook([{ labels: { alertname: 'APIGatewayErrorRateHigh', env: 'prod' }, fingerprint: 'gw-prod' }]))).json()) as any;
    expect(target.results).toEqual({ inhibited: 1 });
    const otherEnv = (await (await post(webhook([{ labels: { alertname: 'APIGatewayErrorRateHigh', env: 'eu' }, fingerprint: 'gw-eu' }]))).json()) as any;
    expect(otherEnv.results).toEqual({ opened: 1 });
  });

  it('opens nothing during a maintenance window of the service', async () => {
    const window = await t.api('POST', '/api/v1/maintenance-windows', { service: 'postgres', duration: '1h', comment: 'upgrade' });
    expect(window.status).toBe(201);
    const answer = (await (await post(webhook([{ labels: { alertname: 'Whatever', service: 'postgres' }, fingerprint: 'pg-x' }]))).json()) as any;
    expect(answer.results).toEqual({ maintenance: 1 });
    await t.api('DELETE', `/api/v1/maintenance-windows/${window.body.id}`);
  });

  it('drops alerts a route drops, and maps unknown alerts by their severity label', async () => {
    const dropped = (await (await post(webhook([{ labels: { alertname: 'Noise', env: 'staging' }, fingerprint: 'noise' }]))).json()) as any;
    expect(dropped.results).toEqual({ dropped: 1 });
    await post(webhook([{ labels: { alertname: 'UnknownThing', severity: 'warning', service: 'redis' }, fingerprint: 'unk' }]));
    const incident = await incidentOf('UnknownThing');
    expect(incident).toMatchObject({ severity: 'P2', services: ['redis'] });
  });

  it('speaks PagerDuty Events v2: trigger, acknowledge, resolve by dedup_key', async () => {
    const send = (body: unknown) => fetch(`${t.url}/v2/enqueue`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const trigger = await send({
      routing_key: pdKey,
      event_action: 'trigger',
      payload: { summary: 'Checkout latency above 2s', source: 'web-7', severity: 'critical', custom_details: { p99: 2.4 } },
    });
    expect(trigger.status).toBe(202);
    const accepted = (await trigger.json()) as any;
    expect(accepted).toMatchObject({ status: 'success', message: 'Event processed' });
    expect(typeof accepted.dedup_key).toBe('string');
    const alert = (await t.api('GET', `/api/v1/alerts?service=rest-api&status=firing`)).body.items.find((a: any) => a.dedupKey === accepted.dedup_key);
    expect(alert).toMatchObject({ severity: 'P1', service: 'rest-api' });

    await send({ routing_key: pdKey, event_action: 'acknowledge', dedup_key: accepted.dedup_key });
    expect((await t.api('GET', `/api/v1/incidents/${alert.incidentId}`)).body.acknowledgedBy).toBe('integration:legacy pd');
    const resolve = await send({ routing_key: pdKey, event_action: 'resolve', dedup_key: accepted.dedup_key });
    expect(resolve.status).toBe(202);
    expect((await t.api('GET', `/api/v1/alerts/${alert.id}`)).body.alert.status).toBe('resolved');

    const invalid = await send({ routing_key: pdKey, event_action: 'trigger', payload: { summary: 'no source' } });
    expect(invalid.status).toBe(400);
    expect((await invalid.json()) as any).toMatchObject({ status: 'invalid event', message: expect.any(String), errors: expect.any(Array) });
    const unknownKey = await send({ routing_key: 'fbi_not_a_key', event_action: 'trigger', payload: { summary: 's', source: 's', severity: 'info' } });
    expect(unknownKey.status).toBe(400);
  });

  it('puts PagerDuty change events on the timeline of the service’s open incidents', async () => {
    const open = (await t.api('GET', '/api/v1/incidents?service=rest-api&status=investigating')).body.items;
    const declared = open[0] ?? (await t.api('POST', '/api/v1/incidents', { title: 'rest', severity: 'P2', services: ['rest-api'] })).body;
    const change = await fetch(`${t.url}/v2/change/enqueue`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ routing_key: pdKey, payload: { summary: 'Deployed rest-api v2.3.1', source: 'ci', timestamp: new Date().toISOString() } }),
    });
    expect(change.status).toBe(202);
    const timeline = (await t.api('GET', `/api/v1/incidents/${declared.id}/timeline`)).body.items;
    expect(timeline.some((e: any) => e.kind === 'change' && e.text.includes('Deployed rest-api v2.3.1'))).toBe(true);
  });

  it('refuses unknown or deleted keys and malformed payloads, storing nothing', async () => {
    const before = (await t.api('GET', '/api/v1/alerts?limit=500')).body.items.length;
    expect((await post(webhook([{ labels: { alertname: 'X' } }]), '/api/v1/integrations/alertmanager/fbi_nope')).status).toBe(401);
    expect((await post({ alerts: 'nope' })).status).toBe(400);
    const many = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`l${i}`, 'v']));
    expect((await post(webhook([{ labels: { alertname: 'Big', ...many } }]))).status).toBe(400);

    const extra = await t.api('POST', '/api/v1/integrations', { kind: 'alertmanager', name: 'temporary' });
    await t.api('DELETE', `/api/v1/integrations/${extra.body.integration.id}`);
    expect((await post(webhook([{ labels: { alertname: 'Y' } }]), extra.body.url)).status).toBe(401);
    expect((await t.api('GET', '/api/v1/alerts?limit=500')).body.items.length).toBe(before);
  });

  it('stores hostile label values verbatim', async () => {
    const hostile = `'; DROP TABLE alerts; -- $(touch /tmp/firebreak-pwned) \`id\``;
    await post(webhook([{ labels: { alertname: 'Hostile', note: hostile }, annotations: { summary: hostile }, fingerprint: 'hostile' }]));
    const alert = (await t.api('GET', '/api/v1/alerts?label=alertname=Hostile')).body.items[0];
    expect(alert.labels.note).toBe(hostile);
    expect(alert.summary).toBe(hostile);
  });

  it('lists integrations without keys, and only for admins', async () => {
    const list = await t.api('GET', '/api/v1/integrations');
    expect(list.body.items.some((i: any) => i.id === integrationId)).toBe(true);
    expect(JSON.stringify(list.body)).not.toContain(amKey);
    expect(JSON.stringify(list.body)).not.toContain(pdKey);
    const responder = await t.token('responder');
    expect((await t.api('GET', '/api/v1/integrations', undefined, responder)).status).toBe(403);
  });
});
