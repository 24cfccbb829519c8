import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { withActor, type Services } from '../../core/context.ts';
import { StringEnum } from '../../core/schema.ts';
import {
  ACTION_ITEM_STATUSES,
  MAX_POSTMORTEM_CHARS,
  checkTask,
  createActionItem,
  getPostmortem,
  listActionItems,
  listTasks,
  previewDraft,
  savePostmortem,
  updateActionItem,
} from '../../postincident/index.ts';
import { IdParams, errorResponses } from '../schemas.ts';

const Time = Type.String({ format: 'date-time' });
const NullableTime = Type.Unsafe<string | null>({ type: ['string', 'null'], format: 'date-time' });
const NullableText = (maxLength: number) => Type.Unsafe<string | null>({ type: ['string', 'null'], maxLength });
const Status = StringEnum(ACTION_ITEM_STATUSES);

const TaskJson = Type.Object({
  id: Type.String(),
  stage: Type.String(),
  title: Type.String(),
  dueAt: Time,
  done: Type.Boolean(),
  doneAt: NullableTime,
  doneBy: NullableText(200),
});

const ActionItemJson = Type.Object({
  id: Type.String(),
  incidentId: Type.String(),
  title: Type.String(),
  owner: NullableText(100),
  dueAt: NullableTime,
  status: Status,
  trackerUrl: NullableText(2100),
  overdue: Type.Boolean(),
  createdAt: Time,
  createdBy: Type.String(),
  updatedAt: Time,
});

const PostmortemJson = Type.Object({
  incidentId: Type.String(),
  version: Type.Integer(),
  markdown: Type.String(),
  createdAt: Time,
  updatedAt: Time,
  updatedBy: Type.String(),
  versions: Type.Array(Type.Object({ version: Type.Integer(), at: Time, by: Type.String() })),
});

const ActionItemBody = Type.Object(
  {
    title: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
    owner: Type.Optional(NullableText(100)),
    dueAt: Type.Optional(NullableTime),
    status: Type.Optional(Status),
    trackerUrl: Type.Optional(NullableText(2100)),
  },
  { additionalProperties: false },
);

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export const postIncidentRoutes =
  (services: Services): FastifyPluginAsyncTypebox =>
  async (app) => {
    const ctx = (actor: Parameters<typeof withActor>[1]) => withActor(services, actor);

    app.get(
      '/incidents/:id/tasks',
      { config: { action: 'incidents.read' }, schema: { tags: ['post-incident'], summary: 'The post-incident checklist, as tasks with due times', params: IdParams, response: { 200: Type.Object({ items: Type.Array(TaskJson) }), ...errorResponses(404) } } },
      async (request) => ({
        items: (await listTasks(ctx(request.actor), request.params.id)).map((task) => ({
          id: task.id,
          stage: task.stage,
          title: task.title,
          dueAt: iso(task.dueAt)!,
          done: task.doneAt !== null,
          doneAt: iso(task.doneAt),
          doneBy: task.doneBy,
        })),
      }),
    );
    app.patch(
      '/incidents/:id/tasks/:task',
      {
        config: { action: 'incidents.write' },
        schema: {
          tags: ['post-incident'],
          summary: 'Check a task off (done: true) or open it again',
          params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }), task: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false }),
          body: Type.Object({ done: Type.Boolean() }, { additionalProperties: false }),
          response: { 200: TaskJson, ...errorResponses(404) },
        },
      },
      async (request) => {
        const task = await checkTask(ctx(request.actor), request.params.id, request.params.task, request.body.done);
        return { id: task.id, stage: task.stage, title: task.title, dueAt: iso(task.dueAt)!, done: task.doneAt !== null, doneAt: iso(task.doneAt), doneBy: task.doneBy };
      },
    );

    app.get(
      '/incidents/:id/postmortem',
      {
        config: { action: 'incidents.read' },
        schema: {
          tags: ['post-incident'],
          summary: 'The post-mortem (or one of its versions, with ?version=)',
          params: IdParams,
          querystring: Type.Object({ version: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })) }, { additionalProperties: false }),
          response: { 200: PostmortemJson, ...errorResponses(404) },
        },
      },
      async (request) => getPostmortem(ctx(request.actor), request.params.id, request.query.version),
    );
    app.put(
      '/incidents/:id/postmortem',
      {
        config: { action: 'incidents.write' },
        schema: {
          tags: ['post-incident'],
          summary: 'Save a new version; `version` is the one you edited (a stale one is 409)',
          params: IdParams,
          body: Type.Object({ markdown: Type.String({ maxLength: MAX_POSTMORTEM_CHARS }), version: Type.Integer({ minimum: 0, maximum: 1_000_000 }) }, { additionalProperties: false }),
          response: { 200: PostmortemJson, ...errorResponses(404, 409) },
        },
      },
      async (request) => savePostmortem(ctx(request.actor), request.params.id, request.body),
    );
    app.get(
      '/incidents/:id/postmortem.md',
      { config: { action: 'incidents.read' }, schema: { tags: ['post-incident'], summary: 'The post-mortem as a Markdown file', params: IdParams, response: errorResponses(404) } },
      async (request, reply) => {
        const postmortem = await getPostmortem(ctx(request.actor), request.params.id);
        return reply
          .type('text/markdown; charset=utf-8')
          .header('content-disposition', `attachment; filename="postmortem-${postmortem.incidentId}-v${postmortem.version}.md"`)
          .send(postmortem.markdown);
      },
    );
    app.get(
      '/incidents/:id/postmortem/draft',
      { config: { action: 'incidents.read' }, schema: { tags: ['post-incident'], summary: 'A fresh draft from the record as it is now (stores nothing)', params: IdParams, response: errorResponses(404) } },
      async (request, reply) => reply.type('text/markdown; charset=utf-8').send(await previewDraft(ctx(request.actor), request.params.id)),
    );

    app.post(
      '/incidents/:id/action-items',
      {
        config: { action: 'incidents.write' },
        schema: { tags: ['post-incident'], summary: 'Add an action item (title, owner, due date, tracker link)', params: IdParams, body: ActionItemBody, response: { 201: ActionItemJson, ...errorResponses(404) } },
      },
      async (request, reply) => reply.status(201).send(await createActionItem(ctx(request.actor), request.params.id, request.body)),
    );
    app.get(
      '/incidents/:id/action-items',
      { config: { action: 'incidents.read' }, schema: { tags: ['post-incident'], summary: "The incident's action items", params: IdParams, response: { 200: Type.Object({ items: Type.Array(ActionItemJson) }), ...errorResponses(404) } } },
      async (request) => ({ items: await listActionItems(ctx(request.actor), { incidentId: request.params.id }) }),
    );
    app.get(
      '/action-items',
      {
        config: { action: 'incidents.read' },
        schema: {
          tags: ['post-incident'],
          summary: 'Action items across incidents',
          querystring: Type.Object(
            { owner: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })), status: Type.Optional(Status), overdue: Type.Optional(Type.Boolean()) },
            { additionalProperties: false },
          ),
          response: { 200: Type.Object({ items: Type.Array(ActionItemJson) }), ...errorResponses() },
        },
      },
      async (request) => ({ items: await listActionItems(ctx(request.actor), request.query) }),
    );
    app.patch(
      '/action-items/:id',
      {
        config: { action: 'incidents.write' },
        schema: { tags: ['post-incident'], summary: 'Change an action item', params: IdParams, body: ActionItemBody, response: { 200: ActionItemJson, ...errorResponses(404) } },
      },
      async (request) => updateActionItem(ctx(request.actor), request.params.id, request.body),
    );
  };
