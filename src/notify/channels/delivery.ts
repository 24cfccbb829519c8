import { isDomainError } from '../../core/errors.ts';

/** Environment variables as the process has them; channels read secrets from here by name. */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * What one attempt achieved. The outbox decides what to do with a failure:
 * retry after `retryAfterMs` (when the peer said so) or its own backoff when
 * `retryable`, give up when not.
 */
export type DeliveryResult =
  | { ok: true; status?: number; remoteId?: string }
  | { ok: false; retryable: boolean; retryAfterMs: number | null; status: number | null; error: string };

export interface DeliveryDeps {
  /** Defaults to the global fetch (undici). */
  fetch?: typeof fetch;
  /** Milliseconds since the epoch; signs webhooks and dates messages. */
  now(): number;
  /** Per attempt, connect to last byte; defaults to 10 s. */
  timeoutMs?: number;
  /** Where `*Env` settings are looked up; defaults to process.env. */
  env?: Env;
  /**
   * The remoteId that the first delivery of this message's thread returned
   * (Slack ts, email Message-ID), stored by the caller under `message.thread.key`.
   */
  threadTs?: string | null;
}

/** Everything a renderer may depend on besides the message and the channel: rendering stays pure. */
export interface RenderContext {
  now: number;
  env: Env;
  threadTs?: string | null;
}

export interface HttpRequest {
  method: 'POST';
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface HttpAnswer {
  status: number;
  headers: Headers;
  body: string;
}

export const DEFAULT_TIMEOUT_MS = 10_000;
/** Answers are read only to classify them; a peer that streams megabytes gets cut off. */
const MAX_ANSWER_CHARS = 64 * 1024;

export function renderContext(deps: DeliveryDeps): RenderContext {
  return { now: deps.now(), env: deps.env ?? process.env, threadTs: deps.threadTs ?? null };
}

/** A render that fails can only fail on configuration, which no retry will fix. */
export function renderFailure(error: unknown): DeliveryResult {
  const message = isDomainError(error) || error instanceof Error ? error.message : String(error);
  return { ok: false, retryable: false, retryAfterMs: null, status: null, error: message };
}

/**
 * Sends one request. Network failures and timeouts come back as a retryable
 * failure; any HTTP answer comes back for the channel to classify.
 */
export async function send(request: HttpRequest, deps: DeliveryDeps): Promise<HttpAnswer | DeliveryResult> {
  const doFetch = deps.fetch ?? fetch;
  const timeoutMs = deps.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  try {
    const response = await doFetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      redirect: 'manual',
      // One signal for connect, headers and body: a peer that answers headers and then stalls still times out.
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = await response.text();
    return { status: response.status, headers: response.headers, body: body.slice(0, MAX_ANSWER_CHARS) };
  } catch (error) {
    return { ok: false, retryable: true, retryAfterMs: null, status: null, error: networkError(error, timeoutMs) };
  }
}

export function isAnswer(outcome: HttpAnswer | DeliveryResult): outcome is HttpAnswer {
  return 'status' in outcome && 'headers' in outcome && 'body' in outcome;
}

function networkError(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return `no answer within ${timeoutMs} ms`;
  }
  // undici says "fetch failed" and keeps the reason in `cause`; the URL (which may hold a token) is never quoted.
  const cause = error instanceof Error ? (error.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  const code = typeof cause?.code === 'string' ? cause.code : null;
  const detail = typeof cause?.message === 'string' ? cause.message : error instanceof Error ? error.message : String(error);
  return `request failed: ${code === null ? detail : `${code} ${detail}`}`;
}

/**
 * Retry-After as milliseconds from `now`: delay-seconds or an HTTP-date
 * (RFC 9110 §10.2.3). Null when absent or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | null {
  if (value === null || value === undefined) return null;
  const text = value.trim();
  if (text === '') return null;
  if (/^\d+(?:\.\d+)?$/.test(text)) return Math.ceil(Number(text) * 1000);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now);
}

/** 408, 429 and 5xx are worth another try; any other 4xx is our mistake or the peer's refusal. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** The usual reading of an HTTP answer; channels with their own error bodies refine it. */
export function classifyAnswer(answer: HttpAnswer, now: number, peer: string, remoteId?: string): DeliveryResult {
  if (answer.status >= 200 && answer.status < 300) {
    return remoteId === undefined ? { ok: true, status: answer.status } : { ok: true, status: answer.status, remoteId };
  }
  const retryable = isRetryableStatus(answer.status);
  return {
    ok: false,
    retryable,
    retryAfterMs: retryable ? parseRetryAfter(answer.headers.get('retry-after'), now) : null,
    status: answer.status,
    error: `${peer} answered ${answer.status}${describeBody(answer.body)}`,
  };
}

/** A short, single-line quote of an error body, for the delivery log. */
export function describeBody(body: string): string {
  const line = body.replace(/\s+/g, ' ').trim();
  if (line === '') return '';
  return `: ${line.length > 200 ? `${line.slice(0, 200)}…` : line}`;
}

export function jsonRequest(url: string, payload: unknown, headers: Record<string, string> = {}): HttpRequest {
  return {
    method: 'POST',
    url,
    // Lower-case names, so that a configured header replaces ours instead of being sent beside it.
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'user-agent': 'Firebreak',
      ...Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value])),
    },
    body: JSON.stringify(payload),
  };
}
