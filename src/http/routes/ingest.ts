import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import {
  findIntegrationByKey,
  pagerDutyAccepted,
  pagerDutyChangeAccepted,
  pagerDutyInvalid,
  parseAlertmanagerWebhook,
  parseGenericWebhook,
  parseGrafanaWebhook,
  parsePagerDutyChange,
  parsePagerDutyEvent,
  DEFAULT_GENERIC_MAPPING,
  type AlertPipeline,
  type GenericMapping,
  type IncomingAlert,
  type IntegrationKind,
} from '../../alerts/index.ts';
import type { Services } from '../../core/context.ts';
import { unauthenticated } from '../../core/errors.ts';
import type { IntegrationRecord } from '../../store/index.ts';

const KeyParams = Type.Object({ key: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false });
const IngestAnswer = Type.Object({
  status: Type.Literal('success'),
  alerts: Type.Integer(),
  results: Type.Record(Type.String(), Type.Integer(), { description: 'how many alerts had each outcome (opened, attached, repeat, silenced …)' }),
});
const AnyJson = Type.Unknown({ description: 'the monitoring system’s own payload' });

/** Webhooks can carry many alerts; allow more than the API's default. */
const INGEST_BODY_LIMIT = 8 * 1024 * 1024;

const summarise = (results: Array<{ result: string }>) => {
  const counts: Record<string, number> = {};
  for (const { result } of results) counts[result] = (counts[result] ?? 0) + 1;
  return counts;
};

/** Alert sources authenticate with the integration key in the URL (or PagerDuty's routing_key), not a bearer token. */
export const ingestRoutes =
  (services: Services, pipeline: AlertPipeline): FastifyPluginAsyncTypebox =>
  async (app) => {
    const open = { action: 'public' as const };
    const tags = ['alert ingest'];

    const integrationFor = async (key: string, kind: IntegrationKind): Promise<IntegrationRecord> => {
      const integration = await findIntegrationByKey(services.store, key, kind);
      if (!integration) throw unauthenticated(`No ${kind} integration has this key (or it was deleted)`);
      return integration;
    };

    const ingest = async (reply: FastifyReply, integration: IntegrationRecord, alerts: IncomingAlert[]) => {
      const outcomes = alerts.length > 0 ? await pipeline.submit(integration, alerts) : [];
      return reply.status(200).send({ status: 'success', alerts: outcomes.length, results: summarise(outcomes) });
    };

    app.post(
      '/api/v1/integrations/alertmanager/:key',
      {
        config: open,
        bodyLimit: INGEST_BODY_LIMIT,
        schema: { tags, summary: 'Prometheus Alertmanager webhook (version 4)', params: KeyParams, body: AnyJson, response: { 200: IngestAnswer } },
      },
      async (request, reply) => {
        const integration = await integrationFor(request.params.key, 'alertmanager');
        return ingest(reply, integration, parseAlertmanagerWebhook(request.body, services.clock.now()));
      },
    );

    app.post(
      '/api/v1/integrations/grafana/:key',
      {
        config: open,
        bodyLimit: INGEST_BODY_LIMIT,
        schema: { tags, summary: 'Grafana unified alerting webhook', params: KeyParams, body: AnyJson, response: { 200: IngestAnswer } },
      },
      async (request, reply) => {
        const integration = await integrationFor(request.params.key, 'grafana');
        return ingest(reply, integration, parseGrafanaWebhook(request.body, services.clock.now()));
      },
    );

    app.post(
      '/api/v1/integrations/generic/:key',
      {
        config: open,
        bodyLimit: INGEST_BODY_LIMIT,
        schema: { tags, summary: 'Any JSON webhook, read through the integration’s mapping', params: KeyParams, body: AnyJson, response: { 200: IngestAnswer } },
      },
      async (request, reply) => {
        const integration = await integrationFor(request.params.key, 'generic');
        const mapping = (integration.mapping as GenericMapping | null) ?? DEFAULT_GENERIC_MAPPING;
        return ingest(reply, integration, parseGenericWebhook(request.body, mapping, services.clock.now()));
      },
    );

    // PagerDuty Events API v2: its own answers, its own error shape, the key inside the body.
    app.post(
      '/v2/enqueue',
      { config: open, schema: { tags, summary: 'PagerDuty Events API v2 (trigger, acknowledge, resolve)', body: AnyJson } },
      async (request, reply) => {
        const parsed = parsePagerDutyEvent(request.body, services.clock.now(), () => services.newId());
        if (!parsed.ok) return reply.status(400).send(pagerDutyInvalid(parsed.errors));
        const integration = await findIntegrationByKey(services.store, parsed.routingKey, 'pagerduty');
        if (!integration) return reply.status(400).send(pagerDutyInvalid(['routing_key is not the key of a PagerDuty integration in Firebreak']));
        await pipeline.submit(integration, [parsed.alert]);
        return reply.status(202).send(pagerDutyAccepted(parsed.alert.dedupKey));
      },
    );

    app.post(
      '/v2/change/enqueue',
      { config: open, schema: { tags, summary: 'PagerDuty change events: they land on the timeline of the service’s open incidents', body: AnyJson } },
      async (request, reply) => {
        const parsed = parsePagerDutyChange(request.body);
        if (!parsed.ok) return reply.status(400).send(pagerDutyInvalid(parsed.errors));
        const integration = await findIntegrationByKey(services.store, parsed.routingKey, 'pagerduty');
        if (!integration) return reply.status(400).send(pagerDutyInvalid(['routing_key is not the key of a PagerDuty integration in Firebreak']));
        await pipeline.recordChange(integration, parsed.change);
        return reply.status(202).send(pagerDutyChangeAccepted());
      },
    );
  };
