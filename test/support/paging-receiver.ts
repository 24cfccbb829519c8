import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

/**
 * A pager-bridge stand-in for paging tests and the paging benchmark: a real HTTP
 * server on loopback that records every webhook the moment its body has
 * arrived (before answering, as a receiver that acts on a message and then
 * acknowledges it would), optionally holds each request for a while before
 * answering 200, and tells listeners about each arrival.
 *
 * Holding requests makes deliveries slow enough that a test can kill the
 * sender while some are in flight: those were received here but never
 * acknowledged to the sender, so at-least-once delivery must send them again,
 * with the same webhook-id.
 */

export interface PagingDelivery {
  /** The `webhook-id` header (the message's idempotency key). */
  webhookId: string;
  /** `data.idempotencyKey` of the JSON body. */
  idempotencyKey: string | null;
  /** The Standard Webhooks `type` (page, escalation, sla.breached …). */
  type: string | null;
  incidentId: string | null;
  incidentTitle: string | null;
  userId: string | null;
  /** performance.now() in this process when the body had arrived. */
  at: number;
  /** Date.now() at the same moment. */
  wallAt: number;
  // Tests read arbitrary JSON shapes from the body.
  json: any;
}

export interface PagingReceiverOptions {
  /** Hold each request between min and max ms (uniformly) before answering; default none. */
  holdMs?: [number, number];
}

export interface PagingReceiver {
  url: string;
  deliveries: PagingDelivery[];
  /** Requests received and not answered yet. */
  inFlight(): number;
  /** Holds every answer (on top of holdMs) until resume(): the sender's current round stalls. */
  pause(): void;
  resume(): void;
  onDelivery(listener: (delivery: PagingDelivery) => void): () => void;
  close(): Promise<void>;
}

export async function startPagingReceiver(options: PagingReceiverOptions = {}): Promise<PagingReceiver> {
  const deliveries: PagingDelivery[] = [];
  const listeners = new Set<(delivery: PagingDelivery) => void>();
  let inFlight = 0;
  let gate: { opened: Promise<void>; open(): void } | null = null;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('error', () => {});
    response.on('error', () => {});
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const at = performance.now();
      const wallAt = Date.now();
      let json: any = null;
      try {
        json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        // not JSON: recorded with nulls
      }
      const header = request.headers['webhook-id'];
      const delivery: PagingDelivery = {
        webhookId: typeof header === 'string' ? header : '',
        idempotencyKey: typeof json?.data?.idempotencyKey === 'string' ? json.data.idempotencyKey : null,
        type: typeof json?.type === 'string' ? json.type : null,
        incidentId: typeof json?.data?.incident?.id === 'string' ? json.data.incident.id : null,
        incidentTitle: typeof json?.data?.incident?.title === 'string' ? json.data.incident.title : null,
        userId: typeof json?.data?.recipient?.userId === 'string' ? json.data.recipient.userId : null,
        at,
        wallAt,
        json,
      };
      deliveries.push(delivery);
      for (const listener of listeners) listener(delivery);
      const answer = () => {
        inFlight -= 1;
        if (!response.destroyed) {
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end('{"ok":true}');
        }
      };
      inFlight += 1;
      const hold = options.holdMs;
      const afterHold = () => (hold === undefined ? answer() : setTimeout(answer, hold[0] + Math.random() * (hold[1] - hold[0])));
      if (gate) void gate.opened.then(afterHold);
      else afterHold();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/firebreak`,
    deliveries,
    inFlight: () => inFlight,
    pause() {
      if (gate) return;
      let open = () => {};
      const opened = new Promise<void>((resolve) => (open = resolve));
      gate = { opened, open };
    },
    resume() {
      gate?.open();
      gate = null;
    },
    onDelivery(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: () =>
      new Promise<void>((resolve) => {
        gate?.open();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** How many times each webhook-id arrived. */
export function countByWebhookId(deliveries: readonly PagingDelivery[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const delivery of deliveries) counts.set(delivery.webhookId, (counts.get(delivery.webhookId) ?? 0) + 1);
  return counts;
}
