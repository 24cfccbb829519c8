import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

describe('timer repository', () => {
  let database: TestDatabase;
  let store: Store;
  beforeAll(async () => {
    database = await createTestDatabase();
    store = await Store.open({ databaseUrl: database.databaseUrl, dataDir: database.dataDir });
  });
  afterAll(async () => {
    await store.close();
    await database.drop();
  });

  const timer = (id: string, dueAt: number) => ({ id, kind: 'test', dueAt, payload: { n: id }, createdAt: 0 });

  it('claims only due, pending timers, oldest first, and each only once', async () => {
    await store.repos.timers.schedule([timer('a1', 100), timer('a2', 50), timer('a3', 500), timer('a4', 10)]);
    await store.repos.timers.cancel('a4');
    const first = await store.transaction((tx) => tx.timers.claimDue(200, 10, 'one'));
    expect(first.map((t) => t.id)).toEqual(['a2', 'a1']);
    expect(first[0]).toMatchObject({ state: 'fired', firedAt: 200, firedBy: 'one', lateMs: 150, payload: { n: 'a2' } });
    const second = await store.transaction((tx) => tx.timers.claimDue(200, 10, 'two'));
    expect(second).toEqual([]);
    expect((await store.repos.timers.get('a4'))?.state).toBe('cancelled');
    expect(await store.repos.timers.nextDueAt()).toBe(500);
  });

  it('undoes a claim when its transaction fails', async () => {
    await store.repos.timers.schedule([timer('b1', 1000)]);
    await expect(
      store.transaction(async (tx) => {
        expect(await tx.timers.claimDue(1000, 10, 'crashing')).toHaveLength(2);
        throw new Error('crash before commit');
      }),
    ).rejects.toThrow('crash before commit');
    expect((await store.repos.timers.get('b1'))?.state).toBe('pending');
  });

  it('rolls back only the failing part inside a savepoint', async () => {
    await store.transaction(async (tx) => {
      await tx.timers.schedule([timer('c1', 5000)]);
      await expect(
        tx.savepoint(async () => {
          await tx.timers.schedule([timer('c2', 5000)]);
          throw new Error('handler failed');
        }),
      ).rejects.toThrow('handler failed');
    });
    expect(await store.repos.timers.get('c1')).toBeDefined();
    expect(await store.repos.timers.get('c2')).toBeUndefined();
  });

  it('puts a failed timer back with a later due time, or gives up', async () => {
    await store.repos.timers.schedule([timer('d1', 10)]);
    await store.repos.timers.retryLater('d1', 9_000, 'boom', false);
    expect(await store.repos.timers.get('d1')).toMatchObject({ state: 'pending', dueAt: 9_000, attempts: 1, lastError: 'boom', firedAt: null });
    await store.repos.timers.retryLater('d1', 9_000, 'boom again', true);
    expect(await store.repos.timers.get('d1')).toMatchObject({ state: 'failed', attempts: 2 });
    const counts = await store.repos.timers.counts(1_000_000);
    expect(counts.failed).toBe(1);
  });

  it('moves a pending timer and refuses to move a fired one', async () => {
    await store.repos.timers.schedule([timer('e1', 20_000)]);
    expect(await store.repos.timers.reschedule('e1', 30_000)).toBe(true);
    expect((await store.repos.timers.get('e1'))?.dueAt).toBe(30_000);
    await store.transaction((tx) => tx.timers.claimDue(30_000, 100, 'x'));
    expect(await store.repos.timers.reschedule('e1', 40_000)).toBe(false);
    expect(await store.repos.timers.cancel('e1')).toBe(false);
  });

  it('keeps epoch milliseconds exact beyond 32 bits on both engines', async () => {
    const far = Date.parse('2099-12-31T23:59:59.999Z');
    await store.repos.timers.schedule([timer('f1', far)]);
    expect((await store.repos.timers.get('f1'))?.dueAt).toBe(far);
  });
});

describe('migrations', () => {
  it('run once and are safe to run again at the next start', async () => {
    const database = await createTestDatabase();
    try {
      const first = await Store.open({ databaseUrl: database.databaseUrl, dataDir: database.dataDir });
      await first.repos.tokens.insert({
        id: 't1', name: 'keep', role: 'viewer', tokenHash: 'h', prefix: 'p', createdAt: 1, createdBy: 'x', lastUsedAt: null, revokedAt: null,
      });
      await first.close();
      const second = await Store.open({ databaseUrl: database.databaseUrl, dataDir: database.dataDir });
      expect((await second.repos.tokens.list()).map((t) => t.name)).toEqual(['keep']);
      await second.close();
    } finally {
      await database.drop();
    }
  });
});
