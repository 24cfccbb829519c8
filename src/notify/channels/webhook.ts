import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import type { ConfigProblem } from '../../config/index.ts';
import {
  classifyAnswer,
  isAnswer,
  jsonRequest,
  renderContext,
  renderFailure,
  send,
  type DeliveryDeps,
  type DeliveryResult,
  type Env,
  type HttpRequest,
  type RenderContext,
} from './delivery.ts';
import { wellFormed, type NotificationMessage } from './message.ts';
import { ChannelId, EnvName, httpUrlCheck, resolveSecret, secretProblems, type SecretSetting } from './secrets.ts';

/**
 * A generic HTTP endpoint that receives Firebreak's messages as JSON, signed the
 * Standard Webhooks way (https://www.standardwebhooks.com): `webhook-id`,
 * `webhook-timestamp` and `webhook-signature: v1,<base64 HMAC-SHA256>`.
 */
export const WebhookChannel = Type.Object(
  {
    kind: Type.Literal('webhook'),
    id: ChannelId,
    name: Type.Optional(Type.String({ minLength: 1 })),
    url: Type.Optional(Type.String({ description: 'the endpoint URL' })),
    urlEnv: Type.Optional(EnvName),
    secret: Type.Optional(Type.String({ description: 'the signing secret, whsec_<base64> (prefer secretEnv)' })),
    secretEnv: Type.Optional(EnvName),
    headers: Type.Optional(
      Type.Record(Type.String({ pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$" }), Type.String({ pattern: '^[^\\r\\n]*$' }), {
        description: 'extra request headers (not secret: they are kept in the config file as written)',
      }),
    ),
  },
  { additionalProperties: false },
);
export type WebhookChannel = Static<typeof WebhookChannel>;

const MIN_SECRET_BYTES = 24;
const SECRET_FIX = 'generate one with: echo "whsec_$(openssl rand -base64 32)"';

/** The HMAC key: the base64 after `whsec_` (the prefix is optional), decoded. Null when unreadable. */
export function secretBytes(secret: string): Buffer | null {
  const encoded = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 === 1) return null;
  const bytes = Buffer.from(encoded, 'base64');
  return bytes.length === 0 ? null : bytes;
}

function urlSetting(channel: WebhookChannel): SecretSetting {
  return { field: 'url', literal: channel.url, envName: channel.urlEnv, what: 'the webhook URL', check: httpUrlCheck('the webhook URL') };
}

function secretSetting(channel: WebhookChannel): SecretSetting {
  return {
    field: 'secret',
    literal: channel.secret,
    envName: channel.secretEnv,
    what: 'the signing secret',
    // Unsigned webhooks are allowed: some receivers sit on a private network and check nothing.
    optional: true,
    check: (value) => {
      const bytes = secretBytes(value);
      if (bytes === null) return { message: 'the signing secret is not whsec_ followed by base64', fix: SECRET_FIX };
      if (bytes.length < MIN_SECRET_BYTES) {
        return { message: `the signing secret is ${bytes.length} bytes; Standard Webhooks asks for at least ${MIN_SECRET_BYTES}`, fix: SECRET_FIX };
      }
      return null;
    },
  };
}

export function webhookProblems(channel: WebhookChannel, env: Env): ConfigProblem[] {
  const problems = [...secretProblems(urlSetting(channel), env), ...secretProblems(secretSetting(channel), env)];
  for (const name of Object.keys(channel.headers ?? {})) {
    if (/^(?:webhook-(?:id|timestamp|signature)|content-type|content-length|host)$/i.test(name)) {
      problems.push({ path: `headers.${name}`, message: `header ${name} is set by Firebreak`, fix: `remove headers.${name}` });
    }
  }
  return problems;
}

/**
 * The body receivers get: the Standard Webhooks payload shape (`type`,
 * `timestamp`, `data`), where data is the message itself, unescaped: it is data,
 * not markup, and the receiver decides how to show it.
 */
export function renderPayload(message: NotificationMessage, now: number): unknown {
  return {
    type: message.kind,
    timestamp: new Date(now).toISOString(),
    data: {
      idempotencyKey: message.idempotencyKey,
      kind: message.kind,
      headline: wellFormed(message.headline),
      text: wellFormed(message.text),
      incident: message.incident ?? null,
      fields: message.fields ?? [],
      actions: message.actions ?? [],
      recipient: message.recipient ?? null,
      thread: message.thread ?? null,
    },
  };
}

/**
 * The webhook-id: the idempotency key, so that retries carry the same id and
 * receivers can drop duplicates; hashed when it is not a plain header token.
 */
export function webhookId(idempotencyKey: string): string {
  if (/^[A-Za-z0-9_.:~+=-]{1,200}$/.test(idempotencyKey)) return idempotencyKey;
  return `msg_${createHash('sha256').update(idempotencyKey).digest('base64url')}`;
}

/** `v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>`. */
export function signStandardWebhook(key: Buffer, id: string, timestamp: number, body: string | Uint8Array): string {
  return `v1,${hmac(key, id, String(timestamp), body).toString('base64')}`;
}

function hmac(key: Buffer, id: string, timestamp: string, body: string | Uint8Array): Buffer {
  return createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest();
}

export function render(message: NotificationMessage, channel: WebhookChannel, context: RenderContext): HttpRequest {
  const url = resolveSecret(urlSetting(channel), context.env)!;
  const secret = resolveSecret(secretSetting(channel), context.env);
  const id = webhookId(message.idempotencyKey);
  const timestamp = Math.floor(context.now / 1000);
  const request = jsonRequest(url, renderPayload(message, context.now), { ...(channel.headers ?? {}) });
  request.headers['webhook-id'] = id;
  request.headers['webhook-timestamp'] = String(timestamp);
  if (secret !== undefined) request.headers['webhook-signature'] = signStandardWebhook(secretBytes(secret)!, id, timestamp, request.body);
  return request;
}

export async function deliver(message: NotificationMessage, channel: WebhookChannel, deps: DeliveryDeps): Promise<DeliveryResult> {
  let request: HttpRequest;
  try {
    request = render(message, channel, renderContext(deps));
  } catch (error) {
    return renderFailure(error);
  }
  const answer = await send(request, deps);
  if (!isAnswer(answer)) return answer;
  return classifyAnswer(answer, deps.now(), 'Webhook endpoint');
}

export type WebhookHeaders = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) continue;
    return typeof value === 'string' ? value : value?.[0];
  }
  return undefined;
}

/**
 * Checks a Standard Webhooks request: the timestamp within `toleranceSec` of
 * `now` (milliseconds since the epoch) either way, and at least one `v1,`
 * signature of the space-separated list matching the raw body, compared in
 * constant time. `body` must be the bytes as received, before any JSON parsing.
 */
export function verifyStandardWebhook(
  secret: string,
  headers: WebhookHeaders,
  body: string | Uint8Array,
  now: number,
  toleranceSec = 300,
): boolean {
  const key = secretBytes(secret);
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (key === null || id === undefined || timestamp === undefined || signatures === undefined) return false;
  if (!/^\d{1,15}$/.test(timestamp)) return false;
  if (Math.abs(now / 1000 - Number(timestamp)) > toleranceSec) return false;
  const expected = hmac(key, id, timestamp, body);
  for (const entry of signatures.split(' ')) {
    const [version, encoded] = entry.split(',', 2);
    if (version !== 'v1' || encoded === undefined) continue;
    const given = Buffer.from(encoded, 'base64');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return true;
  }
  return false;
}
