import { DomainError, type ErrorCode } from '../core/errors.ts';
import { ApiError, ConnectionError, isRecord } from './client.ts';
import { printLine, type Io } from './io.ts';

/** Exit codes are part of the contract: scripts branch on them. Listed in `firebreak --help`. */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  notFound: 3,
  conflict: 4,
  auth: 5,
  invalid: 6,
  config: 78,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const EXIT_CODE_HELP = [
  ['0', 'success'],
  ['1', 'server error, or the server cannot be reached'],
  ['2', 'usage error: unknown command or option, missing argument'],
  ['3', 'not found (HTTP 404)'],
  ['4', 'conflict or invalid state transition (HTTP 409)'],
  ['5', 'not authenticated or not allowed (HTTP 401/403)'],
  ['6', 'invalid input (HTTP 400/413/415/422)'],
  ['78', 'configuration error'],
] as const;

/** A failure the CLI itself detected, with the exit code it deserves and hints for the user. */
export class CliError extends Error {
  readonly exitCode: ExitCode;
  readonly hints: readonly string[];
  readonly details: unknown;

  constructor(message: string, exitCode: ExitCode, options: { hints?: readonly string[]; details?: unknown } = {}) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
    this.hints = options.hints ?? [];
    this.details = options.details ?? null;
  }
}

/** Wrong command line: the message plus the usage of the command that was meant. */
export class UsageError extends CliError {
  readonly usage: string;

  constructor(message: string, usage: string) {
    super(message, EXIT.usage);
    this.name = 'UsageError';
    this.usage = usage;
  }
}

const EXIT_BY_DOMAIN_CODE: Record<ErrorCode, ExitCode> = {
  invalid: EXIT.invalid,
  not_found: EXIT.notFound,
  conflict: EXIT.conflict,
  invalid_transition: EXIT.conflict,
  decision_required: EXIT.conflict,
  assignment_gone: EXIT.conflict,
  unauthenticated: EXIT.auth,
  forbidden: EXIT.auth,
  config_invalid: EXIT.config,
  unavailable: EXIT.failure,
  rate_limited: EXIT.failure,
};

export function exitCodeForStatus(status: number): ExitCode {
  if (status === 404) return EXIT.notFound;
  if (status === 409) return EXIT.conflict;
  if (status === 401 || status === 403) return EXIT.auth;
  if (status === 400 || status === 413 || status === 415 || status === 422) return EXIT.invalid;
  return EXIT.failure;
}

export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof CliError) return error.exitCode;
  // A config the server refuses to reload is a configuration error wherever it is found.
  if (error instanceof ApiError) return error.code === 'config_invalid' ? EXIT.config : exitCodeForStatus(error.status);
  if (error instanceof DomainError) return EXIT_BY_DOMAIN_CODE[error.code] ?? EXIT.failure;
  return EXIT.failure;
}

function hintsFor(error: unknown): readonly string[] {
  if (error instanceof CliError) return error.hints;
  if (error instanceof ConnectionError) {
    return [`is Firebreak running at ${error.serverUrl}? Point the CLI at a server with --server URL or FIREBREAK_URL.`];
  }
  if (error instanceof ApiError && error.status === 401) {
    return ['pass an API token with --token TOKEN or FIREBREAK_TOKEN (an admin can make one with `firebreak token create`).'];
  }
  if (error instanceof ApiError && error.status === 403) {
    return ["this token's role may not do that; use a token with a stronger role (--token TOKEN or FIREBREAK_TOKEN)."];
  }
  return [];
}

function detailsOf(error: unknown): unknown {
  if (error instanceof ApiError || error instanceof CliError || error instanceof DomainError) return error.details;
  return null;
}

/** Prints `error: …`, the details, hints and (for usage errors) the usage; returns the exit code. */
export function reportError(error: unknown, io: Io): ExitCode {
  const message = error instanceof Error ? error.message : String(error);
  printLine(io.stderr, `error: ${message}`);
  for (const line of formatDetails(detailsOf(error))) printLine(io.stderr, line);
  if (error instanceof ApiError && exitCodeFor(error) === EXIT.failure) printLine(io.stderr, `  request: ${error.request}`);
  for (const hint of hintsFor(error)) printLine(io.stderr, `hint: ${hint}`);
  if (error instanceof UsageError) printLine(io.stderr, `\n${error.usage}`);
  // A bug rather than a failure the user can act on: the stack helps the report.
  if (error instanceof Error && isUnexpected(error) && error.stack) printLine(io.stderr, error.stack);
  return exitCodeFor(error);
}

function isUnexpected(error: Error): boolean {
  return !(error instanceof CliError || error instanceof ApiError || error instanceof ConnectionError || error instanceof DomainError);
}

/**
 * Server error details are free-form; show them readably: a list of config-style
 * problems (`{path, message, fix}`), or an object's fields one per line.
 */
export function formatDetails(details: unknown): string[] {
  if (details === null || details === undefined) return [];
  if (Array.isArray(details)) return details.flatMap(formatProblem);
  if (isRecord(details)) {
    return Object.entries(details)
      .filter(([, value]) => value !== undefined && value !== null)
      .flatMap(([key, value]) =>
        Array.isArray(value) && value.some(isRecord) ? [`  ${key}:`, ...value.flatMap(formatProblem)] : [`  ${key}: ${formatValue(value)}`],
      );
  }
  return [`  ${formatValue(details)}`];
}

function formatProblem(problem: unknown): string[] {
  if (!isRecord(problem)) return [`  - ${formatValue(problem)}`];
  // Config problems name a `path`; request validation problems name a `field`.
  const location = typeof problem.path === 'string' ? problem.path : problem.field;
  const where = typeof location === 'string' && location !== '' ? `${location}: ` : '';
  const message = typeof problem.message === 'string' ? problem.message : JSON.stringify(problem);
  const lines = [`  - ${where}${message}`];
  if (typeof problem.fix === 'string' && problem.fix !== '') lines.push(`    fix: ${problem.fix}`);
  return lines;
}

function formatValue(value: unknown): string {
  if (Array.isArray(value)) return value.length === 0 ? '(none)' : value.map(formatValue).join(', ');
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}
