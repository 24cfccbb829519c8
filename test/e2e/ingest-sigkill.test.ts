import { afterAll, describe, expect, it } from 'vitest';
import { labelSetKey } from '../../src/alerts/adapters/wire.ts';
import { Store } from '../../src/store/index.ts';
import { createTestDatabase, testEngine, type TestDatabase } from '../support/database.ts';
import { closeStore, expectStatus, spawnServer, waitUntil, type ServerProcess } from '../support/process.ts';

/*
 * "A 2xx to an alert source means the alert is durably stored": a real
 * `firebreak serve` process takes a stream of Alertmanager webhooks from 20
 * concurrent senders, every alert with an identity of its own, and is
 * SIGKILLed mid-stream. After a restart on the same database every alert of
 * every webhook that was answered 2xx must be there, attached to an incident.
 * Webhooks without an answer may or may not have been stored; resending them
 * (as Alertmanager retries) must store each exactly once. A quarter of the
 * senders post webhooks large enough to be read on a parser thread.
 */
const SENDERS = 20;
const alertsPerWebhook = (sender: number) => (sender % 4 === 3 ? 40 : 5);
/** Acknowledged webhooks before the kill; the senders keep 20 more in flight. */
const KILL_AFTER_ACKED = 300;

interface Sent {
  sender: number;
  seq: number;
  body: unknown;
  dedupKeys: string[];
  /** The HTTP status, set the moment the answer's head arrives; null if none came. */
  status: number | null;
  error: string | null;
}

function webhook(sender: number, seq: number): { body: unknown; dedupKeys: string[] } {
  const alerts = Array.from({ length: alertsPerWebhook(sender) }, (_, slot) => {
    const labels = { alertname: `IngestUnderSigkill${sender % 4}`, sender: String(sender), seq: String(seq), slot: String(slot), severity: 'warning' };
    // Half carry Alertmanager's fingerprint; the others are keyed by their label set.
    const fingerprint = slot % 2 === 0 ? `sk-${sender}-${seq}-${slot}` : undefined;
    return {
      alert: {
        status: 'firing',
        labels,
        annotations: { summary: `sender ${sender} webhook ${seq} alert ${slot}` },
        startsAt: new Date().toISOString(),
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus.example:9090/graph?g0.expr=up',
        ...(fingerprint ? { fingerprint } : {}),
      },
      dedupKey: fingerprint ?? labelSetKey(labels),
    };
  });
  return {
    body: {
      version: '4',
      groupKey: `{}:{sender="${sender}"}`,
      truncatedAlerts: 0,
      status: 'firing',
      receiver: 'firebreak',
      groupLabels: { sender: String(sender) },
      commonLabels: {},
      commonAnnotations: {},
      externalURL: 'http://alertmanager.example:9093',
      alerts: alerts.map((a) => a.alert),
    },
    dedupKeys: alerts.map((a) => a.dedupKey),
  };
}

async function post(url: string, sent: Sent): Promise<void> {
  try {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(sent.body) });
    sent.status = response.status;
    await response.arrayBuffer().catch(() => {});
  } catch (error) {
    sent.error = String((error as Error & { cause?: unknown }).cause ?? error);
  }
}

const is2xx = (sent: Sent) => sent.status !== null && sent.status >= 200 && sent.status < 300;

describe(`alert ingest survives SIGKILL (${testEngine()})`, () => {
  let database: TestDatabase | undefined;
  let store: Store | undefined;
  const servers: ServerProcess[] = [];

  afterAll(async () => {
    for (const server of servers) await server.kill('SIGKILL');
    await closeStore(store, database?.databaseUrl);
    await database?.drop();
  });

  it('keeps every alert of every webhook answered 2xx, across a SIGKILL mid-stream', async () => {
    database = await createTestDatabase();
    const db = database;
    const first = await spawnServer({ dataDir: db.dataDir, databaseUrl: db.databaseUrl });
    servers.push(first);
    const created = await expectStatus(first, 201, 'POST', '/api/v1/integrations', { kind: 'alertmanager', name: 'sigkill stream' });
    const integrationId = created.body.integration.id as string;
    const path = created.body.url as string;

    // The stream: each sender posts its next webhook as soon as the last one is answered, until the server is gone.
    const sent: Sent[] = [];
    let acked = 0;
    let stop = false;
    const sender = async (index: number) => {
      for (let seq = 0; !stop; seq++) {
        const entry: Sent = { sender: index, seq, status: null, error: null, ...webhook(index, seq) };
        sent.push(entry);
        await post(first.url + path, entry);
        if (is2xx(entry)) acked++;
        else if (entry.error !== null) return; // the server is gone
      }
    };
    const senders = Promise.all(Array.from({ length: SENDERS }, (_, i) => sender(i)));

    await waitUntil(async () => (acked >= KILL_AFTER_ACKED || sent.some((s) => s.status !== null && !is2xx(s)) ? true : undefined), {
      timeoutMs: 60_000,
      intervalMs: 5,
      describe: () => `only ${acked} webhooks were acknowledged\n${first.recentOutput()}`,
    });
    const killed = await first.kill('SIGKILL');
    stop = true;
    await senders;
    expect(killed.signal).toBe('SIGKILL');

    // Every answer before the kill was a 2xx; what was in flight got no answer at all.
    const refused = sent.filter((s) => s.status !== null && !is2xx(s));
    expect(refused.map((s) => `${s.status} (sender ${s.sender} webhook ${s.seq})`)).toEqual([]);
    const ackedRequests = sent.filter(is2xx);
    const unanswered = sent.filter((s) => s.status === null);
    expect(ackedRequests.length).toBeGreaterThanOrEqual(KILL_AFTER_ACKED);
    expect(unanswered.length).toBeGreaterThan(0); // the kill did land mid-stream
    expect(unanswered.every((s) => s.error !== null)).toBe(true);

    // Restart on the same database.
    const second = await spawnServer({ dataDir: db.dataDir, databaseUrl: db.databaseUrl });
    servers.push(second);
    store = await Store.open({ databaseUrl: db.databaseUrl, dataDir: db.dataDir });
    const stored = async () =>
      store!.db
        .selectFrom('alerts')
        .select(['id', 'dedup_key', 'count', 'incident_id', 'status'])
        .where('integration_id', '=', integrationId)
        .execute();

    const afterCrash = await stored();
    const storedKeys = new Set(afterCrash.map((row) => row.dedup_key));
    const ackedKeys = ackedRequests.flatMap((s) => s.dedupKeys);
    const lost = ackedKeys.filter((key) => !storedKeys.has(key));
    expect(lost, `${lost.length} of ${ackedKeys.length} acknowledged alerts were lost`).toEqual([]);
    // Nothing stored that was never sent, nothing half-stored: each alert is firing, in an incident that exists, with history.
    const sentKeys = new Set(sent.flatMap((s) => s.dedupKeys));
    expect(afterCrash.filter((row) => !sentKeys.has(row.dedup_key))).toEqual([]);
    expect(afterCrash.filter((row) => row.status !== 'firing' || row.incident_id === null || Number(row.count) !== 1)).toEqual([]);
    const incidentIds = new Set((await store.db.selectFrom('incidents').select('id').execute()).map((row) => row.id));
    expect(afterCrash.filter((row) => !incidentIds.has(row.incident_id!))).toEqual([]);
    const withHistory = new Set((await store.db.selectFrom('alert_history').select('alert_id').distinct().execute()).map((row) => row.alert_id));
    expect(afterCrash.filter((row) => !withHistory.has(row.id))).toEqual([]);
    // Whole webhooks commit or not at all: no request is partly stored.
    const partly = sent.filter((s) => {
      const present = s.dedupKeys.filter((key) => storedKeys.has(key)).length;
      return present !== 0 && present !== s.dedupKeys.length;
    });
    expect(partly.map((s) => `sender ${s.sender} webhook ${s.seq}`)).toEqual([]);

    // The sender retries what got no answer: each alert ends up stored exactly once.
    const unansweredStored = unanswered.filter((s) => storedKeys.has(s.dedupKeys[0]!));
    for (const retry of unanswered) {
      retry.status = null;
      retry.error = null;
      await post(second.url + path, retry);
      expect(retry.status, retry.error ?? '').toBe(200);
    }
    const afterRetry = await stored();
    expect(afterRetry).toHaveLength(sentKeys.size);
    expect(sentKeys.size).toBe(sent.reduce((n, s) => n + alertsPerWebhook(s.sender), 0));
    expect(new Set(afterRetry.map((row) => row.dedup_key))).toEqual(sentKeys);
    const repeated = new Set(unansweredStored.flatMap((s) => s.dedupKeys));
    for (const row of afterRetry) expect(Number(row.count), row.dedup_key).toBe(repeated.has(row.dedup_key) ? 2 : 1);
    console.log(
      `[ingest-sigkill ${testEngine()}] ${sent.length} webhooks sent, ${ackedRequests.length} answered 2xx (${ackedKeys.length} alerts), ` +
        `${unanswered.length} unanswered (${unansweredStored.length} of them stored before the kill), ${afterCrash.length} alerts after restart`,
    );
  });
});
