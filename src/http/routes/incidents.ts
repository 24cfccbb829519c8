import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { withActor, type Services } from '../../core/context.ts';
import { parseTimeField } from '../time.ts';
import { StringEnum } from '../../core/schema.ts';

import {
  AcknowledgeInput,
  AssignRoleInput,
  ChangeInput,
  DeclareInput,
  INCIDENT_STATUSES,
  MAX_PAGE,
  NoteInput,
  ReminderInput,
  StakeholderUpdateInput,
  acknowledgeIncident,
  addNote,
  assignRole,
  changeIncident,
  declareIncident,
  getIncident,
  incidentTimeline,
  listIncidents,
  postStakeholderUpdate,
  scheduleReminder,
  unassignRole,
  viewOf,
} from '../../incidents/index.ts';
import { presentIncident, presentReminder, presentTimelineEntry } from '../presenters.ts';
import { IdParams, IncidentJson, ReminderJson, TimelineEntryJson, errorResponses } from '../schemas.ts';

const ListQuery = Type.Object(
  {
    status: Type.Optional(Type.Array(StringEnum(INCIDENT_STATUSES), { maxItems: 10 })),
    severity: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 32 }), { maxItems: 20 })),
    service: Type.Optional(Type.String({ minLength: 1, maxLength: 63 })),
    q: Type.Optional(Type.String({ maxLength: 200, description: 'words that must all appear in the title or summary (any case)' })),
    from: Type.Optional(Type.String({ format: 'date-time' })),
    to: Type.Optional(Type.String({ format: 'date-time' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

const TimelineQuery = Type.Object(
  {
    after: Type.Optional(Type.String({ maxLength: 64, description: 'only entries after this entry id' })),
    before: Type.Optional(Type.String({ maxLength: 64, description: 'only entries before this entry id' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000, default: 1000 })),
    order: Type.Optional(Type.Union([Type.Literal('oldest'), Type.Literal('newest')], { default: 'oldest', description: 'newest: the latest entries first (page back with before=)' })),
  },
  { additionalProperties: false },
);

const RoleParams = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 64 }), role: Type.String({ minLength: 1, maxLength: 63 }) },
  { additionalProperties: false },
);

const tags = ['incidents'];

export const incidentRoutes =
  (services: Services, wakeTimers: () => void): FastifyPluginAsyncTypebox =>
  async (app) => {
    const ctx = (actor: Parameters<typeof withActor>[1]) => withActor(services, actor);
    const read = { action: 'incidents.read' as const };
    const write = { action: 'incidents.write' as const };

    app.post(
      '/incidents',
      {
        config: write,
        schema: { tags, summary: 'Declare an incident', body: DeclareInput, response: { 201: IncidentJson, ...errorResponses(409) } },
      },
      async (request, reply) => {
        const c = ctx(request.actor);
        const incident = await declareIncident(c, request.body);
        wakeTimers();
        return reply.status(201).header('location', `/api/v1/incidents/${incident.id}`).send(presentIncident(await viewOf(c, incident)));
      },
    );

    app.get(
      '/incidents',
      {
        config: read,
        schema: {
          tags,
          summary: 'List incidents, newest first',
          querystring: ListQuery,
          response: { 200: Type.Object({ items: Type.Array(IncidentJson), nextCursor: Type.Union([Type.String(), Type.Null()]) }), ...errorResponses() },
        },
      },
      async (request) => {
        const q = request.query;
        const page = await listIncidents(ctx(request.actor), {
          statuses: q.status,
          severities: q.severity,
          service: q.service,
          text: q.q,
          from: parseTimeField(q.from, 'from'),
          to: parseTimeField(q.to, 'to'),
          limit: q.limit,
          cursor: q.cursor,
        });
        return { items: page.items.map(presentIncident), nextCursor: page.nextCursor };
      },
    );

    app.get(
      '/incidents/:id',
      { config: read, schema: { tags, summary: 'One incident with its SLA clocks', params: IdParams, response: { 200: IncidentJson, ...errorResponses(404) } } },
      async (request) => presentIncident(await getIncident(ctx(request.actor), request.params.id)),
    );

    app.patch(
      '/incidents/:id',
      {
        config: write,
        schema: {
          tags,
          summary: 'Change title, summary, services, severity or status',
          description: 'Send `version` to refuse the change (409) if someone changed the incident since you read it.',
          params: IdParams,
          body: ChangeInput,
          response: { 200: IncidentJson, ...errorResponses(404, 409) },
        },
      },
      async (request) => {
        const c = ctx(request.actor);
        const incident = await changeIncident(c, request.params.id, request.body);
        wakeTimers();
        return presentIncident(await viewOf(c, incident));
      },
    );

    app.post(
      '/incidents/:id/ack',
      {
        config: write,
        schema: { tags, summary: 'Acknowledge', params: IdParams, body: AcknowledgeInput, response: { 200: IncidentJson, ...errorResponses(404, 409) } },
      },
      async (request) => {
        const c = ctx(request.actor);
        const incident = await acknowledgeIncident(c, request.params.id, request.body);
        return presentIncident(await viewOf(c, incident));
      },
    );

    app.post(
      '/incidents/:id/updates',
      {
        config: write,
        schema: {
          tags,
          summary: 'Post a stakeholder update',
          description: 'Meets the stakeholder-notification clock and restarts the update cadence.',
          params: IdParams,
          body: StakeholderUpdateInput,
          response: { 201: Type.Object({ incident: IncidentJson, entry: TimelineEntryJson }), ...errorResponses(404, 409) },
        },
      },
      async (request, reply) => {
        const c = ctx(request.actor);
        const { incident, entry } = await postStakeholderUpdate(c, request.params.id, request.body);
        wakeTimers();
        return reply.status(201).send({ incident: presentIncident(await viewOf(c, incident)), entry: presentTimelineEntry(entry) });
      },
    );

    app.post(
      '/incidents/:id/notes',
      {
        config: write,
        schema: { tags, summary: 'Add a note to the timeline', params: IdParams, body: NoteInput, response: { 201: TimelineEntryJson, ...errorResponses(404) } },
      },
      async (request, reply) => reply.status(201).send(presentTimelineEntry(await addNote(ctx(request.actor), request.params.id, request.body))),
    );

    app.get(
      '/incidents/:id/timeline',
      {
        config: read,
        schema: {
          tags,
          summary: 'The incident timeline, oldest first (or newest first with order=newest)',
          params: IdParams,
          querystring: TimelineQuery,
          response: { 200: Type.Object({ items: Type.Array(TimelineEntryJson) }), ...errorResponses(404) },
        },
      },
      async (request) => {
        const entries = await incidentTimeline(ctx(request.actor), request.params.id, request.query);
        return { items: entries.map(presentTimelineEntry) };
      },
    );

    app.put(
      '/incidents/:id/roles/:role',
      {
        config: write,
        schema: { tags, summary: 'Assign an incident role', params: RoleParams, body: AssignRoleInput, response: { 200: IncidentJson, ...errorResponses(404, 409) } },
      },
      async (request) => {
        const c = ctx(request.actor);
        const incident = await assignRole(c, request.params.id, request.params.role, request.body.assignee);
        return presentIncident(await viewOf(c, incident));
      },
    );

    app.delete(
      '/incidents/:id/roles/:role',
      { config: write, schema: { tags, summary: 'Unassign an incident role', params: RoleParams, response: { 200: IncidentJson, ...errorResponses(404, 409) } } },
      async (request) => {
        const c = ctx(request.actor);
        const incident = await unassignRole(c, request.params.id, request.params.role);
        return presentIncident(await viewOf(c, incident));
      },
    );

    app.post(
      '/incidents/:id/reminders',
      {
        config: write,
        schema: {
          tags,
          summary: 'Set a reminder that appears on the timeline when due',
          params: IdParams,
          body: ReminderInput,
          response: { 201: ReminderJson, ...errorResponses(404) },
        },
      },
      async (request, reply) => {
        const reminder = await scheduleReminder(ctx(request.actor), request.params.id, request.body);
        wakeTimers();
        return reply.status(201).send(presentReminder(reminder));
      },
    );
  };
