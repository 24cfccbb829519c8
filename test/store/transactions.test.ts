import { CompiledQuery, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/index.ts';
import { createTestDatabase, testEngine, type TestDatabase } from '../support/database.ts';

/*
 * What every caller of Store.transaction relies on, on both engines. On
 * SQLite the transaction runs on the writer thread while reads outside it run
 * on this one (src/store/sqlite-thread.ts); these tests fail if writes came
 * back onto the event loop, if reads waited for the writer, or if the thread
 * lost an error, an order or a rollback on the way.
 */
describe(`store transactions (${testEngine()})`, () => {
  let database: TestDatabase;
  let store: Store;
  const raw = (text: string, parameters: unknown[] = []) => CompiledQuery.raw(text, parameters);
  const count = async () => Number((await sql<{ n: number | string }>`select count(*) as n from scratch`.execute(store.db)).rows[0]!.n);
  const keys = async () => (await sql<{ k: string }>`select k from scratch order by n`.execute(store.db)).rows.map((row) => row.k);

  beforeAll(async () => {
    database = await createTestDatabase();
    store = await Store.open({ databaseUrl: database.databaseUrl, dataDir: database.dataDir });
    await store.db.schema.createTable('scratch').addColumn('k', 'text', (c) => c.primaryKey()).addColumn('n', 'integer', (c) => c.notNull()).execute();
  });
  afterAll(async () => {
    await store.close();
    await database.drop();
  });

  const clear = () => sql`delete from scratch`.execute(store.db);

  it('leaves the event loop free while a long transaction writes and commits', async () => {
    await clear();
    // The database computes the rows itself, so nearly all of the time is spent writing them.
    const fill = (rows: number) =>
      raw(`insert into scratch (k, n) with recursive s(i) as (select 1 union all select i + 1 from s where i < ${rows}) select 'k' || i, i from s`);
    let rows = 200_000;
    let took = 0;
    let longestGap = 0;
    for (let attempt = 0; attempt < 4 && took < 300; attempt++, rows *= 2) {
      await clear();
      let last = performance.now();
      longestGap = 0;
      const ticks = setInterval(() => {
        const now = performance.now();
        longestGap = Math.max(longestGap, now - last);
        last = now;
      }, 2);
      const started = performance.now();
      try {
        await store.transaction(async (tx) => {
          await tx.send([fill(rows)]);
        });
      } finally {
        took = performance.now() - started;
        clearInterval(ticks);
      }
    }
    expect(took, 'the transaction must take long enough to tell').toBeGreaterThanOrEqual(300);
    expect(await count()).toBe(rows / 2);
    // Run on the event loop, the statement would hold it for all of `took`.
    expect(longestGap, `longest pause of the event loop during a ${Math.round(took)} ms transaction`).toBeLessThan(took / 3);
  });

  it('answers reads at once during a transaction, without what it has not committed, and with it once committed', async () => {
    await clear();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let inserted!: () => void;
    const written = new Promise<void>((resolve) => (inserted = resolve));
    const transaction = store.transaction(async (tx) => {
      await tx.send([raw(store.dialect === 'postgres' ? 'insert into scratch (k, n) values ($1, $2)' : 'insert into scratch (k, n) values (?, ?)', ['inside', 1])]);
      inserted();
      await held;
    });
    await written;
    const started = performance.now();
    expect(await count()).toBe(0);
    expect(performance.now() - started).toBeLessThan(1_000);
    release();
    await transaction;
    expect(await keys()).toEqual(['inside']);
  });

  it('keeps the database’s error code for a refused statement, undoes the whole transaction, and goes on', async () => {
    await clear();
    await sql`insert into scratch (k, n) values ('taken', 0)`.execute(store.db);
    const failure = await store
      .transaction(async (tx) => {
        await tx.send([raw("insert into scratch (k, n) values ('new', 1)")]);
        await tx.send([raw("insert into scratch (k, n) values ('taken', 2)")]);
      })
      .then(
        () => null,
        (error: { code?: string; message: string }) => error,
      );
    expect(failure?.code).toMatch(store.dialect === 'postgres' ? /^23505$/ : /^SQLITE_CONSTRAINT/);
    expect(await keys()).toEqual(['taken']);
    await store.transaction(async (tx) => {
      await tx.send([raw("insert into scratch (k, n) values ('after', 3)")]);
    });
    expect(await keys()).toEqual(['taken', 'after']);
  });

  it('runs statements sent ahead in order, after what the transaction did before, and fails the transaction when one fails', async () => {
    await clear();
    const insert = (k: string, n: number) => raw(`insert into scratch (k, n) values ('${k}', ${n})`);
    await store.transaction(async (tx) => {
      await tx.send([insert('first', 1)]);
      // Sent without waiting, the way ingest sends the rows of finished requests while it handles the next ones.
      const a = tx.send([insert('second', 2), insert('third', 3)]);
      const b = tx.send([raw("update scratch set n = n + 10 where k = 'second'")]);
      const [[, third], [moved]] = await Promise.all([a, b]);
      expect(Number(third!.numAffectedRows)).toBe(1);
      expect(Number(moved!.numAffectedRows)).toBe(1);
    });
    expect(await keys()).toEqual(['first', 'third', 'second']);

    await clear();
    const failure = await store
      .transaction(async (tx) => {
        const sent = [tx.send([insert('one', 1)]), tx.send([insert('one', 2)]), tx.send([insert('two', 3)])];
        await Promise.all(sent);
      })
      .then(
        () => null,
        (error: Error) => error,
      );
    expect(failure).not.toBeNull();
    expect(await count()).toBe(0);

    // Even one that nobody awaited: the transaction waits for it and fails with it.
    const unobserved = await store
      .transaction(async (tx) => {
        await tx.send([insert('kept', 1)]);
        void tx.send([insert('kept', 2)]);
      })
      .then(
        () => null,
        (error: { code?: string }) => error,
      );
    expect(unobserved?.code).toMatch(store.dialect === 'postgres' ? /^23505$/ : /^SQLITE_CONSTRAINT/);
    expect(await count()).toBe(0);
  });
});
