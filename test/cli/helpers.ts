import { main } from '../../src/cli/main.ts';
import type { Incident } from '../../src/cli/incident-view.ts';
import type { Io } from '../../src/cli/io.ts';

export interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RecordedRequest {
  method: string;
  url: URL;
  headers: Headers;
  body: unknown;
}

export type Reply = { status: number; body?: unknown };

/**
 * Answers the CLI's HTTP requests in-process, for tests of argument handling and
 * error mapping; the integration tests use a real server instead.
 */
export function fakeServer(handler: (request: RecordedRequest) => Reply) {
  const requests: RecordedRequest[] = [];
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const text = typeof init?.body === 'string' ? init.body : undefined;
    const request: RecordedRequest = {
      method: init?.method ?? 'GET',
      url: new URL(String(input)),
      headers: new Headers(init?.headers),
      body: text === undefined ? undefined : (JSON.parse(text) as unknown),
    };
    requests.push(request);
    const reply = handler(request);
    const body = reply.body === undefined ? null : JSON.stringify(reply.body);
    return new Response(body, { status: reply.status, headers: body === null ? {} : { 'content-type': 'application/json' } });
  }) as typeof globalThis.fetch;
  return { fetch, requests };
}

export const NOW = Date.parse('2024-05-01T12:00:00Z');

export async function runCli(argv: string[], overrides: Partial<Io> = {}): Promise<Captured> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: {},
    cwd: '/nonexistent',
    now: () => NOW,
    timeZone: 'UTC',
    fetch: (async () => {
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    }) as typeof globalThis.fetch,
    ...overrides,
  });
  return { code, stdout, stderr };
}

export function incident(overrides: Partial<Incident> = {}): Incident {
  return {
    id: '01HXINCIDENT0000000000000A',
    title: 'Checkout returns 502',
    summary: '',
    severity: 'P1',
    status: 'investigating',
    services: ['checkout'],
    roles: {},
    declaredAt: '2024-05-01T11:48:00.000Z',
    declaredBy: 'token:admin',
    acknowledgedAt: null,
    acknowledgedBy: null,
    identifiedAt: null,
    mitigatedAt: null,
    resolvedAt: null,
    closedAt: null,
    lastUpdateAt: null,
    updatedAt: '2024-05-01T11:48:00.000Z',
    version: 1,
    clocks: [],
    allowedTransitions: ['identified', 'mitigating', 'monitoring', 'resolved'],
    ...overrides,
  };
}
