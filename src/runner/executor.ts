import { spawn, type ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import { isReservedEnvName } from '../runbooks/index.ts';
import type { Assignment } from '../runbooks/protocol.ts';
import { BindError, bindPromql, bindSql, parseHttpRequest } from './bind.ts';
import type { StreamName } from './output.ts';
import { ASSIGNMENT_ENV, groupAlive, stopGroup } from './processes.ts';
import { sleep } from './retry.ts';

export type StopReason = 'timeout' | 'cancel' | 'gone' | 'shutdown';

export interface StepOutcome {
  /** Null when the process was killed by a signal or never started. */
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  cancelled: boolean;
  error: string | null;
  durationMs: number;
  /** Why the agent stopped the step, if it did. */
  stopReason: StopReason | null;
}

export interface ExecuteOptions {
  assignment: Assignment;
  workdir: string;
  /** The agent's own environment; the assignment's variables go on top. */
  baseEnv: Readonly<Record<string, string | undefined>>;
  output(stream: StreamName, data: Buffer | string): void;
  /** The process exists (called before any output): record it so that a restarted agent can stop it. */
  onSpawn?(process: { pid: number; pgid: number }): void;
  /** Between SIGTERM and SIGKILL (default 5 s). */
  killGraceMs?: number;
  fetch?: typeof globalThis.fetch;
}

export interface StepExecution {
  readonly outcome: Promise<StepOutcome>;
  /** Stops the step (SIGTERM to its process group, SIGKILL after the grace period); the first reason counts. */
  stop(reason: StopReason): void;
  /** Stop and resume reading output: a process that writes more then blocks until the backlog is sent. */
  pause(): void;
  resume(): void;
}

export const DEFAULT_KILL_GRACE_MS = 5_000;
export const DEFAULT_SQL_CLIENT = 'psql -X -v ON_ERROR_STOP=1';
/** The query travels in FIREBREAK_QUERY; curl URL-encodes it, so it is never part of the command. */
const PROMQL_COMMAND = 'curl -fsS --get "${PROMETHEUS_URL:-http://127.0.0.1:9090}/api/v1/query" --data-urlencode "query=${FIREBREAK_QUERY}"';
/** Longest delay setTimeout takes. */
const MAX_TIMER_MS = 2 ** 31 - 1;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/**
 * Variables the runner itself decides; from the server they are ignored. Above all the
 * SQL client, which is a command: set by whoever runs the agent, never by a run.
 */
const RUNNER_OWNED = new Set([ASSIGNMENT_ENV, 'FIREBREAK_SQL_CLIENT', 'FIREBREAK_QUERY', 'FIREBREAK_RUNNER_TOKEN']);

export interface StepEnvironment {
  env: Record<string, string>;
  /** Names in the assignment that were left out (reserved by the shell or the runner). */
  ignored: string[];
}

/**
 * The process environment: the agent's own, then the assignment's variables (values only,
 * never code), then the assignment marker. Throws a BindError for a name or value no
 * environment can carry.
 */
export function stepEnvironment(assignment: Assignment, baseEnv: Readonly<Record<string, string | undefined>>): StepEnvironment {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(baseEnv)) if (value !== undefined) env[name] = value;
  const ignored: string[] = [];
  for (const [name, value] of Object.entries(assignment.env)) {
    if (!ENV_NAME.test(name)) throw new BindError(`"${name}" cannot be the name of an environment variable`);
    if (typeof value !== 'string' || value.includes('\0')) throw new BindError(`the value of ${name} cannot be carried in the environment (it holds a NUL byte or is not text)`);
    if (isReservedEnvName(name) || RUNNER_OWNED.has(name) || name.startsWith('FIREBREAK_SQL_PARAM_')) {
      ignored.push(name);
      continue;
    }
    env[name] = value;
  }
  env[ASSIGNMENT_ENV] = assignment.id;
  return { env, ignored };
}

/** Starts one assignment; the returned execution settles when the step is over. */
export function executeStep(options: ExecuteOptions): StepExecution {
  const { assignment } = options;
  const graceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  let prepared: { env: Record<string, string>; ignored: string[] };
  try {
    prepared = stepEnvironment(assignment, options.baseEnv);
    const workdir = statSync(options.workdir, { throwIfNoEntry: false });
    if (!workdir?.isDirectory()) throw new BindError(`the working directory ${options.workdir} does not exist`);
  } catch (error) {
    return notStarted(error);
  }
  if (prepared.ignored.length > 0) {
    options.output('stderr', `firebreak runner: ignored variables the runner or the shell owns: ${prepared.ignored.join(', ')}\n`);
  }
  const { env } = prepared;
  try {
    switch (assignment.kind) {
      case 'shell':
        return new ProcessRun(options, graceMs, { script: assignment.command, stdin: null, env });
      case 'sql': {
        const bound = bindSql(assignment.command, env);
        const client = options.baseEnv.FIREBREAK_SQL_CLIENT || DEFAULT_SQL_CLIENT;
        return new ProcessRun(options, graceMs, { script: client, stdin: bound.script, env: { ...env, ...bound.env } });
      }
      case 'promql': {
        const query = bindPromql(assignment.command, env).trim();
        return new ProcessRun(options, graceMs, { script: PROMQL_COMMAND, stdin: null, env: { ...env, FIREBREAK_QUERY: query } });
      }
      case 'http':
        return new HttpRun(options, graceMs, env);
      default:
        throw new BindError(`this runner does not know steps of kind ${String(assignment.kind)}`);
    }
  } catch (error) {
    return notStarted(error);
  }
}

function notStarted(error: unknown): StepExecution {
  const message = error instanceof Error ? error.message : String(error);
  const outcome: StepOutcome = { exitCode: null, signal: null, timedOut: false, cancelled: false, error: message, durationMs: 0, stopReason: null };
  return { outcome: Promise.resolve(outcome), stop: () => {}, pause: () => {}, resume: () => {} };
}

const timeoutOf = (assignment: Assignment): number | null =>
  Number.isFinite(assignment.timeoutMs) && assignment.timeoutMs > 0 ? Math.min(assignment.timeoutMs, MAX_TIMER_MS) : null;

function describeStop(reason: StopReason | null): string | null {
  return reason === 'shutdown' ? 'the runner shut down and stopped the step' : null;
}

interface ProcessSpec {
  script: string;
  stdin: string | null;
  env: Record<string, string>;
}

/**
 * `bash -c SCRIPT` in a process group of its own. When bash ends, whatever it left
 * running in the group is stopped too: a step's processes end with the step (a process
 * meant to outlive it must leave the group, with setsid or a service manager).
 */
class ProcessRun implements StepExecution {
  readonly outcome: Promise<StepOutcome>;
  private child: ChildProcess | null = null;
  private stopReason: StopReason | null = null;
  private exited = false;
  private timer: NodeJS.Timeout | null = null;
  private readonly started = performance.now();

  constructor(
    private readonly options: ExecuteOptions,
    private readonly graceMs: number,
    spec: ProcessSpec,
  ) {
    this.outcome = new Promise((resolve) => this.run(spec, resolve));
  }

  stop(reason: StopReason): void {
    if (this.stopReason !== null || this.exited) return;
    this.stopReason = reason;
    const pid = this.child?.pid;
    if (pid !== undefined) void stopGroup(pid, this.graceMs).catch(() => {});
  }

  pause(): void {
    // Once the process has ended there is nobody to slow down, and what is left in the pipes must be read.
    if (this.exited) return;
    this.child?.stdout?.pause();
    this.child?.stderr?.pause();
  }

  resume(): void {
    this.child?.stdout?.resume();
    this.child?.stderr?.resume();
  }

  private run(spec: ProcessSpec, resolve: (outcome: StepOutcome) => void): void {
    const settle = (outcome: Omit<StepOutcome, 'durationMs' | 'stopReason' | 'timedOut' | 'cancelled'>) => {
      if (this.timer !== null) clearTimeout(this.timer);
      resolve({
        ...outcome,
        error: outcome.error ?? describeStop(this.stopReason),
        timedOut: this.stopReason === 'timeout',
        cancelled: this.stopReason === 'cancel',
        stopReason: this.stopReason,
        durationMs: Math.round(performance.now() - this.started),
      });
    };
    let child: ChildProcess;
    try {
      child = spawn('bash', ['-c', spec.script], {
        detached: true,
        cwd: this.options.workdir,
        env: spec.env,
        stdio: [spec.stdin === null ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      });
    } catch (error) {
      settle({ exitCode: null, signal: null, error: `could not start bash: ${(error as Error).message}` });
      return;
    }
    this.child = child;
    const pid = child.pid;
    if (pid === undefined) {
      child.once('error', (error) => settle({ exitCode: null, signal: null, error: `could not start bash: ${error.message}` }));
      return;
    }
    this.options.onSpawn?.({ pid, pgid: pid });
    child.stdout?.on('data', (data: Buffer) => this.options.output('stdout', data));
    child.stderr?.on('data', (data: Buffer) => this.options.output('stderr', data));
    if (child.stdin) {
      // A client that exits without reading all of its input is its own business.
      child.stdin.on('error', () => {});
      child.stdin.end(spec.stdin ?? '');
    }
    const closed = new Promise<void>((done) => child.once('close', () => done()));
    const timeoutMs = timeoutOf(this.options.assignment);
    if (timeoutMs !== null) this.timer = setTimeout(() => this.stop('timeout'), timeoutMs);
    child.once('exit', (code, signal) => {
      this.exited = true;
      this.resume();
      if (this.timer !== null) clearTimeout(this.timer);
      void (async () => {
        // What bash left behind (background jobs) ends with the step.
        if (groupAlive(pid)) await stopGroup(pid, this.graceMs).catch(() => {});
        // Output still in the pipes arrives before 'close'; a process that escaped the group may hold them open.
        await Promise.race([closed, sleep(this.graceMs)]);
        child.stdout?.destroy();
        child.stderr?.destroy();
        settle({ exitCode: code, signal, error: null });
      })();
    });
  }
}

/** An http step: the request is made here, with fetch, never through a shell. */
class HttpRun implements StepExecution {
  readonly outcome: Promise<StepOutcome>;
  private readonly controller = new AbortController();
  private stopReason: StopReason | null = null;
  private done = false;

  constructor(
    private readonly options: ExecuteOptions,
    _graceMs: number,
    env: Record<string, string>,
  ) {
    const request = parseHttpRequest(options.assignment.command, env);
    this.outcome = this.run(request);
  }

  stop(reason: StopReason): void {
    if (this.stopReason !== null || this.done) return;
    this.stopReason = reason;
    this.controller.abort();
  }

  pause(): void {}

  resume(): void {}

  private async run(request: ReturnType<typeof parseHttpRequest>): Promise<StepOutcome> {
    const started = performance.now();
    const timeoutMs = timeoutOf(this.options.assignment);
    const timer = timeoutMs === null ? null : setTimeout(() => this.stop('timeout'), timeoutMs);
    let exitCode: number | null = null;
    let error: string | null = null;
    try {
      const response = await (this.options.fetch ?? globalThis.fetch)(request.url, {
        method: request.method,
        headers: request.headers,
        body: request.body ?? undefined,
        signal: this.controller.signal,
      });
      this.options.output('stdout', `HTTP ${response.status}\n`);
      if (response.body) {
        for await (const piece of response.body) this.options.output('stdout', Buffer.from(piece));
      }
      exitCode = response.ok ? 0 : 1;
    } catch (failure) {
      if (this.stopReason === null) {
        const cause = (failure as { cause?: { message?: string; code?: string } }).cause;
        error = `the request failed: ${cause?.code ?? cause?.message ?? (failure as Error).message}`;
        this.options.output('stderr', `${error}\n`);
      }
    } finally {
      if (timer !== null) clearTimeout(timer);
      this.done = true;
    }
    return {
      exitCode,
      signal: null,
      timedOut: this.stopReason === 'timeout',
      cancelled: this.stopReason === 'cancel',
      error: error ?? describeStop(this.stopReason),
      stopReason: this.stopReason,
      durationMs: Math.round(performance.now() - started),
    };
  }
}
