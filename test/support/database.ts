import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/**
 * Each test file gets a database of its own: a fresh SQLite directory, or a
 * fresh PostgreSQL database that is dropped afterwards. FIREBREAK_TEST_DB picks
 * the engine (sqlite by default); CI runs the suite once with each.
 */
export type Engine = 'sqlite' | 'postgres';

export const ADMIN_URL = process.env.FIREBREAK_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export function testEngine(): Engine {
  const engine = process.env.FIREBREAK_TEST_DB ?? 'sqlite';
  if (engine !== 'sqlite' && engine !== 'postgres') throw new Error(`FIREBREAK_TEST_DB must be sqlite or postgres, not ${engine}`);
  return engine;
}

export interface TestDatabase {
  engine: Engine;
  /** Pass as `databaseUrl`; undefined on SQLite. */
  databaseUrl: string | undefined;
  /** Pass as `dataDir`; a fresh temporary directory (also holds logs and files on PostgreSQL). */
  dataDir: string;
  drop(): Promise<void>;
}

export async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function createTestDatabase(engine: Engine = testEngine()): Promise<TestDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), 'firebreak-test-'));
  if (engine === 'sqlite') {
    return { engine, databaseUrl: undefined, dataDir, drop: async () => rmSync(dataDir, { recursive: true, force: true }) };
  }
  const name = `fb_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  await admin((client) => client.query(`create database ${name}`));
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    engine,
    databaseUrl: url.toString(),
    dataDir,
    drop: async () => {
      await admin((client) => client.query(`drop database if exists ${name} with (force)`));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
