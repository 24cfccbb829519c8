import { afterAll, beforeAll, expect, it } from 'vitest';
import { testEngine } from '../support/database.ts';
import { describeWithPeers, startAlertmanager, startPrometheus, stopAllPeers, type Alertmanager, type PeerProcess } from '../support/peers.ts';
import { closeStore, waitUntil } from '../support/process.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/*
 * Real Alertmanager (and Prometheus) in front of Firebreak, on the engine of
 * FIREBREAK_TEST_DB. Alertmanager groups by alertname with 1 s waits and
 * posts its webhook (v4, send_resolved) to the integration's URL. Every wait
 * is a bounded poll; nothing asserts on wall-clock durations.
 */
const engine = testEngine();
const WAIT_MS = 40_000;

async function createIntegration(t: TestServer, name: string): Promise<string> {
  const created = await t.api('POST', '/api/v1/integrations', { kind: 'alertmanager', name });
  if (created.status !== 201) throw new Error(`integration create failed: ${created.status} ${JSON.stringify(created.body)}`);
  return t.url + (created.body.url as string);
}

const alertsNamed = async (t: TestServer, name: string): Promise<any[]> => (await t.api('GET', `/api/v1/alerts?label=alertname=${name}&limit=500`)).body.items;
const allIncidents = async (t: TestServer): Promise<any[]> => (await t.api('GET', '/api/v1/incidents?limit=500')).body.items;
/**
 * TestServer.stop() drops the PostgreSQL database `with (force)` as soon as the
 * server's pool has ended, which can kill a connection that is still closing
 * and surface as an unhandled pg error; wait for the connections to go first.
 */
async function stopServer(t: TestServer | undefined): Promise<void> {
  if (!t) return;
  await t.server.close();
  await closeStore(undefined, t.database.databaseUrl);
  await t.database.drop();
}

const timelineOf = async (t: TestServer, id: string): Promise<any[]> => (await t.api('GET', `/api/v1/incidents/${id}/timeline?limit=5000`)).body.items;

describeWithPeers(`Alertmanager → Firebreak (${engine})`, ['alertmanager'], () => {
  let t: TestServer | undefined;
  let am: Alertmanager | undefined;

  beforeAll(async () => {
    t = await startTestServer();
    am = await startAlertmanager({ webhookUrl: await createIntegration(t, 'e2e alertmanager'), groupBy: ['alertname'] });
  });
  afterAll(async () => {
    // Alertmanager first, so it does not post into a server that is going away.
    await stopAllPeers();
    await stopServer(t);
  });

  const startsAt = new Date(Date.now() - 60_000).toISOString();
  const dlq = (queue: string) => ({
    labels: { alertname: 'DLQDepthCritical', queue, severity: 'critical' },
    annotations: { summary: 'DLQ depth 2,500 (e2e)' },
    startsAt,
    generatorURL: 'http://prometheus.example:9090/graph?g0.expr=dlq_depth',
  });
  const posted = [dlq('enrichment'), dlq('scraping')];

  it('opens exactly one P1 incident with the catalog title and service for a group of firing alerts', async () => {
    const server = t!;
    const peer = am!;
    await peer.postAlerts(posted);

    const stored = await waitUntil(
      async () => {
        const items = await alertsNamed(server, 'DLQDepthCritical');
        return items.length === 2 && items.every((a) => a.incidentId) ? items : undefined;
      },
      { timeoutMs: WAIT_MS, intervalMs: 100, describe: () => `Firebreak never got both alerts\n${peer.recentOutput()}` },
    );

    // Firebreak's dedup key is Alertmanager's fingerprint.
    const fingerprints = (await peer.alerts()).filter((a) => a.labels.alertname === 'DLQDepthCritical').map((a) => a.fingerprint);
    expect(fingerprints).toHaveLength(2);
    expect(stored.map((a) => a.dedupKey).sort()).toEqual([...fingerprints].sort());
    expect(stored.every((a) => a.status === 'firing' && a.severity === 'P1' && a.service === 'dlq-manager')).toBe(true);
    expect(new Set(stored.map((a) => a.labels.queue))).toEqual(new Set(['enrichment', 'scraping']));

    const incidents = await allIncidents(server);
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({
      severity: 'P1',
      services: ['dlq-manager'],
      title: 'DLQ overflow: DLQ depth 2,500 (e2e)',
      status: 'investigating',
      declaredBy: 'integration:e2e alertmanager',
    });
    expect(stored.every((a) => a.incidentId === incidents[0].id)).toBe(true);
    const kinds = (await timelineOf(server, incidents[0].id)).map((e) => e.kind);
    expect(kinds.filter((k) => k === 'alert.attached')).toHaveLength(2);
  });

  it('shows the alerts resolved on the timeline once Alertmanager resolves them, and moves the incident to monitoring', async () => {
    const server = t!;
    const peer = am!;
    const [incident] = await allIncidents(server);
    expect(incident).toBeDefined();
    // Resolving in Alertmanager: the same alerts with an end in the past.
    const endsAt = new Date(Date.now() - 1_000).toISOString();
    await peer.postAlerts(posted.map((alert) => ({ ...alert, endsAt })));

    const after = await waitUntil(
      async () => {
        const current = (await server.api('GET', `/api/v1/incidents/${incident.id}`)).body;
        return current.status === 'monitoring' ? current : undefined;
      },
      { timeoutMs: WAIT_MS, intervalMs: 100, describe: () => `the incident never moved to monitoring\n${peer.recentOutput()}` },
    );
    expect(after.status).toBe('monitoring');

    const stored = await alertsNamed(server, 'DLQDepthCritical');
    expect(stored).toHaveLength(2);
    expect(stored.every((a) => a.status === 'resolved')).toBe(true);

    const timeline = await timelineOf(server, incident.id);
    const kinds = timeline.map((e) => e.kind);
    expect(kinds.filter((k) => k === 'alert.resolved')).toHaveLength(2);
    expect(timeline.find((e) => e.kind === 'alerts.resolved')?.text).toBe('All 2 alerts of this incident resolved');
    expect(timeline.find((e) => e.kind === 'status')?.data).toMatchObject({ from: 'investigating', to: 'monitoring' });
    // Still one incident: the resolve opened nothing.
    expect(await allIncidents(server)).toHaveLength(1);
  });
});

describeWithPeers(`Prometheus → Alertmanager → Firebreak (${engine})`, ['alertmanager', 'prometheus'], () => {
  let t: TestServer | undefined;
  let am: Alertmanager | undefined;
  let prometheus: PeerProcess | undefined;

  beforeAll(async () => {
    t = await startTestServer();
    am = await startAlertmanager({ webhookUrl: await createIntegration(t, 'e2e prometheus'), groupBy: ['alertname'] });
    prometheus = await startPrometheus({
      alertmanagerUrl: am.url,
      evaluationInterval: '1s',
      rules: [
        {
          alert: 'DLQDepthCritical',
          expr: 'vector(1) > 0',
          labels: { severity: 'critical', queue: 'always-firing' },
          annotations: { summary: 'always firing rule (e2e)' },
        },
      ],
    });
  });
  afterAll(async () => {
    await prometheus?.stop();
    await stopAllPeers();
    await stopServer(t);
  });

  it('opens an incident from an always-firing rule, end to end', async () => {
    const server = t!;
    const incident = await waitUntil(
      async () => {
        const [first] = await allIncidents(server);
        return first;
      },
      {
        timeoutMs: WAIT_MS,
        intervalMs: 200,
        describe: () => `no incident\n--- prometheus\n${prometheus!.recentOutput()}\n--- alertmanager\n${am!.recentOutput()}`,
      },
    );
    expect(incident).toMatchObject({ severity: 'P1', services: ['dlq-manager'], title: 'DLQ overflow: always firing rule (e2e)' });

    const [alert] = await alertsNamed(server, 'DLQDepthCritical');
    expect(alert).toMatchObject({
      status: 'firing',
      incidentId: incident.id,
      labels: { alertname: 'DLQDepthCritical', severity: 'critical', queue: 'always-firing' },
    });
    // Prometheus's own link to the rule's expression came all the way through.
    expect(alert.generatorUrl).toContain(`${prometheus!.url}/graph?g0.expr=`);
    const fingerprints = (await am!.alerts()).map((a) => a.fingerprint);
    expect(fingerprints).toContain(alert.dedupKey);

    // Prometheus keeps resending to Alertmanager (every second here); that stays one alert and one incident.
    expect(await allIncidents(server)).toHaveLength(1);
    expect(await alertsNamed(server, 'DLQDepthCritical')).toHaveLength(1);
  });
});
