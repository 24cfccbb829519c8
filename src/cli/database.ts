import { existsSync } from 'node:fs';
import type { Store } from '../store/index.ts';
import type { Invocation } from './command.ts';
import { resolveDataDir } from './config.ts';
import { CliError, EXIT } from './errors.ts';
import { nonEmpty } from './remote.ts';

/** The --data-dir option of commands that work on the server's database directly. */
export const DATA_DIR_OPTION = {
  'data-dir': { type: 'string', value: 'DIR', description: 'data directory (env FIREBREAK_DATA_DIR, default ./data)' },
} as const;

/**
 * Opens the database the server uses, SQLite in --data-dir or PostgreSQL when
 * DATABASE_URL is set, runs `work` on it and closes it.
 */
export async function withDatabase<T>(invocation: Invocation, work: (store: Store) => Promise<T>): Promise<T> {
  const { io, options } = invocation;
  const databaseUrl = nonEmpty(io.env.DATABASE_URL);
  const dataDir = resolveDataDir(io, options.string('data-dir'));
  // Opening SQLite creates the directory; writing to a database no server reads is a silent trap.
  if (databaseUrl === undefined && !existsSync(dataDir)) {
    throw new CliError(`data directory ${dataDir} does not exist`, EXIT.config, {
      hints: ['pass the directory the server uses with --data-dir DIR or FIREBREAK_DATA_DIR, or set DATABASE_URL'],
    });
  }
  // Loaded on demand: of all commands, only these need the database drivers.
  const { openStore } = await import('../store/index.ts');
  const store = await openStore({ dataDir, databaseUrl });
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}
