import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../../core/context.ts';
import type { Metrics } from '../../observability/index.ts';
import { errorBody } from '../errors.ts';

/** Unauthenticated by design: probes and scrapers carry no tokens. */
export const healthRoutes =
  (services: Services, metrics: Metrics): FastifyPluginAsyncTypebox =>
  async (app) => {
    const open = { action: 'public' as const };
    app.get('/healthz', { config: open, schema: { hide: true } }, async () => ({ status: 'ok' }));
    app.get('/readyz', { config: open, schema: { hide: true } }, async (request, reply) => {
      try {
        await services.store.ping();
        return { status: 'ready', database: services.store.dialect };
      } catch (error) {
        request.log.warn({ err: error }, 'database not reachable');
        return reply.status(503).send(errorBody('unavailable', 'The database is not reachable'));
      }
    });
    app.get('/metrics', { config: open, schema: { hide: true } }, async (_request, reply) => {
      const text = await metrics.registry.metrics();
      return reply.header('content-type', metrics.registry.contentType).send(text);
    });
  };
