import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { MAX_PASSWORD_LENGTH, changeOwnPassword, csrfTokenOf, listSessions, revokeSession, signIn, signOut } from '../../accounts/index.ts';
import { actionsOf, can } from '../../auth/index.ts';
import { actorLabel } from '../../core/actor.ts';
import type { Services } from '../../core/context.ts';
import { forbidden } from '../../core/errors.ts';
import { clearSessionCookie, sessionSettings, setSessionCookie } from '../auth.ts';
import { presentAccount, presentSession } from '../presenters.ts';
import { AccountJson, IdParams, SessionJson, errorResponses } from '../schemas.ts';

const SignInBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 200 }),
    password: Type.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH * 4 }),
  },
  { additionalProperties: false },
);

const PasswordBody = Type.Object(
  {
    current: Type.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH * 4 }),
    password: Type.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH * 4 }),
  },
  { additionalProperties: false },
);

const SessionsQuery = Type.Object(
  {
    account: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: "another account's sessions (admin)" })),
    all: Type.Optional(Type.Boolean({ description: "everyone's sessions (admin)" })),
  },
  { additionalProperties: false },
);

const WhoAmI = Type.Object({
  actor: Type.String({ description: 'how this caller appears on timelines, such as user:alice or token:ci' }),
  kind: Type.String(),
  role: Type.String(),
  permissions: Type.Array(Type.String()),
  account: Type.Union([AccountJson, Type.Null()]),
  session: Type.Union([SessionJson, Type.Null()]),
  csrfToken: Type.Union([Type.String(), Type.Null()], { description: 'send it as X-CSRF-Token with every signed-in request that changes something' }),
});

const tags = ['session'];

export const sessionRoutes =
  (services: Services): FastifyPluginAsyncTypebox =>
  async (app) => {
    const people = () => services.config().users;
    const own = { action: 'session.own' as const };

    app.post(
      '/session',
      {
        config: { action: 'public' },
        schema: {
          tags,
          summary: 'Sign in with a username and password; sets the session cookie',
          description: 'Failed sign-ins are limited per username and address (429 with Retry-After).',
          body: SignInBody,
          response: { 201: WhoAmI, ...errorResponses(429) },
        },
      },
      async (request, reply) => {
        const settings = sessionSettings(services);
        const signed = await signIn(services, settings, {
          username: request.body.username,
          password: request.body.password,
          userAgent: String(request.headers['user-agent'] ?? ''),
          address: request.ip,
        });
        request.log.info({ account: signed.account.username, session: signed.session.id }, 'signed in');
        setSessionCookie(reply, request, signed.token, settings.maxAgeMs / 1000);
        return reply.status(201).header('cache-control', 'no-store').send({
          actor: actorLabel(signed.actor),
          kind: signed.actor.kind,
          role: signed.actor.role,
          permissions: [...actionsOf(signed.actor.role)],
          account: presentAccount(signed.account, people()),
          session: presentSession(signed.session, signed.session.id),
          csrfToken: signed.csrfToken,
        });
      },
    );

    app.get(
      '/session',
      { config: own, schema: { tags, summary: 'Who is calling: the account, session and permissions (tokens too)', response: { 200: WhoAmI, ...errorResponses() } } },
      async (request, reply) => {
        const { actor, session, sessionToken } = request.credentials;
        return reply.header('cache-control', 'no-store').send({
          actor: actorLabel(actor),
          kind: actor.kind,
          role: actor.role,
          permissions: [...actionsOf(actor.role)],
          account: session ? presentAccount(session.account, people()) : null,
          session: session ? presentSession(session.session, session.session.id) : null,
          csrfToken: sessionToken ? csrfTokenOf(sessionToken) : null,
        });
      },
    );

    app.delete(
      '/session',
      { config: own, schema: { tags, summary: 'Sign out: ends this session and clears the cookie', response: { 204: Type.Null(), ...errorResponses() } } },
      async (request, reply) => {
        const { session } = request.credentials;
        if (session) await signOut(services, session.session.id);
        clearSessionCookie(reply, request);
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/session/password',
      {
        config: own,
        schema: { tags, summary: 'Change your own password; your other sessions end', body: PasswordBody, response: { 200: AccountJson, ...errorResponses() } },
      },
      async (request) => {
        const { session } = request.credentials;
        if (!session) throw forbidden('Only a signed-in person has a password; API tokens do not', {});
        const account = await changeOwnPassword(services, { accountId: session.account.id, sessionId: session.session.id, address: request.ip }, request.body);
        return presentAccount(account, people());
      },
    );

    app.get(
      '/sessions',
      {
        config: own,
        schema: {
          tags,
          summary: 'Sessions still open: your own, or (admin) an account\'s or everyone\'s',
          querystring: SessionsQuery,
          response: { 200: Type.Object({ items: Type.Array(SessionJson) }), ...errorResponses() },
        },
      },
      async (request) => {
        const { actor, session } = request.credentials;
        const { account, all } = request.query;
        const current = session?.session.id ?? null;
        if (account !== undefined || all === true) {
          if (!can(actor, 'users.manage')) throw forbidden(`The ${actor.role} role may only list its own sessions`, { role: actor.role, action: 'users.manage' });
          return { items: (await listSessions(services, all === true ? undefined : account)).map((s) => presentSession(s, current)) };
        }
        if (!session) return { items: [] };
        return { items: (await listSessions(services, session.account.id)).map((s) => presentSession(s, current)) };
      },
    );

    app.delete(
      '/sessions/:id',
      { config: own, schema: { tags, summary: 'End a session: one of your own, or (admin) anyone\'s', params: IdParams, response: { 200: SessionJson, ...errorResponses(404) } } },
      async (request) => {
        const { actor, session } = request.credentials;
        const ended = await revokeSession(services, request.params.id, { accountId: session?.account.id ?? null, mayManage: can(actor, 'users.manage') });
        return presentSession(ended, session?.session.id ?? null);
      },
    );
  };
