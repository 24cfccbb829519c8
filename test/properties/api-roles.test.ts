/**
 * Who may call what, over every route: viewers read, responders also act on
 * incidents, admins also manage tokens and configuration, runners only run
 * steps, and a caller without a token reaches only the probes, the metrics and
 * the OpenAPI document. A refused caller (401/403) changes nothing, whatever
 * the body says — the check comes before the body is even read.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.ts';
import { ENDPOINTS, label, type Access, type Endpoint } from './endpoints.ts';
import { ADMIN_TOKEN, bearer, contentType, describeExchange, fill, hostileBody, send, sendChecked, type RawRequest } from './harness.ts';

type Caller = 'admin' | 'responder' | 'viewer' | 'runner' | 'none';
const CALLERS: readonly Caller[] = ['admin', 'responder', 'viewer', 'runner', 'none'];

/** The expected policy, written out here independently of src/auth/policy.ts. */
const MAY: Record<Caller, readonly Access[]> = {
  none: ['public'],
  runner: ['public', 'runner.work'],
  viewer: ['public', 'incidents.read', 'events.read', 'config.read'],
  responder: ['public', 'incidents.read', 'events.read', 'config.read', 'incidents.write'],
  admin: ['public', 'incidents.read', 'events.read', 'config.read', 'incidents.write', 'tokens.manage', 'config.manage'],
};

const expectedRefusal = (caller: Caller, endpoint: Endpoint): 401 | 403 | null =>
  MAY[caller].includes(endpoint.access) ? null : caller === 'none' ? 401 : 403;

let t: TestServer;
const tokens: Partial<Record<Caller, string>> = {};

beforeAll(async () => {
  t = await startTestServer({ timers: false });
  tokens.admin = ADMIN_TOKEN;
  for (const role of ['responder', 'viewer', 'runner'] as const) tokens[role] = await t.token(role);
});
afterAll(async () => {
  await t?.stop();
});

const store = () => t.server.services.store;

async function freshIncident(): Promise<string> {
  const res = await t.api('POST', '/api/v1/incidents', { title: 'roles', severity: 'P3', services: ['grafana'] });
  if (res.status !== 201) throw new Error(`declare: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

async function throwawayToken(): Promise<string> {
  const res = await t.api('POST', '/api/v1/tokens', { name: 'throwaway', role: 'viewer' });
  return res.body.record.id;
}

/** A request that succeeds for a caller who may make it: real ids, a valid body. */
async function validRequest(endpoint: Endpoint, caller: Caller): Promise<RawRequest> {
  const id = endpoint.tokenId ? await throwawayToken() : await freshIncident();
  const headers: Record<string, string> = caller === 'none' ? {} : bearer(tokens[caller]!);
  if (endpoint.validBody !== undefined) headers['content-type'] = 'application/json';
  return {
    method: endpoint.method,
    path: fill(endpoint.path, { id, role: 'scribe' }),
    headers,
    body: endpoint.validBody === undefined ? undefined : JSON.stringify(endpoint.validBody),
  };
}

describe('the role table', () => {
  for (const caller of CALLERS) {
    describe(caller === 'none' ? 'without a token' : `as ${caller}`, () => {
      for (const endpoint of ENDPOINTS) {
        const refusal = expectedRefusal(caller, endpoint);
        it(`${label(endpoint)} → ${refusal ?? '2xx'}`, async () => {
          const req = await validRequest(endpoint, caller);
          const res = await sendChecked(t.url, store(), req);
          if (refusal !== null) {
            expect(res.status, describeExchange(req, res)).toBe(refusal);
            expect((res.json as { error: { code: string } }).error.code).toBe(refusal === 401 ? 'unauthenticated' : 'forbidden');
          } else {
            expect(res.status, describeExchange(req, res)).toBeGreaterThanOrEqual(200);
            expect(res.status, describeExchange(req, res)).toBeLessThan(300);
          }
        });
      }
    });
  }

  it('a viewer reads every readable route with 200', async () => {
    const id = await freshIncident();
    for (const path of ['/api/v1/incidents', `/api/v1/incidents/${id}`, `/api/v1/incidents/${id}/timeline`, '/api/v1/config', '/api/v1/events']) {
      const req: RawRequest = { method: 'GET', path, headers: bearer(tokens.viewer!) };
      const res = await send(t.url, req);
      expect(res.status, describeExchange(req, res)).toBe(200);
    }
  });
});

describe('a refused caller changes nothing, whatever the body', () => {
  it('401/403 before any body is read, with the envelope, and no change', async () => {
    const refused = CALLERS.flatMap((caller) => ENDPOINTS.filter((e) => expectedRefusal(caller, e) !== null).map((e) => [caller, e] as const));
    const shared = await freshIncident();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...refused).chain(([caller, endpoint]) =>
          fc.tuple(fc.constant(caller), fc.constant(endpoint), fc.option(hostileBody(endpoint.fields ?? {}), { nil: undefined }), contentType),
        ),
        async ([caller, endpoint, body, type]) => {
          const headers: Record<string, string> = caller === 'none' ? {} : bearer(tokens[caller]!);
          if (type !== undefined) headers['content-type'] = type;
          // A real token id: a DELETE that got through would revoke the runner's token and show.
          const id = endpoint.tokenId ? (await store().repos.tokens.list()).find((r) => r.role === 'runner')!.id : shared;
          const req: RawRequest = {
            method: endpoint.method,
            path: fill(endpoint.path, { id, role: 'scribe' }),
            headers,
            body: endpoint.method === 'GET' ? undefined : body,
          };
          const res = await sendChecked(t.url, store(), req);
          expect(res.status, describeExchange(req, res)).toBe(expectedRefusal(caller, endpoint));
        },
      ),
      { numRuns: 150 },
    );
  });
});
