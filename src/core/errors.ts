/**
 * Domain errors carry a stable code. Transports map codes to their own status
 * (HTTP in http/errors.ts, exit codes in cli/) in exactly one place each.
 */
export type ErrorCode =
  | 'invalid'
  | 'not_found'
  | 'conflict'
  | 'invalid_transition'
  | 'decision_required'
  | 'assignment_gone'
  | 'unauthenticated'
  | 'forbidden'
  | 'config_invalid'
  | 'unavailable'
  | 'rate_limited';

export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'DomainError';
    this.code = code;
    this.details = details ?? null;
  }
}

export const invalid = (message: string, details?: unknown) => new DomainError('invalid', message, details);
export const notFound = (what: string, id: string) =>
  new DomainError('not_found', `${what} ${id} does not exist`, { id });
export const conflict = (message: string, details?: unknown) => new DomainError('conflict', message, details);
export const forbidden = (message: string, details?: unknown) => new DomainError('forbidden', message, details);
export const unauthenticated = (message: string) => new DomainError('unauthenticated', message);
/** Too many attempts; `retryAfterSeconds` says when to try again. */
export const rateLimited = (message: string, retryAfterSeconds: number) => new DomainError('rate_limited', message, { retryAfterSeconds });

export function isDomainError(error: unknown): error is DomainError {
  return error instanceof DomainError;
}
