import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import SqliteDatabase from 'better-sqlite3';
import {
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type CompiledQuery,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
} from 'kysely';
import { DomainError } from '../core/errors.ts';

/**
 * SQLite with its writes on a thread of their own.
 *
 * better-sqlite3 is synchronous: a statement, a commit (with its fsync) or a
 * WAL checkpoint runs on the thread that calls it. On the event loop, a large
 * ingest commit would hold up every other request, and the request handling
 * (parsing, dedup, building rows) could never run beside the database's own
 * work. So the one connection that writes lives in a worker thread
 * (sqlite-writer.js): every transaction, and every write outside one, goes
 * there as a message, in order. Reads outside a transaction stay on a
 * read-only connection in this thread and run at once, as before: in WAL mode
 * they see every transaction committed so far and never wait for the writer
 * (like reads on another PostgreSQL connection, they do not see a transaction
 * that has not committed yet).
 *
 * A transaction's begin, and statements it sends ahead (Tx.send), go without
 * waiting for their answers; the writer thread refuses to commit a
 * transaction in which one of them failed (see sqlite-writer.js).
 *
 * Durability is unchanged: the writer commits with the same settings, and a
 * transaction's promise settles only after its commit has returned.
 */

/** The same settings as ever, on the connection that writes; see connect.ts. */
export interface SqliteThreadOptions {
  file: string;
  pragmas: readonly string[];
}

interface Outcome {
  rows?: unknown[];
  changes?: number;
  lastInsertRowid?: number | bigint;
}

interface Reply extends Outcome {
  id?: number;
  ready?: true;
  fatal?: RemoteError;
  error?: RemoteError;
  results?: Outcome[];
}

const toResult = <R>(outcome: Outcome): QueryResult<R> =>
  outcome.rows
    ? { rows: outcome.rows as R[] }
    : {
        numAffectedRows: outcome.changes === undefined ? undefined : BigInt(outcome.changes),
        insertId: outcome.lastInsertRowid === undefined ? undefined : BigInt(outcome.lastInsertRowid),
        rows: [],
      };

/** What the writer thread is asked (sqlite-writer.js). */
interface Message {
  op?: 'begin' | 'commit' | 'rollback' | 'many' | 'ping' | 'close';
  inPlace?: true;
  tx?: number | undefined;
  ahead?: true;
  sql?: string;
  parameters?: readonly unknown[];
  statements?: Array<{ sql: string; parameters: readonly unknown[] }>;
}

interface RemoteError {
  message: string;
  code?: string;
  name: string;
}

/** An error of the writer thread as callers know it from better-sqlite3: its message, and SQLite's code (SQLITE_CONSTRAINT_UNIQUE …). */
class SqliteError extends Error {
  readonly code: string | undefined;
  constructor(remote: RemoteError) {
    super(remote.message);
    this.name = remote.name === 'Error' ? 'SqliteError' : remote.name;
    this.code = remote.code;
  }
}

/** The writer thread is gone (it failed, or the store is closed): nothing can be written until a restart. */
export const writerStopped = (why: string) => new DomainError('unavailable', `The SQLite writer thread stopped: ${why}`);

/**
 * How long a statement waited for in place may take before the writer is
 * taken for stuck; nothing the server runs comes near it.
 */
const WAIT_IN_PLACE_MS = 60_000;
/** How long this thread looks for an answer before it sleeps until woken. */
const STAY_AWAKE_MS = 0.1;

/**
 * The connection that writes, in its worker thread: statements go as messages
 * and are answered in order.
 *
 * Most transactions are many small statements, each needing the answer of the
 * one before (a timer fired, an incident acknowledged). Waiting for each
 * answer through the event loop would cost a thread hand-over or two per
 * statement, several times what the statement itself costs; so a statement
 * of a transaction whose turn comes at once is waited for in place (the
 * writer answers on a port of its own and raises a shared flag), as a direct
 * call to SQLite was. What can take long is always awaited: commits (with
 * their fsync and checkpoints), writes outside a transaction (each commits),
 * statements sent ahead, and anything queued behind those.
 */
export class SqliteWriter {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (reply: Reply) => void; reject: (error: Error) => void }>();
  private nextId = 1;
  private stopped: Error | null = null;
  /** Messages sent that may take long and are not answered yet. */
  private slow = 0;
  /** Answers to statements waited for in place, and the flag the writer raises with each (2: it is gone). */
  private readonly inPlace: MessagePort;
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  readonly ready: Promise<void>;

  constructor(options: SqliteThreadOptions) {
    const { port1, port2 } = new MessageChannel();
    this.inPlace = port1;
    this.worker = new Worker(new URL('./sqlite-writer.js', import.meta.url), {
      workerData: { file: options.file, pragmas: options.pragmas, inPlace: port2, flag: this.flag },
      transferList: [port2],
      // Plain JavaScript: none of the loaders this thread may run under (tsx, a test runner's).
      execArgv: [],
    });
    this.ready = new Promise((resolve, reject) => {
      const onReady = (reply: Reply) => {
        if (reply.ready) resolve();
        else if (reply.fatal) reject(new SqliteError(reply.fatal));
      };
      this.worker.once('message', onReady);
      this.worker.once('exit', (code) => reject(writerStopped(`it exited with code ${code} while opening the database`)));
    });
    // Whatever else happens, a rejected start must not become an unhandled rejection; open() awaits it.
    this.ready.catch(() => {});
    this.worker.on('message', (reply: Reply) => {
      if (reply.id === undefined) return;
      const waiting = this.pending.get(reply.id);
      if (!waiting) return;
      this.pending.delete(reply.id);
      if (reply.error) waiting.reject(new SqliteError(reply.error));
      else waiting.resolve(reply);
    });
    this.worker.on('error', (error) => this.stop(writerStopped(error.message)));
    this.worker.on('exit', (code) => this.stop(writerStopped(`it exited with code ${code}`)));
  }

  private stop(reason: Error): void {
    this.stopped ??= reason;
    for (const waiting of this.pending.values()) waiting.reject(this.stopped);
    this.pending.clear();
    this.inPlace.close();
  }

  private send(message: Message, slow: boolean): Promise<Reply> {
    if (this.stopped) return Promise.reject(this.stopped);
    const id = this.nextId++;
    if (slow) this.slow++;
    return new Promise<Reply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, ...message });
    }).finally(() => {
      if (slow) this.slow--;
    });
  }

  /** Sends and blocks this thread until the answer is there (see the class comment). */
  private sendAndWait(message: Message): Reply {
    if (this.stopped) throw this.stopped;
    if (Atomics.load(this.flag, 0) === 2) {
      this.stop(writerStopped('it ended'));
      throw this.stopped!;
    }
    const id = this.nextId++;
    Atomics.store(this.flag, 0, 0);
    this.worker.postMessage({ id, inPlace: true, ...message });
    // Most statements take microseconds: look for the answer for a moment before sleeping (see sqlite-writer.js).
    const awake = performance.now() + STAY_AWAKE_MS;
    while (Atomics.load(this.flag, 0) === 0 && performance.now() < awake);
    const until = performance.now() + WAIT_IN_PLACE_MS;
    for (;;) {
      Atomics.wait(this.flag, 0, 0, 1000);
      const received = receiveMessageOnPort(this.inPlace) as { message: Reply } | undefined;
      if (received?.message.id === id) {
        if (received.message.error) throw new SqliteError(received.message.error);
        return received.message;
      }
      if (Atomics.load(this.flag, 0) === 2 || performance.now() > until) {
        const reason = writerStopped(Atomics.load(this.flag, 0) === 2 ? 'it ended' : `no answer within ${WAIT_IN_PLACE_MS / 1000} s`);
        this.stop(reason);
        throw reason;
      }
    }
  }

  /** A statement outside a transaction: it commits on its own, so it is awaited. */
  async execute<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return toResult<R>(await this.send({ sql: query.sql, parameters: query.parameters }, true));
  }

  /** A statement of transaction `tx`: waited for in place when nothing slow is ahead of it, else awaited. */
  async executeIn<R>(query: CompiledQuery, tx: number): Promise<QueryResult<R>> {
    const message: Message = { sql: query.sql, parameters: query.parameters, tx };
    return toResult<R>(this.slow === 0 ? this.sendAndWait(message) : await this.send(message, false));
  }

  /**
   * Statements of transaction `tx` in one message, run back to back, sent
   * ahead: the first failure rejects, stops the rest and spoils the
   * transaction (see sqlite-writer.js).
   */
  async executeAhead(queries: readonly CompiledQuery[], tx: number): Promise<Array<QueryResult<unknown>>> {
    const reply = await this.send({ op: 'many', statements: queries.map((q) => ({ sql: q.sql, parameters: q.parameters })), tx, ahead: true }, true);
    return reply.results!.map((outcome) => toResult(outcome));
  }

  /** Begins, commits or rolls back transaction `tx`. */
  async control(op: 'begin' | 'commit' | 'rollback', tx: number): Promise<void> {
    await this.send({ op, tx }, op !== 'begin');
  }

  /** Answers once the writer has worked through everything sent before. */
  async ping(): Promise<void> {
    await this.send({ op: 'ping' }, true);
  }

  /** Closes the database after everything sent before, then ends the thread. */
  async close(): Promise<void> {
    if (this.stopped) return;
    const exited = new Promise((resolve) => this.worker.once('exit', resolve));
    try {
      await this.send({ op: 'close' }, true);
    } finally {
      this.stop(writerStopped('the store is closed'));
      await exited;
    }
  }
}

/** Several awaiting callers, one holder at a time, first come first served. */
class Mutex {
  private tail: Promise<void> = Promise.resolve();

  async lock(): Promise<() => void> {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const previous = this.tail;
    this.tail = previous.then(() => held);
    await previous;
    return release;
  }
}

/** Prepared statements by SQL text, as on the writer. */
function statementCache(db: SqliteDatabase.Database): (source: string) => SqliteDatabase.Statement {
  const cache = new Map<string, SqliteDatabase.Statement>();
  return (source) => {
    let statement = cache.get(source);
    if (!statement) {
      statement = db.prepare(source);
      if (cache.size >= 2000) cache.delete(cache.keys().next().value!);
      cache.set(source, statement);
    }
    return statement;
  };
}

/**
 * One of Kysely's connections: outside a transaction, each statement goes
 * where it belongs (a read that returns rows to the reader in this thread,
 * anything else to the writer, waiting for a transaction there to end); in a
 * transaction, every statement goes to the writer, which this connection
 * holds until the transaction ends.
 */
class RoutingConnection implements DatabaseConnection {
  private releaseWriter: (() => void) | null = null;
  /** The transaction's number on the writer thread, while this connection holds it. */
  private tx: number | null = null;
  /** Statements Kysely has handed this connection that have not settled yet. */
  running = 0;

  constructor(private readonly driver: SqliteThreadDriver) {}

  async begin(): Promise<void> {
    this.releaseWriter = await this.driver.writerLock.lock();
    this.tx = ++this.driver.transactions;
    this.driver.transaction = this;
    // Not waited for: the writer runs what follows after it, and if it fails
    // the transaction is spoilt there, so that its statements and commit fail
    // with that error.
    this.driver.writer.control('begin', this.tx).catch(() => {});
  }

  async finish(command: 'commit' | 'rollback'): Promise<void> {
    try {
      await this.driver.writer.control(command, this.tx!);
    } finally {
      this.end();
    }
  }

  end(): void {
    if (this.driver.transaction === this) this.driver.transaction = null;
    this.tx = null;
    this.releaseWriter?.();
    this.releaseWriter = null;
  }

  /** Statements of this connection's transaction, sent at once (SqliteThreadDialect.sendInTransaction). */
  sendAhead(queries: readonly CompiledQuery[]): Promise<Array<QueryResult<unknown>>> {
    return this.driver.writer.executeAhead(queries, this.tx!);
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    if (this.tx !== null) {
      this.running++;
      try {
        return await this.driver.writer.executeIn<R>(query, this.tx);
      } finally {
        this.running--;
      }
    }
    const statement = this.driver.prepareRead(query.sql);
    if (statement?.reader && statement.readonly) return { rows: statement.all(query.parameters) as R[] };
    const release = await this.driver.writerLock.lock();
    try {
      return await this.driver.writer.execute<R>(query);
    } finally {
      release();
    }
  }

  // eslint-disable-next-line require-yield -- the interface asks for a generator; Firebreak never streams
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming queries is not supported on SQLite');
  }
}

class SqliteThreadDriver implements Driver {
  writer!: SqliteWriter;
  readonly writerLock = new Mutex();
  /** The transaction holding the writer, if any (there is one writer, so at most one), and how many have begun. */
  transaction: RoutingConnection | null = null;
  transactions = 0;
  private reader: SqliteDatabase.Database | null = null;
  private prepare!: (source: string) => SqliteDatabase.Statement;

  constructor(private readonly options: SqliteThreadOptions) {}

  async init(): Promise<void> {
    // The writer first: it creates the file and turns on WAL, which the read-only connection needs.
    const writer = new SqliteWriter(this.options);
    await writer.ready;
    this.writer = writer;
    try {
      this.reader = new SqliteDatabase(this.options.file, { readonly: true });
      this.reader.pragma('busy_timeout = 5000');
    } catch (error) {
      await writer.close();
      throw error;
    }
    this.prepare = statementCache(this.reader);
  }

  /** The statement prepared on the reader, or null when only the writer can tell (it fails there too, with its own error). */
  prepareRead(source: string): SqliteDatabase.Statement | null {
    try {
      return this.prepare(source);
    } catch {
      return null;
    }
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    return new RoutingConnection(this);
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as RoutingConnection).begin();
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as RoutingConnection).finish('commit');
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as RoutingConnection).finish('rollback');
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    (connection as RoutingConnection).end();
  }

  async destroy(): Promise<void> {
    this.reader?.close();
    this.reader = null;
    // Undefined when the start failed (and the writer already stopped).
    await (this.writer as SqliteWriter | undefined)?.close();
  }
}

/** Kysely's SQLite dialect (same SQL, same adapter), over a writer thread and a read-only connection. */
export class SqliteThreadDialect implements Dialect {
  private driver: SqliteThreadDriver | null = null;

  constructor(private readonly options: SqliteThreadOptions) {}

  createDriver(): Driver {
    this.driver = new SqliteThreadDriver(this.options);
    return this.driver;
  }

  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }

  createAdapter(): DialectAdapter {
    return new SqliteAdapter();
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Kysely's own signature
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }

  /** The writer, once the driver has started (for readiness checks). */
  get writer(): SqliteWriter | null {
    return this.driver?.writer ?? null;
  }

  /**
   * Sends statements of the running transaction to the writer at once, in one
   * message, without waiting for Kysely's turn: the caller goes on while they
   * run. They run after everything the transaction sent before, and if one
   * fails, the transaction cannot commit (its commit fails with that error),
   * whether or not anyone looked at the result. Refused while one of the
   * transaction's own statements is still running, because Kysely may hold
   * further statements back behind it that were meant to run first.
   */
  sendInTransaction(queries: readonly CompiledQuery[]): Promise<Array<QueryResult<unknown>>> {
    const transaction = this.driver?.transaction;
    if (!transaction) return Promise.reject(new Error('statements can only be sent ahead inside a transaction'));
    if (transaction.running > 0) return Promise.reject(new Error('statements can only be sent ahead between the transaction’s own statements'));
    return transaction.sendAhead(queries);
  }
}
