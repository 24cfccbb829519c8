/**
 * Hostile request lines and headers: path ids, query strings, methods and
 * Authorization headers. Same contract as for bodies — never a 5xx, the error
 * envelope on every 4xx, no change on a 4xx — and a read never changes anything.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.ts';
import { ENDPOINTS, ROLE_IDS, label } from './endpoints.ts';
import { createFixtures, freshAlert, type Fixtures } from './fixtures.ts';
import {
  ADMIN_TOKEN,
  PROTO_KEYS,
  anyString,
  bearer,
  describeExchange,
  fill,
  hostileId,
  jsonHeaders,
  malformedId,
  percentEncode,
  send,
  sendChecked,
  snapshot,
  withKey,
  type RawRequest,
} from './harness.ts';

let t: TestServer;
let incident: string;
let revoked: string;
let fixtures: Fixtures;
let alert: string;

beforeAll(async () => {
  t = await startTestServer({ timers: false });
  fixtures = await createFixtures(t);
  alert = await freshAlert(t, fixtures);
  const declared = await t.api('POST', '/api/v1/incidents', { title: 'request fuzz', severity: 'P2', services: ['redis'] });
  incident = declared.body.id;
  const token = await t.api('POST', '/api/v1/tokens', { name: 'revoked', role: 'admin' });
  revoked = token.body.token;
  await t.api('DELETE', `/api/v1/tokens/${token.body.record.id}`);
});
afterAll(async () => {
  await t?.stop();
});

const store = () => t.server.services.store;

const validRequest = (endpoint: (typeof ENDPOINTS)[number], id: string, role = 'scribe', token = ADMIN_TOKEN): RawRequest => {
  const key = endpoint.ingest ? fixtures.keys[endpoint.ingest] : '';
  return {
    method: endpoint.method,
    path: fill(endpoint.path, { id, role, key }),
    headers: endpoint.validBody === undefined ? bearer(token) : jsonHeaders(token),
    body: endpoint.validBody === undefined ? undefined : withKey(JSON.stringify(endpoint.validBody), key),
  };
};

describe('path ids', () => {
  const withId = ENDPOINTS.filter((e) => e.path.includes(':id'));

  it('an id that names nothing is a 4xx with the envelope and changes nothing, on every route with an id', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...withId), hostileId, async (endpoint, id) => {
        const req = validRequest(endpoint, id);
        const res = await sendChecked(t.url, store(), req);
        expect(res.status, describeExchange(req, res)).toBeGreaterThanOrEqual(400);
      }),
      { numRuns: 120 },
    );
  });

  it('an id the router refuses (broken percent-encoding, not UTF-8, too long) still gets the error envelope', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...withId), malformedId, async (endpoint, id) => {
        const req = validRequest(endpoint, id);
        const res = await sendChecked(t.url, store(), req);
        expect(res.status, describeExchange(req, res)).toBeGreaterThanOrEqual(400);
      }),
      { numRuns: 60 },
    );
  });

  it('a hostile role name is a 4xx with the envelope and changes nothing', async () => {
    const roleRoutes = ENDPOINTS.filter((e) => e.path.includes(':role'));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...roleRoutes), hostileId, async (endpoint, role) => {
        fc.pre(!(ROLE_IDS as readonly string[]).includes(decodeURIComponentSafe(role)));
        const req = validRequest(endpoint, incident, role);
        const res = await sendChecked(t.url, store(), req);
        expect(res.status, describeExchange(req, res)).toBeGreaterThanOrEqual(400);
      }),
      { numRuns: 60 },
    );
  });

  const keyRoutes = ENDPOINTS.filter((e) => e.path.includes(':key'));

  it('a key that opens nothing (hostile, traversal, NUL, long) is a 4xx with the envelope and stores nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...keyRoutes), fc.oneof(hostileId, malformedId), async (endpoint, key) => {
        const req: RawRequest = { ...validRequest(endpoint, incident), path: fill(endpoint.path, { key }) };
        const res = await sendChecked(t.url, store(), req);
        expect(res.status, describeExchange(req, res)).toBeGreaterThanOrEqual(400);
      }),
      { numRuns: 50 },
    );
  });

  it('traversal and encoded separators never reach another route', async () => {
    for (const path of [
      `/api/v1/incidents/${incident}/../../tokens`,
      `/api/v1/incidents/..%2f..%2ftokens`,
      `/api/v1/incidents/%2e%2e/%2e%2e/tokens`,
      `/api/v1/incidents/${incident}%2f..%2f..%2ftokens`,
      `/api/v1/incidents/${incident}/timeline/..`,
      `//api/v1/incidents`,
      `/api/v1//incidents/${incident}`,
      `/api/v1/incidents/${incident}%00/timeline`,
      `/api/v1/incidents/${incident}%23/timeline`,
      `/api/v1/integrations/alertmanager/${fixtures.keys.alertmanager}/../../tokens`,
      `/api/v1/integrations/alertmanager/..%2f..%2ftokens`,
      `/api/v1/alerts/${alert}/../../integrations`,
      `/api/v1/silences/..%2fintegrations`,
      `/api/v1/maintenance-windows/%2e%2e`,
    ]) {
      const req: RawRequest = { method: 'DELETE', path, headers: bearer(ADMIN_TOKEN) };
      const res = await sendChecked(t.url, store(), req);
      expect(res.status, describeExchange(req, res)).toBeGreaterThanOrEqual(400);
    }
  });
});

const decodeURIComponentSafe = (text: string) => {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
};

/** One query parameter: a known name or not, a value of any kind, sometimes with broken encoding. */
const queryPair = (names: readonly string[]) =>
  fc.tuple(
    fc.oneof(
      { arbitrary: fc.constantFrom(...names), weight: 4 },
      { arbitrary: fc.constantFrom(...PROTO_KEYS, '__proto__[x]', 'status[]', 'a[b]', ''), weight: 1 },
      { arbitrary: anyString(10).map(percentEncode), weight: 1 },
    ),
    fc.oneof(
      { arbitrary: fc.constantFrom('1', '0', '-1', '500', '501', '1e3', '2.5', '9'.repeat(30), 'investigating', 'resolved', 'P1', 'p1', 'rest-api', ''), weight: 3 },
      { arbitrary: fc.constantFrom('2024-01-01T00:00:00Z', '2024-02-30T00:00:00Z', '0000-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z', 'yesterday'), weight: 1 },
      { arbitrary: anyString(40).map(percentEncode), weight: 2 },
      { arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 250 }).map(encodeURIComponent), weight: 1 },
      { arbitrary: fc.constantFrom('%', '%zz', '%FF', '%C3%28', '%ED%A0%80'), weight: 1 },
      { arbitrary: fc.constantFrom('%00', 'a%00b', 'P1%00'), weight: 1 },
    ),
  );

const queryString = (names: readonly string[]) =>
  fc.array(queryPair(names), { maxLength: 6 }).map((pairs) => (pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`));

describe('query strings', () => {
  const lists: Array<[string, () => string, readonly string[], number?]> = [
    ['GET /api/v1/incidents', () => '/api/v1/incidents', ['status', 'severity', 'service', 'from', 'to', 'limit', 'cursor']],
    ['GET /api/v1/incidents/:id/timeline', () => `/api/v1/incidents/${incident}/timeline`, ['after', 'limit']],
    ['GET /api/v1/events', () => '/api/v1/events', ['since', 'incident']],
    ['GET /api/v1/tokens', () => '/api/v1/tokens', ['x']],
    ['GET /api/v1/config', () => '/api/v1/config', ['x']],
    ['GET /api/v1/alerts', () => '/api/v1/alerts', ['status', 'service', 'incident', 'integration', 'label', 'from', 'to', 'limit', 'cursor'], 60],
    ['GET /api/v1/alerts/:id', () => `/api/v1/alerts/${alert}`, ['x'], 30],
    ['GET /api/v1/silences', () => '/api/v1/silences', ['all'], 30],
    ['GET /api/v1/maintenance-windows', () => '/api/v1/maintenance-windows', ['all'], 30],
    ['GET /api/v1/integrations', () => '/api/v1/integrations', ['x'], 30],
  ];
  for (const [name, path, params, runs = 80] of lists) {
    it(`${name}: never a 5xx, the envelope on a 4xx, and a read changes nothing`, async () => {
      await fc.assert(
        fc.asyncProperty(queryString(params), async (query) => {
          const before = await snapshot(store());
          const req: RawRequest = { method: 'GET', path: path() + query, headers: bearer(ADMIN_TOKEN) };
          const res = await sendChecked(t.url, store(), req);
          expect(await snapshot(store()), `a read changed state: ${describeExchange(req, res)}`).toEqual(before);
        }),
        { numRuns: runs },
      );
    });
  }

  it('GET /api/v1/events refuses bad parameters with 400 before opening a stream', async () => {
    for (const query of ['?since=-1', '?since=abc', '?since=1.5', '?incident=', `?incident=${'x'.repeat(65)}`, '?x=1', '?__proto__=1']) {
      const req: RawRequest = { method: 'GET', path: `/api/v1/events${query}`, headers: bearer(ADMIN_TOKEN) };
      const res = await sendChecked(t.url, store(), req);
      expect(res.status, describeExchange(req, res)).toBe(400);
    }
  });

  it('GET /api/v1/alerts: label filters of any shape are a 200 or a 400, never a 5xx, and change nothing', async () => {
    const labelValue = fc.oneof(
      fc.tuple(fc.oneof(fc.constantFrom('alertname', 'fuzz_id', '__proto__', '', '%', '_', '"', '\\'), anyString(12)), anyString(30)).map(([n, v]) => `${n}=${v}`),
      anyString(40),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(labelValue, { maxLength: 4 }), async (labels) => {
        const before = await snapshot(store());
        const query = labels.map((l) => `label=${percentEncode(l)}`).join('&');
        const req: RawRequest = { method: 'GET', path: `/api/v1/alerts?${query}`, headers: bearer(ADMIN_TOKEN) };
        const res = await sendChecked(t.url, store(), req);
        expect([200, 400], describeExchange(req, res)).toContain(res.status);
        expect(await snapshot(store())).toEqual(before);
      }),
      { numRuns: 50 },
    );
  });

  it('an alert cursor the server never gave out is refused with 400', async () => {
    const forged = (text: string) => encodeURIComponent(Buffer.from(text, 'utf8').toString('base64url'));
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          anyString(60).map(forged),
          fc.tuple(fc.oneof(fc.integer(), fc.constantFrom('1e400', '-0', 'NaN', '', '9007199254740993')), fc.oneof(anyString(30), fc.constant(alert))).map(([at, id]) => forged(`${at}:${id}`)),
          anyString(60).map(percentEncode),
        ),
        async (cursor) => {
          const req: RawRequest = { method: 'GET', path: `/api/v1/alerts?cursor=${cursor}`, headers: bearer(ADMIN_TOKEN) };
          const res = await sendChecked(t.url, store(), req);
          expect([200, 400], describeExchange(req, res)).toContain(res.status);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('a cursor the server never gave out is refused with 400', async () => {
    const forged = (text: string) => encodeURIComponent(Buffer.from(text, 'utf8').toString('base64url'));
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          anyString(60).map(forged),
          fc.tuple(fc.oneof(fc.integer(), fc.constantFrom('1e400', '-0', 'NaN', '')), anyString(30)).map(([at, id]) => forged(`${at}:${id}`)),
          anyString(60).map(percentEncode),
        ),
        async (cursor) => {
          const req: RawRequest = { method: 'GET', path: `/api/v1/incidents?cursor=${cursor}`, headers: bearer(ADMIN_TOKEN) };
          const res = await sendChecked(t.url, store(), req);
          // An empty or well-formed cursor may list; anything else must be refused rather than crash.
          expect([200, 400], describeExchange(req, res)).toContain(res.status);
        },
      ),
      { numRuns: 80 },
    );
  });
});

describe('methods and unknown routes', () => {
  it('any method on any path below /api/v1 is answered below 500 and a 4xx changes nothing', async () => {
    const segment = fc.oneof(
      fc.constantFrom('incidents', 'tokens', 'config', 'events', 'reload', 'timeline', 'roles', 'ack', 'notes', 'updates', 'reminders', 'commander'),
      fc.constantFrom('integrations', 'alerts', 'silences', 'maintenance-windows', 'alertmanager', 'grafana', 'generic', 'v2', 'enqueue', 'change'),
      fc.constant(incident),
      fc.constant(alert),
      fc.constantFrom(...Object.values(fixtures.keys)),
      hostileId,
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'PROPFIND', 'SEARCH', 'QUERY'),
        fc.array(segment, { minLength: 0, maxLength: 5 }),
        fc.boolean(),
        async (method, segments, prefixed) => {
          const path = (prefixed ? '/api/v1/' : '/') + segments.join('/');
          const req: RawRequest = { method, path, headers: { ...bearer(ADMIN_TOKEN), 'content-type': 'application/json' }, body: method === 'GET' || method === 'HEAD' ? undefined : '{}' };
          await sendChecked(t.url, store(), req);
        },
      ),
      { numRuns: 150 },
    );
  });
});

/** Authorization values that are not a live token: missing parts, other schemes, junk, near misses, a revoked token. */
const badAuthorization = (): fc.Arbitrary<string | undefined> => {
  const headerText = fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).filter((c) => c !== 0x7f).map((c) => String.fromCharCode(c)), maxLength: 80 });
  return fc.oneof(
    fc.constantFrom(
      undefined,
      '',
      'Bearer',
      'Bearer ',
      'bearer',
      'Basic YWRtaW46YWRtaW4=',
      'Token ' + ADMIN_TOKEN,
      ADMIN_TOKEN,
      `Bearer ${ADMIN_TOKEN} extra`,
      `Bearer ${ADMIN_TOKEN.slice(0, -1)}`,
      `Bearer ${ADMIN_TOKEN}x`,
      `Bearer ${ADMIN_TOKEN.toUpperCase()}`,
      `Bearer "${ADMIN_TOKEN}"`,
      'Bearer fbk_',
      'Bearer null',
      'Bearer undefined',
      "Bearer ' OR '1'='1",
      'Bearer __proto__',
      `Bearer ${'a'.repeat(8000)}`,
    ),
    headerText,
    headerText.map((s) => `Bearer ${s}`),
    fc.constant('revoked'),
  );
};

describe('authentication', () => {
  // Ingest routes take no token at all; api-roles shows that no token opens them.
  const guarded = ENDPOINTS.filter((e) => e.access !== 'public' && e.access !== 'ingest');

  it('a missing, malformed, unknown or revoked token is a 401 with the envelope on every guarded route, and changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...guarded), badAuthorization(), async (endpoint, authorization) => {
        const value = authorization === 'revoked' ? `Bearer ${revoked}` : authorization;
        // The server's own reading of the header; a value that still carries a live token is not "bad".
        const match = value === undefined ? null : /^Bearer\s+(\S+)$/i.exec(value.trim());
        fc.pre(match?.[1] !== ADMIN_TOKEN);
        const id = endpoint.idKind === 'token' ? '01ARZ3NDEKTSV4RRFFQ69G5FAV' : endpoint.idKind === 'alert' ? alert : incident;
        const req = validRequest(endpoint, id);
        const headers = { ...req.headers };
        delete headers.authorization;
        if (value !== undefined) headers.authorization = value;
        const res = await sendChecked(t.url, store(), { ...req, headers });
        expect(res.status, `${label(endpoint)} ${describeExchange({ ...req, headers }, res)}`).toBe(401);
      }),
      { numRuns: 150 },
    );
  });

  it('public routes answer 200 whatever Authorization says', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ENDPOINTS.filter((e) => e.access === 'public')), badAuthorization(), async (endpoint, authorization) => {
        const headers: Record<string, string> = authorization === undefined ? {} : { authorization };
        const req: RawRequest = { method: 'GET', path: endpoint.path, headers };
        const res = await send(t.url, req);
        expect(res.status, describeExchange(req, res)).toBe(200);
      }),
      { numRuns: 40 },
    );
  });
});
