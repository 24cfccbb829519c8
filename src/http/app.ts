import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { authorize, type Action } from '../auth/index.ts';
import { authenticateRequest, type Credentials } from './auth.ts';
import type { Actor } from '../core/actor.ts';
import type { Services } from '../core/context.ts';
import { invalid } from '../core/errors.ts';
import type { Metrics } from '../observability/index.ts';
import { errorBody, sendError } from './errors.ts';
import { findUnstorableText, parseJsonBody } from './json.ts';
import type { AlertPipeline } from '../alerts/index.ts';
import type { WebhookParser } from './webhooks/index.ts';
import { alertRoutes } from './routes/alerts.ts';
import { configRoutes, type ConfigReloader } from './routes/config.ts';
import { ingestRoutes } from './routes/ingest.ts';
import { pagingRoutes } from './routes/paging.ts';
import type { PagingRuntime } from '../paging/index.ts';
import { eventRoutes, type SseConnections } from './routes/events.ts';
import { healthRoutes } from './routes/health.ts';
import { incidentRoutes } from './routes/incidents.ts';
import { tokenRoutes } from './routes/tokens.ts';
import { sessionRoutes } from './routes/session.ts';
import { userRoutes } from './routes/users.ts';
import { webRoutes } from './routes/web.ts';
import { runRoutes } from './routes/runs.ts';
import { postIncidentRoutes } from './routes/postincident.ts';
import { reportRoutes } from './routes/reports.ts';
import { statusRoutes } from './routes/status.ts';
import { templateRoutes } from './routes/templates.ts';
import type { RunsRuntime } from '../runs/runtime.ts';
import { ErrorEnvelope } from './schemas.ts';
import { createIdGenerator } from '../core/ids.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What the caller must be allowed to do; `public` needs no token. */
    action?: Action | 'public';
  }
  interface FastifyRequest {
    actor: Actor;
    credentials: Credentials;
  }
}

export interface AppOptions {
  services: Services;
  alerts: AlertPipeline;
  /** Reads alert webhooks, large ones off the event loop. */
  webhooks: WebhookParser;
  paging: PagingRuntime;
  runs: RunsRuntime;
  metrics: Metrics;
  reloadConfig: ConfigReloader;
  /** Nudges the timer scheduler after a write that may have made a timer due. */
  wakeTimers?: () => void;
  bodyLimit?: number;
  /** Believe X-Forwarded-For/-Proto from these proxies (Fastify's trustProxy): true, a hop count, or addresses and CIDRs. */
  trustProxy?: boolean | number | string[];
  /** The built web UI (web/dist); null serves none. */
  uiDir?: string | null;
  /** How often a live event stream checks that its caller may still read it (tests shorten it). */
  streamCheckMs?: number;
}

export type App = FastifyInstance;

/** A hop count means: believe that many proxies nearest to us. */
const trustProxyOption = (setting: AppOptions['trustProxy']) =>
  typeof setting === 'number' ? (_address: string, hop: number) => hop < setting : (setting ?? false);

export async function createApp(options: AppOptions): Promise<App> {
  const { services, metrics } = options;
  const requestIds = createIdGenerator(services.clock);
  const app = Fastify({
    loggerInstance: services.logger as FastifyBaseLogger,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    trustProxy: trustProxyOption(options.trustProxy),
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : requestIds();
    },
    ajv: {
      customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: true },
    },
    routerOptions: { maxParamLength: 200 },
    // One line per request (below), not Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    // Requests the router cannot even read (a bad %-escape, an over-long segment) still get the envelope.
    frameworkErrors: (error, _request, reply) => {
      const status = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 414 : 400;
      void (reply as FastifyReply).status(status).send(errorBody(status === 414 ? 'uri_too_long' : 'bad_url', error.message));
    },
    // Malformed HTTP framing never reaches Fastify's handlers; answer it in the same shape.
    clientErrorHandler: (error, socket) => {
      if (!socket.writable) return;
      const body = JSON.stringify(errorBody('bad_request', `Malformed HTTP request: ${(error as { code?: string }).code ?? error.message}`));
      socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // JSON only: a text body is a mistake the caller should hear about (415).
  app.removeContentTypeParser(['text/plain', 'application/json']);
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as Buffer));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  app.addSchema(ErrorEnvelope);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Firebreak API', version: '1', description: 'Incidents, SLA clocks, timelines and live events.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });

  let closing = false;
  // The hooks below run for every request, alert sources' included, so they
  // take Fastify's callback form (no promise per hook) and do no more than
  // they must for a public route.
  app.decorateRequest('actor', null as never);
  app.decorateRequest('credentials', null as never);
  const admit = async (request: FastifyRequest, action: Action): Promise<void> => {
    const credentials = await authenticateRequest(services, request);
    authorize(credentials.actor, action);
    request.credentials = credentials;
    request.actor = credentials.actor;
  };
  // Every route says who may call it; one that forgot would be open to anyone, so it does not start.
  app.addHook('onRoute', (route) => {
    if ((route.config as { action?: unknown } | undefined)?.action === undefined) {
      throw new Error(`${String(route.method)} ${route.url} declares no action (config.action): say who may call it, or 'public'`);
    }
  });
  app.addHook('onRequest', (request, _reply, done) => {
    const action = request.routeOptions.config.action;
    // No action: no route matched, and the 404 handler answers.
    if (action === 'public' || action === undefined) done();
    else admit(request, action).then(() => done(), done);
  });
  app.addHook('preValidation', (request, _reply, done) => {
    // Path and query text reach SQL as parameters; refuse what the database cannot compare (NUL, lone surrogates).
    const problem = findUnstorableText(request.params, 'path') ?? findUnstorableText(request.query, 'query');
    if (problem) return done(invalid(`${problem.path} contains ${problem.what}`, { field: problem.path }));
    // A POST without a body (`firebreak incident ack`, curl -X POST) means "no options".
    const length = request.headers['content-length'];
    if (request.body === undefined && (length === undefined || length === '0') && request.headers['transfer-encoding'] === undefined) {
      request.body = {};
    }
    done();
  });
  const durations = new Map<string, { observe(seconds: number): void }>();
  app.addHook('onResponse', (request, reply, done) => {
    // Alert sources post often; their successes are debug detail, their failures are not.
    const status = reply.statusCode;
    const routine = request.routeOptions.config.action === 'public' && status < 400;
    const level = status >= 500 ? 'error' : routine ? 'debug' : 'info';
    if (services.logger.isLevelEnabled(level)) request.log[level]({ req: request, res: { statusCode: status }, responseTime: reply.elapsedTime }, 'request completed');
    // One child per method, route and status, so that each observation need not look its labels up again.
    const route = request.routeOptions.url ?? 'unmatched';
    const key = `${request.method} ${status} ${route}`;
    let histogram = durations.get(key);
    if (!histogram) {
      histogram = metrics.httpDuration.labels({ method: request.method, route, status: String(status) });
      durations.set(key, histogram);
    }
    histogram.observe(reply.elapsedTime / 1000);
    done();
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.header('x-request-id', reply.request.id);
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });

  app.setErrorHandler((error: FastifyError, request, reply) => sendError(error, request, reply));
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send(errorBody('not_found', `No route ${request.method} ${request.url.split('?')[0]}`)),
  );

  const sse: SseConnections = new Set();
  app.addHook('preClose', async () => {
    closing = true;
    // Live streams never end by themselves; end them so shutdown can finish.
    for (const connection of sse) connection.end();
    // Keep-alive connections that go idle after their last answer would hold
    // the close open until their timeout; let each go as soon as it is idle.
    const sweep = setInterval(() => app.server.closeIdleConnections(), 100);
    app.server.once('close', () => clearInterval(sweep));
  });

  await app.register(healthRoutes(services, metrics));
  await app.register(incidentRoutes(services, options.wakeTimers ?? (() => {})), { prefix: '/api/v1' });
  await app.register(eventRoutes(services, sse, options.streamCheckMs), { prefix: '/api/v1' });
  await app.register(tokenRoutes(services), { prefix: '/api/v1' });
  await app.register(sessionRoutes(services), { prefix: '/api/v1' });
  await app.register(userRoutes(services), { prefix: '/api/v1' });
  await app.register(configRoutes(services, options.reloadConfig), { prefix: '/api/v1' });
  await app.register(alertRoutes(services), { prefix: '/api/v1' });
  await app.register(ingestRoutes(services, options.alerts, options.webhooks));
  await app.register(pagingRoutes(services, options.paging));
  await app.register(runRoutes(services, options.runs.hub), { prefix: '/api/v1' });
  await app.register(postIncidentRoutes(services), { prefix: '/api/v1' });
  await app.register(reportRoutes(services), { prefix: '/api/v1' });
  await app.register(statusRoutes(services));
  await app.register(templateRoutes(services), { prefix: '/api/v1' });
  if (options.uiDir) await app.register(webRoutes(options.uiDir));
  app.get('/api/v1/openapi.json', { config: { action: 'public' }, schema: { hide: true } }, async () => app.swagger());
  return app;
}
