import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findIntegrationByKey, parseAlertmanagerWebhook, ReceivedAlerts } from '../../src/alerts/index.ts';
import { startServer, type RunningServer } from '../../src/runtime/index.ts';
import { createTestDatabase, testEngine, type TestDatabase } from '../support/database.ts';
import { ADMIN_TOKEN, EXAMPLE_CONFIG } from '../support/server.ts';

/*
 * How ingest batches behave from the outside: repeats answered without waiting
 * for a commit (SQLite) are still counted and shown at once, and survive a
 * graceful restart; requests that need writes of their own (opening an
 * incident, resolving) go in the same batches as those that only add rows;
 * a changed annotation is never taken for a repeat.
 */

interface AmAlert {
  status?: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  fingerprint: string;
}

const webhook = (alerts: AmAlert[]) => ({
  version: '4',
  groupKey: '{}:{alertname="x"}',
  truncatedAlerts: 0,
  status: alerts.some((a) => (a.status ?? 'firing') === 'firing') ? 'firing' : 'resolved',
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
    fingerprint: a.fingerprint,
  })),
});

describe(`alert ingest batches (${testEngine()})`, () => {
  let database: TestDatabase;
  let server: RunningServer;
  let hook: string;

  const start = () =>
    startServer({ configPath: EXAMPLE_CONFIG, dataDir: database.dataDir, databaseUrl: database.databaseUrl, port: 0, bootstrapToken: ADMIN_TOKEN, logLevel: 'silent', timers: false });
  const api = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(server.url + path, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as any };
  };
  const post = async (alerts: AmAlert[]) => {
    const response = await fetch(server.url + hook, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(webhook(alerts)) });
    expect(response.status).toBe(200);
    return ((await response.json()) as any).results as Record<string, number>;
  };
  const alertNamed = async (name: string) => {
    const items = (await api('GET', `/api/v1/alerts?label=alertname=${name}&limit=500`)).body.items;
    expect(items).toHaveLength(1);
    return items[0];
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    server = await start();
    const created = await api('POST', '/api/v1/integrations', { kind: 'alertmanager', name: 'batching' });
    hook = created.body.url;
  });
  afterAll(async () => {
    await server?.close();
    await database?.drop();
  });

  it('counts repeats answered at once, and a resolve right after them applies', async () => {
    const alert = { labels: { alertname: 'BatchRepeatThenResolve', instance: 'a' }, fingerprint: 'brr-a' };
    expect(await post([alert])).toEqual({ opened: 1 });
    const answers = await Promise.all(Array.from({ length: 30 }, () => post([alert])));
    expect(answers.every((results) => results.repeat === 1)).toBe(true);
    const seen = await alertNamed('BatchRepeatThenResolve');
    expect(seen).toMatchObject({ status: 'firing', count: 31 });

    expect(await post([{ ...alert, status: 'resolved' }])).toEqual({ resolved: 1 });
    const resolved = await alertNamed('BatchRepeatThenResolve');
    expect(resolved).toMatchObject({ status: 'resolved', count: 32, incidentId: seen.incidentId });
    const incident = (await api('GET', `/api/v1/incidents/${seen.incidentId}`)).body;
    expect(incident.status).toBe('monitoring');
    const kinds = (await api('GET', `/api/v1/incidents/${seen.incidentId}/timeline`)).body.items.map((e: any) => e.kind);
    expect(kinds.filter((k: string) => k === 'alert.attached')).toHaveLength(1);
    expect(kinds).toContain('alerts.resolved');

    // Firing again is not a repeat: the alert fires again in its (still open) incident.
    expect(await post([alert])).toEqual({ attached: 1 });
    expect(await alertNamed('BatchRepeatThenResolve')).toMatchObject({ status: 'firing', count: 33 });
  });

  it('stores a changed annotation, which is no repeat of what was stored', async () => {
    const alert = { labels: { alertname: 'BatchAnnotationChange', instance: 'a' }, fingerprint: 'bac-a' };
    await post([{ ...alert, annotations: { summary: 'at 80%' } }]);
    expect(await post([{ ...alert, annotations: { summary: 'at 95%' } }])).toEqual({ repeat: 1 });
    expect(await alertNamed('BatchAnnotationChange')).toMatchObject({ count: 2, annotations: { summary: 'at 95%' } });
    expect(await post([{ ...alert, annotations: { summary: 'at 95%' } }])).toEqual({ repeat: 1 });
    expect(await alertNamed('BatchAnnotationChange')).toMatchObject({ count: 3, annotations: { summary: 'at 95%' } });
  });

  it('commits requests that only add rows together with requests that open or resolve incidents', async () => {
    const joining = (i: number) => ({ labels: { alertname: 'BatchMixJoin', instance: `j${i}` }, fingerprint: `bmj-${i}` });
    const resolving = { labels: { alertname: 'BatchMixResolve', instance: 'r' }, fingerprint: 'bmr' };
    await post([joining(0)]);
    await post([resolving]);
    const opening = (i: number) => ({ labels: { alertname: `BatchMixOpen${i}`, instance: 'o' }, fingerprint: `bmo-${i}` });

    const answers = await Promise.all([
      ...Array.from({ length: 20 }, (_, i) => post([joining(i + 1), joining(i + 100)])),
      ...Array.from({ length: 3 }, (_, i) => post([opening(i)])),
      post([{ ...resolving, status: 'resolved' }]),
      post([joining(0)]),
    ]);
    expect(answers.slice(0, 20).every((results) => results.attached === 2)).toBe(true);
    expect(answers.slice(20, 23)).toEqual([{ opened: 1 }, { opened: 1 }, { opened: 1 }]);
    expect(answers[23]).toEqual({ resolved: 1 });
    expect(answers[24]).toEqual({ repeat: 1 });

    const joined = (await api('GET', '/api/v1/alerts?label=alertname=BatchMixJoin&limit=500')).body.items;
    expect(joined).toHaveLength(41);
    expect(new Set(joined.map((a: any) => a.incidentId)).size).toBe(1);
    const timeline = (await api('GET', `/api/v1/incidents/${joined[0].incidentId}/timeline?limit=500`)).body.items;
    // Alerts that join an incident together are one entry: every alert is on the timeline, in fewer lines than alerts.
    const attached = timeline.filter((e: any) => e.kind === 'alert.attached');
    expect(attached.reduce((n: number, e: any) => n + (e.data.count ?? 1), 0)).toBe(41);
    expect(attached.length).toBeLessThan(41);
    const listed = attached.flatMap((e: any) => (e.data.alerts ?? [{ alertId: e.data.alertId }]).map((a: any) => a.alertId));
    expect(new Set(listed)).toEqual(new Set(joined.map((a: any) => a.id)));
    for (const entry of attached.filter((e: any) => e.data.count)) expect(entry.text).toBe(`${entry.data.count} alerts firing: BatchMixJoin (${entry.data.count})`);
    for (const alert of joined.slice(0, 5)) {
      const { body } = await api('GET', `/api/v1/alerts/${alert.id}`);
      expect(body.history.map((h: any) => h.kind)).toEqual(['fired']);
    }
    expect(await alertNamed('BatchMixResolve')).toMatchObject({ status: 'resolved' });
    for (let i = 0; i < 3; i++) expect((await alertNamed(`BatchMixOpen${i}`)).incidentId).toEqual(expect.any(String));
  });

  it('answers no request of a batch whose rows cannot be written with a success, and stores none of its alerts', async () => {
    const db = server.services.store.db;
    // The database refuses one alert: its row is among those written while later requests of its batch are still handled.
    if (database.engine === 'postgres') {
      await sql`create function refuse_poison() returns trigger language plpgsql as $$ begin if new.dedup_key like 'poison%' then raise exception 'poisoned alert refused'; end if; return new; end $$`.execute(db);
      await sql`create trigger refuse_poison before insert on alerts for each row execute function refuse_poison()`.execute(db);
    } else {
      await sql`create trigger refuse_poison before insert on alerts when new.dedup_key like 'poison%' begin select raise(abort, 'poisoned alert refused'); end`.execute(db);
    }
    try {
      await post([{ labels: { alertname: 'BatchPoison', request: 'first' }, fingerprint: 'bp-first' }]);
      // Enough alerts per request that each request's rows are sent on before the batch ends.
      const requests = Array.from({ length: 6 }, (_, r) =>
        Array.from({ length: 60 }, (_, i) => ({ labels: { alertname: 'BatchPoison', request: String(r), i: String(i) }, fingerprint: r === 2 && i === 59 ? 'poison-2' : `bp-${r}-${i}` })),
      );
      const statuses = await Promise.all(
        requests.map(async (alerts) => {
          const response = await fetch(server.url + hook, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(webhook(alerts)) });
          await response.arrayBuffer();
          return response.status;
        }),
      );
      expect(statuses[2]).toBeGreaterThanOrEqual(500);
      const stored = new Set((await db.selectFrom('alerts').select('dedup_key').where('dedup_key', 'like', 'bp-%').execute()).map((row) => row.dedup_key));
      requests.forEach((alerts, r) => {
        const kept = alerts.filter((alert) => stored.has(alert.fingerprint)).length;
        expect(kept, `request ${r} was answered ${statuses[r]}`).toBe(statuses[r] === 200 ? 60 : 0);
      });
      expect(stored.has('poison-2')).toBe(false);
    } finally {
      await sql`drop trigger refuse_poison${sql.raw(database.engine === 'postgres' ? ' on alerts' : '')}`.execute(db);
    }
  });

  it('commits senders that keep posting new alerts together, about one commit per round of them', async () => {
    const batches = async () => {
      const text = await (await fetch(`${server.url}/metrics`)).text();
      return Number(/^firebreak_alert_ingest_commit_seconds_count (\d+)$/m.exec(text)?.[1] ?? 0);
    };
    const SENDERS = 8;
    const ROUNDS = 30;
    const before = await batches();
    await Promise.all(
      Array.from({ length: SENDERS }, async (_, sender) => {
        for (let round = 0; round < ROUNDS; round++) {
          const results = await post([{ labels: { alertname: 'BatchRounds', sender: String(sender), round: String(round) }, fingerprint: `rounds-${sender}-${round}` }]);
          expect(results.attached ?? results.opened).toBe(1);
        }
      }),
    );
    const commits = (await batches()) - before;
    // Left to themselves, senders answered by one commit fall out of step with the rest: two commits (or more) per round.
    expect(commits, `${commits} commits for ${ROUNDS} rounds of ${SENDERS} senders`).toBeLessThanOrEqual(database.engine === 'sqlite' ? ROUNDS * 1.5 : ROUNDS * SENDERS);
  });

  it('answers large webhooks read on a parser thread as it answers small ones', async () => {
    await server.webhooks.start();
    const many = (name: string, count: number) => Array.from({ length: count }, (_, i) => ({ labels: { alertname: name, instance: `i${i}` }, fingerprint: `${name}-${i}` }));
    const firing = many('BatchLarge', 120);
    expect(await post(firing)).toEqual({ opened: 1, attached: 119 });
    expect(await post(firing)).toEqual({ repeat: 120 });
    const changed = firing.map((alert, i) => (i === 5 ? { ...alert, annotations: { summary: 'now worse' } } : alert));
    expect(await post(changed)).toEqual({ repeat: 120 });
    const stored = (await api('GET', '/api/v1/alerts?label=alertname=BatchLarge&limit=500')).body.items;
    expect(stored).toHaveLength(120);
    expect(stored.every((a: any) => a.count === 3 && a.status === 'firing')).toBe(true);
    expect(stored.find((a: any) => a.dedupKey === 'BatchLarge-5').annotations).toEqual({ summary: 'now worse' });

    // Silenced alerts are never answered from memory: the thread takes the second delivery for repeats, the pipeline does not.
    expect((await api('POST', '/api/v1/silences', { matchers: ['alertname="BatchLargeSilenced"'], duration: '1h', comment: 'large' })).status).toBe(201);
    const silenced = many('BatchLargeSilenced', 60);
    expect(await post(silenced)).toEqual({ silenced: 60 });
    expect(await post(silenced)).toEqual({ silenced: 60 });
    const kept = (await api('GET', '/api/v1/alerts?label=alertname=BatchLargeSilenced&limit=500')).body.items;
    expect(kept.map((a: any) => a.count)).toEqual(Array(60).fill(2));
    expect(kept.every((a: any) => a.incidentId === null)).toBe(true);
  });

  it('takes a claim that a webhook only repeats open alerts only for alerts unchanged since the copy it was checked against', async () => {
    const alert = { labels: { alertname: 'BatchClaim', instance: 'a' }, annotations: { summary: 'at 80%' }, fingerprint: 'bcl-a' };
    expect(await post([alert])).toEqual({ opened: 1 });
    const version = server.alerts.openAlerts()?.snapshot().version ?? 0;
    expect(await post([{ ...alert, annotations: { summary: 'at 95%' } }])).toEqual({ repeat: 1 });
    // A parser thread that has not yet heard of the change claims the old content is a repeat.
    const integration = (await findIntegrationByKey(server.services.store, hook.split('/').pop()!, 'alertmanager'))!;
    let loaded = 0;
    const stale = ReceivedAlerts.parsed({ dedupKeys: ['bcl-a'], statuses: ['firing'], contents: [], json: null, repeatsAsOf: version }, async () => {
      loaded++;
      const [incoming] = parseAlertmanagerWebhook(webhook([alert]), Date.now());
      return [incoming!];
    });
    expect(await server.alerts.submit(integration, stale)).toEqual({ repeat: 1 });
    // Not answered from memory: the alerts were read and stored as sent.
    expect(loaded).toBe(1);
    expect(await alertNamed('BatchClaim')).toMatchObject({ count: 3, annotations: { summary: 'at 80%' } });
  });

  it('keeps repeats answered at once across a graceful restart', async () => {
    const alert = { labels: { alertname: 'BatchRestart', instance: 'a' }, fingerprint: 'brs-a' };
    await post([alert]);
    for (let i = 0; i < 10; i++) expect(await post([alert])).toEqual({ repeat: 1 });
    await server.close();
    server = await start();
    expect(await alertNamed('BatchRestart')).toMatchObject({ status: 'firing', count: 11 });
    // After the restart nothing is remembered: the next repeat is read from the database, and counted.
    expect(await post([alert])).toEqual({ repeat: 1 });
    expect(await alertNamed('BatchRestart')).toMatchObject({ count: 12 });
  });
});
