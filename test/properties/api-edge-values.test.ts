/**
 * Values that pass the schema but sit at the edges of what the domain, the
 * clock and the database can hold: durations and times far away, versions and
 * sequence numbers beyond 2^53 or bigint, nesting deep enough to exhaust a
 * recursive walk. The contract is the same — a 2xx that means what it says, or
 * a 4xx with the envelope that changed nothing; never a 5xx — and the exact
 * regressions found here are pinned as named tests further down.
 */
import { connect as netConnect } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.ts';
import { ADMIN_TOKEN, bearer, describeExchange, expectErrorEnvelope, jsonHeaders, sendChecked, watchStream, type RawRequest } from './harness.ts';

let t: TestServer;
let incident: string;

beforeAll(async () => {
  t = await startTestServer({ timers: false });
  const res = await t.api('POST', '/api/v1/incidents', { title: 'edges', severity: 'P1' });
  incident = res.body.id;
});
afterAll(async () => {
  await t?.stop();
});

const store = () => t.server.services.store;
const post = (path: string, body: unknown, method = 'POST'): RawRequest => ({ method, path, headers: jsonHeaders(), body: JSON.stringify(body) });

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Durations the schema's pattern accepts: `(\d+(\.\d+)?(ms|s|m|h|d|w))+`, from tiny to absurd. */
const duration = fc
  .array(
    fc.tuple(
      fc.oneof(fc.nat({ max: 1000 }).map(String), fc.stringMatching(/^\d{1,30}$/)),
      fc.option(fc.stringMatching(/^\d{1,6}$/), { nil: undefined }),
      fc.constantFrom('ms', 's', 'm', 'h', 'd', 'w'),
    ),
    { minLength: 1, maxLength: 3 },
  )
  .map((parts) => parts.map(([whole, fraction, unit]) => `${whole}${fraction === undefined ? '' : `.${fraction}`}${unit}`).join(''));

/** What the duration means in milliseconds, to check the answer against. */
const durationMs = (text: string) =>
  Math.round([...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g)].reduce((sum, [, n, unit]) => sum + Number(n) * UNIT_MS[unit!]!, 0));

/** The latest instant a JavaScript Date (and so the API's ISO output) can hold. */
const REMINDER_HORIZON_MS = 366 * 86_400_000;

describe('reminders', () => {
  it('any duration the schema accepts is scheduled at now + duration, or refused with a 4xx that changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(duration, async (inText) => {
        const req = post(`/api/v1/incidents/${incident}/reminders`, { message: 'edge', in: inText });
        const before = Date.now();
        const res = await sendChecked(t.url, store(), req);
        const after = Date.now();
        if (res.status === 201) {
          const due = Date.parse((res.json as { dueAt: string }).dueAt);
          const ms = durationMs(inText);
          expect(due, describeExchange(req, res)).toBeGreaterThanOrEqual(before + ms - 1);
          expect(due, describeExchange(req, res)).toBeLessThanOrEqual(after + ms + 1);
        } else {
          expect(res.status, describeExchange(req, res)).toBe(400);
          // Refusing is only right for a reminder more than a year away.
          expect(durationMs(inText), describeExchange(req, res)).toBeGreaterThan(REMINDER_HORIZON_MS - (after - before) - 1);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('any date-time the schema accepts is scheduled exactly then, or refused with a 4xx that changes nothing', async () => {
    const offset = fc.oneof(
      fc.constant('Z'),
      fc.tuple(fc.constantFrom('+', '-'), fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 })).map(
        ([sign, h, m]) => `${sign}${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`,
      ),
    );
    const at = fc
      .tuple(fc.date({ min: new Date('0000-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true }), offset, fc.boolean())
      .map(([date, zone, millis]) => {
        const iso = date.toISOString().slice(0, millis ? 23 : 19);
        return iso + zone;
      });
    await fc.assert(
      fc.asyncProperty(at, async (when) => {
        const req = post(`/api/v1/incidents/${incident}/reminders`, { message: 'edge', at: when });
        const res = await sendChecked(t.url, store(), req);
        if (res.status === 201) {
          expect(Date.parse((res.json as { dueAt: string }).dueAt), describeExchange(req, res)).toBe(Date.parse(when));
        } else {
          expect(res.status, describeExchange(req, res)).toBe(400);
          expect(Math.abs(Date.parse(when) - Date.now()), describeExchange(req, res)).toBeGreaterThan(REMINDER_HORIZON_MS - 60_000);
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('numbers beyond 2^53 and beyond bigint', () => {
  const big = fc.oneof(
    fc.integer({ min: 1 }),
    fc.constantFrom(2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, 2 ** 63, 2 ** 64, 1e20, 1e300, Number.MAX_VALUE),
  );

  it('PATCH with any version is a 200 or a 409, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(big, async (version) => {
        const req = post(`/api/v1/incidents/${incident}`, { summary: `v${version}`, version }, 'PATCH');
        const res = await sendChecked(t.url, store(), req);
        expect([200, 409], describeExchange(req, res)).toContain(res.status);
      }),
      { numRuns: 60 },
    );
  });

  it('list limits and timeline limits of any size are a 200 or a 400', async () => {
    await fc.assert(
      fc.asyncProperty(big, fc.constantFrom('/api/v1/incidents', `/api/v1/incidents/:id/timeline`), async (limit, path) => {
        const req: RawRequest = { method: 'GET', path: `${path.replace(':id', incident)}?limit=${limit}`, headers: bearer(ADMIN_TOKEN) };
        const res = await sendChecked(t.url, store(), req);
        expect([200, 400], describeExchange(req, res)).toContain(res.status);
      }),
      { numRuns: 60 },
    );
  });

  it('GET /api/v1/events?since= any integer: a 400, or a stream that stays open', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.nat(), fc.constantFrom(2 ** 53, 2 ** 63, 1e19, 1e300)), async (since) => {
        const req: RawRequest = { method: 'GET', path: `/api/v1/events?since=${since}`, headers: bearer(ADMIN_TOKEN) };
        const res = await watchStream(t.url, req, 300);
        if (res.status === 400) return expectErrorEnvelope(req, res);
        expect(res.status, describeExchange(req, res)).toBe(200);
        expect(res.endedByServer, `the server ended the stream at once: ${describeExchange(req, res)}`).toBe(false);
      }),
      { numRuns: 10 },
    );
  });
});

describe('silences and maintenance windows', () => {
  const YEAR_MS = 366 * 86_400_000;
  const routes = [
    { path: '/api/v1/silences', body: { matchers: ['alertname="EdgeValues"'], comment: 'edge' } },
    { path: '/api/v1/maintenance-windows', body: { service: 'scraper-mixesdb', comment: 'edge' } },
  ] as const;

  it('any duration the schema accepts ends at start + duration, or is refused (zero, over a year) with a 4xx that changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), duration, async (route, text) => {
        const req = post(route.path, { ...route.body, duration: text });
        const res = await sendChecked(t.url, store(), req);
        const ms = durationMs(text);
        if (res.status === 201) {
          const { startsAt, endsAt } = res.json as { startsAt: string; endsAt: string };
          expect(Date.parse(endsAt) - Date.parse(startsAt), describeExchange(req, res)).toBe(ms);
          expect(ms, describeExchange(req, res)).toBeLessThanOrEqual(YEAR_MS);
        } else {
          expect(res.status, describeExchange(req, res)).toBe(400);
          expect(ms === 0 || ms > YEAR_MS - 1000 || !Number.isFinite(ms), describeExchange(req, res)).toBe(true);
        }
      }),
      { numRuns: 50 },
    );
  });

  it('any start and end the schema accepts is stored exactly, or refused with a 4xx that changes nothing', async () => {
    const when = fc
      .date({ min: new Date('0000-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true })
      .map((date) => date.toISOString());
    const soon = fc.integer({ min: -3 * 86_400_000, max: 400 * 86_400_000 }).map((offset) => new Date(Date.now() + offset).toISOString());
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), fc.option(fc.oneof(when, soon), { nil: undefined }), fc.oneof(when, soon), async (route, startsAt, endsAt) => {
        const req = post(route.path, { ...route.body, ...(startsAt === undefined ? {} : { startsAt }), endsAt });
        const res = await sendChecked(t.url, store(), req);
        if (res.status === 201) {
          const stored = res.json as { startsAt: string; endsAt: string };
          expect(Date.parse(stored.endsAt), describeExchange(req, res)).toBe(Date.parse(endsAt));
          if (startsAt !== undefined) expect(Date.parse(stored.startsAt), describeExchange(req, res)).toBe(Date.parse(startsAt));
        } else {
          expect(res.status, describeExchange(req, res)).toBe(400);
        }
      }),
      { numRuns: 50 },
    );
  });

  it('alert list times and limits of any size are a 200 or a 400', async () => {
    const time = fc.oneof(
      fc.date({ min: new Date('0000-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true }).map((d) => d.toISOString()),
      fc.constantFrom('2024-02-30T00:00:00Z', '2024-01-01T24:00:00Z', '2024-01-01T00:00:60Z', '2024-01-01'),
    );
    await fc.assert(
      fc.asyncProperty(fc.option(time, { nil: undefined }), fc.option(time, { nil: undefined }), fc.option(fc.oneof(fc.integer(), fc.constantFrom(2 ** 53, 1e300)), { nil: undefined }), async (from, to, limit) => {
        const query = [from && `from=${encodeURIComponent(from)}`, to && `to=${encodeURIComponent(to)}`, limit !== undefined && `limit=${limit}`].filter(Boolean).join('&');
        const req: RawRequest = { method: 'GET', path: `/api/v1/alerts?${query}`, headers: bearer(ADMIN_TOKEN) };
        const res = await sendChecked(t.url, store(), req);
        expect([200, 400], describeExchange(req, res)).toContain(res.status);
      }),
      { numRuns: 40 },
    );
  });
});

/**
 * Exact repros of bugs this suite found, one per test, so each names its fix.
 * Each asserts the contract; it fails until the code is fixed.
 */
describe('regressions found by fuzzing', () => {
  // src/incidents/communicate.ts scheduleReminder: now + parseDuration(in) is not bounded, so the
  // reminder is stored (SQLite) or the insert fails (PostgreSQL bigint), then
  // presentReminder's toISOString() throws RangeError → 500. On SQLite the timer row stays.
  it('POST /reminders {"in":"99999999999999w"} is a 400 that changes nothing (was 500, and a stored timer on SQLite)', async () => {
    for (const inText of ['99999999999999w', '9999999999999999999999999w', '14285715w']) {
      const req = post(`/api/v1/incidents/${incident}/reminders`, { message: 'far away', in: inText });
      const res = await sendChecked(t.url, store(), req);
      expect(res.status, describeExchange(req, res)).toBe(400);
    }
  });

  // src/http/json.ts findUnstorableText recurses once per level of nesting: about 3,500
  // levels exhaust the stack (RangeError: Maximum call stack size exceeded) → 500.
  it('a body nested 4,000 levels deep is a 400, not a 500', async () => {
    for (const body of ['['.repeat(4000) + ']'.repeat(4000), '{"a":'.repeat(4000) + '1' + '}'.repeat(4000)]) {
      for (const path of ['/api/v1/incidents', `/api/v1/incidents/${incident}/notes`, '/api/v1/tokens', '/api/v1/config/reload']) {
        const req: RawRequest = { method: 'POST', path, headers: jsonHeaders(), body };
        await sendChecked(t.url, store(), req);
      }
    }
  });

  // Errors Fastify raises before routing (FST_ERR_BAD_URL for broken percent-encoding,
  // FST_ERR_MAX_PARAM_LENGTH for a segment over 200 characters) bypass setErrorHandler and
  // answer Fastify's own shape {"error":"Bad Request","code":"FST_…","message":…,"statusCode":…}.
  // Fix: Fastify's `frameworkErrors` option, answering with errorBody().
  it('a path the router refuses still answers the error envelope', async () => {
    for (const path of [
      '/api/v1/incidents/%',
      '/api/v1/incidents/%C3%28',
      '/api/v1/incidents/%FF/timeline',
      '/api/v1/tokens/%E0%A4%A',
      `/api/v1/incidents/${'x'.repeat(201)}`,
      `/api/v1/incidents/${incident}/roles/${'r'.repeat(201)}`,
    ]) {
      await sendChecked(t.url, store(), { method: 'GET', path, headers: bearer(ADMIN_TOKEN) });
    }
  });

  // On PostgreSQL a NUL character in a path or query parameter reaches a text comparison and
  // PostgreSQL refuses it ("invalid byte sequence for encoding UTF8: 0x00") → 500. Bodies are
  // screened by src/http/json.ts, but params and query strings are not. SQLite answers 404/200.
  it('a NUL in a path id or a query value is a 4xx (or an empty answer), never a 500', async () => {
    const requests: RawRequest[] = [
      { method: 'GET', path: '/api/v1/incidents/%00', headers: bearer(ADMIN_TOKEN) },
      { method: 'GET', path: '/api/v1/incidents/a%00b/timeline', headers: bearer(ADMIN_TOKEN) },
      { method: 'DELETE', path: '/api/v1/tokens/%00', headers: bearer(ADMIN_TOKEN) },
      post('/api/v1/incidents/%00/notes', { text: 'x' }),
      post('/api/v1/incidents/%00', { summary: 'x' }, 'PATCH'),
      { method: 'GET', path: '/api/v1/incidents?severity=%00', headers: bearer(ADMIN_TOKEN) },
      { method: 'GET', path: `/api/v1/incidents/${incident}/timeline?after=%00`, headers: bearer(ADMIN_TOKEN) },
    ];
    for (const req of requests) {
      const res = await sendChecked(t.url, store(), req);
      expect([200, 400, 404], describeExchange(req, res)).toContain(res.status);
    }
  });

  // src/http/routes/events.ts: `since` has no maximum, so 1e19 or 1e300 passes the schema; on
  // PostgreSQL the replay query fails (bigint out of range), the handler logs "event replay
  // failed" and ends the stream right after "retry:" — a silent failure the client retries forever.
  it('GET /api/v1/events?since=1e300 is a 400 (or a live stream), not a stream that ends at once', async () => {
    for (const since of ['1e300', '10000000000000000000']) {
      const req: RawRequest = { method: 'GET', path: `/api/v1/events?since=${since}`, headers: bearer(ADMIN_TOKEN) };
      const res = await watchStream(t.url, req, 300);
      if (res.status === 400) continue;
      expect(res.endedByServer, describeExchange(req, res)).toBe(false);
    }
  });

  // Malformed HTTP framing (a Content-Length that is not a number, a body shorter than its
  // Content-Length) is answered by Fastify's default clientErrorHandler with
  // {"error":"Bad Request","message":"Client Error","statusCode":400}. Fix: the `clientErrorHandler` option.
  it('malformed HTTP framing is answered with the error envelope', async () => {
    const base = new URL(t.url);
    const raw = (text: string) =>
      new Promise<string>((resolve) => {
        const socket = netConnect(Number(base.port), base.hostname, () => socket.end(text));
        let out = '';
        socket.on('data', (d) => (out += d.toString('utf8')));
        socket.on('close', () => resolve(out));
        socket.on('error', () => resolve(out));
      });
    const auth = `Authorization: Bearer ${ADMIN_TOKEN}\r\n`;
    for (const request of [
      `POST /api/v1/incidents HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nContent-Length: abc\r\n\r\n{}`,
      `POST /api/v1/incidents HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n{}`,
    ]) {
      const answer = await raw(request);
      const [head = '', body = ''] = answer.split('\r\n\r\n');
      const status = Number(head.split(' ')[1]);
      expect(status, answer).toBeGreaterThanOrEqual(400);
      expect(status, answer).toBeLessThan(500);
      const parsed = JSON.parse(body) as { error?: { code?: unknown; message?: unknown } };
      expect(parsed.error?.code, answer).toBeTypeOf('string');
      expect(parsed.error?.message, answer).toBeTypeOf('string');
    }
  });
});
