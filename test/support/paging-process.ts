import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXAMPLE_CONFIG, FIREBREAK_BIN, PROCESS_ADMIN_TOKEN, type ApiResponse, type ServerProcess } from './process.ts';

/**
 * Paging tests and the paging benchmark need a real `firebreak serve` process
 * whose channels point at local receivers, so the example configuration is
 * rewritten into a file of the test's own (as test/paging/paging.test.ts does
 * in process), and the server is started on that file. spawnServer in
 * process.ts always serves the example itself, hence this sibling; it returns
 * the same ServerProcess, so expectStatus, readTimeline and friends apply.
 */

export interface PagingConfigOptions {
  /** Where the `pager-bridge` webhook channel posts. */
  webhookUrl: string;
  /** The port of the `email` channel's SMTP server (default: the example's 2525). */
  smtpPort?: number;
  /** Replaces every escalation level's `timeout: 15m`. */
  escalationTimeout?: string;
  /** Replaces the default rule `{ channel: email, after: 5m }`'s delay. */
  emailAfter?: string;
}

function replaceExactly(text: string, from: string, to: string, times: number): string {
  const found = text.split(from).length - 1;
  if (found !== times) throw new Error(`examples/firebreak.yaml changed: expected ${times}× "${from}", found ${found}`);
  return text.split(from).join(to);
}

/** Writes the example configuration, rewritten as asked, to `dir/firebreak.yaml`; returns its path. */
export function writePagingConfig(dir: string, options: PagingConfigOptions): string {
  let config = readFileSync(EXAMPLE_CONFIG, 'utf8');
  config = replaceExactly(config, 'url: http://127.0.0.1:9099/firebreak', `url: ${options.webhookUrl}`, 1);
  if (options.smtpPort !== undefined) config = replaceExactly(config, 'port: 2525', `port: ${options.smtpPort}`, 1);
  if (options.escalationTimeout !== undefined) config = replaceExactly(config, 'timeout: 15m', `timeout: ${options.escalationTimeout}`, 2);
  if (options.emailAfter !== undefined) {
    config = replaceExactly(config, '{ channel: email, after: 5m }', `{ channel: email, after: ${options.emailAfter} }`, 1);
  }
  const path = join(dir, 'firebreak.yaml');
  writeFileSync(path, config);
  return path;
}

export interface SpawnPagingServerOptions {
  configPath: string;
  dataDir: string;
  databaseUrl: string | undefined;
  token?: string;
  /** `info` (the default) is needed for `instanceId`; above it, instanceId is ''. */
  logLevel?: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  /** Extra environment for the child (e.g. NODE_OPTIONS for a profiler). */
  env?: Record<string, string>;
  startTimeoutMs?: number;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** `firebreak serve --config FILE` as a child process, on a free loopback port. */
export async function spawnPagingServer(options: SpawnPagingServerOptions): Promise<ServerProcess> {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // A test that fails half-way must not leave servers running (and holding the database).
    process.on('exit', () => {
      for (const child of live) child.kill('SIGKILL');
    });
  }
  const token = options.token ?? PROCESS_ADMIN_TOKEN;
  const logLevel = options.logLevel ?? 'info';
  const env: NodeJS.ProcessEnv = { ...process.env, FIREBREAK_BOOTSTRAP_TOKEN: token, LOG_LEVEL: logLevel, ...options.env };
  for (const name of ['DATABASE_URL', 'PORT', 'HOST', 'FIREBREAK_CONFIG', 'FIREBREAK_DATA_DIR']) delete env[name];
  if (options.databaseUrl !== undefined) env.DATABASE_URL = options.databaseUrl;

  const child = spawn(
    process.execPath,
    [FIREBREAK_BIN, 'serve', '--config', options.configPath, '--data-dir', options.dataDir, '--port', '0', '--host', '127.0.0.1'],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  live.add(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    });
  });

  // Both pipes are always drained, or a chatty server blocks on a full pipe.
  const tail: string[] = [];
  const remember = (line: string) => {
    tail.push(line.length > 600 ? `${line.slice(0, 600)}…` : line);
    if (tail.length > 80) tail.shift();
  };
  let url: string | null = null;
  let instanceId: string | null = null;
  const needInstanceId = logLevel === 'trace' || logLevel === 'debug' || logLevel === 'info';
  let onProgress: () => void = () => {};
  const lines = (stream: NodeJS.ReadableStream, onLine: (line: string) => void) => {
    let buffered = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buffered += chunk;
      for (let newline = buffered.indexOf('\n'); newline >= 0; newline = buffered.indexOf('\n')) {
        onLine(buffered.slice(0, newline));
        buffered = buffered.slice(newline + 1);
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
    remember(`[stderr] ${line}`);
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
  });
  const recentOutput = () => tail.join('\n');

  const timeoutMs = options.startTimeoutMs ?? 60_000;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start within ${timeoutMs} ms\n${recentOutput()}`));
    }, timeoutMs);
    onProgress = () => {
      if (url !== null && (instanceId !== null || !needInstanceId)) {
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
  const api: ServerProcess['api'] = async (method, path, body): Promise<ApiResponse> => {
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
  return {
    url: baseUrl,
    pid: child.pid!,
    instanceId: instanceId ?? '',
    child,
    api,
    kill: async (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
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
