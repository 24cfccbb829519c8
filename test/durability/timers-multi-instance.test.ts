import { afterAll, describe, expect, it } from 'vitest';
import { createIdGenerator } from '../../src/core/ids.ts';
import { Store, type NewTimer } from '../../src/store/index.ts';
import { ADMIN_URL, createTestDatabase, postgresReachable, type TestDatabase } from '../support/database.ts';
import { closeStore, expectStatus, readTimeline, spawnServer, timerStates, waitUntil, type ServerProcess } from '../support/process.ts';

/*
 * Always on PostgreSQL, whatever FIREBREAK_TEST_DB says: several instances
 * sharing one database is what PostgreSQL is for. Without a reachable
 * PostgreSQL this file skips locally (with a warning) but fails on CI, so
 * that a broken CI database cannot turn the test green by silence.
 */
const REMINDER = 'incident.reminder';
const COUNT = 1000;
const INSTANCES = 3;
const REMINDER_TEXT = /^Reminder: (multi instance \d{4})( \(.+\))?$/;

const reachable = await postgresReachable();
const onCi = process.env.CI === 'true' || process.env.CI === '1';
if (!reachable && !onCi) {
  console.warn(`[timers-multi-instance] PostgreSQL is not reachable at ${ADMIN_URL}: skipping (set CI=true to make this a failure)`);
}

describe('durable timers on three instances sharing PostgreSQL', () => {
  let database: TestDatabase | undefined;
  let store: Store | undefined;
  const servers: ServerProcess[] = [];

  afterAll(async () => {
    for (const server of servers) await server.kill('SIGKILL');
    await closeStore(store, database?.databaseUrl);
    await database?.drop();
  });

  if (!reachable && onCi) {
    it('needs PostgreSQL on CI', () => {
      throw new Error(`PostgreSQL is not reachable at ${ADMIN_URL} (FIREBREAK_TEST_PG_URL); on CI this test must run`);
    });
  }

  it.runIf(reachable)('fires each of 1,000 timers due in the same second exactly once, shared among the instances', async () => {
    database = await createTestDatabase('postgres');
    const db = database;
    // Started together: the migration lock must let exactly one of them migrate.
    const started = await Promise.allSettled(Array.from({ length: INSTANCES }, () => spawnServer({ dataDir: db.dataDir, databaseUrl: db.databaseUrl })));
    // Keep every one that did start, so afterAll stops it even when another failed.
    for (const result of started) if (result.status === 'fulfilled') servers.push(result.value);
    for (const result of started) if (result.status === 'rejected') throw result.reason;
    const [first, second] = servers as [ServerProcess, ServerProcess, ServerProcess];
    expect(new Set(servers.map((s) => s.instanceId)).size).toBe(INSTANCES);

    const declared = await expectStatus(first, 201, 'POST', '/api/v1/incidents', { title: 'Timers on three instances', severity: 'P1' });
    const incidentId = declared.body.id as string;

    // Inserted behind the servers' backs, so no instance is woken by the write:
    // each finds them by polling, as it would timers scheduled by another instance.
    store = await Store.open({ databaseUrl: db.databaseUrl, dataDir: db.dataDir });
    const timers = store;
    const newId = createIdGenerator({ now: () => Date.now() });
    const second0 = Math.ceil((Date.now() + 2_000) / 1000) * 1000;
    const scheduled: NewTimer[] = Array.from({ length: COUNT }, (_, i) => ({
      id: newId(),
      kind: REMINDER,
      dueAt: second0 + (i % 1000),
      payload: { incidentId, message: `multi instance ${String(i).padStart(4, '0')}`, requestedBy: 'durability test' },
      createdAt: Date.now(),
    }));
    await store.repos.timers.schedule(scheduled);

    await waitUntil(async () => ((await timerStates(timers, REMINDER)).pending === 0 ? true : undefined), {
      timeoutMs: 90_000,
      intervalMs: 100,
      describe: () => servers.map((s) => s.recentOutput()).join('\n---\n'),
    });

    const fired = await store.repos.timers.byKind(REMINDER);
    expect(fired.filter((t) => t.state !== 'fired')).toEqual([]);
    const byInstance = new Map<string, number>();
    for (const timer of fired) byInstance.set(timer.firedBy!, (byInstance.get(timer.firedBy!) ?? 0) + 1);
    const known = new Set(servers.map((s) => s.instanceId));
    expect([...byInstance.keys()].filter((id) => !known.has(id))).toEqual([]);

    const seen = new Map<string, number>();
    for (const entry of await readTimeline(second, incidentId)) {
      if (entry.kind !== 'reminder') continue;
      const match = REMINDER_TEXT.exec(entry.text);
      expect(match, `unexpected reminder text: ${entry.text}`).not.toBeNull();
      seen.set(match![1]!, (seen.get(match![1]!) ?? 0) + 1);
    }
    const expected = scheduled.map((t) => String(t.payload.message));
    expect(expected.filter((text) => seen.get(text) !== 1).map((text) => `${text}: ${seen.get(text) ?? 0}`)).toEqual([]);
    expect([...seen.values()].reduce((a, b) => a + b, 0)).toBe(COUNT);

    console.info(
      `[timers-multi-instance] fired per instance: ${servers.map((s, i) => `#${i + 1} ${byInstance.get(s.instanceId) ?? 0}`).join(', ')}; ` +
        `lateness max ${Math.max(...fired.map((t) => t.lateMs ?? 0))} ms`,
    );
    expect(byInstance.size).toBeGreaterThanOrEqual(2);

    await Promise.all(servers.map((s) => s.stop()));
  }, 240_000);
});
