import { createHmac, timingSafeEqual } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { authenticate, can } from '../../auth/index.ts';
import type { Actor } from '../../core/actor.ts';
import { actorLabel } from '../../core/actor.ts';
import { withActor, type Services } from '../../core/context.ts';
import { parseTimeField } from '../time.ts';
import { DomainError, forbidden, invalid, isDomainError, notFound, unauthenticated } from '../../core/errors.ts';
import { acknowledgeIncident } from '../../incidents/index.ts';
import { escalateNow, reassign, renderICalendar, renderedShifts, scheduleOf, whoIsOnCall, type PagingRuntime } from '../../paging/index.ts';
import type { OutboxRecord } from '../../store/index.ts';
import { errorBody } from '../errors.ts';
import { IdParams, errorResponses } from '../schemas.ts';

const Time = Type.String({ format: 'date-time' });
const ScheduleParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 63 }) }, { additionalProperties: false });
const OverrideParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 63 }), overrideId: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });
const OnCallJson = Type.Object({
  scheduleId: Type.String(),
  at: Time,
  userId: Type.Union([Type.String(), Type.Null()]),
  source: Type.Unknown({ description: '{kind: "layer", layerId} or {kind: "override", overrideId}' }),
});
const ShiftJson = Type.Object({ userId: Type.Union([Type.String(), Type.Null()]), start: Time, end: Time, source: Type.Unknown() });
const OverrideJson = Type.Object({
  id: Type.String(),
  scheduleId: Type.String(),
  userId: Type.String(),
  replaces: Type.Union([Type.String(), Type.Null()]),
  start: Time,
  end: Time,
  createdBy: Type.String(),
  createdAt: Time,
});
const OutboxJson = Type.Object({
  id: Type.String(),
  idempotencyKey: Type.String(),
  channelId: Type.String(),
  incidentId: Type.Union([Type.String(), Type.Null()]),
  kind: Type.String(),
  headline: Type.String(),
  recipient: Type.Union([Type.String(), Type.Null()]),
  state: Type.String(),
  attempts: Type.Integer(),
  nextAttemptAt: Time,
  lastError: Type.Union([Type.String(), Type.Null()]),
  lastStatus: Type.Union([Type.Integer(), Type.Null()]),
  createdAt: Time,
  deliveredAt: Type.Union([Time, Type.Null()]),
});

const iso = (ms: number) => new Date(ms).toISOString();
/** Never the message body: channel, kind, headline and recipient are enough to decide on a replay. */
const presentOutbox = (record: OutboxRecord) => {
  const message = record.message as { kind?: string; headline?: string; recipient?: { userId?: string } };
  return {
    id: record.id,
    idempotencyKey: record.idempotencyKey,
    channelId: record.channelId,
    incidentId: record.incidentId,
    kind: String(message.kind ?? ''),
    headline: String(message.headline ?? ''),
    recipient: message.recipient?.userId ?? null,
    state: record.state,
    attempts: record.attempts,
    nextAttemptAt: iso(record.nextAttemptAt),
    lastError: record.lastError,
    lastStatus: record.lastStatus,
    createdAt: iso(record.createdAt),
    deliveredAt: record.deliveredAt === null ? null : iso(record.deliveredAt),
  };
};

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const page = (title: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex"><title>${escapeHtml(title)} · Firebreak</title><style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#111}button{font:inherit;padding:.75rem 1.5rem;border-radius:.5rem;border:0;background:#b91c1c;color:#fff;cursor:pointer}@media (prefers-color-scheme:dark){body{background:#111;color:#eee}}</style></head><body><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`;

export const pagingRoutes =
  (services: Services, runtime: PagingRuntime): FastifyPluginAsyncTypebox =>
  async (app) => {
    const ctx = (actor: Actor) => withActor(services, actor);
    const read = { action: 'incidents.read' as const };
    const write = { action: 'incidents.write' as const };

    app.get(
      '/api/v1/schedules',
      {
        config: read,
        schema: {
          tags: ['on call'],
          summary: 'Schedules with who is on call now',
          response: { 200: Type.Object({ items: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), timezone: Type.String(), onCall: Type.Union([Type.String(), Type.Null()]) })) }), ...errorResponses() },
        },
      },
      async () => {
        const now = services.clock.now();
        const items = [];
        for (const schedule of services.config().schedules) {
          const oncall = await whoIsOnCall(services, services.store.repos, schedule.id, now);
          items.push({ id: schedule.id, name: schedule.name, timezone: schedule.timezone, onCall: oncall.userId });
        }
        return { items };
      },
    );

    app.get(
      '/api/v1/schedules/:id/oncall',
      {
        config: read,
        schema: { tags: ['on call'], summary: 'Who is on call at a time (default now), and from which layer or override', params: ScheduleParams, querystring: Type.Object({ at: Type.Optional(Time) }, { additionalProperties: false }), response: { 200: OnCallJson, ...errorResponses(404) } },
      },
      async (request) => {
        const at = parseTimeField(request.query.at, 'at', services.clock.now());
        const oncall = await whoIsOnCall(services, services.store.repos, request.params.id, at);
        return { scheduleId: request.params.id, at: iso(at), userId: oncall.userId, source: oncall.source };
      },
    );

    app.get(
      '/api/v1/schedules/:id/shifts',
      {
        config: read,
        schema: {
          tags: ['on call'],
          summary: 'The final rendered shifts between two times (default: the next 14 days)',
          params: ScheduleParams,
          querystring: Type.Object({ from: Type.Optional(Time), to: Type.Optional(Time) }, { additionalProperties: false }),
          response: { 200: Type.Object({ items: Type.Array(ShiftJson) }), ...errorResponses(404) },
        },
      },
      async (request) => {
        const from = parseTimeField(request.query.from, 'from', services.clock.now());
        const to = parseTimeField(request.query.to, 'to', from + 14 * 86_400_000);
        if (to <= from) throw invalid('"to" must come after "from"', { field: 'to' });
        const shifts = await renderedShifts(ctx(request.actor), request.params.id, from, to);
        return { items: shifts.map((s) => ({ userId: s.userId, start: iso(s.start), end: iso(s.end), source: s.source })) };
      },
    );

    // Calendar apps cannot send headers: the feed also takes a viewer token as ?token=.
    app.get(
      '/api/v1/schedules/:id/calendar.ics',
      {
        config: { action: 'public' },
        schema: { tags: ['on call'], summary: 'iCalendar feed of the schedule (past 30 days, next 90); bearer token or ?token=', params: ScheduleParams, querystring: Type.Object({ token: Type.Optional(Type.String({ maxLength: 200 })) }, { additionalProperties: false }) },
      },
      async (request, reply) => {
        const header = request.headers.authorization;
        const secret = request.query.token ?? (typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header)?.[1] : undefined);
        const actor = secret ? await authenticate(services.store, services.clock, secret) : null;
        if (!actor) throw unauthenticated('Send a viewer API token as a bearer token or ?token=');
        if (!can(actor, 'incidents.read')) throw forbidden('This token may not read schedules');
        const config = services.config();
        const schedule = scheduleOf(config, request.params.id);
        const now = services.clock.now();
        const shifts = await renderedShifts(ctx(actor), schedule.id, now - 30 * 86_400_000, now + 90 * 86_400_000);
        const users = new Map(config.users.map((u) => [u.id, { name: u.name, email: u.email }]));
        return reply
          .header('content-type', 'text/calendar; charset=utf-8')
          .header('cache-control', 'private, max-age=300')
          .send(renderICalendar({ id: schedule.id, name: schedule.name }, shifts, users, now));
      },
    );

    app.post(
      '/api/v1/schedules/:id/overrides',
      {
        config: write,
        schema: {
          tags: ['on call'],
          summary: 'Someone covers the schedule (or one person on it) for a while',
          params: ScheduleParams,
          body: Type.Object({ user: Type.String({ minLength: 1, maxLength: 63 }), replaces: Type.Optional(Type.String({ minLength: 1, maxLength: 63 })), start: Time, end: Time }, { additionalProperties: false }),
          response: { 201: OverrideJson, ...errorResponses(404) },
        },
      },
      async (request, reply) => {
        const config = services.config();
        scheduleOf(config, request.params.id);
        const { user, replaces } = request.body;
        for (const [field, id] of [['user', user], ['replaces', replaces]] as const) {
          if (id !== undefined && !config.user(id)) throw invalid(`Unknown user "${id}"`, { field, allowed: config.users.map((u) => u.id) });
        }
        const start = parseTimeField(request.body.start, 'start', 0);
        const end = parseTimeField(request.body.end, 'end', 0);
        if (end <= start) throw invalid('The override must end after it starts', { field: 'end' });
        if (end - start > 366 * 86_400_000) throw invalid('An override lasts at most a year', { field: 'end' });
        const now = services.clock.now();
        const override = { id: services.newId(), scheduleId: request.params.id, userId: user, replaces: replaces ?? null, startsAt: start, endsAt: end, createdBy: actorLabel(request.actor), createdAt: now, deletedAt: null };
        await services.store.repos.paging.insertOverride(override);
        return reply.status(201).send({ id: override.id, scheduleId: override.scheduleId, userId: user, replaces: override.replaces, start: iso(start), end: iso(end), createdBy: override.createdBy, createdAt: iso(now) });
      },
    );

    app.get(
      '/api/v1/schedules/:id/overrides',
      {
        config: read,
        schema: { tags: ['on call'], summary: 'Overrides that have not ended', params: ScheduleParams, response: { 200: Type.Object({ items: Type.Array(OverrideJson) }), ...errorResponses(404) } },
      },
      async (request) => {
        scheduleOf(services.config(), request.params.id);
        const now = services.clock.now();
        const items = await services.store.repos.paging.overrides(request.params.id, now, now + 10 * 366 * 86_400_000);
        return { items: items.map((o) => ({ id: o.id, scheduleId: o.scheduleId, userId: o.userId, replaces: o.replaces, start: iso(o.startsAt), end: iso(o.endsAt), createdBy: o.createdBy, createdAt: iso(o.createdAt) })) };
      },
    );

    app.delete(
      '/api/v1/schedules/:id/overrides/:overrideId',
      { config: write, schema: { tags: ['on call'], summary: 'Remove an override', params: OverrideParams, response: { 204: Type.Null(), ...errorResponses(404) } } },
      async (request, reply) => {
        const override = await services.store.repos.paging.override(request.params.overrideId);
        if (!override || override.scheduleId !== request.params.id || override.deletedAt !== null) throw notFound('Override', request.params.overrideId);
        await services.store.repos.paging.deleteOverride(override.id, services.clock.now());
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/api/v1/escalation-policies',
      { config: read, schema: { tags: ['on call'], summary: 'Escalation policies from the configuration', response: { 200: Type.Object({ items: Type.Array(Type.Unknown()) }), ...errorResponses() } } },
      async () => ({ items: [...services.config().escalationPolicies] }),
    );

    app.post(
      '/api/v1/incidents/:id/escalate',
      {
        config: write,
        schema: { tags: ['incidents'], summary: 'Escalate to the next level now', params: IdParams, body: Type.Object({ reason: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false }), response: { 202: Type.Object({ status: Type.String() }), ...errorResponses(404, 409) } },
      },
      async (request, reply) => {
        await escalateNow(ctx(request.actor), runtime, request.params.id, request.body.reason);
        return reply.status(202).send({ status: 'escalated' });
      },
    );

    app.post(
      '/api/v1/incidents/:id/reassign',
      {
        config: write,
        schema: {
          tags: ['incidents'],
          summary: 'Page someone else instead (a user, or whoever is on call in a schedule)',
          params: IdParams,
          body: Type.Object({ user: Type.Optional(Type.String({ minLength: 1, maxLength: 63 })), schedule: Type.Optional(Type.String({ minLength: 1, maxLength: 63 })), reason: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false }),
          response: { 202: Type.Object({ status: Type.String() }), ...errorResponses(404, 409) },
        },
      },
      async (request, reply) => {
        await reassign(ctx(request.actor), runtime, request.params.id, request.body, request.body.reason);
        return reply.status(202).send({ status: 'reassigned' });
      },
    );

    app.get(
      '/api/v1/incidents/:id/pages',
      {
        config: read,
        schema: { tags: ['incidents'], summary: 'Who was paged for the incident', params: IdParams, response: { 200: Type.Object({ items: Type.Array(Type.Object({ id: Type.String(), userId: Type.String(), level: Type.Integer(), round: Type.Integer(), reason: Type.String(), state: Type.String(), createdAt: Time, stoppedAt: Type.Union([Time, Type.Null()]) })) }), ...errorResponses(404) } },
      },
      async (request) => {
        if (!(await services.store.repos.incidents.get(request.params.id))) throw notFound('Incident', request.params.id);
        const pages = await services.store.repos.paging.pagesOf(request.params.id);
        return { items: pages.map((p) => ({ id: p.id, userId: p.userId, level: p.level, round: p.round, reason: p.reason, state: p.state, createdAt: iso(p.createdAt), stoppedAt: p.stoppedAt === null ? null : iso(p.stoppedAt) })) };
      },
    );

    app.get(
      '/api/v1/outbox',
      {
        config: { action: 'config.manage' },
        schema: {
          tags: ['outbox'],
          summary: 'Outbound messages, newest first (state=dead for dead letters)',
          querystring: Type.Object(
            {
              state: Type.Optional(Type.Array(Type.Union(['pending', 'sending', 'delivered', 'dead', 'cancelled'].map((s) => Type.Literal(s))), { maxItems: 5 })),
              incident: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
              channel: Type.Optional(Type.String({ minLength: 1, maxLength: 63 })),
              limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
            },
            { additionalProperties: false },
          ),
          response: { 200: Type.Object({ items: Type.Array(OutboxJson) }), ...errorResponses() },
        },
      },
      async (request) => {
        const q = request.query;
        const items = await services.store.repos.outbox.list({ states: q.state, incidentId: q.incident, channelId: q.channel, limit: q.limit ?? 100 });
        return { items: items.map(presentOutbox) };
      },
    );

    app.post(
      '/api/v1/outbox/:id/replay',
      { config: { action: 'config.manage' }, schema: { tags: ['outbox'], summary: 'Send a dead letter again', params: IdParams, response: { 200: OutboxJson, ...errorResponses(404, 409) } } },
      async (request) => {
        const record = await services.store.repos.outbox.get(request.params.id);
        if (!record) throw notFound('Outbox message', request.params.id);
        if (!(await services.store.repos.outbox.replay(record.id, services.clock.now()))) {
          throw new DomainError('conflict', `Only dead letters are replayed; this message is ${record.state}`, { state: record.state });
        }
        request.log.info({ outbox: record.id, by: actorLabel(request.actor) }, 'dead letter replayed');
        return presentOutbox((await services.store.repos.outbox.get(record.id))!);
      },
    );

    // The acknowledge link in a page: GET shows what it would do (link scanners only ever GET), POST does it.
    // A refusal is a page for a browser, and the usual error envelope for anything else (scripts, scanners, tests).
    const refuse = (request: FastifyRequest, reply: FastifyReply, status: number, code: string, title: string, text: string) =>
      /\btext\/html\b/.test(String(request.headers.accept ?? ''))
        ? reply.status(status).header('content-type', 'text/html; charset=utf-8').send(page(title, `<p>${escapeHtml(text)}</p>`))
        : reply.status(status).send(errorBody(code, text));
    const AckParams = Type.Object({ token: Type.String({ minLength: 1, maxLength: 2000 }) }, { additionalProperties: false });
    app.get('/ack/:token', { config: { action: 'public' }, schema: { hide: true, params: AckParams } }, async (request, reply) => {
      const claim = runtime.links.verify(request.params.token, services.clock.now());
      reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
      if (!claim) return refuse(request, reply, 401, 'unauthenticated', 'This link does not work', 'The acknowledge link is invalid or has expired. Open Firebreak to acknowledge.');
      const incident = await services.store.repos.incidents.get(claim.incidentId);
      if (!incident) return refuse(request, reply, 404, 'not_found', 'No such incident', 'The incident no longer exists.');
      reply.header('content-type', 'text/html; charset=utf-8');
      const state = incident.acknowledgedAt !== null ? `<p>Already acknowledged by ${escapeHtml(incident.acknowledgedBy ?? '')}.</p>` : '';
      return reply.send(
        page(
          `[${incident.severity}] ${incident.title}`,
          `<p>Status: ${escapeHtml(incident.status)}</p>${state}<form method="post"><button type="submit">Acknowledge as ${escapeHtml(claim.userId)}</button></form>`,
        ),
      );
    });
    app.post('/ack/:token', { config: { action: 'public' }, schema: { hide: true, params: AckParams } }, async (request, reply) => {
      reply.header('cache-control', 'no-store');
      const claim = runtime.links.verify(request.params.token, services.clock.now());
      if (!claim) return refuse(request, reply, 401, 'unauthenticated', 'This link does not work', 'The acknowledge link is invalid or has expired.');
      reply.header('content-type', 'text/html; charset=utf-8');
      const outcome = await acknowledgeAs(services, claim.userId, claim.incidentId, 'from the link in a page');
      return reply.status(outcome.status).send(page(outcome.title, `<p>${escapeHtml(outcome.text)}</p>`));
    });

    // Slack interactive buttons: signed by Slack with the app's signing secret, carrying the acknowledge link.
    app.register(async (slack) => {
      slack.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 256 * 1024 }, (_request, body, done) => done(null, body));
      slack.post('/api/v1/integrations/slack/interactions', { config: { action: 'public' }, schema: { hide: true } }, async (request, reply) => {
        const envName = services.config().paging.slackSigningSecretEnv;
        const secret = envName ? process.env[envName] : undefined;
        if (!secret) return reply.status(404).send(errorBody('not_found', 'Slack interactions are not configured (paging.slackSigningSecretEnv)'));
        const raw = typeof request.body === 'string' ? request.body : '';
        const timestamp = String(request.headers['x-slack-request-timestamp'] ?? '');
        const signature = String(request.headers['x-slack-signature'] ?? '');
        if (!verifySlackSignature(secret, timestamp, raw, signature, services.clock.now())) {
          return reply.status(401).send(errorBody('unauthenticated', 'The Slack signature is missing, wrong or too old'));
        }
        let payload: { user?: { id?: string }; actions?: Array<{ value?: string; url?: string }> };
        try {
          payload = JSON.parse(new URLSearchParams(raw).get('payload') ?? '') as typeof payload;
        } catch {
          return reply.status(400).send(errorBody('invalid', 'The interaction has no JSON payload'));
        }
        for (const action of payload.actions ?? []) {
          const token = /\/ack\/([A-Za-z0-9_.-]+)/.exec(action.url ?? action.value ?? '')?.[1];
          const claim = token ? runtime.links.verify(token, services.clock.now()) : null;
          if (!claim) continue;
          const outcome = await acknowledgeAs(services, claim.userId, claim.incidentId, `from Slack (${payload.user?.id ?? 'unknown user'})`);
          return reply.send({ response_type: 'ephemeral', text: outcome.text });
        }
        return reply.send({ response_type: 'ephemeral', text: 'Nothing to do for this button.' });
      });
    });
  };

async function acknowledgeAs(services: Services, userId: string, incidentId: string, how: string): Promise<{ status: number; title: string; text: string }> {
  const actor: Actor = { kind: 'user', id: userId, name: userId, role: 'responder' };
  try {
    const incident = await acknowledgeIncident(withActor(services, actor), incidentId, { comment: how });
    return { status: 200, title: 'Acknowledged', text: `You acknowledged [${incident.severity}] ${incident.title}; paging has stopped.` };
  } catch (error) {
    if (isDomainError(error) && (error.code === 'conflict' || error.code === 'invalid_transition')) {
      return { status: 409, title: 'Nothing to acknowledge', text: error.message };
    }
    if (isDomainError(error) && error.code === 'not_found') return { status: 404, title: 'No such incident', text: error.message };
    throw error;
  }
}

/** Slack's scheme: v0=HMAC-SHA256(secret, "v0:{timestamp}:{body}"), within five minutes. */
export function verifySlackSignature(secret: string, timestamp: string, body: string, signature: string, now: number): boolean {
  if (!/^\d{1,12}$/.test(timestamp) || Math.abs(now / 1000 - Number(timestamp)) > 300) return false;
  const expected = Buffer.from(`v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`);
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
