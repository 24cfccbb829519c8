import { isUtf8 } from 'node:buffer';
import secureJson from 'secure-json-parse';
import { invalid } from '../core/errors.ts';

/**
 * Request bodies are parsed here rather than by Fastify's default parser, so
 * that text which the database could not store verbatim is refused up front
 * with a 400: bytes that are not UTF-8, NUL characters (PostgreSQL text cannot
 * hold them) and lone surrogates. `__proto__` and `constructor.prototype` keys
 * are refused too, so no body can reach an object's prototype.
 */
/** Carries Fastify's own code for a malformed body, so errors.ts maps both alike. */
export class JsonSyntaxError extends Error {
  readonly code = 'FST_ERR_CTP_INVALID_JSON_BODY';
  readonly statusCode = 400;
}

export function parseJsonBody(body: Buffer): unknown {
  if (!isUtf8(body)) throw invalid('The body is not valid UTF-8', { code: 'invalid_utf8' });
  const text = body.toString('utf8');
  const plain = !MAY_NEED_CHECKS.test(text);
  let parsed: unknown;
  try {
    parsed = plain ? JSON.parse(text) : secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch (error) {
    throw new JsonSyntaxError(`The body is not valid JSON: ${(error as Error).message}`);
  }
  const problem = !plain && MAY_HOLD_UNSTORABLE.test(text) ? findUnstorableText(parsed, '') : null;
  if (problem) throw invalid(`${problem.path || 'body'} contains ${problem.what}, which cannot be stored`, { field: problem.path || 'body' });
  return parsed;
}

/**
 * Without \u escapes a key can only name the prototype as a literal
 * `"__proto__"` or `"constructor"`, and text can hold no NUL or lone surrogate
 * (below); a byte-order mark needs secure-json-parse's handling too. A body
 * with none of these needs only JSON.parse: one scan of the text instead of
 * secure-json-parse's two and the one below, which over webhook-sized bodies
 * cost nearly half as much as parsing them.
 */
const MAY_NEED_CHECKS = /\\u|"(?:__proto__|constructor)"|^\uFEFF/;

/**
 * In valid UTF-8 JSON a NUL or a lone surrogate can only be written as a
 * \u escape (raw control characters are not valid JSON, and UTF-8 has no
 * surrogates), so a body without such an escape need not be walked.
 */
const MAY_HOLD_UNSTORABLE = /\\u(?:0000|[dD][89a-fA-F])/;

/** Walks the parsed value without recursion: a body may nest thousands of levels deep. */
export function findUnstorableText(root: unknown, rootPath: string): { path: string; what: string } | null {
  const stack: Array<{ value: unknown; path: string }> = [{ value: root, path: rootPath }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return { path, what: 'a NUL character' };
      if (!value.isWellFormed()) return { path, what: 'a lone UTF-16 surrogate' };
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], path: `${path}[${i}]` });
    } else if (value !== null && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) {
        const keyPath = path ? `${path}.${key}` : key;
        stack.push({ value: inner, path: keyPath }, { value: key, path: keyPath });
      }
    }
  }
  return null;
}
