import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import pg from 'pg';
import type { Store } from '../../src/store/index.ts';
import { ADMIN_URL } from './database.ts';

/**
 * A Firebreak server as a real child process, started the way an operator
 * starts it (`node bin/firebreak.js serve …`), so that tests can SIGKILL it
 * and benchmarks measure it without sharing its event loop.
 */

export const FIREBREAK_BIN = fileURLToPath(new URL('../../bin/firebreak.js', import.meta.url));
export const EXAMPLE_CONFIG = fileURLToPath(new URL('../../examples/firebreak.yaml', import.meta.url));
export const PROCESS_ADMIN_TOKEN = 'fbk_process_admin_token_0123456789';

export interface ApiResponse {
  status: number;
  // Tests read arbitrary JSON shapes from the API.
  body: any;
}

export interface ServerProcess {
  url: string;
  pid: number;
  /** The scheduler's name in `timers.fired_by`, read from the start log line (needs LOG_LEVEL info or lower). */
  instanceId: string;
  child: ChildProcess;
  api(method: string, path: string, body?: unknown): Promise<ApiResponse>;
  /** Sends the signal and resolves once the process is gone. */
  kill(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL if the graceful stop takes longer than `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** The last lines the server wrote, for failure messages. */
  recentOutput(): string;
}

export interface SpawnServerOptions {
  dataDir: string;
  databaseUrl: string | undefined;
  /** A configuration file of the test's own (default: the example). */
  configPath?: string;
  token?: string;
  /** `info` (the default) is needed for `instanceId`; above it, instanceId is ''. */
  logLevel?: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  /** Extra environment for the child (e.g. NODE_OPTIONS for a profiler). */
  env?: Record<string, string>;
  startTimeoutMs?: number;
  /** Listen on this port (default: a free one). */
  port?: number;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A test that fails half-way must not leave servers running (and holding the database).
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

export async function spawnServer(options: SpawnServerOptions): Promise<ServerProcess> {
  installExitHook();
  const token = options.token ?? PROCESS_ADMIN_TOKEN;
  const env: NodeJS.ProcessEnv = { ...process.env, FIREBREAK_BOOTSTRAP_TOKEN: token, LOG_LEVEL: options.logLevel ?? 'info', ...options.env };
  for (const name of ['DATABASE_URL', 'PORT', 'HOST', 'FIREBREAK_CONFIG', 'FIREBREAK_DATA_DIR']) delete env[name];
  if (options.databaseUrl !== undefined) env.DATABASE_URL = options.databaseUrl;

  const child = spawn(
    process.execPath,
    [FIREBREAK_BIN, 'serve', '--config', options.configPath ?? EXAMPLE_CONFIG, '--data-dir', options.dataDir, '--port', String(options.port ?? 0), '--host', '127.0.0.1'],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  live.add(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    });
  });

  // Both pipes are always drained: a server that logs every request would
  // otherwise block on a full pipe and look like a hang.
  const tail: string[] = [];
  const remember = (line: string) => {
    tail.push(line);
    if (tail.length > 80) tail.shift();
  };
  let url: string | null = null;
  let instanceId: string | null = null;
  let onProgress: () => void = () => {};
  const lines = (stream: NodeJS.ReadableStream, onLine: (line: string) => void) => {
    let buffered = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buffered += chunk;
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        onLine(buffered.slice(0, newline));
        buffered = buffered.slice(newline + 1);
        newline = buffered.indexOf('\n');
      }
    });
  };
  lines(child.stdout!, (line) => {
    remember(`[stdout] ${line}`);
    const match = /^Firebreak is serving (\S+)/.exec(line);
    if (match) {
      url = match[1]!;
      onProgress();
    }
  });
  lines(child.stderr!, (line) => {
    if (instanceId === null && line.includes('"instanceId"')) {
      try {
        const entry = JSON.parse(line) as { instanceId?: unknown };
        if (typeof entry.instanceId === 'string') {
          instanceId = entry.instanceId;
          onProgress();
        }
      } catch {
        // not a log line of ours
      }
    }
    remember(`[stderr] ${line.length > 600 ? `${line.slice(0, 600)}…` : line}`);
  });
  const recentOutput = () => tail.join('\n');

  const timeoutMs = options.startTimeoutMs ?? 60_000;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start within ${timeoutMs} ms\n${recentOutput()}`));
    }, timeoutMs);
    onProgress = () => {
      if (url !== null && instanceId !== null) {
        clearTimeout(timer);
        resolve();
      }
    };
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`server exited before serving (code ${code}, signal ${signal})\n${recentOutput()}`));
    });
  });

  const baseUrl: string = url!;
  const api: ServerProcess['api'] = async (method, path, body) => {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(baseUrl + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body: parsed };
  };
  const kill: ServerProcess['kill'] = async (signal) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };
  return {
    url: baseUrl,
    pid: child.pid!,
    instanceId: instanceId!,
    child,
    api,
    kill,
    stop: async (graceMs = 15_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
    recentOutput,
  };
}

/** Calls the API and throws with the response when the status is not the one expected. */
export async function expectStatus(server: ServerProcess, status: number, method: string, path: string, body?: unknown): Promise<ApiResponse> {
  const response = await server.api(method, path, body);
  if (response.status !== status) {
    throw new Error(`${method} ${path}: expected ${status}, got ${response.status} ${JSON.stringify(response.body)}`);
  }
  return response;
}

/** Runs `work` over `items` with at most `concurrency` in flight. */
export async function inParallel<T, R>(items: readonly T[], concurrency: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

/** Polls `check` until it returns a value other than undefined; fails with `describe()` after `timeoutMs`. */
export async function waitUntil<T>(
  check: () => Promise<T | undefined>,
  options: { timeoutMs: number; intervalMs?: number; describe?: () => string },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting after ${options.timeoutMs} ms${options.describe ? `: ${options.describe()}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 50));
  }
}

export interface TimerStates {
  pending: number;
  fired: number;
  cancelled: number;
  failed: number;
}

/** How many timers of a kind are in each state, read straight from the database. */
export async function timerStates(store: Store, kind: string): Promise<TimerStates> {
  const rows = await store.db
    .selectFrom('timers')
    .select(['state', sql<number>`count(*)`.as('n')])
    .where('kind', '=', kind)
    .groupBy('state')
    .execute();
  const states: TimerStates = { pending: 0, fired: 0, cancelled: 0, failed: 0 };
  for (const row of rows) states[row.state as keyof TimerStates] = Number(row.n);
  return states;
}

export interface TimelineItem {
  id: string;
  kind: string;
  text: string;
  data: Record<string, unknown>;
}

/** The whole timeline of an incident through the API, page by page. */
export async function readTimeline(server: ServerProcess, incidentId: string): Promise<TimelineItem[]> {
  const items: TimelineItem[] = [];
  let after: string | undefined;
  for (;;) {
    const query = after === undefined ? '?limit=5000' : `?limit=5000&after=${encodeURIComponent(after)}`;
    const page = await expectStatus(server, 200, 'GET', `/api/v1/incidents/${incidentId}/timeline${query}`);
    const pageItems = page.body.items as TimelineItem[];
    items.push(...pageItems);
    if (pageItems.length < 5000) return items;
    after = pageItems[pageItems.length - 1]!.id;
  }
}

/** Nearest-rank percentile of numbers sorted ascending. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/**
 * Closes a store opened by a test and, on PostgreSQL, waits until its
 * connections are really gone. pg's Pool.end() resolves before the sockets
 * close, and the Store's pool has no 'error' listener, so dropping the database
 * `with (force)` right away would terminate a closing connection and crash the
 * process with an unhandled 'error' event.
 */
export async function closeStore(store: Store | undefined, databaseUrl: string | undefined): Promise<void> {
  await store?.close();
  if (databaseUrl === undefined) return;
  const name = decodeURIComponent(new URL(databaseUrl).pathname.slice(1));
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    await waitUntil(
      async () => {
        const result = await admin.query<{ n: string }>('select count(*) as n from pg_stat_activity where datname = $1', [name]);
        return Number(result.rows[0]!.n) === 0 ? true : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 50, describe: () => `connections to ${name} stayed open` },
    );
  } finally {
    await admin.end();
  }
}
