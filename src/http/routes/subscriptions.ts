import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { systemActor } from '../../core/actor.ts';
import { withActor, type Services } from '../../core/context.ts';
import { isDomainError, type DomainError } from '../../core/errors.ts';
import { StringEnum } from '../../core/schema.ts';
import {
  CONFIRM_PATH,
  SubscribeInput,
  UNSUBSCRIBE_PATH,
  confirmSubscription,
  listSubscribers,
  removeSubscriber,
  renderNotice,
  subscribe,
  tokenIsLive,
  unsubscribe,
  type TokenKind,
} from '../../status/index.ts';
import type { SubscriberRecord } from '../../store/index.ts';
import { errorBody } from '../errors.ts';
import { IdParams, errorResponses } from '../schemas.ts';

const HOUR_MS = 3_600_000;
/** Per address and per client address, in this instance's memory: enough to stop one person mail-bombing another. */
const SUBSCRIBE_LIMIT = 5;
/** Keys remembered at most; beyond it the oldest go, so a flood of addresses cannot grow memory without bound. */
const MAX_KEYS = 10_000;
const NEUTRAL = 'If that address can receive mail, a message with a link to confirm is on its way. Nothing is sent until the link is used.';

const PAGE_HEADERS = {
  'cache-control': 'no-store',
  // These pages carry a token in their URL: it must not leave in a Referer.
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
};

const TokenQuery = Type.Object({ token: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false });
const SubscriberJson = Type.Object({
  id: Type.String(),
  email: Type.String(),
  state: StringEnum(['pending', 'confirmed', 'unsubscribed'] as const),
  createdAt: Type.String({ format: 'date-time' }),
  confirmedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  unsubscribedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
const SubscriberQuery = Type.Object({ state: Type.Optional(StringEnum(['pending', 'confirmed', 'unsubscribed'] as const)) }, { additionalProperties: false });

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const presentSubscriber = (s: SubscriberRecord): Static<typeof SubscriberJson> => ({
  id: s.id,
  email: s.email,
  state: s.state,
  createdAt: new Date(s.createdAt).toISOString(),
  confirmedAt: iso(s.confirmedAt),
  unsubscribedAt: iso(s.unsubscribedAt),
});

/** A sliding window of attempts per key. */
class AttemptLimiter {
  private readonly attempts = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Counts an attempt for every key; false when any of them is over the limit. */
  allow(keys: string[], now: number): boolean {
    let allowed = true;
    for (const key of keys) {
      const recent = (this.attempts.get(key) ?? []).filter((at) => at > now - this.windowMs);
      if (recent.length >= this.limit) allowed = false;
      else recent.push(now);
      this.attempts.delete(key);
      this.attempts.set(key, recent);
    }
    while (this.attempts.size > MAX_KEYS) this.attempts.delete(this.attempts.keys().next().value!);
    return allowed;
  }
}

/** Fields of a multipart/form-data body, enough for RFC 8058's `List-Unsubscribe=One-Click`. */
function multipartFields(body: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const match of body.matchAll(/name="([^"]{1,100})"[^\r\n]*\r?\n(?:[^\r\n]+\r?\n)*\r?\n([^\r\n]*)/g)) fields[match[1]!] = match[2]!;
  return fields;
}

const isForm = (request: FastifyRequest) => /^(application\/x-www-form-urlencoded|multipart\/form-data)/i.test(request.headers['content-type'] ?? '');

/**
 * Public subscription pages and the admin list. Browsers post forms and get
 * pages; API clients post JSON and get JSON. Links in mails only show a page
 * with a button, so that a mail scanner following them changes nothing;
 * RFC 8058 one-click clients POST to the unsubscribe link directly.
 */
export const subscriptionRoutes =
  (services: Services): FastifyPluginAsyncTypebox =>
  async (app) => {
    const publicCtx = () => withActor(services, systemActor('status page'));
    const limiter = new AttemptLimiter(SUBSCRIBE_LIMIT, HOUR_MS);
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 8192 }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });
    app.addContentTypeParser('multipart/form-data', { parseAs: 'string', bodyLimit: 8192 }, (_request, body, done) => done(null, multipartFields(body as string)));

    const base = () => services.config().publicUrl ?? '';
    const page = (reply: FastifyReply, status: number, title: string, message: string, form?: { action: string; button: string }) =>
      reply
        .status(status)
        .headers(PAGE_HEADERS)
        .type('text/html; charset=utf-8')
        .send(renderNotice({ pageName: services.config().file.organization?.name ?? 'Firebreak', home: `${base()}/status`, title, message, form }));
    const failure = (request: FastifyRequest, reply: FastifyReply, error: DomainError, title: string) => {
      const status = error.code === 'not_found' ? 404 : error.code === 'invalid' ? 400 : 409;
      if (isForm(request) || request.method === 'GET') return page(reply, status, title, error.message);
      return reply.status(status).send(errorBody(error.code, error.message, error.details));
    };
    const tags = ['status page'];

    app.post(
      '/status/subscribe',
      { config: { action: 'public' }, schema: { tags, summary: 'Subscribe an address to status page updates (double opt-in); form or JSON', security: [], body: SubscribeInput } },
      async (request, reply) => {
        const form = isForm(request);
        const address = request.body.email.trim().toLowerCase();
        if (!limiter.allow([`ip:${request.ip}`, `email:${address}`], services.clock.now())) {
          reply.header('retry-after', String(HOUR_MS / 1000));
          const message = 'Too many subscription requests; try again in an hour';
          return form ? page(reply, 429, 'Please wait', message) : reply.status(429).send(errorBody('rate_limited', message));
        }
        try {
          await subscribe(publicCtx(), request.body);
        } catch (error) {
          if (isDomainError(error)) return failure(request, reply, error, 'Could not subscribe');
          throw error;
        }
        return form ? page(reply, 200, 'Check your mail', NEUTRAL) : reply.status(202).send({ message: NEUTRAL });
      },
    );

    const tokenPage = (kind: TokenKind, path: string, words: { title: string; message: string; button: string }) =>
      app.get(
        path,
        { config: { action: 'public' }, schema: { tags, summary: `A page with a button to ${words.button.toLowerCase()} (following the link alone changes nothing)`, security: [], querystring: TokenQuery } },
        async (request, reply) => {
          if (!(await tokenIsLive(publicCtx(), kind, request.query.token))) {
            return page(reply, 404, 'Link not valid', 'This link is not valid: it may have been used already, or replaced by a newer one.');
          }
          return page(reply, 200, words.title, words.message, { action: `${base()}${path}?token=${encodeURIComponent(request.query.token)}`, button: words.button });
        },
      );
    tokenPage('confirm', CONFIRM_PATH, { title: 'Confirm your subscription', message: 'Press the button to start getting status updates by email.', button: 'Confirm subscription' });
    tokenPage('unsubscribe', UNSUBSCRIBE_PATH, { title: 'Unsubscribe', message: 'Press the button to stop getting status updates by email.', button: 'Unsubscribe' });

    app.post(
      CONFIRM_PATH,
      { config: { action: 'public' }, schema: { tags, summary: 'Confirm a subscription (the button of the confirmation page)', security: [], querystring: TokenQuery } },
      async (request, reply) => {
        try {
          await confirmSubscription(publicCtx(), request.query.token);
        } catch (error) {
          if (isDomainError(error)) return failure(request, reply, error, 'Link not valid');
          throw error;
        }
        return isForm(request) ? page(reply, 200, 'Subscribed', 'You will get an email when the status page has news. Every mail has a link to unsubscribe.') : { state: 'confirmed' };
      },
    );
    app.post(
      UNSUBSCRIBE_PATH,
      {
        config: { action: 'public' },
        schema: { tags, summary: 'Unsubscribe: the button of the unsubscribe page, or an RFC 8058 one-click POST (List-Unsubscribe=One-Click)', security: [], querystring: TokenQuery },
      },
      async (request, reply) => {
        try {
          await unsubscribe(publicCtx(), request.query.token);
        } catch (error) {
          if (isDomainError(error)) return failure(request, reply, error, 'Link not valid');
          throw error;
        }
        return isForm(request) ? page(reply, 200, 'Unsubscribed', 'You will get no more status updates by email.') : { state: 'unsubscribed' };
      },
    );

    const manage = { action: 'status.manage' as const };
    app.get(
      '/api/v1/status/subscribers',
      { config: manage, schema: { tags, summary: 'Email subscribers of the status page', querystring: SubscriberQuery, response: { 200: Type.Object({ items: Type.Array(SubscriberJson) }), ...errorResponses() } } },
      async (request) => ({ items: (await listSubscribers(withActor(services, request.actor), { state: request.query.state })).map(presentSubscriber) }),
    );
    app.delete(
      '/api/v1/status/subscribers/:id',
      { config: manage, schema: { tags, summary: 'Forget a subscriber and their address', params: IdParams, response: { 204: Type.Null(), ...errorResponses(404) } } },
      async (request, reply) => {
        await removeSubscriber(withActor(services, request.actor), request.params.id);
        return reply.status(204).send(null);
      },
    );
  };
