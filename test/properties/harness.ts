/**
 * Shared pieces of the API property tests: a raw HTTP client (so tests control
 * every header and byte), a snapshot of all durable state (so a refused request
 * can be shown to have changed nothing), the error-envelope check, and the
 * hostile-input arbitraries.
 */
import { isUtf8 } from 'node:buffer';
import { request, type IncomingHttpHeaders } from 'node:http';
import fc from 'fast-check';
import { sql } from 'kysely';
import { expect } from 'vitest';
import { repeatsWritten } from '../../src/alerts/pipeline.ts';
import type { Store } from '../../src/store/index.ts';
import { ADMIN_TOKEN } from '../support/server.ts';
import { KEY } from './endpoints.ts';

export { ADMIN_TOKEN };

export interface RawRequest {
  method: string;
  /** Sent exactly as given: no normalisation of `..`, no re-encoding. */
  path: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The parsed body, or undefined when it is not JSON. */
  json: unknown;
}

/**
 * One request on its own connection. node:http rather than fetch, because fetch
 * resolves `../` and re-encodes paths, and we want to send them as they are.
 * A `text/event-stream` answer is closed at once (the live stream never ends).
 */
export function send(baseUrl: string, req: RawRequest): Promise<RawResponse> {
  const base = new URL(baseUrl);
  const body = req.body === undefined ? undefined : Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body, 'utf8');
  const headers: Record<string, string> = { ...req.headers };
  if (body !== undefined) headers['content-length'] = String(body.length);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      { host: base.hostname, port: base.port, method: req.method, path: req.path, headers, agent: false, timeout: 15_000 },
      (res) => {
        const status = res.statusCode ?? 0;
        if (String(res.headers['content-type'] ?? '').startsWith('text/event-stream')) {
          res.destroy();
          resolve({ status, headers: res.headers, text: '', json: undefined });
          return;
        }
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text === '' ? undefined : JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status, headers: res.headers, text, json });
        });
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer to ${req.method} ${req.path} within 15s`)));
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
export const jsonHeaders = (token: string = ADMIN_TOKEN) => ({ ...bearer(token), 'content-type': 'application/json' });

/** A short description of an exchange for assertion messages, so a failure reads as a repro. */
export function describeExchange(req: RawRequest, res: RawResponse): string {
  const body = req.body === undefined ? '' : Buffer.isBuffer(req.body) ? `<${req.body.length} bytes>` : req.body;
  const shown = body.length > 300 ? `${body.slice(0, 300)}…(${body.length} chars)` : body;
  return `${req.method} ${req.path.slice(0, 300)} headers=${JSON.stringify(req.headers ?? {})} body=${JSON.stringify(shown)}\n  → ${res.status} ${res.text.slice(0, 400)}`;
}

/** Every 4xx carries `{"error": {"code": string, "message": string, "details": …}}`. */
export function expectErrorEnvelope(req: RawRequest, res: RawResponse): void {
  const where = describeExchange(req, res);
  expect(res.status, where).toBeGreaterThanOrEqual(400);
  expect(res.status, where).toBeLessThan(500);
  if (req.method === 'HEAD') return; // no body by definition
  expect(String(res.headers['content-type'] ?? ''), where).toMatch(/^application\/json/);
  // PagerDuty's Events API answers an event it refuses in PagerDuty's own shape.
  if (isPagerDutyPath(req.path) && isPagerDutyRefusal(res.json)) {
    expectPagerDutyRefusal(req, res);
    return;
  }
  const error = (res.json as { error?: Record<string, unknown> } | undefined)?.error;
  expect(error, where).toBeTypeOf('object');
  expect(error?.code, where).toBeTypeOf('string');
  expect((error?.code as string).length, where).toBeGreaterThan(0);
  expect(error?.message, where).toBeTypeOf('string');
  expect(error && 'details' in error, where).toBe(true);
}

const isPagerDutyPath = (path: string) => /^\/v2\/(change\/)?enqueue(\?|$)/.test(path);
const isPagerDutyRefusal = (json: unknown) => typeof json === 'object' && json !== null && 'status' in json && !('error' in json);

/** `400 {"status": "invalid event", "message": "Event object is invalid", "errors": [sentences]}`, as PagerDuty answers. */
export function expectPagerDutyRefusal(req: RawRequest, res: RawResponse): void {
  const where = describeExchange(req, res);
  expect(res.status, where).toBe(400);
  expect(String(res.headers['content-type'] ?? ''), where).toMatch(/^application\/json/);
  const body = res.json as { status?: unknown; message?: unknown; errors?: unknown };
  expect(body.status, where).toBe('invalid event');
  expect(body.message, where).toBeTypeOf('string');
  expect(Array.isArray(body.errors), where).toBe(true);
  expect((body.errors as unknown[]).length, where).toBeGreaterThan(0);
  for (const error of body.errors as unknown[]) expect(error, where).toBeTypeOf('string');
}

/** Puts a real integration key where a body says KEY (endpoints.ts), for PagerDuty's routing_key. */
export function withKey<T extends string | Buffer | undefined>(body: T, key: string): T {
  if (body === undefined) return body;
  const placeholder = JSON.stringify(KEY);
  const replacement = JSON.stringify(key);
  if (typeof body === 'string') return body.split(placeholder).join(replacement) as T;
  const text = body.toString('latin1');
  return (text.includes(placeholder) ? Buffer.from(text.split(placeholder).join(replacement), 'latin1') : body) as T;
}

/** Everything durable that a request could change, in a form `toEqual` compares. */
export interface StateSnapshot {
  counts: Record<string, number>;
  maxEventSeq: number | null;
  incidents: unknown[];
  tokens: unknown[];
  timers: unknown[];
  clocks: unknown[];
  integrations: unknown[];
  alerts: unknown[];
  alertGroups: unknown[];
  silences: unknown[];
  maintenanceWindows: unknown[];
}

/** Tables whose rows are compared whole (or by the columns named), in a stable order. */
const ROWS = {
  // Whole incident rows, so a write that keeps the version (a bug of its own) still shows.
  incidents: { table: 'incidents', columns: '*', order: 'id' },
  // last_used_at is left out: authenticating a token may record its use, by design.
  tokens: { table: 'api_tokens', columns: 'id, name, role, revoked_at', order: 'id' },
  timers: { table: 'timers', columns: 'id, state, due_at', order: 'id' },
  clocks: { table: 'sla_clocks', columns: 'id, state, due_at', order: 'id' },
  // Whole rows of the alert tables: a refused webhook must not even count a repeat.
  integrations: { table: 'integrations', columns: '*', order: 'id' },
  alerts: { table: 'alerts', columns: '*', order: 'id' },
  alertGroups: { table: 'alert_groups', columns: '*', order: 'service, group_key' },
  silences: { table: 'silences', columns: '*', order: 'id' },
  maintenanceWindows: { table: 'maintenance_windows', columns: '*', order: 'id' },
  // Accounts whole but for the time of the last sign-in; sessions by whether they still work.
  accounts: { table: 'accounts', columns: 'id, username, name, role, password_hash, password_changed_at, disabled_at', order: 'id' },
  sessions: { table: 'account_sessions', columns: 'id, account_id, revoked_at', order: 'id' },
} as const;

/** Tables that only grow (append-only logs): their size is enough. */
const COUNTED = ['timeline', 'events', 'alert_history'] as const;

type RowKey = keyof typeof ROWS;

/**
 * Everything in one statement: this runs twice per request, and on PostgreSQL a
 * round trip per table made the property runs twice as slow. SQLite is in-process,
 * so there one query per table costs nothing extra.
 */
export async function snapshot(store: Store): Promise<StateSnapshot> {
  // Repeats answered from memory (SQLite) are written a moment after their answer: the state includes them.
  await repeatsWritten(store);
  const { rows, counts, maxEventSeq } = store.dialect === 'postgres' ? await snapshotPostgres(store) : await snapshotSqlite(store);
  for (const key of Object.keys(ROWS) as RowKey[]) counts[ROWS[key].table] = rows[key].length;
  return { counts, maxEventSeq, ...rows };
}

interface RawSnapshot {
  rows: Record<RowKey, unknown[]>;
  counts: Record<string, number>;
  maxEventSeq: number | null;
}

async function snapshotPostgres(store: Store): Promise<RawSnapshot> {
  const parts = [
    ...COUNTED.map((table) => `(select count(*) from ${table}) as "count_${table}"`),
    `(select max(seq) from events) as "max_seq"`,
    ...Object.entries(ROWS).map(
      ([key, { table, columns, order }]) =>
        `(select coalesce(json_agg(r order by ${order.split(', ').map((c) => `r.${c}`).join(', ')}), '[]'::json) from (select ${columns} from ${table}) r) as "${key}"`,
    ),
  ];
  const result = await sql<Record<string, unknown>>`${sql.raw(`select ${parts.join(', ')}`)}`.execute(store.db);
  const row = result.rows[0]!;
  return {
    rows: Object.fromEntries(Object.keys(ROWS).map((key) => [key, row[key] as unknown[]])) as Record<RowKey, unknown[]>,
    counts: Object.fromEntries(COUNTED.map((table) => [table, Number(row[`count_${table}`])])),
    maxEventSeq: row.max_seq === null ? null : Number(row.max_seq),
  };
}

async function snapshotSqlite(store: Store): Promise<RawSnapshot> {
  const numeric = (rows: ReadonlyArray<object>) =>
    rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])));
  const rows = {} as Record<RowKey, unknown[]>;
  for (const [key, { table, columns, order }] of Object.entries(ROWS) as Array<[RowKey, (typeof ROWS)[RowKey]]>) {
    const result = await sql<Record<string, unknown>>`${sql.raw(`select ${columns} from ${table} order by ${order}`)}`.execute(store.db);
    rows[key] = numeric(result.rows);
  }
  const counts: Record<string, number> = {};
  for (const table of COUNTED) {
    const result = await sql<{ n: number }>`${sql.raw(`select count(*) as n from ${table}`)}`.execute(store.db);
    counts[table] = Number(result.rows[0]!.n);
  }
  const seq = await sql<{ max: number | null }>`select max(seq) as max from events`.execute(store.db);
  return { rows, counts, maxEventSeq: seq.rows[0]!.max === null ? null : Number(seq.rows[0]!.max) };
}

/**
 * Sends the request and checks the contract for a refused one: never a 5xx;
 * every 4xx has the error envelope and left the database exactly as it was.
 * Returns the response for further checks.
 */
export async function sendChecked(baseUrl: string, store: Store, req: RawRequest): Promise<RawResponse> {
  const before = await snapshot(store);
  const res = await send(baseUrl, req);
  const where = describeExchange(req, res);
  expect(res.status, `server error:\n  ${where}`).toBeLessThan(500);
  if (res.status >= 400) {
    expectErrorEnvelope(req, res);
    expect(await snapshot(store), `state changed on a ${res.status}:\n  ${where}`).toEqual(before);
  }
  return res;
}

// ---------------------------------------------------------------------------
// Arbitraries
// ---------------------------------------------------------------------------

/** Keys that have broken JavaScript servers before. */
export const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty'] as const;

/** Strings of every kind: printable, any code point, NUL and control characters, lone surrogates, long. */
export const anyString = (maxLength = 60): fc.Arbitrary<string> =>
  fc.oneof(
    fc.string({ maxLength }),
    fc.string({ unit: 'binary', maxLength }),
    fc.string({ unit: 'grapheme', maxLength }),
    fc.string({ unit: 'binary-ascii', maxLength }),
    fc.constantFrom('', ' ', '\u0000', 'a\u0000b', '\ud800', 'x\udfffy', '\u202e', '\ufeff', 'null', 'true', '1', '-1', '1e309', 'NaN'),
  );

/** Any JSON value, including odd numbers and strings of every kind. */
export const anyJsonValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.constantFrom(0, -1, 2 ** 53, -(2 ** 53), 1e300, -1e300, 0.5, Number.MAX_SAFE_INTEGER + 2),
    anyString(),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(anyString(10), fc.constantFrom(...PROTO_KEYS)), tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** A value of a wrong or hostile type for a field that expects something specific. */
export const fieldValue = (validValues: readonly unknown[] = []): fc.Arbitrary<unknown> =>
  fc.oneof(
    ...(validValues.length > 0 ? [{ arbitrary: fc.constantFrom(...validValues), weight: 3 }] : []),
    { arbitrary: anyJsonValue, weight: 3 },
    { arbitrary: fc.integer({ min: 0, max: 20_500 }).map((n) => 'x'.repeat(n)), weight: 1 },
    { arbitrary: fc.constantFrom(...PROTO_KEYS), weight: 1 },
  );

/**
 * An object with the endpoint's own field names (valid and invalid values),
 * unknown fields and prototype-pollution keys, serialised by hand so that
 * `__proto__` really is a key in the text. Half of them use every field with
 * mostly plausible values, so that requests get past validation and reach the
 * domain and the database.
 */
export function nearValidBody(fields: Record<string, readonly unknown[]>): fc.Arbitrary<string> {
  const entries = Object.entries(fields);
  const extraField = fc.tuple(fc.oneof(fc.constantFrom(...PROTO_KEYS), anyString(12)), fieldValue());
  const plausible = (valid: readonly unknown[]) =>
    valid.length > 0 ? fc.oneof({ arbitrary: fc.constantFrom(...valid), weight: 4 }, { arbitrary: fieldValue(valid), weight: 1 }) : fieldValue();
  const mostlyValid = fc
    .tuple(...entries.map(([name, valid]) => fc.option(plausible(valid).map((v) => [name, v] as const), { freq: 4, nil: null })))
    .map((pairs) => pairs.filter((p): p is readonly [string, unknown] => p !== null));
  const anyMix = fc
    .tuple(fc.subarray(entries), fc.array(extraField, { maxLength: 2 }))
    .chain(([chosen, extra]) =>
      fc
        .tuple(...chosen.map(([name, valid]) => fieldValue(valid).map((v) => [name, v] as const)))
        .map((pairs) => [...pairs, ...extra] as Array<readonly [string, unknown]>),
    );
  return fc
    .oneof(mostlyValid, anyMix)
    .map((pairs) => `{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`).join(',')}}`);
}

/** Deeply nested arrays or objects: a parser or validator that recurses may fall over. */
export const deepNesting: fc.Arbitrary<string> = fc
  .tuple(fc.integer({ min: 100, max: 20_000 }), fc.boolean(), fc.boolean())
  .map(([depth, arrays, closed]) => {
    const open = arrays ? '['.repeat(depth) : '{"a":'.repeat(depth);
    return open + '1' + (closed ? (arrays ? ']' : '}').repeat(depth) : '');
  });

/** Bodies as raw text or bytes: JSON of every shape, near-valid objects, garbage, invalid UTF-8 (deep nesting has its own property). */
export function hostileBody(fields: Record<string, readonly unknown[]>): fc.Arbitrary<string | Buffer> {
  return fc.oneof(
    { arbitrary: nearValidBody(fields), weight: 6 },
    { arbitrary: fc.json({ maxDepth: 3 }), weight: 2 },
    { arbitrary: anyJsonValue.map((v) => JSON.stringify(v) ?? 'null'), weight: 2 },
    { arbitrary: fc.anything().map((v) => safeStringify(v)), weight: 1 },
    { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 1 },
    { arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)), weight: 1 },
    { arbitrary: invalidUtf8Json(fields), weight: 1 },
    {
      arbitrary: fc.constantFrom(
        '',
        ' ',
        'null',
        '[]',
        '{}',
        '"x"',
        '{',
        '{"a":1,}',
        "{'a':1}",
        '{"__proto__":{"isAdmin":true}}',
        '{"constructor":{"prototype":{"isAdmin":true}}}',
        '\ufeff{}',
        'NaN',
        '1e999',
      ),
      weight: 1,
    },
  );
}

/** A JSON object whose string values hold bytes that are not UTF-8 (lone continuation bytes, overlongs, 0xFF). */
function invalidUtf8Json(fields: Record<string, readonly unknown[]>): fc.Arbitrary<Buffer> {
  const names = Object.keys(fields);
  const bad = fc.constantFrom([0xff], [0xfe, 0xff], [0xc0, 0xaf], [0xc3, 0x28], [0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80]);
  return fc.tuple(fc.constantFrom(...(names.length > 0 ? names : ['x'])), bad).map(([name, bytes]) =>
    Buffer.concat([Buffer.from(`{"${name}":"a`), Buffer.from(bytes), Buffer.from('b"}')]),
  );
}

export function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? 'undefined';
  } catch {
    return String(value);
  }
}

/** Content-Type headers: mostly JSON (to reach validation), sometimes wrong, odd or absent. */
export const contentType: fc.Arbitrary<string | undefined> = fc.oneof(
  { arbitrary: fc.constant('application/json'), weight: 8 },
  {
    arbitrary: fc.constantFrom(
      undefined,
      'text/plain',
      'text/html',
      'application/xml',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/json; charset=utf-16',
      'application/json; charset=latin1',
      'APPLICATION/JSON',
      'application/jsonx',
      'application/vnd.api+json',
      'application/octet-stream',
      ';;;',
      '',
    ),
    weight: 2,
  },
);

/** Bytes of a string as %XX, leaving only unreserved characters bare. */
export const percentEncode = (text: string) =>
  [...Buffer.from(text, 'utf8')].map((b) => (/[A-Za-z0-9\-._~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');

/** Path segments for `:id` that decode to some string: traversal, NUL, very long, unicode, ULID-like. */
export const hostileId: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '..',
    '../tokens',
    '..%2f..%2fetc%2fpasswd',
    '%2e%2e',
    '%00',
    'a%00b',
    '01ARZ3NDEKTSV4RRFFQ69G5FAV',
    '00000000000000000000000000',
    'x'.repeat(64),
    'x'.repeat(65),
    'x'.repeat(200),
    '%20',
    "'%20OR%201=1--",
    '*',
    '$(id)',
  ),
  anyString(80)
    .filter((s) => s.length > 0)
    .map(percentEncode),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }).map(encodeURIComponent),
  // Longer than the router allows is malformedId's business.
).filter((segment) => segment.length <= 200);

/**
 * Path segments the router refuses before any route runs: broken percent-encoding,
 * bytes that are not UTF-8, longer than the router's 200-character parameter limit.
 */
export const malformedId: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('%', '%zz', '%4', 'a%', '%C3%28', '%FF', '%C0%AF', '%ED%A0%80', '%F4%90%80%80', 'x'.repeat(201), 'x'.repeat(5000)),
  fc
    .uint8Array({ minLength: 1, maxLength: 8 })
    .filter((bytes) => !isUtf8(bytes))
    .map((bytes) => [...bytes].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')),
);

/** A Fastify path template such as `/incidents/:id/roles/:role` filled in from `params`. */
export const fill = (template: string, params: Record<string, string>) =>
  template.replace(/:(\w+)/g, (_m, name: string) => params[name] ?? `:${name}`);

/**
 * Opens a request that may become an event stream and watches it for `ms`:
 * a stream the server ends by itself (rather than one we close) has failed.
 */
export function watchStream(baseUrl: string, req: RawRequest, ms: number): Promise<RawResponse & { endedByServer: boolean }> {
  const base = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: base.hostname, port: base.port, method: req.method, path: req.path, headers: req.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let settled = false;
      const finish = (endedByServer: boolean) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        res.destroy();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json, endedByServer });
      };
      const timer = setTimeout(() => finish(false), ms);
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => finish(true));
      res.on('error', () => finish(true));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}
