import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a receiver does with the next request. */
export type Reply =
  | { status: number; headers?: Record<string, string>; body?: string }
  | 'hang'
  | 'close';

export interface ReceivedRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  headers: IncomingHttpHeaders;
  /** The raw body bytes as text, exactly as received (signatures are checked on this). */
  body: string;
}

/**
 * A real HTTP peer on 127.0.0.1 standing in for Slack, Discord, Teams or a
 * webhook endpoint: it records every request and answers from a queue of
 * replies (the default reply once the queue is empty).
 */
export class Receiver {
  readonly requests: ReceivedRequest[] = [];
  private readonly replies: Reply[] = [];
  private server: Server | null = null;
  private port = 0;

  constructor(private defaultReply: Reply = { status: 200, body: 'ok' }) {}

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        this.requests.push({
          method: request.method ?? '',
          url: request.url ?? '',
          headers: request.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        const reply = this.replies.shift() ?? this.defaultReply;
        if (reply === 'hang') return;
        if (reply === 'close') {
          request.socket.destroy();
          return;
        }
        response.writeHead(reply.status, reply.headers ?? {});
        response.end(reply.body ?? '');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  url(path = '/'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** Queues replies for the next requests, in order. */
  reply(...replies: Reply[]): void {
    this.replies.push(...replies);
  }

  setDefault(reply: Reply): void {
    this.defaultReply = reply;
  }

  last(): ReceivedRequest {
    const request = this.requests.at(-1);
    if (request === undefined) throw new Error('the receiver got no request');
    return request;
  }

  lastJson(): any {
    return JSON.parse(this.last().body);
  }

  reset(): void {
    this.requests.length = 0;
    this.replies.length = 0;
  }

  async stop(): Promise<void> {
    if (this.server === null) return;
    // Hanging replies keep sockets open; close them or close() waits forever.
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = null;
  }
}

/** A port nothing listens on: bound, read, released. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
