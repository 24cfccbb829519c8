import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  CreateIntegrationInput,
  CreateMaintenanceInput,
  CreateSilenceInput,
  PreviewSilenceInput,
  previewSilence,
  cancelMaintenanceWindow,
  createIntegration,
  createMaintenanceWindow,
  createSilence,
  deleteIntegration,
  expireSilence,
  getAlert,
  listAlerts,
  listIntegrations,
  listMaintenanceWindows,
  listSilences,
} from '../../alerts/index.ts';
import { withActor, type Services } from '../../core/context.ts';
import { parseTimeField } from '../time.ts';

import { StringEnum } from '../../core/schema.ts';
import {
  presentAlert,
  presentAlertHistory,
  presentIntegration,
  presentMaintenanceWindow,
  presentSilence,
} from '../presenters.ts';
import {
  AlertHistoryJson,
  AlertJson,
  IdParams,
  IntegrationJson,
  MaintenanceWindowJson,
  SilenceJson,
  errorResponses,
} from '../schemas.ts';

const AlertListQuery = Type.Object(
  {
    status: Type.Optional(Type.Array(StringEnum(['firing', 'acknowledged', 'resolved'] as const), { maxItems: 3 })),
    service: Type.Optional(Type.String({ minLength: 1, maxLength: 63 })),
    incident: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    integration: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    label: Type.Optional(Type.Array(Type.String({ minLength: 3, maxLength: 1000, description: 'name=value' }), { maxItems: 20 })),
    from: Type.Optional(Type.String({ format: 'date-time' })),
    to: Type.Optional(Type.String({ format: 'date-time' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

const IncludeQuery = Type.Object({ all: Type.Optional(Type.Boolean({ description: 'include ended ones' })) }, { additionalProperties: false });

export const alertRoutes =
  (services: Services): FastifyPluginAsyncTypebox =>
  async (app) => {
    const ctx = (actor: Parameters<typeof withActor>[1]) => withActor(services, actor);

    app.post(
      '/integrations',
      {
        config: { action: 'config.manage' },
        schema: {
          tags: ['integrations'],
          summary: 'Create an alert source; the ingest key is in this answer only',
          body: CreateIntegrationInput,
          response: { 201: Type.Object({ integration: IntegrationJson, key: Type.String(), url: Type.String() }), ...errorResponses() },
        },
      },
      async (request, reply) => {
        const { integration, key } = await createIntegration(ctx(request.actor), request.body);
        const url = integration.kind === 'pagerduty' ? '/v2/enqueue' : `/api/v1/integrations/${integration.kind}/${key}`;
        return reply.status(201).send({ integration: presentIntegration(integration), key, url });
      },
    );
    app.get(
      '/integrations',
      { config: { action: 'config.manage' }, schema: { tags: ['integrations'], summary: 'List alert sources (never their keys)', response: { 200: Type.Object({ items: Type.Array(IntegrationJson) }), ...errorResponses() } } },
      async (request) => ({ items: (await listIntegrations(ctx(request.actor))).map(presentIntegration) }),
    );
    app.delete(
      '/integrations/:id',
      { config: { action: 'config.manage' }, schema: { tags: ['integrations'], summary: 'Delete an alert source; its key stops working at once', params: IdParams, response: { 200: IntegrationJson, ...errorResponses(404) } } },
      async (request) => presentIntegration(await deleteIntegration(ctx(request.actor), request.params.id)),
    );

    app.get(
      '/alerts',
      {
        config: { action: 'incidents.read' },
        schema: {
          tags: ['alerts'],
          summary: 'List alerts, most recently seen first',
          querystring: AlertListQuery,
          response: { 200: Type.Object({ items: Type.Array(AlertJson), nextCursor: Type.Union([Type.String(), Type.Null()]) }), ...errorResponses() },
        },
      },
      async (request) => {
        const q = request.query;
        const page = await listAlerts(ctx(request.actor), {
          statuses: q.status,
          service: q.service,
          incidentId: q.incident,
          integrationId: q.integration,
          labels: q.label,
          from: parseTimeField(q.from, 'from'),
          to: parseTimeField(q.to, 'to'),
          limit: q.limit,
          cursor: q.cursor,
        });
        return { items: page.items.map(presentAlert), nextCursor: page.nextCursor };
      },
    );
    app.get(
      '/alerts/:id',
      {
        config: { action: 'incidents.read' },
        schema: { tags: ['alerts'], summary: 'One alert with its history', params: IdParams, response: { 200: Type.Object({ alert: AlertJson, history: Type.Array(AlertHistoryJson) }), ...errorResponses(404) } },
      },
      async (request) => {
        const { alert, history } = await getAlert(ctx(request.actor), request.params.id);
        return { alert: presentAlert(alert), history: history.map(presentAlertHistory) };
      },
    );

    app.post(
      '/silences',
      {
        config: { action: 'incidents.write' },
        schema: { tags: ['silences'], summary: 'Silence alerts matching all matchers for a while', body: CreateSilenceInput, response: { 201: SilenceJson, ...errorResponses() } },
      },
      async (request, reply) => reply.status(201).send(presentSilence(await createSilence(ctx(request.actor), request.body), services.clock.now())),
    );
    app.post(
      '/silences/preview',
      {
        config: { action: 'incidents.read' },
        schema: {
          tags: ['silences'],
          summary: 'The alerts not yet resolved that these matchers would silence now (stores nothing)',
          body: PreviewSilenceInput,
          response: {
            200: Type.Object({
              items: Type.Array(AlertJson),
              matching: Type.Integer(),
              scanned: Type.Integer({ description: 'unresolved alerts looked at, newest first' }),
              complete: Type.Boolean({ description: 'false when there were more unresolved alerts than were looked at' }),
            }),
            ...errorResponses(),
          },
        },
      },
      async (request) => {
        const preview = await previewSilence(ctx(request.actor), request.body);
        return { items: preview.matching.slice(0, 200).map(presentAlert), matching: preview.matching.length, scanned: preview.scanned, complete: preview.complete };
      },
    );
    app.get(
      '/silences',
      { config: { action: 'incidents.read' }, schema: { tags: ['silences'], summary: 'Silences in force (all=true: also ended ones)', querystring: IncludeQuery, response: { 200: Type.Object({ items: Type.Array(SilenceJson) }), ...errorResponses() } } },
      async (request) => {
        const now = services.clock.now();
        return { items: (await listSilences(ctx(request.actor), request.query.all ?? false)).map((s) => presentSilence(s, now)) };
      },
    );
    app.delete(
      '/silences/:id',
      { config: { action: 'incidents.write' }, schema: { tags: ['silences'], summary: 'Expire a silence now', params: IdParams, response: { 200: SilenceJson, ...errorResponses(404, 409) } } },
      async (request) => presentSilence(await expireSilence(ctx(request.actor), request.params.id), services.clock.now()),
    );

    app.post(
      '/maintenance-windows',
      {
        config: { action: 'incidents.write' },
        schema: { tags: ['maintenance'], summary: 'A maintenance window: alerts of the service open no incident during it', body: CreateMaintenanceInput, response: { 201: MaintenanceWindowJson, ...errorResponses() } },
      },
      async (request, reply) => reply.status(201).send(presentMaintenanceWindow(await createMaintenanceWindow(ctx(request.actor), request.body))),
    );
    app.get(
      '/maintenance-windows',
      { config: { action: 'incidents.read' }, schema: { tags: ['maintenance'], summary: 'Current and upcoming maintenance windows (all=true: also past)', querystring: IncludeQuery, response: { 200: Type.Object({ items: Type.Array(MaintenanceWindowJson) }), ...errorResponses() } } },
      async (request) => ({ items: (await listMaintenanceWindows(ctx(request.actor), request.query.all ?? false)).map(presentMaintenanceWindow) }),
    );
    app.delete(
      '/maintenance-windows/:id',
      { config: { action: 'incidents.write' }, schema: { tags: ['maintenance'], summary: 'Cancel a maintenance window', params: IdParams, response: { 200: MaintenanceWindowJson, ...errorResponses(404, 409) } } },
      async (request) => presentMaintenanceWindow(await cancelMaintenanceWindow(ctx(request.actor), request.params.id)),
    );
  };
