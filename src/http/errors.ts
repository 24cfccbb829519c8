import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isDomainError, type ErrorCode } from '../core/errors.ts';

/** The one place domain error codes become HTTP statuses. */
const STATUS: Record<ErrorCode, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  invalid_transition: 409,
  decision_required: 409,
  assignment_gone: 409,
  config_invalid: 400,
  unavailable: 503,
  rate_limited: 429,
};

export interface ErrorBody {
  error: { code: string; message: string; details: unknown };
}

export const errorBody = (code: string, message: string, details: unknown = null): ErrorBody => ({
  error: { code, message, details },
});

/** Fastify's own errors that are the caller's fault, with the code we answer. */
const FASTIFY_ERRORS: Record<string, { status: number; code: string; message?: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'body_too_large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'unsupported_media_type', message: 'Send JSON with Content-Type: application/json' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'invalid_content_length' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'invalid', message: 'The body is empty; send a JSON object' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'invalid_json' },
  FST_ERR_CTP_INVALID_CONTENT_TYPE: { status: 415, code: 'unsupported_media_type', message: 'Send JSON with Content-Type: application/json' },
  FST_ERR_BAD_URL: { status: 400, code: 'bad_url' },
};

interface ValidationIssue {
  instancePath?: string;
  message?: string;
  params?: Record<string, unknown>;
}

function validationDetails(error: FastifyError): Array<{ field: string; message: string }> {
  const issues = (error.validation ?? []) as ValidationIssue[];
  return issues.map((issue) => {
    const base = (issue.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
    const extra = issue.params?.additionalProperty;
    const missing = issue.params?.missingProperty;
    const field = [base, typeof extra === 'string' ? extra : typeof missing === 'string' ? missing : '']
      .filter(Boolean)
      .join('.');
    const allowed = issue.params?.allowedValues;
    const message =
      typeof extra === 'string'
        ? 'is not a known field'
        : Array.isArray(allowed)
          ? `must be one of: ${allowed.join(', ')}`
          : (issue.message ?? 'is invalid');
    return { field: field || error.validationContext || 'body', message };
  });
}

export function sendError(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (isDomainError(error)) {
    const retryAfter = (error.details as { retryAfterSeconds?: unknown } | null)?.retryAfterSeconds;
    if (error.code === 'rate_limited' && typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter));
    return reply.status(STATUS[error.code]).send(errorBody(error.code, error.message, error.details));
  }
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) {
    const details = validationDetails(fastifyError);
    const where = fastifyError.validationContext ?? 'request';
    const summary = details.map((d) => `${d.field} ${d.message}`).join('; ');
    return reply.status(400).send(errorBody('invalid', `Invalid ${where}: ${summary}`, details));
  }
  const known = fastifyError.code ? FASTIFY_ERRORS[fastifyError.code] : undefined;
  if (known) return reply.status(known.status).send(errorBody(known.code, known.message ?? fastifyError.message));
  if (fastifyError.statusCode && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return reply.status(fastifyError.statusCode).send(errorBody('bad_request', fastifyError.message));
  }
  request.log.error({ err: error }, 'unhandled error');
  return reply.status(500).send(errorBody('internal', 'Something went wrong on the server; the request id is in the logs', {
    requestId: request.id,
  }));
}
