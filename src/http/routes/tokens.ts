import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { actorLabel } from '../../core/actor.ts';
import type { Services } from '../../core/context.ts';
import { StringEnum } from '../../core/schema.ts';
import { ROLES, createApiToken, listApiTokens, revokeApiToken } from '../../auth/index.ts';
import { presentToken } from '../presenters.ts';
import { IdParams, TokenJson, errorResponses } from '../schemas.ts';

const CreateTokenBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    role: StringEnum(ROLES),
  },
  { additionalProperties: false },
);

const tags = ['tokens'];

export const tokenRoutes =
  (services: Services): FastifyPluginAsyncTypebox =>
  async (app) => {
    const manage = { action: 'tokens.manage' as const };
    app.post(
      '/tokens',
      {
        config: manage,
        schema: {
          tags,
          summary: 'Create an API token (the secret is shown only in this answer)',
          body: CreateTokenBody,
          response: { 201: Type.Object({ token: Type.String(), record: TokenJson }), ...errorResponses() },
        },
      },
      async (request, reply) => {
        const { token, record } = await createApiToken(
          services.store,
          { ...request.body, createdBy: actorLabel(request.actor) },
          services.clock,
        );
        return reply.status(201).send({ token, record: presentToken(record) });
      },
    );
    app.get(
      '/tokens',
      { config: manage, schema: { tags, summary: 'List API tokens (never their secrets)', response: { 200: Type.Object({ items: Type.Array(TokenJson) }), ...errorResponses() } } },
      async () => ({ items: (await listApiTokens(services.store)).map(presentToken) }),
    );
    app.delete(
      '/tokens/:id',
      { config: manage, schema: { tags, summary: 'Revoke an API token', params: IdParams, response: { 200: TokenJson, ...errorResponses(404) } } },
      async (request) => presentToken(await revokeApiToken(services.store, services.clock, request.params.id)),
    );
  };
