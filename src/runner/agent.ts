import { systemClock, type Clock } from '../core/clock.ts';
import { createIdGenerator } from '../core/ids.ts';
import { createMasker, secretForms } from '../runbooks/mask.ts';
import type { Assignment, ControlReply, FinishReport, RunnableKind, RunnerIdentity } from '../runbooks/protocol.ts';
import { executeStep, stepEnvironment, type StepExecution, type StepOutcome } from './executor.ts';
import { StepOutput } from './output.ts';
import { bootId, groupCarriesMarker, stopGroup } from './processes.ts';
import { backoffDelay, DEFAULT_BACKOFF, retrying, sleep, type BackoffOptions } from './retry.ts';
import { defaultStateDir, RunnerState, type AssignmentRecord } from './state.ts';
import { AssignmentGoneError, RunnerRejectedError, TransportError, type RunnerTransport } from './transport.ts';

/** What the agent needs of a logger; a pino Logger fits. */
export interface RunnerLogger {
  debug(details: object, message: string): void;
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

export interface RunnerAgentOptions {
  transport: RunnerTransport;
  /** The id defaults to the one kept in the state directory (made on first start). */
  identity: Omit<RunnerIdentity, 'id'> & { id?: string };
  /** Where steps run (their working directory). */
  workdir: string;
  /** Default: $XDG_STATE_HOME/firebreak-runner or ~/.local/state/firebreak-runner. */
  stateDir?: string;
  /** Steps run at once (default 1). */
  concurrency?: number;
  logger: RunnerLogger;
  /** The environment steps start from (default process.env); the assignment's variables go on top. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Values masked in every step's output besides the assignment's (e.g. the runner's own token). */
  secretValues?: readonly string[];
  /** Delays between retries of a failed call (default 200 ms doubling to 10 s, with jitter). */
  retry?: BackoffOptions;
  /** Between SIGTERM and SIGKILL when a step is stopped (default 5 s). */
  killGraceMs?: number;
  /** How long one claim may wait for work on the server (default 25 s). */
  claimWaitMs?: number;
  clock?: Clock;
  /** For http steps (default the global fetch). */
  fetch?: typeof globalThis.fetch;
  /** Output flush interval (default 100 ms). */
  flushIntervalMs?: number;
}

export interface AgentStopped {
  /** Set when the agent stopped by itself because the server refused it (401/403). */
  fatal: Error | null;
}

export const DEFAULT_CLAIM_WAIT_MS = 25_000;
const DEFAULT_HEARTBEAT_MS = 10_000;
const MIN_HEARTBEAT_MS = 50;
/** An empty claim answered faster than this (or half the wait) is followed by a pause this long. */
const MIN_EMPTY_CLAIM_MS = 1_000;
const RUNNABLE_KINDS: readonly RunnableKind[] = ['shell', 'sql', 'promql', 'http'];

export const RESTARTED_WHILE_RUNNING = 'runner restarted while the step ran; its processes were stopped';

interface RunningStep {
  assignment: Assignment;
  execution: StepExecution | null;
  output: StepOutput | null;
  gone: boolean;
  heartbeatInFlight: boolean;
}

/**
 * The runner agent: claims steps from the server, runs them, streams their masked output
 * and reports how they ended. Every report is retried until the server acknowledges it;
 * a step in progress is recorded in the state directory so that a restarted agent stops
 * its leftovers and tells the server, and never runs a step twice.
 */
export class RunnerAgent {
  private readonly options: RunnerAgentOptions;
  private readonly logger: RunnerLogger;
  private readonly backoff: Required<BackoffOptions>;
  private readonly baseEnv: Readonly<Record<string, string | undefined>>;
  private readonly clock: Clock;
  private readonly newId: () => string;
  private readonly running = new Map<string, RunningStep>();
  /** Assignments this agent gave up (leftovers of a crash): never run, even if handed out again. */
  private readonly abandoned = new Set<string>();
  /** Ends the claim loops: the agent is stopping. */
  private readonly claims = new AbortController();
  /** Ends all retries: the server refused the runner, or leftovers need not be reported now. */
  private readonly reports = new AbortController();
  private readonly background = new Set<Promise<unknown>>();
  private state: RunnerState | null = null;
  private identity: RunnerIdentity | null = null;
  private loops: Promise<void>[] = [];
  private stopping = false;
  private fatal: Error | null = null;
  private resolveStopped!: (stopped: AgentStopped) => void;
  /** Settles once the agent has stopped, by stop() or by itself. */
  readonly stopped: Promise<AgentStopped>;

  constructor(options: RunnerAgentOptions) {
    this.options = options;
    this.logger = options.logger;
    this.backoff = { ...DEFAULT_BACKOFF, ...options.retry };
    this.baseEnv = options.env ?? process.env;
    this.clock = options.clock ?? systemClock;
    this.newId = createIdGenerator(this.clock);
    this.stopped = new Promise((resolve) => (this.resolveStopped = resolve));
  }

  /** The identity sent with each claim (known after start). */
  get runner(): RunnerIdentity | null {
    return this.identity;
  }

  /**
   * Stops what an earlier agent on this state directory left running, then starts
   * claiming. Resolves once claiming has begun; throws if the state directory is in use.
   */
  async start(): Promise<void> {
    if (this.state !== null) throw new Error('the runner agent is already started');
    const stateDir = this.options.stateDir ?? defaultStateDir(this.baseEnv);
    const state = RunnerState.open(stateDir, this.newId);
    this.state = state;
    this.identity = {
      id: this.options.identity.id ?? state.runnerId,
      name: this.options.identity.name,
      labels: this.options.identity.labels,
      ...(this.options.identity.version === undefined ? {} : { version: this.options.identity.version }),
    };
    this.logger.info({ runner: this.identity, stateDir, workdir: this.options.workdir }, 'runner agent starting');
    await this.recoverLeftovers(state);
    const concurrency = Math.max(1, Math.floor(this.options.concurrency ?? 1));
    this.loops = Array.from({ length: concurrency }, () => this.claimLoop());
  }

  /**
   * Stops claiming and waits for the steps in progress and their reports. With `kill`,
   * the steps are stopped first (SIGTERM, then SIGKILL) and reported as stopped by a
   * shutdown. Calling it again with `kill` while a graceful stop waits is allowed.
   */
  async stop(options: { kill?: boolean } = {}): Promise<void> {
    if (!this.stopping) {
      this.stopping = true;
      this.claims.abort(new Error('the runner agent is stopping'));
      this.logger.info({ running: this.running.size }, 'runner agent stops claiming; waiting for running steps');
    }
    if (options.kill) {
      for (const step of this.running.values()) step.execution?.stop('shutdown');
    }
    await this.finishStopping();
  }

  private stopPromise: Promise<void> | null = null;

  private finishStopping(): Promise<void> {
    this.stopPromise ??= (async () => {
      await Promise.allSettled(this.loops);
      // Leftovers not yet reported stay on disk; the next start reports them.
      this.reports.abort(new Error('the runner agent stopped'));
      await Promise.allSettled([...this.background]);
      this.state?.release();
      this.logger.info({ fatal: this.fatal?.message ?? null }, 'runner agent stopped');
      this.resolveStopped({ fatal: this.fatal });
    })();
    return this.stopPromise;
  }

  /** The server refused the runner: nothing can be reported, so steps are stopped and the agent ends. */
  private fail(error: Error): void {
    if (this.fatal !== null) return;
    this.fatal = error;
    this.logger.error({ err: error }, `${error.message}; the runner agent stops (check its token and role)`);
    this.stopping = true;
    this.claims.abort(error);
    this.reports.abort(error);
    for (const step of this.running.values()) step.execution?.stop('shutdown');
    void this.finishStopping();
  }

  private retryOptions(what: string, details: object) {
    return {
      backoff: this.backoff,
      signal: this.reports.signal,
      onRetry: (error: unknown, attempt: number, delayMs: number) =>
        this.logger.warn({ ...details, ...failure(error), attempt: attempt + 1, retryInMs: delayMs }, `${what} failed; retrying`),
    };
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.background.add(work);
    void work.finally(() => this.background.delete(work)).catch(() => {});
    return work;
  }

  // ---------------------------------------------------------------------------------------
  // Leftovers of an agent that died mid-step

  private async recoverLeftovers(state: RunnerState): Promise<void> {
    const { records, unreadable } = state.leftovers();
    for (const path of unreadable) this.logger.error({ path }, 'cannot read a leftover assignment file; remove it by hand once its step is dealt with');
    const boot = bootId();
    for (const record of records) {
      this.abandoned.add(record.assignmentId);
      const sameBoot = record.bootId === null || boot === null || record.bootId === boot;
      if (record.pgid !== null && sameBoot && groupCarriesMarker(record.pgid, record.assignmentId)) {
        this.logger.warn({ assignmentId: record.assignmentId, pgid: record.pgid }, 'stopping the processes of a step left by an earlier agent');
        await stopGroup(record.pgid, this.options.killGraceMs ?? 5_000);
      }
      void this.track(this.abandonLeftover(state, record));
    }
  }

  private async abandonLeftover(state: RunnerState, record: AssignmentRecord): Promise<void> {
    const reason = record.ended
      ? `runner restarted before the server acknowledged the step's result (the process had ended with ${record.ended.signal ?? `exit code ${record.ended.exitCode}`}); its output may be incomplete`
      : RESTARTED_WHILE_RUNNING;
    const details = { assignmentId: record.assignmentId, runId: record.runId, stepId: record.stepId };
    try {
      await retrying(() => this.options.transport.abandon(record.assignmentId, { reason }), this.retryOptions('abandoning a leftover step', details));
      this.logger.info(details, 'reported a step left by an earlier agent as abandoned');
    } catch (error) {
      if (error instanceof RunnerRejectedError) return this.fail(error);
      if (!(error instanceof AssignmentGoneError)) return; // stopping: the file stays for the next start
    }
    state.removeAssignment(record.assignmentId);
  }

  // ---------------------------------------------------------------------------------------
  // Claiming

  private async claimLoop(): Promise<void> {
    const waitMs = this.options.claimWaitMs ?? DEFAULT_CLAIM_WAIT_MS;
    // Kept across retries: if the server handed out a step and its answer was lost, the
    // same claim id gets the same step back instead of a second one.
    let claim = this.newId();
    let failures = 0;
    while (!this.stopping) {
      let assignment: Assignment | null;
      const asked = performance.now();
      try {
        assignment = await this.options.transport.claim({ runner: this.identity!, claim, waitMs }, this.claims.signal);
      } catch (error) {
        if (this.stopping) return;
        if (error instanceof RunnerRejectedError) return this.fail(error);
        const delayMs = backoffDelay(failures, this.backoff);
        failures += 1;
        this.logger.warn({ ...failure(error), attempt: failures, retryInMs: delayMs }, 'claiming a step failed; retrying');
        try {
          await sleep(delayMs, this.claims.signal);
        } catch {
          return;
        }
        continue;
      }
      failures = 0;
      claim = this.newId();
      if (assignment !== null) {
        await this.runAssignment(assignment).catch((error: unknown) =>
          this.logger.error({ err: error, assignmentId: assignment.id }, 'running an assignment failed unexpectedly'),
        );
      } else if (performance.now() - asked < Math.min(MIN_EMPTY_CLAIM_MS, waitMs / 2)) {
        // A server (or a proxy before it) that answers at once instead of holding the
        // request must not turn the claim loop into a busy loop.
        await sleep(MIN_EMPTY_CLAIM_MS, this.claims.signal).catch(() => {});
      }
    }
  }

  // ---------------------------------------------------------------------------------------
  // Running one step

  private async runAssignment(assignment: Assignment): Promise<void> {
    const details = { assignmentId: assignment.id, runId: assignment.runId, stepId: assignment.stepId };
    const problem = assignmentProblem(assignment);
    if (problem !== null) {
      this.logger.error({ ...details, problem }, 'the server sent an assignment the runner cannot read');
      if (typeof assignment?.id === 'string' && assignment.id !== '') await this.giveBack(assignment.id, `the runner could not read the assignment: ${problem}`);
      return;
    }
    if (this.running.has(assignment.id)) return;
    if (this.abandoned.has(assignment.id)) {
      await this.giveBack(assignment.id, RESTARTED_WHILE_RUNNING);
      return;
    }
    if (this.stopping) {
      await this.giveBack(assignment.id, 'the runner was shutting down; the step was not started');
      return;
    }
    const state = this.state!;
    const record: AssignmentRecord = {
      assignmentId: assignment.id,
      runId: assignment.runId,
      stepId: assignment.stepId,
      pid: null,
      pgid: null,
      startedAt: this.clock.now(),
      bootId: bootId(),
    };
    try {
      state.saveAssignment(record);
    } catch (error) {
      // Without the record a crash could leave the step's processes running unnoticed: do not start it.
      this.logger.error({ ...details, err: error }, 'cannot record the step in the state directory; giving it back');
      await this.giveBack(assignment.id, `the runner could not record the step in its state directory: ${(error as Error).message}`);
      return;
    }
    const step: RunningStep = { assignment, execution: null, output: null, gone: false, heartbeatInFlight: false };
    this.running.set(assignment.id, step);
    this.logger.info({ ...details, kind: assignment.kind, title: assignment.title, attempt: assignment.attempt }, 'running step');

    const secrets = [...assignment.secretValues, ...this.secretEnvValues(assignment), ...(this.options.secretValues ?? [])];
    const output = new StepOutput({
      masker: createMasker(secrets),
      secrets: secretForms(secrets),
      send: (report) => this.options.transport.output(assignment.id, report),
      retry: this.retryOptions('sending output', details),
      onReply: (reply) => this.onControl(step, reply),
      onFinalError: (error) => this.onFinalError(step, error),
      onBacklog: (backlogged) => (backlogged ? step.execution?.pause() : step.execution?.resume()),
      ...(this.options.flushIntervalMs === undefined ? {} : { flushIntervalMs: this.options.flushIntervalMs }),
    });
    step.output = output;
    const heartbeatMs = Number.isFinite(assignment.heartbeatMs) && assignment.heartbeatMs > 0 ? assignment.heartbeatMs : DEFAULT_HEARTBEAT_MS;
    const heartbeat = setInterval(() => void this.heartbeat(step), Math.max(MIN_HEARTBEAT_MS, heartbeatMs));
    try {
      step.execution = executeStep({
        assignment,
        workdir: this.options.workdir,
        baseEnv: this.baseEnv,
        output: (stream, data) => output.write(stream, data),
        onSpawn: ({ pid, pgid }) => this.saveQuietly(state, Object.assign(record, { pid, pgid })),
        ...(this.options.killGraceMs === undefined ? {} : { killGraceMs: this.options.killGraceMs }),
        ...(this.options.fetch === undefined ? {} : { fetch: this.options.fetch }),
      });
      // A cancel or a final error may have come in while the process started.
      if (step.gone) step.execution.stop('gone');
      if (this.fatal !== null) step.execution.stop('shutdown');
      const outcome = await step.execution.outcome;
      if (!step.gone && this.fatal === null) this.saveQuietly(state, { ...record, ended: { exitCode: outcome.exitCode, signal: outcome.signal } });
      const lastSeq = await output.end();
      if (step.gone) {
        state.removeAssignment(assignment.id);
        return;
      }
      if (this.fatal !== null) return;
      await this.reportFinish(step, finishReport(outcome, lastSeq));
    } finally {
      clearInterval(heartbeat);
      this.running.delete(assignment.id);
    }
  }

  /** Updates a step's record; the step goes on if the disk refuses (the earlier record stays). */
  private saveQuietly(state: RunnerState, record: AssignmentRecord): void {
    try {
      state.saveAssignment(record);
    } catch (error) {
      this.logger.error({ assignmentId: record.assignmentId, err: error }, 'cannot update the step in the state directory');
    }
  }

  private async reportFinish(step: RunningStep, report: FinishReport): Promise<void> {
    const { assignment } = step;
    const details = { assignmentId: assignment.id, runId: assignment.runId, stepId: assignment.stepId };
    try {
      await retrying(() => this.options.transport.finish(assignment.id, report), this.retryOptions('reporting the result', details));
      this.logger.info({ ...details, exitCode: report.exitCode, signal: report.signal, timedOut: report.timedOut, cancelled: report.cancelled, error: report.error, durationMs: report.durationMs }, 'step finished');
    } catch (error) {
      if (error instanceof RunnerRejectedError) return this.fail(error);
      if (!(error instanceof AssignmentGoneError)) return; // the agent stopped reporting: the file stays for the next start
      this.logger.warn(details, 'the server no longer held the assignment when its result was reported');
    }
    this.state!.removeAssignment(assignment.id);
  }

  /** Hands an assignment that will not run back to the server. */
  private async giveBack(assignmentId: string, reason: string): Promise<void> {
    try {
      await retrying(() => this.options.transport.abandon(assignmentId, { reason }), this.retryOptions('giving back an assignment', { assignmentId }));
    } catch (error) {
      if (error instanceof RunnerRejectedError) this.fail(error);
    }
  }

  private secretEnvValues(assignment: Assignment): string[] {
    let env: Record<string, string>;
    try {
      env = stepEnvironment(assignment, this.baseEnv).env;
    } catch {
      env = Object.fromEntries(Object.entries(this.baseEnv).filter((entry): entry is [string, string] => entry[1] !== undefined));
    }
    return assignment.secretEnv.map((name) => env[name]).filter((value): value is string => typeof value === 'string');
  }

  private async heartbeat(step: RunningStep): Promise<void> {
    if (step.heartbeatInFlight || step.gone || this.fatal !== null) return;
    step.heartbeatInFlight = true;
    try {
      this.onControl(step, await this.options.transport.heartbeat(step.assignment.id));
    } catch (error) {
      if (error instanceof AssignmentGoneError || error instanceof RunnerRejectedError) this.onFinalError(step, error);
      // Any other failure: the next heartbeat tries again, and output reports extend the lease too.
      else this.logger.debug({ assignmentId: step.assignment.id, ...failure(error) }, 'heartbeat failed');
    } finally {
      step.heartbeatInFlight = false;
    }
  }

  private onControl(step: RunningStep, reply: ControlReply): void {
    if (!reply.cancel || step.gone) return;
    this.logger.info({ assignmentId: step.assignment.id }, 'the step was cancelled; stopping it');
    step.execution?.stop('cancel');
  }

  private onFinalError(step: RunningStep, error: AssignmentGoneError | RunnerRejectedError): void {
    if (error instanceof RunnerRejectedError) return this.fail(error);
    if (step.gone) return;
    step.gone = true;
    this.logger.warn({ assignmentId: step.assignment.id, err: error }, 'the server no longer holds the assignment; stopping the step and forgetting it');
    step.output?.discard();
    step.execution?.stop('gone');
  }
}

/** An outage is expected and says enough in one line; anything else is logged with its stack. */
function failure(error: unknown): object {
  return error instanceof TransportError ? { reason: error.message } : { err: error };
}

function finishReport(outcome: StepOutcome, lastSeq: number): FinishReport {
  return {
    exitCode: outcome.exitCode,
    signal: outcome.signal,
    timedOut: outcome.timedOut,
    cancelled: outcome.cancelled,
    error: outcome.error,
    lastSeq,
    durationMs: outcome.durationMs,
  };
}

/** What makes an assignment unusable, or null; the in-process transport is typed, the HTTP one is not. */
function assignmentProblem(assignment: Assignment): string | null {
  const value = assignment as unknown as Record<string, unknown> | null;
  if (value === null || typeof value !== 'object') return 'it is not an object';
  for (const field of ['id', 'runId', 'stepId', 'command'] as const) if (typeof value[field] !== 'string') return `${field} is not text`;
  if (!RUNNABLE_KINDS.includes(value.kind as RunnableKind)) return `kind ${JSON.stringify(value.kind)} is not one of ${RUNNABLE_KINDS.join(', ')}`;
  if (typeof value.env !== 'object' || value.env === null) return 'env is not an object';
  if (!Array.isArray(value.secretEnv) || !value.secretEnv.every((name) => typeof name === 'string')) return 'secretEnv is not a list of names';
  if (!Array.isArray(value.secretValues) || !value.secretValues.every((name) => typeof name === 'string')) return 'secretValues is not a list of text';
  for (const field of ['timeoutMs', 'heartbeatMs'] as const) if (typeof value[field] !== 'number') return `${field} is not a number`;
  return null;
}
