import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import {
  findIntegrationByKey,
  pagerDutyAccepted,
  pagerDutyChangeAccepted,
  pagerDutyInvalid,
  parsePagerDutyChange,
  parsePagerDutyEvent,
  DEFAULT_GENERIC_MAPPING,
  ReceivedAlerts,
  type AlertPipeline,
  type GenericMapping,
  type IntegrationKind,
} from '../../alerts/index.ts';
import type { Services } from '../../core/context.ts';
import { unauthenticated } from '../../core/errors.ts';
import type { IntegrationRecord } from '../../store/index.ts';
import { readWebhook } from '../webhooks/parse.ts';
import type { WebhookKind, WebhookParser } from '../webhooks/index.ts';

const KeyParams = Type.Object({ key: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false });
const IngestAnswer = Type.Object({
  status: Type.Literal('success'),
  alerts: Type.Integer(),
  results: Type.Record(Type.String(), Type.Integer(), { description: 'how many alerts had each outcome (opened, attached, repeat, silenced …)' }),
});
const AnyJson = Type.Unknown({ description: 'the monitoring system’s own payload' });

/** Webhooks can carry many alerts; allow more than the API's default. */
const INGEST_BODY_LIMIT = 8 * 1024 * 1024;

/** Alert sources authenticate with the integration key in the URL (or PagerDuty's routing_key), not a bearer token. */
export const ingestRoutes =
  (services: Services, pipeline: AlertPipeline, webhooks: WebhookParser): FastifyPluginAsyncTypebox =>
  async (app) => {
    const open = { action: 'public' as const };
    const tags = ['alert ingest'];

    const integrationFor = async (key: string, kind: IntegrationKind): Promise<IntegrationRecord> => {
      const integration = await findIntegrationByKey(services.store, key, kind);
      if (!integration) throw unauthenticated(`No ${kind} integration has this key (or it was deleted)`);
      return integration;
    };

    const ingest = async (reply: FastifyReply, integration: IntegrationRecord, alerts: ReceivedAlerts) => {
      const results = await pipeline.submit(integration, alerts);
      return reply.status(200).send({ status: 'success', alerts: alerts.length, results });
    };

    // Webhooks of many alerts: their bodies reach the handler as bytes, read after the key is known (WebhookParser).
    const webhookRoutes: FastifyPluginAsyncTypebox = async (webhookApp) => {
      webhookApp.removeContentTypeParser('application/json');
      webhookApp.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
      const routes: Array<{ kind: WebhookKind; summary: string }> = [
        { kind: 'alertmanager', summary: 'Prometheus Alertmanager webhook (version 4)' },
        { kind: 'grafana', summary: 'Grafana unified alerting webhook' },
        { kind: 'generic', summary: 'Any JSON webhook, read through the integration’s mapping' },
      ];
      for (const { kind, summary } of routes) {
        webhookApp.post(
          `/api/v1/integrations/${kind}/:key`,
          { config: open, bodyLimit: INGEST_BODY_LIMIT, schema: { tags, summary, params: KeyParams, body: AnyJson, response: { 200: IngestAnswer } } },
          async (request, reply) => {
            const integration = await integrationFor(request.params.key, kind);
            const mapping = kind === 'generic' ? ((integration.mapping as GenericMapping | null) ?? DEFAULT_GENERIC_MAPPING) : null;
            const webhook = { kind, integrationId: integration.id, mapping, now: services.clock.now() };
            // A POST without a body arrives as {} (see app.ts), everything else as its bytes.
            const alerts = Buffer.isBuffer(request.body) ? await webhooks.parse(webhook, request.body) : ReceivedAlerts.of(readWebhook(webhook, request.body));
            return ingest(reply, integration, alerts);
          },
        );
      }
    };
    await app.register(webhookRoutes);

    // PagerDuty Events API v2: its own answers, its own error shape, the key inside the body.
    app.post(
      '/v2/enqueue',
      { config: open, schema: { tags, summary: 'PagerDuty Events API v2 (trigger, acknowledge, resolve)', body: AnyJson } },
      async (request, reply) => {
        const parsed = parsePagerDutyEvent(request.body, services.clock.now(), () => services.newId());
        if (!parsed.ok) return reply.status(400).send(pagerDutyInvalid(parsed.errors));
        const integration = await findIntegrationByKey(services.store, parsed.routingKey, 'pagerduty');
        if (!integration) return reply.status(400).send(pagerDutyInvalid(['routing_key is not the key of a PagerDuty integration in Firebreak']));
        await pipeline.submit(integration, ReceivedAlerts.of([parsed.alert]));
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
