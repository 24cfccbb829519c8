import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ACCOUNT_ROLES, MAX_PASSWORD_LENGTH, USERNAME_PATTERN, changeAccount, createAccount, findAccount, listAccounts, summarizeAccount } from '../../accounts/index.ts';
import { actorLabel } from '../../core/actor.ts';
import type { Services } from '../../core/context.ts';
import { StringEnum } from '../../core/schema.ts';
import { presentAccount } from '../presenters.ts';
import { AccountJson, IdParams, errorResponses } from '../schemas.ts';

const CreateBody = Type.Object(
  {
    username: Type.String({ pattern: USERNAME_PATTERN, description: "the person's id from users: in the configuration, to be that person" }),
    password: Type.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH * 4 }),
    role: StringEnum(ACCOUNT_ROLES),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  },
  { additionalProperties: false },
);

const ChangeBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    role: Type.Optional(StringEnum(ACCOUNT_ROLES)),
    disabled: Type.Optional(Type.Boolean({ description: 'true ends every session of the account and refuses sign-in' })),
    password: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH * 4, description: 'a new password; every session of the account ends' })),
  },
  { additionalProperties: false, minProperties: 1 },
);

const tags = ['users'];

export const userRoutes =
  (services: Services): FastifyPluginAsyncTypebox =>
  async (app) => {
    const manage = { action: 'users.manage' as const };
    const people = () => services.config().users;

    app.get(
      '/users',
      { config: manage, schema: { tags, summary: 'Accounts that sign in to the web UI', response: { 200: Type.Object({ items: Type.Array(AccountJson) }), ...errorResponses() } } },
      async () => ({ items: (await listAccounts(services)).map((account) => presentAccount(account, people())) }),
    );

    app.post(
      '/users',
      { config: manage, schema: { tags, summary: 'Create an account', body: CreateBody, response: { 201: AccountJson, ...errorResponses(409) } } },
      async (request, reply) => {
        const account = await createAccount(services, { ...request.body, createdBy: actorLabel(request.actor) }, people());
        return reply.status(201).header('location', `/api/v1/users/${account.id}`).send(presentAccount(account, people()));
      },
    );

    app.get(
      '/users/:id',
      { config: manage, schema: { tags, summary: 'One account, by id or username', params: IdParams, response: { 200: AccountJson, ...errorResponses(404) } } },
      async (request) => presentAccount(summarizeAccount(await findAccount(services, request.params.id)), people()),
    );

    app.patch(
      '/users/:id',
      {
        config: manage,
        schema: {
          tags,
          summary: 'Change name or role, disable or enable, or set a new password',
          description: 'Disabling or a new password ends every session of the account at once. You cannot disable or demote yourself.',
          params: IdParams,
          body: ChangeBody,
          response: { 200: AccountJson, ...errorResponses(404, 409) },
        },
      },
      async (request) => {
        const self = request.credentials.session?.account.id ?? null;
        return presentAccount(await changeAccount(services, request.params.id, request.body, { accountId: self }), people());
      },
    );
  };
