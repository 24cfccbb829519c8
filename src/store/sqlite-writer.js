// The SQLite writer thread (see sqlite-thread.ts, which starts it and speaks
// to it). Plain JavaScript because a worker thread starts without the
// TypeScript loader that the rest of the server runs under.
//
// It owns the one connection that writes: every statement of a transaction
// and every write outside one, in the order they arrive, so that commits,
// their fsync and WAL checkpoints happen here and never stall the event loop.
//
// Messages arrive in the order they were sent, and the main thread sends a
// transaction's begin, and statements whose results it reads later ("ahead"),
// without waiting for their answers. So this side keeps what the main thread
// cannot yet know: a transaction whose begin or ahead statement failed is
// spoilt, its later statements are refused with that failure, and its commit
// becomes a rollback that answers with it. Nothing of it is ever committed.
import { performance } from 'node:perf_hooks';
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

/** Prepared statements by SQL text; generated SQL varies with list lengths, so the cache is bounded. */
const CACHE_SIZE = 2000;

/** The error as the main thread rebuilds it: message, SQLite's code (SQLITE_CONSTRAINT_UNIQUE …) and name. */
const describe = (error) => ({
  message: error instanceof Error ? error.message : String(error),
  code: typeof error?.code === 'string' ? error.code : undefined,
  name: error instanceof Error ? error.name : 'Error',
});

let db;
try {
  db = new Database(workerData.file);
  for (const pragma of workerData.pragmas) db.pragma(pragma);
} catch (error) {
  parentPort.postMessage({ fatal: describe(error) });
  process.exit(1);
}

const statements = new Map();
const prepare = (source) => {
  let statement = statements.get(source);
  if (!statement) {
    statement = db.prepare(source);
    if (statements.size >= CACHE_SIZE) statements.delete(statements.keys().next().value);
    statements.set(source, statement);
  }
  return statement;
};

function execute(sql, parameters) {
  const statement = prepare(sql);
  if (statement.reader) return { rows: statement.all(parameters) };
  const { changes, lastInsertRowid } = statement.run(parameters);
  return { changes, lastInsertRowid };
}

/** The transaction running now (its number, from the main thread), and the failure that spoilt it, if any. */
let current = null;
let spoilt = null;

const rollback = () => {
  if (db.inTransaction) db.exec('rollback');
};

/** What one message asks for; throws what should be answered as an error. */
function handle(message) {
  switch (message.op) {
    case 'begin':
      current = message.tx;
      spoilt = null;
      try {
        db.exec('begin immediate');
      } catch (error) {
        spoilt = error;
        throw error;
      }
      return {};
    case 'commit': {
      const failure = message.tx === current ? spoilt : null;
      current = null;
      spoilt = null;
      if (failure) {
        rollback();
        throw failure;
      }
      try {
        db.exec('commit');
      } catch (error) {
        // A commit that fails must not leave the transaction open for the next one.
        rollback();
        throw error;
      }
      return {};
    }
    case 'rollback':
      current = null;
      spoilt = null;
      rollback();
      return {};
    case 'ping':
      return {};
  }
  if (message.tx !== undefined && message.tx === current && spoilt) throw spoilt;
  try {
    if (message.op === 'many') return { results: message.statements.map(({ sql, parameters }) => execute(sql, parameters)) };
    return execute(message.sql, message.parameters);
  } catch (error) {
    if (message.ahead && message.tx === current) spoilt = error;
    throw error;
  }
}

// Statements the main thread waits for in place are answered on their own
// port, with the shared flag raised; 2 tells it this thread is gone.
const { inPlace, flag } = workerData;
const answer = (message, reply) => {
  if (!message.inPlace) {
    parentPort.postMessage(reply);
    return;
  }
  inPlace.postMessage(reply);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
};
process.on('exit', () => {
  Atomics.store(flag, 0, 2);
  Atomics.notify(flag, 0);
});

/**
 * After answering a statement waited for in place, the next one of its
 * transaction usually follows within microseconds: look for it for a moment
 * instead of going back to sleep, since being woken costs tens of
 * microseconds on a busy machine. The main thread does the same for answers.
 */
const STAY_AWAKE_MS = 0.1;

parentPort.on('message', (message) => {
  let next = message;
  while (next) {
    const stay = receive(next);
    next = null;
    if (!stay) break;
    const until = performance.now() + STAY_AWAKE_MS;
    while (next === null && performance.now() < until) next = receiveMessageOnPort(parentPort)?.message ?? null;
  }
});

/** Handles one message; true when more of its transaction is likely to follow at once. */
function receive(message) {
  const { id } = message;
  if (message.op === 'close') {
    try {
      rollback();
      db.close();
      parentPort.postMessage({ id });
    } catch (error) {
      parentPort.postMessage({ id, error: describe(error) });
    }
    parentPort.close();
    return false;
  }
  let reply;
  try {
    reply = { id, ...handle(message) };
  } catch (error) {
    reply = { id, error: describe(error) };
  }
  answer(message, reply);
  return message.inPlace === true && current !== null;
}

parentPort.postMessage({ ready: true });
