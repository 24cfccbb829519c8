import { sql, type CompiledQuery, type Kysely, type QueryResult } from 'kysely';
import type pg from 'pg';
import { connect, migrate, type Connection, type ConnectOptions, type Dialect } from './connect.ts';
import { SlaClockRepository } from './repositories/clocks.ts';
import { EventRepository } from './repositories/events.ts';
import { IncidentRepository } from './repositories/incidents.ts';
import { TimelineRepository } from './repositories/timeline.ts';
import { TimerRepository } from './repositories/timers.ts';
import { ApiTokenRepository } from './repositories/tokens.ts';
import { AlertRepository } from './repositories/alerts.ts';
import { IntegrationRepository } from './repositories/integrations.ts';
import { SilenceRepository } from './repositories/silences.ts';
import { OutboxRepository } from './repositories/outbox.ts';
import { PagingRepository } from './repositories/paging.ts';
import { RunRepository } from './repositories/runs.ts';
export type { TaskRecord, PostmortemRecord, ActionItemRecord, ActionItemStatus } from './repositories/postincident.ts';
import { PostIncidentRepository } from './repositories/postincident.ts';
import { StatusRepository } from './repositories/status.ts';
import { AccountRepository } from './repositories/accounts.ts';
import type { Database } from './schema.ts';

export type { ConnectOptions, Dialect } from './connect.ts';
export { isPostgresUrl } from './connect.ts';
export type { IncidentRecord, IncidentFilter } from './repositories/incidents.ts';
export type { TimelineEntry } from './repositories/timeline.ts';
export type { SlaClockRecord, ClockState } from './repositories/clocks.ts';
export type { TimerRecord, NewTimer } from './repositories/timers.ts';
export type { ApiTokenRecord } from './repositories/tokens.ts';
export type { StoredEvent, NewEvent } from './repositories/events.ts';
export type { IntegrationRecord } from './repositories/integrations.ts';
export type { AlertRecord, AlertStatus, AlertHistoryEntry, AlertFilter } from './repositories/alerts.ts';
export type { SilenceRecord, MaintenanceWindowRecord, StoredMatcher } from './repositories/silences.ts';
export type { OutboxRecord, OutboxState } from './repositories/outbox.ts';
export type { EscalationRecord, PageRecord, OverrideRecord } from './repositories/paging.ts';
export type {
  RunRecord,
  RunState,
  RunStepRecord,
  StepState,
  StepDefinition,
  StepChanges,
  StoredApprovalRule,
  DecisionAnswer,
  ApprovalRecord,
  OutputRecord,
} from './repositories/runs.ts';
export type { AccountRecord, AccountChanges, SessionRecord } from './repositories/accounts.ts';
export type { ComponentOverrideRecord, MaintenanceRecord, PublicUpdateRecord, StatusChangeRecord, SubscriberRecord, SubscriberState } from './repositories/status.ts';

export interface Repositories {
  incidents: IncidentRepository;
  timeline: TimelineRepository;
  clocks: SlaClockRepository;
  timers: TimerRepository;
  tokens: ApiTokenRepository;
  events: EventRepository;
  integrations: IntegrationRepository;
  alerts: AlertRepository;
  silences: SilenceRepository;
  outbox: OutboxRepository;
  paging: PagingRepository;
  runs: RunRepository;
  status: StatusRepository;
  postIncident: PostIncidentRepository;
  accounts: AccountRepository;
}

/** A unit of work: repositories bound to one transaction, plus hooks that run after it commits. */
export interface Tx extends Repositories {
  afterCommit(callback: () => void): void;
  /** Runs at the end of the unit of work, still inside the transaction. */
  beforeCommit(callback: () => Promise<void>): void;
  /** Runs `work` so that its failure undoes only its own writes. */
  savepoint<T>(work: () => Promise<T>): Promise<T>;
  /** PostgreSQL NOTIFY, delivered only if the transaction commits; nothing on SQLite. */
  notify(channel: string, payload: string): Promise<void>;
  /**
   * Serialises transactions that touch the same logical thing (an alert group)
   * across instances until this transaction ends. SQLite has one writer anyway.
   */
  lock(key: string): Promise<void>;
  /**
   * Runs these statements in order, after every statement of this transaction
   * awaited so far and after those of earlier calls, and resolves with their
   * results. The caller may go on without waiting: on SQLite they reach the
   * writer thread at once and run while the caller does other work (call it
   * only between this transaction's other statements, never beside one);
   * elsewhere they run one after another. A statement the caller starts later
   * may run before them on PostgreSQL, so what it must see has to be awaited
   * first. Either way the transaction commits only if all of them succeeded,
   * and it fails with the first of them that failed.
   */
  send(statements: readonly CompiledQuery[]): Promise<Array<QueryResult<unknown>>>;
}

function repositories(db: Kysely<Database>, dialect: Dialect): Repositories {
  return {
    incidents: new IncidentRepository(db, dialect),
    timeline: new TimelineRepository(db, dialect),
    clocks: new SlaClockRepository(db),
    timers: new TimerRepository(db, dialect),
    tokens: new ApiTokenRepository(db),
    events: new EventRepository(db, dialect),
    integrations: new IntegrationRepository(db),
    alerts: new AlertRepository(db, dialect),
    silences: new SilenceRepository(db),
    outbox: new OutboxRepository(db, dialect),
    paging: new PagingRepository(db),
    runs: new RunRepository(db),
    postIncident: new PostIncidentRepository(db),
    status: new StatusRepository(db),
    accounts: new AccountRepository(db),
  };
}

export class Store {
  readonly repos: Repositories;
  private closed = false;

  private constructor(
    readonly dialect: Dialect,
    readonly db: Kysely<Database>,
    private readonly pool: pg.Pool | null,
    readonly describe: string,
    private readonly onConnectionError: ((error: Error) => void) | undefined,
    private readonly pingConnection: () => Promise<void>,
    private readonly sendAhead: Connection['sendAhead'],
  ) {
    this.repos = repositories(db, dialect);
  }

  /** Connects and brings the schema up to date. */
  static async open(options: ConnectOptions): Promise<Store> {
    const connection = connect(options);
    try {
      await migrate(connection);
    } catch (error) {
      await connection.db.destroy();
      throw error;
    }
    return new Store(connection.dialect, connection.db, connection.pool, connection.describe, options.onConnectionError, connection.ping, connection.sendAhead);
  }

  async transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    const callbacks: Array<() => void> = [];
    const result = await this.db.transaction().execute(async (trx) => {
      let savepoints = 0;
      const finishing: Array<() => Promise<void>> = [];
      // Statements sent ahead (Tx.send): nothing commits or rolls back while they run, and none fails unnoticed.
      let sending: Promise<void> = Promise.resolve();
      const sent: Array<Promise<void>> = [];
      const failures: unknown[] = [];
      const tx: Tx = {
        ...repositories(trx, this.dialect),
        afterCommit: (callback) => callbacks.push(callback),
        beforeCommit: (callback) => finishing.push(callback),
        savepoint: async (inner) => {
          const name = sql.raw(`sp_${++savepoints}`);
          await sql`savepoint ${name}`.execute(trx);
          try {
            const value = await inner();
            await sql`release savepoint ${name}`.execute(trx);
            return value;
          } catch (error) {
            await sql`rollback to savepoint ${name}`.execute(trx);
            await sql`release savepoint ${name}`.execute(trx);
            throw error;
          }
        },
        notify: async (channel, payload) => {
          if (this.dialect === 'postgres') await sql`select pg_notify(${channel}, ${payload})`.execute(trx);
        },
        lock: async (key) => {
          if (this.dialect === 'postgres') await sql`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`.execute(trx);
        },
        send: (statements) => {
          // PostgreSQL: one after another, and each call's statements after the previous call's.
          const run = this.sendAhead
            ? this.sendAhead(statements)
            : sending.then(async () => {
                const results: Array<QueryResult<unknown>> = [];
                for (const statement of statements) results.push(await trx.executeQuery(statement));
                return results;
              });
          const done = run.then(
            () => {},
            (error: unknown) => {
              failures.push(error);
            },
          );
          sending = done;
          sent.push(done);
          return run;
        },
      };
      let value: T;
      try {
        value = await work(tx);
      } catch (error) {
        await Promise.all(sent);
        throw error;
      }
      // SQLite's writer thread runs the commit after them and refuses it if one failed; elsewhere, wait here.
      if (!this.sendAhead) await Promise.all(sent);
      if (failures.length > 0) throw failures[0];
      for (const finish of finishing) await finish();
      return value;
    });
    for (const callback of callbacks) callback();
    return result;
  }

  /**
   * PostgreSQL LISTEN on a dedicated connection that reconnects (with backoff)
   * when the database drops it; `onReconnect` runs after each reconnection, for
   * the caller to catch up on what it missed. Returns a function that stops
   * listening. On SQLite there is only one process, so there is nothing to hear.
   */
  async listen(
    channel: string,
    onMessage: (payload: string) => void,
    onReconnect: () => void = () => {},
  ): Promise<() => Promise<void>> {
    const pool = this.pool;
    if (!pool) return async () => {};
    let stopped = false;
    let current: pg.PoolClient | null = null;
    const quoted = `"${channel.replace(/"/g, '')}"`;

    const open = async (): Promise<void> => {
      for (let attempt = 0; !stopped; attempt++) {
        let client: pg.PoolClient | undefined;
        try {
          client = await pool.connect();
          const listening = client;
          listening.on('notification', (message) => {
            if (message.channel === channel) onMessage(message.payload ?? '');
          });
          // Stays attached after release: a connection that dies later must not crash the process.
          listening.on('error', (error) => {
            this.onConnectionError?.(error);
            // Only the connection we still hold is ours to release (and to replace).
            if (current !== listening) return;
            current = null;
            listening.removeAllListeners('notification');
            listening.release(error);
            if (!stopped) void open().then(() => !stopped && onReconnect());
          });
          await listening.query(`LISTEN ${quoted}`);
          current = listening;
          return;
        } catch (error) {
          client?.release(error as Error);
          this.onConnectionError?.(error as Error);
          await new Promise((resolve) => setTimeout(resolve, Math.min(10_000, 200 * 2 ** attempt)));
        }
      }
    };

    await open();
    return async () => {
      stopped = true;
      const client = current;
      current = null;
      if (!client) return;
      client.removeAllListeners('notification');
      try {
        await client.query('UNLISTEN *');
        client.release();
      } catch (error) {
        client.release(error as Error);
      }
    };
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
    await this.pingConnection();
  }

  poolStats(): { total: number; idle: number; waiting: number } | null {
    if (!this.pool) return null;
    return { total: this.pool.totalCount, idle: this.pool.idleCount, waiting: this.pool.waitingCount };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.db.destroy();
  }
}

export async function openStore(options: ConnectOptions): Promise<Store> {
  return Store.open(options);
}
