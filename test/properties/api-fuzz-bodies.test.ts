/**
 * Hostile bodies on every endpoint that takes one: whatever arrives, the server
 * answers below 500, every 4xx carries the error envelope, and a 4xx leaves the
 * database exactly as it was.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.ts';
import { ENDPOINTS, INGEST_BODY_LIMIT, ROLE_IDS, hasBody, label, type Endpoint, type IdKind } from './endpoints.ts';
import { createFixtures, freshTarget, type Fixtures } from './fixtures.ts';
import { ADMIN_TOKEN, bearer, contentType, deepNesting, fill, hostileBody, send, sendChecked, withKey, type RawRequest } from './harness.ts';

const RUNS = 40;

let t: TestServer;
let fixtures: Fixtures;
/** One target of each kind that every run may act on, in whatever state fuzzing left it. */
const shared: Partial<Record<IdKind, string>> = {};

beforeAll(async () => {
  t = await startTestServer({ timers: false });
  fixtures = await createFixtures(t);
  shared.incident = await declare();
  for (const kind of ['integration', 'alert', 'silence', 'maintenance'] as const) shared[kind] = await freshTarget(t, fixtures, kind);
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
  const kind = endpoint.idKind ?? 'incident';
  if (kind === 'token') {
    // Never a real token: revoking the admin token would end the test run.
    return where.id ?? '01ARZ3NDEKTSV4RRFFQ69G5FAV';
  }
  if (where.kind === 'random') return where.id!;
  return where.kind === 'fresh' ? freshTarget(t, fixtures, kind) : shared[kind]!;
}

/**
 * The key of an ingest route: mostly the live key of its kind (so bodies reach the
 * adapter and the pipeline), sometimes a deleted, unknown or other kind's key.
 */
const keyChoice = fc.oneof(
  { arbitrary: fc.constant('live' as const), weight: 8 },
  { arbitrary: fc.constantFrom('deleted' as const, 'unknown' as const, 'other' as const), weight: 1 },
);

function keyFor(endpoint: Endpoint, choice: 'live' | 'deleted' | 'unknown' | 'other'): string {
  const kind = endpoint.ingest ?? 'alertmanager';
  if (choice === 'live') return fixtures.keys[kind];
  if (choice === 'deleted') return fixtures.deletedKeys[kind];
  if (choice === 'other') return fixtures.keys[kind === 'alertmanager' ? 'grafana' : 'alertmanager'];
  return 'fbi_unknownkey0123456789abcdefghijklm';
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
          keyChoice,
          async (body, type, where, role, choice) => {
            const id = await resolveId(endpoint, where);
            const key = keyFor(endpoint, choice);
            // Ingest routes ignore Authorization; an admin token must not open them either.
            const headers: Record<string, string> = bearer(ADMIN_TOKEN);
            if (type !== undefined) headers['content-type'] = type;
            const req: RawRequest = { method: endpoint.method, path: fill(endpoint.path, { id, role, key }), headers, body: withKey(body, key) };
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
        const key = endpoint.ingest ? fixtures.keys[endpoint.ingest] : '';
        const req: RawRequest = {
          method: endpoint.method,
          path: fill(endpoint.path, { id: shared[endpoint.idKind ?? 'incident'] ?? shared.incident!, role: 'scribe', key }),
          headers: { ...bearer(ADMIN_TOKEN), 'content-type': 'application/json' },
          body,
        };
        await sendChecked(t.url, t.server.services.store, req);
      }),
      { numRuns: 40 },
    );
  });

  it('refuses a body over the size limit with 413 and changes nothing', async () => {
    const over = (limit: number) => JSON.stringify({ title: 'big', severity: 'P1', summary: 'x'.repeat(limit + 1024 * 1024) });
    const bodies = new Map([1024 * 1024, INGEST_BODY_LIMIT].map((limit) => [limit, over(limit)]));
    for (const endpoint of ENDPOINTS.filter(hasBody)) {
      const limit = endpoint.bodyLimit ?? 1024 * 1024;
      const key = endpoint.ingest ? fixtures.keys[endpoint.ingest] : '';
      const path = fill(endpoint.path, { id: shared[endpoint.idKind ?? 'incident'] ?? shared.incident!, role: 'scribe', key });
      const res = await sendChecked(t.url, t.server.services.store, {
        method: endpoint.method,
        path,
        headers: { ...bearer(ADMIN_TOKEN), 'content-type': 'application/json' },
        body: bodies.get(limit) ?? over(limit),
      });
      if (res.status !== 413) throw new Error(`${endpoint.method} ${path}: expected 413 for a body over ${limit} bytes, got ${res.status} ${res.text.slice(0, 200)}`);
    }
  });
});
