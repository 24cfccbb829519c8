/**
 * The runner protocol: what the server hands a runner agent and what the agent
 * reports back. A runner always connects outbound (long-poll HTTP), so it needs no
 * inbound port; every call is idempotent so that a retry after a network drop
 * neither loses nor repeats a step.
 *
 *   POST /api/v1/runner/claim                      ClaimRequest → 200 {assignment} | 204
 *   POST /api/v1/runner/assignments/:id/output     OutputReport → 200 ControlReply
 *   POST /api/v1/runner/assignments/:id/heartbeat  {}           → 200 ControlReply
 *   POST /api/v1/runner/assignments/:id/finish     FinishReport → 200 ControlReply
 *   POST /api/v1/runner/assignments/:id/abandon    AbandonReport → 200 ControlReply
 *
 * An assignment the server no longer holds for this runner (its lease lapsed and the
 * step became `unknown`, or it was never this runner's) answers 409 with the code
 * `assignment_gone`: the agent stops the process and forgets the step.
 */

/** Step kinds a runner executes. `manual` steps never reach a runner. */
export type RunnableKind = 'shell' | 'sql' | 'promql' | 'http';

export interface RunnerIdentity {
  /** Stable across restarts of one agent (kept in its state directory). */
  id: string;
  name: string;
  labels: Record<string, string>;
  version?: string;
}

export interface ClaimRequest {
  runner: RunnerIdentity;
  /**
   * Made by the agent for each claim and sent again, unchanged, when it retries after
   * a lost answer: the server then hands back the same assignment instead of a second one.
   */
  claim: string;
  /** How long the server may hold the request open waiting for work (capped at 30 s). */
  waitMs?: number;
}

export interface Assignment {
  id: string;
  runId: string;
  stepId: string;
  attempt: number;
  title: string;
  kind: RunnableKind;
  /**
   * The command as the runbook has it, placeholders rewritten to quoted variable
   * references. Values reach it only through `env`, never spliced into this text.
   */
  command: string;
  /** Parameters, alert labels and run context as environment variables. */
  env: Record<string, string>;
  /** Stop the process group after this long (SIGTERM, then SIGKILL after a grace period). */
  timeoutMs: number;
  /** Names of environment variables (in the agent's own environment) whose values must be masked in output. */
  secretEnv: string[];
  /** Values to mask that the server knows of (configured secrets that appear in `env`). */
  secretValues: string[];
  /** The lease lapses this long after the last heartbeat, output or claim. */
  leaseMs: number;
  /** Send a heartbeat at least this often while the step runs. */
  heartbeatMs: number;
}

export interface OutputChunk {
  /** 1, 2, 3 … per assignment, with no gaps; a chunk already stored is ignored. */
  seq: number;
  stream: 'stdout' | 'stderr';
  text: string;
}

export interface OutputReport {
  chunks: OutputChunk[];
}

export interface FinishReport {
  /** Null when the process was killed by a signal or never started. */
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  /** Stopped because the server asked (a person cancelled the step). */
  cancelled: boolean;
  /** Why the process could not start or the step could not be carried out, if so. */
  error: string | null;
  /** The seq of the last chunk sent; the server waits for nothing beyond it. */
  lastSeq: number;
  durationMs: number;
}

export interface AbandonReport {
  /** E.g. "runner restarted while the step ran; its processes were stopped". */
  reason: string;
}

export interface ControlReply {
  /** True once a person cancelled the step: stop the process group. */
  cancel: boolean;
  leaseUntil: number;
}

export const MAX_CLAIM_WAIT_MS = 30_000;
export const MAX_OUTPUT_CHUNK_CHARS = 64 * 1024;
export const MAX_OUTPUT_CHUNKS_PER_REPORT = 100;
