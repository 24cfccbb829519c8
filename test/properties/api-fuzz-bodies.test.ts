/**
 * Hostile bodies on every endpoint that takes one: whatever arrives, the server
 * answers below 500, every 4xx carries the error envelope, and a 4xx leaves the
 * database exactly as it was.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.ts';
import { ENDPOINTS, ROLE_IDS, hasBody, label, type Endpoint } from './endpoints.ts';
import { ADMIN_TOKEN, bearer, contentType, deepNesting, fill, hostileBody, send, sendChecked, type RawRequest } from './harness.ts';

const RUNS = 50;

let t: TestServer;
let shared: string;

beforeAll(async () => {
  t = await startTestServer({ timers: false });
  shared = await declare();
});
afterAll(async () => {
  await t?.stop();
});

async function declare(): Promise<string> {
  const res = await send(t.url, {
    method: 'POST',
    path: '/api/v1/incidents',
    headers: { ...bearer(ADMIN_TOKEN), 'content-type': 'application/json' },
    body: JSON.stringify({ title: 'fuzz target', severity: 'P1', services: ['rest-api'] }),
  });
  if (res.status !== 201) throw new Error(`declare failed: ${res.status} ${res.text}`);
  return (res.json as { id: string }).id;
}

/**
 * Where the request goes: the shared incident (whatever state fuzzing left it in), a fresh one,
 * or an id that does not exist. Hostile ids have their own properties (api-fuzz-requests), so
 * that here a failure is about the body.
 */
const target = fc.oneof(
  { arbitrary: fc.constant({ kind: 'shared' as const }), weight: 3 },
  { arbitrary: fc.constant({ kind: 'fresh' as const }), weight: 2 },
  { arbitrary: fc.constantFrom('01ARZ3NDEKTSV4RRFFQ69G5FAV', 'does-not-exist').map((id) => ({ kind: 'random' as const, id })), weight: 1 },
);

const roleParam = fc.constantFrom(...ROLE_IDS);

async function resolveId(endpoint: Endpoint, where: { kind: 'shared' | 'fresh' | 'random'; id?: string }): Promise<string> {
  if (endpoint.tokenId) {
    // Never a real token: revoking the admin token would end the test run.
    return where.id ?? '01ARZ3NDEKTSV4RRFFQ69G5FAV';
  }
  if (where.kind === 'random') return where.id!;
  return where.kind === 'fresh' ? declare() : shared;
}

describe('hostile bodies never cause a 5xx or a change on a 4xx', () => {
  for (const endpoint of ENDPOINTS.filter((e) => e.method !== 'GET')) {
    it(`${label(endpoint)}`, async () => {
      const fields = endpoint.fields ?? {};
      await fc.assert(
        fc.asyncProperty(
          hasBody(endpoint) ? hostileBody(fields) : fc.option(hostileBody(fields), { nil: undefined }),
          contentType,
          target,
          roleParam,
          async (body, type, where, role) => {
            const id = await resolveId(endpoint, where);
            const headers: Record<string, string> = bearer(ADMIN_TOKEN);
            if (type !== undefined) headers['content-type'] = type;
            const req: RawRequest = { method: endpoint.method, path: fill(endpoint.path, { id, role }), headers, body };
            await sendChecked(t.url, t.server.services.store, req);
          },
        ),
        { numRuns: RUNS },
      );
    });
  }

  // Kept apart from the mix above so that one root cause fails one property, not all of them.
  it('a deeply nested body (up to 20,000 levels) on any endpoint is never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ENDPOINTS.filter(hasBody)), deepNesting, async (endpoint, body) => {
        const req: RawRequest = {
          method: endpoint.method,
          path: fill(endpoint.path, { id: shared, role: 'scribe' }),
          headers: { ...bearer(ADMIN_TOKEN), 'content-type': 'application/json' },
          body,
        };
        await sendChecked(t.url, t.server.services.store, req);
      }),
      { numRuns: 40 },
    );
  });

  it('refuses a body over the size limit with 413 and changes nothing', async () => {
    const body = JSON.stringify({ title: 'big', severity: 'P1', summary: 'x'.repeat(2 * 1024 * 1024) });
    for (const endpoint of ENDPOINTS.filter(hasBody)) {
      const path = fill(endpoint.path, { id: shared, role: 'scribe' });
      const res = await sendChecked(t.url, t.server.services.store, {
        method: endpoint.method,
        path,
        headers: { ...bearer(ADMIN_TOKEN), 'content-type': 'application/json' },
        body,
      });
      if (res.status !== 413) throw new Error(`${endpoint.method} ${path}: expected 413 for a 2 MiB body, got ${res.status} ${res.text.slice(0, 200)}`);
    }
  });
});
