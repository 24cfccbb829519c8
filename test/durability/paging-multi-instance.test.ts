import { sql } from 'kysely';
import { afterAll, expect, it } from 'vitest';
import { Store, type PageRecord } from '../../src/store/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { spawnPagingServer, writePagingConfig } from '../support/paging-process.ts';
import { countByWebhookId, startPagingReceiver, type PagingReceiver } from '../support/paging-receiver.ts';
import { describePostgres } from '../support/postgres-only.ts';
import { closeStore, expectStatus, inParallel, readTimeline, waitUntil, type ServerProcess } from '../support/process.ts';

/*
 * Always on PostgreSQL (several instances on one database is what it is for;
 * describePostgres skips with a warning locally and fails on CI without it).
 * Three `firebreak serve` processes share one fresh database; the example's
 * escalation policy `platform` runs with 3 s level timeouts (on-call of the
 * schedule, then amara, repeated once) and email far away, so only the
 * pager-bridge webhook pages. Twenty P1 incidents are declared across the
 * three instances and nobody acknowledges: every instance races for the
 * escalation timers and the outbox, and each (incident, level, round, user)
 * must be paged exactly once in total, each page message must reach the
 * receiver exactly once by webhook-id, and the timeline must say `paged` once
 * per level and round.
 */
const INSTANCES = 3;
const INCIDENTS = 20;
const LEVEL_TIMEOUT = '3s';
/** The example policy: two levels, repeat 1, so two rounds. */
const LEVELS = 2;
const ROUNDS = 2;
const CHANNEL = 'pager-bridge';
const ESCALATION_TIMER = 'escalation.timeout';

await describePostgres('paging on three instances sharing PostgreSQL', () => {
  let database: TestDatabase | undefined;
  let store: Store | undefined;
  let receiver: PagingReceiver | undefined;
  const servers: ServerProcess[] = [];

  afterAll(async () => {
    for (const server of servers) await server.kill('SIGKILL');
    await closeStore(store, database?.databaseUrl);
    await database?.drop();
    await receiver?.close();
  });

  it('pages every level of every incident exactly once, and delivers each page message exactly once, with no acknowledgement', async () => {
    receiver = await startPagingReceiver({ holdMs: [5, 30] });
    const hook = receiver;
    database = await createTestDatabase('postgres');
    const db = database;
    const configPath = writePagingConfig(db.dataDir, { webhookUrl: hook.url, escalationTimeout: LEVEL_TIMEOUT, emailAfter: '1h' });
    const started = await Promise.allSettled(
      Array.from({ length: INSTANCES }, () => spawnPagingServer({ configPath, dataDir: db.dataDir, databaseUrl: db.databaseUrl })),
    );
    for (const result of started) if (result.status === 'fulfilled') servers.push(result.value);
    for (const result of started) if (result.status === 'rejected') throw result.reason;
    expect(new Set(servers.map((s) => s.instanceId)).size).toBe(INSTANCES);
    store = await Store.open({ databaseUrl: db.databaseUrl, dataDir: db.dataDir });
    const repos = store.repos;

    const incidents = await inParallel(Array.from({ length: INCIDENTS }, (_, i) => i), 6, async (i) => {
      const server = servers[i % INSTANCES]!;
      const created = await expectStatus(server, 201, 'POST', '/api/v1/incidents', { title: `Paging on three instances ${i}`, severity: 'P1', services: ['dlq-manager'] });
      return created.body.id as string;
    });

    // Level 2 of the second round paged everywhere, its timeout run out (exhausted), the outbox drained.
    const describeProgress = async () => {
      const states = new Map<string, number>();
      for (const id of incidents) {
        const state = (await repos.paging.escalation(id))?.state ?? 'none';
        states.set(state, (states.get(state) ?? 0) + 1);
      }
      return `escalations ${JSON.stringify(Object.fromEntries(states))}, received ${hook.deliveries.length}`;
    };
    let progress = '';
    await waitUntil(
      async () => {
        progress = await describeProgress();
        const exhausted = await Promise.all(incidents.map(async (id) => (await repos.paging.escalation(id))?.state === 'exhausted'));
        if (!exhausted.every(Boolean)) return undefined;
        const outbox = await repos.outbox.list({ channelId: CHANNEL, limit: 10_000 });
        return outbox.every((r) => r.state !== 'pending' && r.state !== 'sending') ? true : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 250, describe: () => `${progress}\n${servers.map((s) => s.recentOutput()).join('\n---\n')}` },
    );
    // Past the last timeout, so that a duplicate timer or page would have shown itself.
    await new Promise((resolve) => setTimeout(resolve, 1_500));

    const pagesByIncident = new Map<string, PageRecord[]>();
    for (const id of incidents) pagesByIncident.set(id, await repos.paging.pagesOf(id));
    const allPages = [...pagesByIncident.values()].flat();

    // Exactly once per (incident, level, round, user), and every level of every round paged.
    const byKey = new Map<string, number>();
    for (const page of allPages) {
      const key = `${page.incidentId} level ${page.level} round ${page.round} ${page.userId}`;
      byKey.set(key, (byKey.get(key) ?? 0) + 1);
    }
    expect([...byKey].filter(([, n]) => n !== 1).map(([key, n]) => `${key}: ${n}`)).toEqual([]);
    for (const [id, pages] of pagesByIncident) {
      const levels = pages.map((p) => `${p.round}/${p.level}`).sort();
      expect(levels, `pages of ${id}`).toEqual(['0/0', '0/1', '1/0', '1/1']);
      expect(pages.filter((p) => p.level === 1).map((p) => p.userId)).toEqual(['amara', 'amara']);
    }
    expect(allPages).toHaveLength(INCIDENTS * LEVELS * ROUNDS);
    // The API tells the same story.
    const viaApi = await expectStatus(servers[1]!, 200, 'GET', `/api/v1/incidents/${incidents[0]}/pages`);
    expect(viaApi.body.items).toHaveLength(LEVELS * ROUNDS);

    // Each page's webhook message went out exactly once, and nothing else did.
    const outbox = await repos.outbox.list({ channelId: CHANNEL, limit: 10_000 });
    expect(outbox.filter((r) => r.state !== 'delivered').map((r) => `${r.idempotencyKey}: ${r.state}`)).toEqual([]);
    expect(outbox.map((r) => r.pageId).sort()).toEqual(allPages.map((p) => p.id).sort());
    const expected = new Set(allPages.map((p) => `page:${p.id}:0`));
    expect(new Set(outbox.map((r) => r.idempotencyKey))).toEqual(expected);
    const counts = countByWebhookId(hook.deliveries);
    expect([...expected].filter((key) => counts.get(key) !== 1).map((key) => `${key}: ${counts.get(key) ?? 0}`)).toEqual([]);
    expect([...counts.keys()].filter((id) => !expected.has(id))).toEqual([]);
    expect(hook.deliveries).toHaveLength(expected.size);
    for (const delivery of hook.deliveries) {
      const page = allPages.find((p) => `page:${p.id}:0` === delivery.webhookId)!;
      expect({ incident: delivery.incidentId, user: delivery.userId, key: delivery.idempotencyKey }).toEqual({
        incident: page.incidentId,
        user: page.userId,
        key: delivery.webhookId,
      });
    }

    // The timeline: `paged` once per level and round, then exhausted once.
    for (const id of incidents) {
      const timeline = await readTimeline(servers[2]!, id);
      const paged = timeline.filter((e) => e.kind === 'paged').map((e) => `${String(e.data.round)}/${String(e.data.level)}`);
      expect(paged, `paged entries of ${id}`).toEqual(['0/0', '0/1', '1/0', '1/1']);
      expect(timeline.filter((e) => e.kind === 'paging.exhausted'), `exhausted entries of ${id}`).toHaveLength(1);
    }

    // Who did the work: escalation timers by instance (one per level paged, the last one ending the policy).
    const fired = await store.db
      .selectFrom('timers')
      .select(['fired_by', 'state', sql<number>`count(*)`.as('n')])
      .where('kind', '=', ESCALATION_TIMER)
      .groupBy(['fired_by', 'state'])
      .execute();
    const known = new Map(servers.map((s, i) => [s.instanceId, `#${i + 1}`]));
    const firedCount = fired.filter((r) => r.state === 'fired').reduce((n, r) => n + Number(r.n), 0);
    expect(fired.filter((r) => r.state !== 'fired')).toEqual([]);
    expect(firedCount).toBe(INCIDENTS * LEVELS * ROUNDS);
    expect(fired.filter((r) => !known.has(String(r.fired_by)))).toEqual([]);
    const firstPaged = new Map<string, number>();
    for (const page of allPages) {
      if (page.level === 0 && page.round === 0) firstPaged.set(page.incidentId, page.createdAt);
    }
    const lastPaged = new Map<string, number>();
    for (const page of allPages) if (page.level === 1 && page.round === 1) lastPaged.set(page.incidentId, page.createdAt);
    const spans = incidents.map((id) => lastPaged.get(id)! - firstPaged.get(id)!).sort((a, b) => a - b);
    console.info(
      `[paging-multi-instance] escalation timers fired per instance: ${fired.map((r) => `${known.get(String(r.fired_by))} ${Number(r.n)}`).join(', ')}; ` +
        `${allPages.length} pages, ${hook.deliveries.length} webhooks received; first to last page of an incident ${spans[0]}–${spans.at(-1)} ms (3 timeouts of ${LEVEL_TIMEOUT})`,
    );

    await Promise.all(servers.map((s) => s.stop()));
  }, 240_000);
});
