import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ServerResponse } from 'node:http';
import { authorize } from '../../auth/index.ts';
import type { Services } from '../../core/context.ts';
import { isDomainError } from '../../core/errors.ts';
import type { LiveEvent } from '../../events/index.ts';
import { authenticateRequest } from '../auth.ts';
import { errorResponses } from '../schemas.ts';

export type SseConnections = Set<ServerResponse>;

const EventsQuery = Type.Object(
  {
    incident: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'only events of this incident' })),
    run: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'only events of this runbook run (step changes and live output)' })),
    since: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'replay events after this sequence number (as Last-Event-ID)' })),
  },
  { additionalProperties: false },
);

const REPLAY_PAGE = 1000;
const HEARTBEAT_MS = 15_000;
/** How often an open stream checks that its caller may still read it, by default. */
export const STREAM_CHECK_MS = 15_000;

const frame = (event: LiveEvent) =>
  `id: ${event.seq}\nevent: ${event.type}\ndata: ${JSON.stringify({
    seq: event.seq,
    at: new Date(event.at).toISOString(),
    type: event.type,
    incidentId: event.incidentId,
    data: event.data,
  })}\n\n`;

/**
 * A stream outlives the request that opened it: it asks again, every
 * `checkEveryMs`, whether its token or session is still good (signed out,
 * ended from another device, account disabled, token revoked, role changed:
 * on any instance, since the answer comes from the database). When it is not,
 * the stream says `session.ended` and closes; the reconnect then gets a 401.
 */
export const eventRoutes =
  (services: Services, connections: SseConnections, checkEveryMs = STREAM_CHECK_MS): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/events',
      {
        config: { action: 'events.read' },
        schema: {
          tags: ['events'],
          summary: 'Live events as Server-Sent Events',
          description: 'Each event carries its sequence number as the SSE id; reconnect with Last-Event-ID (or ?since=) to resume.',
          querystring: EventsQuery,
          response: errorResponses(),
        },
      },
      async (request, reply) => {
        // A HEAD asks whether the stream is there; it must not hold the connection open.
        if (request.method === 'HEAD') {
          return reply.header('content-type', 'text/event-stream; charset=utf-8').header('cache-control', 'no-cache, no-transform').send();
        }
        const header = request.headers['last-event-id'];
        const fromHeader = typeof header === 'string' && /^\d{1,15}$/.test(header) ? Number(header) : undefined;
        let cursor = fromHeader ?? request.query.since ?? (await services.store.repos.events.latestSeq());
        const { incident, run } = request.query;
        const wanted = (event: LiveEvent) =>
          (incident === undefined || event.incidentId === incident) && (run === undefined || event.data.runId === run);

        reply.hijack();
        const raw = reply.raw;
        raw.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
          'x-request-id': request.id,
        });
        raw.write('retry: 2000\n\n');
        connections.add(raw);

        // Listen first and hold live events back while the backlog replays, so none falls between.
        let backlog: LiveEvent[] | null = [];
        const send = (event: LiveEvent) => {
          if (event.seq <= cursor || !wanted(event)) return;
          cursor = event.seq;
          raw.write(frame(event));
        };
        const unsubscribe = services.events.subscribe((event) => (backlog ? backlog.push(event) : send(event)));
        const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), HEARTBEAT_MS);
        let checking = false;
        const check = setInterval(() => {
          if (checking) return;
          checking = true;
          authenticateRequest(services, request, { renew: false })
            .then((credentials) => authorize(credentials.actor, 'events.read'))
            .then(
              () => undefined,
              (error: unknown) => {
                if (!isDomainError(error) || (error.code !== 'unauthenticated' && error.code !== 'forbidden')) {
                  // The database did not answer: the caller is not refused for that, the next check asks again.
                  request.log.warn({ err: error }, 'live stream could not check its caller');
                  return;
                }
                if (raw.writableEnded) return;
                raw.write(`event: session.ended\ndata: ${JSON.stringify({ code: error.code, message: error.message })}\n\n`);
                raw.end();
              },
            )
            .finally(() => {
              checking = false;
            });
        }, checkEveryMs);
        const close = () => {
          clearInterval(heartbeat);
          clearInterval(check);
          unsubscribe();
          connections.delete(raw);
        };
        raw.on('close', close);

        try {
          for (;;) {
            const page = await services.store.repos.events.after(cursor, REPLAY_PAGE);
            for (const event of page) {
              if (wanted(event)) raw.write(frame(event));
              cursor = event.seq;
            }
            if (page.length < REPLAY_PAGE) break;
          }
        } catch (error) {
          request.log.error({ err: error }, 'event replay failed');
          raw.end();
          return;
        }
        const held: LiveEvent[] = backlog;
        backlog = null;
        for (const event of held.sort((a, b) => a.seq - b.seq)) send(event);
      },
    );
  };
