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
import { ENDPOINTS, label, type Access, type Endpoint, type IdKind } from './endpoints.ts';
import { INGEST_KINDS, createFixtures, freshAlert, freshTarget, validRequestFor, type Fixtures } from './fixtures.ts';
import {
  ADMIN_TOKEN,
  bearer,
  contentType,
  describeExchange,
  expectErrorEnvelope,
  expectPagerDutyRefusal,
  fill,
  hostileBody,
  send,
  sendChecked,
  withKey,
  type RawRequest,
} from './harness.ts';

type Caller = 'admin' | 'responder' | 'viewer' | 'runner' | 'none';
const CALLERS: readonly Caller[] = ['admin', 'responder', 'viewer', 'runner', 'none'];

/**
 * The expected policy, written out here independently of src/auth/policy.ts. Ingest
 * routes take the integration key, not a token: with the key, anyone may post.
 */
const MAY: Record<Caller, readonly Access[]> = {
  none: ['public', 'ingest'],
  runner: ['public', 'ingest', 'runner.work'],
  viewer: ['public', 'ingest', 'incidents.read', 'events.read', 'config.read', 'session.own'],
  responder: ['public', 'ingest', 'incidents.read', 'events.read', 'config.read', 'incidents.write', 'status.manage', 'session.own'],
  admin: ['public', 'ingest', 'incidents.read', 'events.read', 'config.read', 'incidents.write', 'tokens.manage', 'config.manage', 'status.manage', 'session.own', 'users.manage'],
};

const expectedRefusal = (caller: Caller, endpoint: Endpoint): 401 | 403 | null =>
  MAY[caller].includes(endpoint.access) ? null : caller === 'none' ? 401 : 403;

let t: TestServer;
let fixtures: Fixtures;
const tokens: Partial<Record<Caller, string>> = {};

beforeAll(async () => {
  t = await startTestServer({ timers: false });
  tokens.admin = ADMIN_TOKEN;
  for (const role of ['responder', 'viewer', 'runner'] as const) tokens[role] = await t.token(role);
  fixtures = await createFixtures(t);
});
afterAll(async () => {
  await t?.stop();
});

const store = () => t.server.services.store;

async function freshIncident(): Promise<string> {
  return freshTarget(t, fixtures, 'incident');
}

const credentials = (caller: Caller): Record<string, string> => (caller === 'none' ? {} : bearer(tokens[caller]!));

/** A request that succeeds for a caller who may make it: real ids, a valid body, the live key. */
async function validRequest(endpoint: Endpoint, caller: Caller): Promise<RawRequest> {
  return validRequestFor(t, fixtures, endpoint, credentials(caller));
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
    const alert = await freshAlert(t, fixtures);
    for (const path of [
      '/api/v1/incidents',
      `/api/v1/incidents/${id}`,
      `/api/v1/incidents/${id}/timeline`,
      '/api/v1/config',
      '/api/v1/events',
      '/api/v1/alerts',
      `/api/v1/alerts/${alert}`,
      '/api/v1/silences?all=true',
      '/api/v1/maintenance-windows?all=true',
    ]) {
      const req: RawRequest = { method: 'GET', path, headers: bearer(tokens.viewer!) };
      const res = await send(t.url, req);
      expect(res.status, describeExchange(req, res)).toBe(200);
    }
  });
});

describe('a refused caller changes nothing, whatever the body', () => {
  it('401/403 before any body is read, with the envelope, and no change', async () => {
    const refused = CALLERS.flatMap((caller) => ENDPOINTS.filter((e) => expectedRefusal(caller, e) !== null).map((e) => [caller, e] as const));
    // Real targets: a DELETE that got through would delete, expire or cancel them, and show.
    const shared: Record<Exclude<IdKind, 'token'>, string> = {
      incident: await freshIncident(),
      integration: await freshTarget(t, fixtures, 'integration'),
      alert: await freshAlert(t, fixtures),
      silence: await freshTarget(t, fixtures, 'silence'),
      maintenance: await freshTarget(t, fixtures, 'maintenance'),
      account: await freshTarget(t, fixtures, 'account'),
    };
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...refused).chain(([caller, endpoint]) =>
          fc.tuple(fc.constant(caller), fc.constant(endpoint), fc.option(hostileBody(endpoint.fields ?? {}), { nil: undefined }), contentType),
        ),
        async ([caller, endpoint, body, type]) => {
          const headers: Record<string, string> = caller === 'none' ? {} : bearer(tokens[caller]!);
          if (type !== undefined) headers['content-type'] = type;
          // A real token id: a DELETE that got through would revoke the runner's token and show.
          const kind = endpoint.idKind ?? 'incident';
          const id = kind === 'token' ? (await store().repos.tokens.list()).find((r) => r.role === 'runner')!.id : shared[kind];
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

describe('ingest routes take the integration key and never a bearer token', () => {
  const ingest = ENDPOINTS.filter((e) => e.access === 'ingest');

  /** How a route refuses a key that opens nothing: 401 with the envelope, or PagerDuty's 400. */
  function expectKeyRefused(endpoint: Endpoint, req: RawRequest, res: Awaited<ReturnType<typeof send>>): void {
    if (endpoint.ingest === 'pagerduty') {
      expectPagerDutyRefusal(req, res);
      expect((res.json as { errors: string[] }).errors.join(' '), describeExchange(req, res)).toContain('routing_key');
    } else {
      expect(res.status, describeExchange(req, res)).toBe(401);
      expectErrorEnvelope(req, res);
      expect((res.json as { error: { code: string } }).error.code).toBe('unauthenticated');
    }
  }

  it('a valid key is accepted whatever Authorization says (none, junk, a revoked-looking or a valid admin token)', async () => {
    for (const endpoint of ingest) {
      for (const authorization of [undefined, 'Bearer fbk_nope', 'Basic YWRtaW46YWRtaW4=', `Bearer ${ADMIN_TOKEN}`, `Bearer ${tokens.runner}`]) {
        const req = await validRequestFor(t, fixtures, endpoint, authorization === undefined ? {} : { authorization });
        const res = await sendChecked(t.url, store(), req);
        expect(res.status, describeExchange(req, res)).toBeGreaterThanOrEqual(200);
        expect(res.status, describeExchange(req, res)).toBeLessThan(300);
      }
    }
  });

  it('an unknown, deleted or other-kind key is refused even with an admin token, and changes nothing', async () => {
    for (const endpoint of ingest) {
      const kind = endpoint.ingest!;
      const otherKind = INGEST_KINDS.find((k) => k !== kind)!;
      for (const key of ['fbi_unknownkey0123456789abcdefghijklm', fixtures.deletedKeys[kind], fixtures.keys[otherKind], ADMIN_TOKEN]) {
        for (const headers of [{}, bearer(ADMIN_TOKEN)]) {
          const valid = await validRequestFor(t, fixtures, endpoint, headers);
          const req: RawRequest = {
            ...valid,
            path: fill(endpoint.path, { key: encodeURIComponent(key) }),
            body: withKey(JSON.stringify(endpoint.validBody), key),
          };
          const res = await sendChecked(t.url, store(), req);
          expectKeyRefused(endpoint, req, res);
        }
      }
    }
  });

  it('a webhook with no key in the path is not routed at all', async () => {
    for (const endpoint of ingest.filter((e) => e.path.includes(':key'))) {
      const req: RawRequest = { method: 'POST', path: endpoint.path.replace('/:key', ''), headers: { ...bearer(ADMIN_TOKEN), 'content-type': 'application/json' }, body: '{}' };
      const res = await sendChecked(t.url, store(), req);
      expect([404, 405], describeExchange(req, res)).toContain(res.status);
    }
  });
});
