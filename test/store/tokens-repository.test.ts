import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureAdminToken } from '../../src/auth/index.ts';
import { systemClock } from '../../src/core/clock.ts';
import { Store } from '../../src/store/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

describe('bootstrap token', () => {
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

  it('is created once when several instances start together', async () => {
    const secret = 'fbk_bootstrap_race_0123456789';
    await Promise.all(Array.from({ length: 5 }, () => ensureAdminToken(store, systemClock, secret)));
    const tokens = await store.repos.tokens.list();
    expect(tokens.filter((t) => t.name === 'bootstrap')).toHaveLength(1);
  });
});
