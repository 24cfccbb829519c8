import type { AbandonReport, Assignment, ClaimRequest, ControlReply, FinishReport, OutputReport } from '../runbooks/protocol.ts';

/**
 * How an agent talks to the server. The agent outside the server uses HTTP
 * (http-transport.ts); the runner embedded in the server calls the runs service in process.
 * Every call may be repeated with the same arguments after a failure: the server treats
 * repeats as one call.
 */
export interface RunnerTransport {
  /** Waits up to `request.waitMs` for a step; null when none came. */
  claim(request: ClaimRequest, signal: AbortSignal): Promise<Assignment | null>;
  output(assignmentId: string, report: OutputReport): Promise<ControlReply>;
  heartbeat(assignmentId: string): Promise<ControlReply>;
  finish(assignmentId: string, report: FinishReport): Promise<ControlReply>;
  abandon(assignmentId: string, report: AbandonReport): Promise<ControlReply>;
}

/** Thrown by a transport when the server answers 409 assignment_gone (or 404 for the assignment). */
export class AssignmentGoneError extends Error {
  constructor(message = 'the server no longer holds this assignment for this runner') {
    super(message);
    this.name = 'AssignmentGoneError';
  }
}

/**
 * The server refused the runner itself (HTTP 401/403: a wrong, revoked or under-privileged
 * token). Retrying cannot help, so the agent stops.
 */
export class RunnerRejectedError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.name = 'RunnerRejectedError';
    this.status = status;
  }
}

/** Anything else that went wrong on the way (no answer, 5xx, 429, timeout): worth retrying. */
export class TransportError extends Error {
  readonly status: number | null;
  readonly code: string | null;

  constructor(message: string, status: number | null = null, code: string | null = null) {
    super(message);
    this.name = 'TransportError';
    this.status = status;
    this.code = code;
  }
}

/** Errors after which the same call will never succeed. */
export const isFinalError = (error: unknown): boolean => error instanceof AssignmentGoneError || error instanceof RunnerRejectedError;
