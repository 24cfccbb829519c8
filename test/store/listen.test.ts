import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Store } from '../../src/store/index.ts';
import { ADMIN_URL, createTestDatabase, type TestDatabase } from '../support/database.ts';
import { describePostgres } from '../support/postgres-only.ts';

await describePostgres('LISTEN connection', () => {
  let database: TestDatabase;
  let store: Store;
  const errors: Error[] = [];
  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    store = await Store.open({ databaseUrl: database.databaseUrl, dataDir: database.dataDir, onConnectionError: (e) => errors.push(e) });
  });
  afterAll(async () => {
    await store.close();
    await database.drop();
  });

  const terminateListeners = async () => {
    const admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    try {
      const name = new URL(database.databaseUrl!).pathname.slice(1);
      await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and query like 'LISTEN%'`, [name]);
    } finally {
      await admin.end();
    }
  };

  it('reconnects when the database drops it, and says so', async () => {
    const heard: string[] = [];
    let reconnects = 0;
    const stop = await store.listen('fb_test_channel', (payload) => heard.push(payload), () => reconnects++);
    await terminateListeners();
    await expect.poll(() => reconnects, { timeout: 15_000 }).toBe(1);
    expect(errors.length).toBeGreaterThan(0);
    await store.transaction((tx) => tx.notify('fb_test_channel', 'after reconnect'));
    await expect.poll(() => heard, { timeout: 10_000 }).toEqual(['after reconnect']);
    await stop();
    // A connection dropped after stopping must not throw anywhere.
    await terminateListeners();
  });
});
