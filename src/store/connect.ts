import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Kysely, Migrator, PostgresDialect, type CompiledQuery, type Migration as KyselyMigration, type QueryResult } from 'kysely';
import pg from 'pg';
import { MIGRATIONS } from './migrations/index.ts';
import type { Database } from './schema.ts';
import { SqliteThreadDialect } from './sqlite-thread.ts';

export type Dialect = 'sqlite' | 'postgres';

export interface ConnectOptions {
  /** postgres://… selects PostgreSQL; otherwise SQLite in dataDir. */
  databaseUrl?: string | undefined;
  dataDir?: string | undefined;
  /** Pool size for PostgreSQL. */
  poolSize?: number;
  /**
   * A pooled PostgreSQL connection failed while idle (a restart, a failover, a
   * terminated backend). The pool replaces it; this only gets to say so.
   */
  onConnectionError?: (error: Error) => void;
}

export interface Connection {
  dialect: Dialect;
  db: Kysely<Database>;
  /** PostgreSQL only: the pool, for LISTEN clients and pool metrics. */
  pool: pg.Pool | null;
  describe: string;
  /** Beyond a query on the pool: SQLite's writer thread answers (it may have stopped while reads still work). */
  ping(): Promise<void>;
  /** SQLite: sends statements of the running transaction to the writer thread at once (see SqliteThreadDialect); null elsewhere. */
  sendAhead: ((queries: readonly CompiledQuery[]) => Promise<Array<QueryResult<unknown>>>) | null;
}

export function isPostgresUrl(url: string | undefined): url is string {
  return typeof url === 'string' && /^postgres(ql)?:\/\//.test(url);
}

export function connect(options: ConnectOptions): Connection {
  if (isPostgresUrl(options.databaseUrl)) {
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.poolSize ?? 10,
      // bigint columns hold epoch milliseconds, well inside Number's exact range.
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === pg.types.builtins.INT8
            ? (value: string) => Number(value)
            : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
      },
    });
    // Without a listener an idle connection's error would end the process.
    pool.on('error', (error) => options.onConnectionError?.(error));
    const url = new URL(options.databaseUrl);
    return {
      dialect: 'postgres',
      db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }),
      pool,
      describe: `postgres://${url.host}${url.pathname}`,
      ping: async () => {},
      sendAhead: null,
    };
  }
  const dataDir = options.dataDir ?? 'data';
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'firebreak.sqlite');
  const dialect = new SqliteThreadDialect({
    file,
    pragmas: [
      // New databases only (a page size is fixed once a database has tables):
      // a batch of new alerts writes megabytes, which is far fewer WAL frames,
      // checkpoint copies and system calls in 16 KiB pages than in 4 KiB ones.
      'page_size = 16384',
      'journal_mode = WAL',
      // FULL: a committed row survives power loss, not only a crashed process.
      'synchronous = FULL',
      'foreign_keys = ON',
      'busy_timeout = 5000',
    ],
  });
  return {
    dialect: 'sqlite',
    db: new Kysely<Database>({ dialect }),
    pool: null,
    describe: `sqlite:${file}`,
    ping: async () => {
      const writer = dialect.writer;
      if (writer) await writer.ping();
    },
    sendAhead: (queries) => dialect.sendInTransaction(queries),
  };
}

export async function migrate(connection: Connection): Promise<string[]> {
  const migrations: Record<string, KyselyMigration> = {};
  for (const migration of MIGRATIONS) {
    migrations[migration.name] = { up: (db) => migration.up(db, connection.dialect) };
  }
  // Kysely's migrator takes a lock, so several instances starting together migrate once.
  const migrator = new Migrator({ db: connection.db, provider: { getMigrations: async () => migrations } });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error;
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
