/**
 * Alert ingest under hostile senders: whatever Alertmanager, Grafana, a generic
 * webhook or a PagerDuty client posts with a valid key, the answer is below 500;
 * every refusal stores nothing (alerts, their history, groups, incidents, the
 * timeline, events); label text with SQL, shell and template metacharacters is
 * stored and read back exactly; and no payload is big enough to get through.
 */
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { startTestServer, type TestServer } from '../support/server.ts';
import type { IngestKind } from './endpoints.ts';
import { createFixtures, type Fixtures } from './fixtures.ts';
import {
  ADMIN_TOKEN,
  PROTO_KEYS,
  anyString,
  bearer,
  contentType,
  describeExchange,
  expectErrorEnvelope,
  expectPagerDutyRefusal,
  send,
  sendChecked,
  type RawRequest,
  type RawResponse,
} from './harness.ts';

const MARKER = `/tmp/firebreak-pwned-${randomBytes(6).toString('hex')}`;

let t: TestServer;
let fixtures: Fixtures;
/** Generic integrations with mappings of their own, to read bodies of other shapes. */
const mapped = {} as Record<'list' | 'nested', { id: string; key: string }>;

beforeAll(async () => {
  t = await startTestServer({ timers: false });
  fixtures = await createFixtures(t);
  const create = async (mapping: unknown) => {
    const res = await t.api('POST', '/api/v1/integrations', { kind: 'generic', name: 'mapped', mapping });
    if (res.status !== 201) throw new Error(`create mapped integration: ${res.status} ${JSON.stringify(res.body)}`);
    return { id: res.body.integration.id as string, key: res.body.key as string };
  };
  mapped.list = await create({ alerts: '$', title: 'name', status: 'state', statusMap: { alarm: 'firing', clear: 'resolved' }, dedupKey: 'id', labels: 'tags' });
  mapped.nested = await create({
    alerts: 'data.items',
    title: '["display.name"]',
    severity: '$.level',
    labelFields: { host: 'host.name', 'app.kubernetes.io/name': '["app.kubernetes.io/name"]', first: 'tags[0]' },
    annotationFields: { description: 'text' },
    startsAt: 'when',
    link: '$.url',
  });
});
afterAll(async () => {
  await t?.stop();
  expect(existsSync(MARKER), `${MARKER} exists: some text was run as a command`).toBe(false);
});

const store = () => t.server.services.store;

// ---------------------------------------------------------------------------
// Payloads as JSON text, so that keys such as __proto__ really are keys.

const text = (value: unknown): string => JSON.stringify(value) ?? 'null';
const object = (entries: ReadonlyArray<readonly [string, string]>): string => `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;

/** Some fields of an object, each maybe left out, plus stray ones. */
function someFields(fields: Record<string, fc.Arbitrary<string>>): fc.Arbitrary<string> {
  const entries = Object.entries(fields).map(([name, value]) => fc.option(value.map((v) => [name, v] as const), { freq: 5, nil: null }));
  const stray = fc.array(fc.tuple(fc.oneof(fc.constantFrom(...PROTO_KEYS), anyString(8)), anyJson), { maxLength: 1 });
  return fc
    .tuple(fc.tuple(...entries), stray, fc.nat({ max: 9 }))
    .map(([chosen, extra, straying]) => object([...chosen.filter((e): e is readonly [string, string] => e !== null), ...(straying === 0 ? extra : [])]));
}

const anyJson: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('null', 'true', '0', '-1', '1.5', '1e308', '""', '[]', '{}', '"x"'),
  fc.jsonValue({ maxDepth: 2 }).map(text),
);

/** What `.` in a JavaScript regular expression does not match. */
const LINE_BREAK = /[\n\r\u2028\u2029]/;

const SQL_AND_SHELL = [
  "'; DROP TABLE alerts; --",
  '" OR 1=1 --',
  "Robert'); DROP TABLE alert_history;--",
  '%',
  '_',
  '\\',
  '\\%',
  `$(touch ${MARKER})`,
  `\`touch ${MARKER}\``,
  `; touch ${MARKER}`,
  `| touch ${MARKER}`,
  '${PATH}',
  '{{ 7 * 7 }}',
  '{% raw %}',
  '<script>alert(1)</script>',
  '%s%n',
  '\r\n',
  '\t',
  '\u2028',
  '🔥',
  '👩‍🚒',
  'e\u0301',
  '漢字',
  '\u202e',
  '\u001b[31m',
  '\u007f',
  '\uffff',
  '"}',
  '","x":"',
  '\\u0000',
  'null',
  '__proto__',
] as const;

/** Text that is valid in a label and storable: metacharacters, Unicode, long. */
const hostileLabelText = (max: number, min = 1): fc.Arbitrary<string> =>
  fc
    .oneof(
      { arbitrary: fc.array(fc.constantFrom(...SQL_AND_SHELL), { minLength: 1, maxLength: 5 }).map((parts) => parts.join('')), weight: 5 },
      { arbitrary: fc.string({ unit: 'grapheme', minLength: min, maxLength: 30 }), weight: 2 },
      { arbitrary: fc.string({ unit: 'binary', minLength: min, maxLength: 30 }), weight: 2 },
      { arbitrary: fc.constantFrom('x', 'é', "'", '%').map((unit) => unit.repeat(max)), weight: 1 },
    )
    .map((s) => s.slice(0, max))
    .filter((s) => s.length >= min && s.isWellFormed() && !s.includes('\u0000'));

const labelName = fc.oneof(
  { arbitrary: fc.constantFrom('alertname', 'severity', 'service', 'instance', 'job', 'env', 'provider'), weight: 4 },
  { arbitrary: anyString(20), weight: 3 },
  { arbitrary: fc.constantFrom(...PROTO_KEYS, '', 'x'.repeat(256), 'x'.repeat(257)), weight: 1 },
);
const labelValue = fc.oneof(
  { arbitrary: hostileLabelText(60).map(text), weight: 5 },
  { arbitrary: anyString(40).map(text), weight: 2 },
  { arbitrary: fc.constantFrom('x'.repeat(8192), 'x'.repeat(8193)).map(text), weight: 1 },
  { arbitrary: anyJson, weight: 1 },
);
const labels = fc.oneof(
  { arbitrary: fc.array(fc.tuple(labelName, labelValue), { maxLength: 5 }).map(object), weight: 8 },
  { arbitrary: anyJson, weight: 1 },
);

const timestamp = fc.oneof(
  fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }).map((d) => text(d.toISOString())),
  fc.constantFrom('"0001-01-01T00:00:00Z"', '"2024-05-01T12:00:00.123456789+02:00"', '"2024-02-30T00:00:00Z"', '"2024-05-01 12:00:00"', '"yesterday"', '""', '0', '1714564800'),
  anyJson,
);
const url = fc.oneof(
  fc.constantFrom('"https://prometheus.example:9090/graph?g0.expr=up"', '"javascript:alert(1)"', '"/relative"', '""', '"http://[::1"'),
  anyString(40).map(text),
  anyJson,
);
const status = fc.oneof({ arbitrary: fc.constantFrom('"firing"', '"resolved"'), weight: 6 }, { arbitrary: fc.oneof(anyString(10).map(text), anyJson), weight: 1 });

/** One alert of the Alertmanager / Grafana shape. */
const prometheusAlert = (grafana: boolean) =>
  someFields({
    status,
    labels,
    annotations: labels,
    startsAt: timestamp,
    endsAt: timestamp,
    generatorURL: url,
    fingerprint: fc.oneof(fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 1, maxLength: 16 }).map(text), fc.constantFrom('""', text('x'.repeat(256))), anyJson),
    ...(grafana
      ? {
          silenceURL: url,
          dashboardURL: url,
          panelURL: url,
          imageURL: url,
          values: fc.oneof(fc.dictionary(anyString(8), fc.double()).map(text), anyJson),
          valueString: fc.oneof(anyString(60).map(text), anyJson),
        }
      : {}),
  });

const alertList = (grafana: boolean) =>
  fc.oneof(
    { arbitrary: fc.array(prometheusAlert(grafana), { maxLength: 4 }).map((alerts) => `[${alerts.join(',')}]`), weight: 8 },
    { arbitrary: anyJson, weight: 1 },
  );

const prometheusWebhook = (grafana: boolean) =>
  someFields({
    version: fc.oneof({ arbitrary: fc.constant(grafana ? '"1"' : '"4"'), weight: 8 }, { arbitrary: anyJson, weight: 1 }),
    groupKey: fc.oneof(anyString(40).map(text), anyJson),
    truncatedAlerts: fc.oneof(fc.nat().map(String), anyJson),
    status,
    receiver: fc.oneof(anyString(20).map(text), anyJson),
    groupLabels: labels,
    commonLabels: labels,
    commonAnnotations: labels,
    externalURL: url,
    alerts: alertList(grafana),
    ...(grafana
      ? {
          orgId: fc.oneof(fc.integer().map(String), anyJson),
          title: fc.oneof(anyString(60).map(text), anyJson),
          state: fc.oneof(fc.constantFrom('"alerting"', '"ok"'), anyJson),
          message: fc.oneof(anyString(60).map(text), anyJson),
        }
      : {}),
  });

/** A body for the default generic mapping: title, status, severity, labels, annotations, dedup_key, starts_at, ends_at, link. */
const genericAlert = someFields({
  title: fc.oneof(hostileLabelText(80).map(text), anyJson),
  status: fc.oneof(fc.constantFrom('"firing"', '"resolved"', '"OK"', '"alarm"', '" Resolved "', '"bogus"'), anyJson),
  severity: fc.oneof(fc.constantFrom('"critical"', '"warning"', '"info"', '""'), anyJson),
  labels,
  annotations: labels,
  dedup_key: fc.oneof(anyString(30).map(text), anyJson),
  starts_at: fc.oneof(timestamp, fc.integer().map(String), fc.constantFrom('1e14', '-1', '99999999999999')),
  ends_at: timestamp,
  link: url,
});

/** Bodies for the two generic integrations with mappings of their own. */
const mappedBody = (which: 'list' | 'nested') =>
  which === 'list'
    ? fc.oneof(
        fc.array(someFields({ name: fc.oneof(anyString(40).map(text), anyJson), state: fc.oneof(fc.constantFrom('"alarm"', '"clear"', '"CLEAR"'), anyJson), id: fc.oneof(anyString(20).map(text), anyJson), tags: labels }), { maxLength: 3 }).map((items) => `[${items.join(',')}]`),
        anyJson,
      )
    : someFields({
        data: fc.oneof(
          fc
            .array(
              someFields({
                'display.name': fc.oneof(anyString(40).map(text), anyJson),
                host: fc.oneof(someFields({ name: fc.oneof(anyString(20).map(text), anyJson) }), anyJson),
                'app.kubernetes.io/name': fc.oneof(anyString(20).map(text), anyJson),
                tags: fc.oneof(fc.array(anyString(10), { maxLength: 3 }).map(text), anyJson),
                text: fc.oneof(anyString(40).map(text), anyJson),
                when: timestamp,
              }),
              { maxLength: 3 },
            )
            .map((items) => object([['items', `[${items.join(',')}]`]])),
          anyJson,
        ),
        level: fc.oneof(fc.constantFrom('"critical"', '"warning"'), anyJson),
        url,
      });

const routingKey = (valid: () => string) =>
  fc.oneof(
    { arbitrary: fc.constant('VALID'), weight: 8 },
    { arbitrary: fc.constantFrom('""', '" "', '"fbi_unknownkey0123456789abcdefghijklm"', text('x'.repeat(201)), '1', 'null'), weight: 1 },
  ).map((choice) => (choice === 'VALID' ? text(valid()) : choice));

const pagerDutyEvent = (key: () => string) =>
  someFields({
    routing_key: routingKey(key),
    event_action: fc.oneof({ arbitrary: fc.constantFrom('"trigger"', '"acknowledge"', '"resolve"'), weight: 6 }, { arbitrary: fc.oneof(anyString(10).map(text), anyJson), weight: 1 }),
    dedup_key: fc.oneof(fc.constantFrom('"pd-1"', '"pd-2"', '""', '" "', text('x'.repeat(255)), text('x'.repeat(256))), anyString(20).map(text), anyJson),
    payload: fc.oneof(
      {
        arbitrary: someFields({
          summary: fc.oneof(hostileLabelText(80).map(text), fc.constant(text('s'.repeat(5000))), anyJson),
          source: fc.oneof(hostileLabelText(40).map(text), anyJson),
          severity: fc.oneof(fc.constantFrom('"critical"', '"error"', '"warning"', '"info"'), anyJson),
          component: fc.oneof(anyString(20).map(text), anyJson),
          group: fc.oneof(anyString(20).map(text), anyJson),
          class: fc.oneof(anyString(20).map(text), anyJson),
          timestamp,
          custom_details: anyJson,
        }),
        weight: 8,
      },
      { arbitrary: anyJson, weight: 1 },
    ),
    client: fc.oneof(anyString(20).map(text), anyJson),
    client_url: url,
    links: fc.oneof(fc.array(someFields({ href: url, text: fc.oneof(anyString(10).map(text), anyJson) }), { maxLength: 2 }).map((l) => `[${l.join(',')}]`), anyJson),
    images: fc.oneof(fc.array(someFields({ src: url, href: url, alt: fc.oneof(anyString(10).map(text), anyJson) }), { maxLength: 2 }).map((l) => `[${l.join(',')}]`), anyJson),
  });

const pagerDutyChange = (key: () => string) =>
  someFields({
    routing_key: routingKey(key),
    payload: fc.oneof(
      { arbitrary: someFields({ summary: fc.oneof(hostileLabelText(80).map(text), anyJson), source: fc.oneof(anyString(20).map(text), anyJson), timestamp, custom_details: anyJson }), weight: 8 },
      { arbitrary: anyJson, weight: 1 },
    ),
    links: fc.oneof(fc.array(someFields({ href: url, text: fc.oneof(anyString(10).map(text), anyJson) }), { maxLength: 2 }).map((l) => `[${l.join(',')}]`), anyJson),
  });

// ---------------------------------------------------------------------------

const post = (path: string, body: string | Buffer, headers: Record<string, string> = { 'content-type': 'application/json' }): RawRequest => ({
  method: 'POST',
  path,
  headers,
  body,
});

const countAlerts = async () => Number((await store().db.selectFrom('alerts').select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow()).n);

/** The contract of an accepted webhook: success, as many outcomes as alerts, and no more alerts stored than that. */
function expectAccepted(req: RawRequest, res: RawResponse, stored: number): void {
  const where = describeExchange(req, res);
  expect(res.status, where).toBe(200);
  const answer = res.json as { status: string; alerts: number; results: Record<string, number> };
  expect(answer.status, where).toBe('success');
  expect(Object.values(answer.results).reduce((a, b) => a + b, 0), where).toBe(answer.alerts);
  expect(stored, where).toBeLessThanOrEqual(answer.alerts);
}

const webhookPath = (kind: Exclude<IngestKind, 'pagerduty'>, key = fixtures.keys[kind]) => `/api/v1/integrations/${kind}/${key}`;

/** Random or hostile Authorization: ingest must not care. */
const authorization = fc.constantFrom<Record<string, string>>({}, bearer(ADMIN_TOKEN), { authorization: 'Bearer fbk_nope' }, { authorization: 'Basic eDp5' });

describe('hostile payloads to a valid key never give a 5xx, and a refusal stores nothing', () => {
  const webhooks: Array<[string, () => string, fc.Arbitrary<string>]> = [
    ['Alertmanager', () => webhookPath('alertmanager'), prometheusWebhook(false)],
    ['Grafana', () => webhookPath('grafana'), prometheusWebhook(true)],
    ['generic (default mapping)', () => webhookPath('generic'), fc.oneof({ arbitrary: genericAlert, weight: 6 }, { arbitrary: anyJson, weight: 1 })],
    ['generic (a list, with a mapping)', () => `/api/v1/integrations/generic/${mapped.list.key}`, mappedBody('list')],
    ['generic (nested paths, with a mapping)', () => `/api/v1/integrations/generic/${mapped.nested.key}`, mappedBody('nested')],
  ];
  for (const [name, path, body] of webhooks) {
    it(name, async () => {
      await fc.assert(
        fc.asyncProperty(body, authorization, contentType, async (payload, auth, type) => {
          const headers: Record<string, string> = { ...auth };
          if (type !== undefined) headers['content-type'] = type;
          const before = await countAlerts();
          const req = post(path(), payload, headers);
          const res = await sendChecked(t.url, store(), req);
          if (res.status < 400) expectAccepted(req, res, (await countAlerts()) - before);
        }),
        { numRuns: 40 },
      );
    });
  }

  // Bodies from about 8 KiB up are read on a parser thread: padded to that size, each must be answered as it was small.
  for (const [name, path, body] of webhooks) {
    it(`${name}, read on a parser thread: the answer it gets on the event loop`, async () => {
      await t.server.webhooks.start();
      const padding = `"zz_padding":${JSON.stringify('p'.repeat(9000))}`;
      await fc.assert(
        fc.asyncProperty(body.filter((payload) => payload.startsWith('{')), async (payload) => {
          const padded = payload === '{}' ? `{${padding}}` : `{${padding},${payload.slice(1)}`;
          const small = await sendChecked(t.url, store(), post(path(), payload));
          const large = await sendChecked(t.url, store(), post(path(), padded));
          const where = `${describeExchange(post(path(), payload), small)}\npadded: ${large.status} ${large.text.slice(0, 300)}`;
          expect(large.status, where).toBe(small.status);
          if (small.status < 400) {
            expect((large.json as { alerts: number }).alerts, where).toBe((small.json as { alerts: number }).alerts);
            return;
          }
          const refusal = (res: RawResponse) => (res.json as { error: { code: string; message: string; details: unknown } }).error;
          expect(refusal(large).code, where).toBe(refusal(small).code);
          // A JSON syntax error names a position, which the padding moves.
          if (refusal(small).code !== 'invalid_json') expect(refusal(large), where).toEqual(refusal(small));
        }),
        { numRuns: 25 },
      );
    });
  }

  it('PagerDuty events (/v2/enqueue): 202 Event processed, or a refusal that stores nothing', async () => {
    await fc.assert(
      fc.asyncProperty(pagerDutyEvent(() => fixtures.keys.pagerduty), authorization, async (payload, auth) => {
        const req = post('/v2/enqueue', payload, { ...auth, 'content-type': 'application/json' });
        const res = await sendChecked(t.url, store(), req);
        if (res.status < 400) {
          expect(res.status, describeExchange(req, res)).toBe(202);
          expect(res.json, describeExchange(req, res)).toMatchObject({ status: 'success', message: 'Event processed', dedup_key: expect.any(String) });
        } else if (res.status === 400 && (res.json as { status?: unknown }).status !== undefined) {
          expectPagerDutyRefusal(req, res);
        }
      }),
      { numRuns: 50 },
    );
  });

  it('PagerDuty change events (/v2/change/enqueue): 202 Change event processed, or a refusal that stores nothing', async () => {
    await fc.assert(
      fc.asyncProperty(pagerDutyChange(() => fixtures.keys.pagerduty), authorization, async (payload, auth) => {
        const req = post('/v2/change/enqueue', payload, { ...auth, 'content-type': 'application/json' });
        const res = await sendChecked(t.url, store(), req);
        if (res.status < 400) {
          expect(res.status, describeExchange(req, res)).toBe(202);
          expect(res.json, describeExchange(req, res)).toEqual({ status: 'success', message: 'Change event processed' });
        }
      }),
      { numRuns: 30 },
    );
  });
});

describe('keys', () => {
  // Keys a sender could really put in a URL or a JSON string (NUL, lone surrogates and
  // over-long segments are refused earlier, by the router or the body parser).
  const randomKey = fc
    .oneof(
      fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'), minLength: 1, maxLength: 60 }).map((s) => `fbi_${s}`),
      anyString(40),
    )
    .filter((s) => s.length > 0 && s !== '.' && s !== '..' && s.isWellFormed() && !s.includes('\u0000') && encodeURIComponent(s).length <= 200);

  it('an unknown key is a 401 on the webhook routes, with an admin token or without, and stores nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('alertmanager', 'grafana', 'generic') as fc.Arbitrary<'alertmanager' | 'grafana' | 'generic'>, randomKey, authorization, async (kind, key, auth) => {
        const body = kind === 'generic' ? '{"title":"x"}' : '{"version":"4","alerts":[{"status":"firing","labels":{"alertname":"x"}}]}';
        const req = post(webhookPath(kind, encodeURIComponent(key)), body, { ...auth, 'content-type': 'application/json' });
        const res = await sendChecked(t.url, store(), req);
        expect(res.status, describeExchange(req, res)).toBe(401);
        expectErrorEnvelope(req, res);
      }),
      { numRuns: 40 },
    );
  });

  it("an unknown routing_key is PagerDuty's 400 invalid event, with an admin token or without, and stores nothing", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('/v2/enqueue', '/v2/change/enqueue'), randomKey, authorization, async (path, key, auth) => {
        const payload = { summary: 'x', source: 'y', severity: 'info' };
        const body = JSON.stringify(path === '/v2/enqueue' ? { routing_key: key, event_action: 'trigger', payload } : { routing_key: key, payload });
        const req = post(path, body, { ...auth, 'content-type': 'application/json' });
        const res = await sendChecked(t.url, store(), req);
        expectPagerDutyRefusal(req, res);
      }),
      { numRuns: 40 },
    );
  });
});

describe('label text is stored verbatim and never run', () => {
  // Names with a line break are left to their own regression test below: the API leaves them out.
  const storableName = hostileLabelText(256).filter(
    (n) => !(PROTO_KEYS as readonly string[]).includes(n) && n !== 'alertname' && n !== 'fuzz_id' && !LINE_BREAK.test(n),
  );
  const labelSet = fc.uniqueArray(fc.tuple(storableName, hostileLabelText(8192, 0)), { maxLength: 6, selector: ([n]) => n });

  it('Alertmanager, Grafana and generic alerts: labels, annotations and summary come back exactly, from the API and the database', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('alertmanager', 'grafana', 'generic') as fc.Arbitrary<'alertmanager' | 'grafana' | 'generic'>,
        labelSet,
        labelSet,
        hostileLabelText(4096),
        async (kind, extra, annotationEntries, summary) => {
          const id = randomBytes(8).toString('hex');
          const sent = { alertname: 'FuzzVerbatim', fuzz_id: id, ...Object.fromEntries(extra) };
          const annotations = { ...Object.fromEntries(annotationEntries), summary };
          const body =
            kind === 'generic'
              ? { labels: sent, annotations, dedup_key: id }
              : { version: kind === 'grafana' ? '1' : '4', status: 'firing', alerts: [{ status: 'firing', labels: sent, annotations, fingerprint: id }] };
          const req = post(webhookPath(kind), JSON.stringify(body));
          const res = await sendChecked(t.url, store(), req);
          expect(res.status, describeExchange(req, res)).toBe(200);

          const listed = await send(t.url, { method: 'GET', path: `/api/v1/alerts?label=fuzz_id=${id}`, headers: bearer(ADMIN_TOKEN) });
          const items = (listed.json as { items: Array<{ id: string }> }).items;
          expect(items, describeExchange(req, res)).toHaveLength(1);
          const one = await send(t.url, { method: 'GET', path: `/api/v1/alerts/${items[0]!.id}`, headers: bearer(ADMIN_TOKEN) });
          const { alert, history } = one.json as { alert: { labels: object; annotations: object; summary: string; name: string }; history: unknown[] };
          expect(alert.labels).toEqual(sent);
          expect(alert.annotations).toEqual(annotations);
          expect(alert.summary).toBe(summary);
          expect(alert.name).toBe('FuzzVerbatim');
          expect(history.length).toBeGreaterThan(0);

          const row = await store().db.selectFrom('alerts').select(['labels', 'annotations', 'summary']).where('id', '=', items[0]!.id).executeTakeFirstOrThrow();
          expect(JSON.parse(row.labels)).toEqual(sent);
          expect(JSON.parse(row.annotations)).toEqual(annotations);
          expect(row.summary).toBe(summary);

          // Filtering by a hostile pair finds it (a filter is at most 1,000 characters).
          const [name, value] = extra[0] ?? ['alertname', 'FuzzVerbatim'];
          const pair = [...`${name}=${value}`].length; // the schema counts code points
          if (pair >= 3 && pair <= 1000 && !name.includes('=')) {
            const query = `label=${encodeURIComponent(`${name}=${value}`)}&label=fuzz_id=${id}`;
            const filtered = await send(t.url, { method: 'GET', path: `/api/v1/alerts?${query}`, headers: bearer(ADMIN_TOKEN) });
            expect(filtered.status, filtered.text).toBe(200);
            expect((filtered.json as { items: Array<{ id: string }> }).items.map((a) => a.id)).toEqual([items[0]!.id]);
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  it('PagerDuty: summary, source, component, group and class come back exactly', async () => {
    // PagerDuty refuses a blank summary or source; anything else is kept.
    const nonBlank = (max: number) => hostileLabelText(max).filter((s) => s.trim().length > 0);
    await fc.assert(
      fc.asyncProperty(nonBlank(1024), nonBlank(200), hostileLabelText(200), async (summary, source, component) => {
        const dedup = randomBytes(8).toString('hex');
        const body = { routing_key: fixtures.keys.pagerduty, event_action: 'trigger', dedup_key: dedup, payload: { summary, source, severity: 'info', component, group: component, class: source } };
        const req = post('/v2/enqueue', JSON.stringify(body));
        const res = await sendChecked(t.url, store(), req);
        expect(res.status, describeExchange(req, res)).toBe(202);
        const row = await store().db.selectFrom('alerts').select(['id', 'labels', 'summary']).where('dedup_key', '=', dedup).executeTakeFirstOrThrow();
        const expected: Record<string, string> = { source, severity: 'info' };
        if (component.length > 0) Object.assign(expected, { component, group: component });
        if (source.length > 0) expected.class = source;
        expect(JSON.parse(row.labels)).toEqual(expected);
        expect(row.summary).toBe(summary);
        const one = await send(t.url, { method: 'GET', path: `/api/v1/alerts/${row.id}`, headers: bearer(ADMIN_TOKEN) });
        expect((one.json as { alert: { summary: string } }).alert.summary).toBe(summary);
      }),
      { numRuns: 20 },
    );
  });

  it('nothing sent was ever executed', () => {
    expect(existsSync(MARKER)).toBe(false);
  });
});

describe('too much is refused and stores nothing', () => {
  const many = (n: number, prefix = 'l') => Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}${i}`, 'v']));

  it('10,000 labels (or annotations) on one alert is a 4xx on every webhook route', async () => {
    const requests: RawRequest[] = [];
    for (const kind of ['alertmanager', 'grafana'] as const) {
      const version = kind === 'grafana' ? '1' : '4';
      requests.push(post(webhookPath(kind), JSON.stringify({ version, alerts: [{ status: 'firing', labels: { alertname: 'Big', ...many(10_000) } }] })));
      requests.push(post(webhookPath(kind), JSON.stringify({ version, alerts: [{ status: 'firing', labels: { alertname: 'Big' }, annotations: many(10_000) }] })));
    }
    requests.push(post(webhookPath('generic'), JSON.stringify({ title: 'Big', labels: many(10_000) })));
    requests.push(post(webhookPath('generic'), JSON.stringify({ title: 'Big', annotations: many(10_000) })));
    requests.push(post(`/api/v1/integrations/generic/${mapped.list.key}`, JSON.stringify([{ name: 'Big', tags: many(10_000) }])));
    for (const req of requests) {
      const res = await sendChecked(t.url, store(), req);
      expect(res.status, describeExchange(req, res)).toBeGreaterThanOrEqual(400);
    }
  });

  it('10,000 custom details, or 10,000 links, is PagerDuty\'s 400 and stores nothing', async () => {
    const payload = { summary: 'Big', source: 'fuzz', severity: 'info' };
    for (const body of [
      { routing_key: fixtures.keys.pagerduty, event_action: 'trigger', payload: { ...payload, custom_details: many(10_000) } },
      { routing_key: fixtures.keys.pagerduty, event_action: 'trigger', payload, links: Array.from({ length: 10_000 }, () => ({ href: 'https://x.example' })) },
    ]) {
      const req = post('/v2/enqueue', JSON.stringify(body));
      const res = await sendChecked(t.url, store(), req);
      expectPagerDutyRefusal(req, res);
    }
  });

  it('1,001 alerts in one webhook is a 4xx; 1,000 alerts are accepted', async () => {
    const alerts = (n: number) => Array.from({ length: n }, (_, i) => ({ status: 'firing', labels: { alertname: 'Batch', i: String(i) }, fingerprint: `batch-${i}` }));
    const refused = await sendChecked(t.url, store(), post(webhookPath('alertmanager'), JSON.stringify({ version: '4', alerts: alerts(1001) })));
    expect(refused.status).toBe(400);
    const accepted = await sendChecked(t.url, store(), post(webhookPath('alertmanager'), JSON.stringify({ version: '4', alerts: alerts(1000) })));
    expect(accepted.status).toBe(200);
    expect((accepted.json as { alerts: number }).alerts).toBe(1000);
  });
});

/**
 * Exact repros of bugs found here, one per test, each named after its fix. They
 * assert the contract, so they fail until src/ is fixed.
 */
describe('regressions found by the ingest properties', () => {
  // src/store/repositories/alerts.ts list(): the label filter is `labels LIKE '%"name":"value"%'`
  // with only \ and _ escaped. A % in the value is a wildcard, so ?label=note=% matches every
  // alert with a note label, and ?label=note=a%c matches note=abc.
  it('GET /api/v1/alerts?label=note=a%25c matches the value a%c exactly, not abc (was a LIKE wildcard)', async () => {
    const run = randomBytes(6).toString('hex');
    for (const note of ['abc', 'a%c']) {
      const body = { version: '4', alerts: [{ status: 'firing', labels: { alertname: 'LikeWildcard', run, note }, fingerprint: `${run}-${note}` }] };
      expect((await sendChecked(t.url, store(), post(webhookPath('alertmanager'), JSON.stringify(body)))).status).toBe(200);
    }
    const notes = async (value: string) => {
      const res = await send(t.url, { method: 'GET', path: `/api/v1/alerts?label=run=${run}&label=${encodeURIComponent(`note=${value}`)}`, headers: bearer(ADMIN_TOKEN) });
      return (res.json as { items: Array<{ labels: { note: string } }> }).items.map((a) => a.labels.note).sort();
    };
    expect(await notes('a%c')).toEqual(['a%c']);
    expect(await notes('%')).toEqual([]);
  });

  // Same query: SQLite's LIKE ignores ASCII case, PostgreSQL's does not, so the same filter
  // answers differently on the two engines. Label values are case-sensitive (Alertmanager).
  it('GET /api/v1/alerts?label=alertname=casesensitive does not match CaseSensitive (SQLite LIKE ignores case)', async () => {
    const run = randomBytes(6).toString('hex');
    const body = { version: '4', alerts: [{ status: 'firing', labels: { alertname: 'CaseSensitive', run }, fingerprint: run }] };
    expect((await sendChecked(t.url, store(), post(webhookPath('alertmanager'), JSON.stringify(body)))).status).toBe(200);
    const res = await send(t.url, { method: 'GET', path: `/api/v1/alerts?label=run=${run}&label=alertname=casesensitive`, headers: bearer(ADMIN_TOKEN) });
    expect((res.json as { items: unknown[] }).items).toEqual([]);
  });

  // src/alerts/integrations.ts createIntegration() never calls genericMappingProblems(): a path
  // that passes the schema's pattern but does not parse (["\q"]: a bad JSON escape) is stored,
  // and then every webhook to the integration answers 400 config_invalid, which no sender can fix.
  it('POST /api/v1/integrations with a generic mapping path that cannot be read is a 400 (was 201, then every webhook 400)', async () => {
    const req: RawRequest = {
      method: 'POST',
      path: '/api/v1/integrations',
      headers: { ...bearer(ADMIN_TOKEN), 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'generic', name: 'unreadable mapping', mapping: { title: '["\\q"]' } }),
    };
    const res = await sendChecked(t.url, store(), req);
    expect(res.status, describeExchange(req, res)).toBe(400);
  });

  // On PostgreSQL, alert_groups has a btree primary key on (service, group_key); the group key
  // is built from the groupBy labels (alertname in the example config), and a label value may be
  // 8,192 characters. An incompressible one makes the index row too big ("index row size 8032
  // exceeds btree version 4 maximum 2704 for index alert_groups_pk") → 500. SQLite takes it.
  it('an alert whose alertname is 8,000 random characters is accepted, not a 500 (PostgreSQL btree row limit)', async () => {
    const alertname = randomBytes(6000).toString('base64').slice(0, 8000);
    const body = { version: '4', alerts: [{ status: 'firing', labels: { alertname }, fingerprint: randomBytes(8).toString('hex') }] };
    const req = post(webhookPath('alertmanager'), JSON.stringify(body));
    const res = await sendChecked(t.url, store(), req);
    expect(res.status, describeExchange(req, res)).toBe(200);
  });

  // The response schemas of alerts (src/http/schemas.ts AlertJson: labels, annotations, details are
  // Type.Record(Type.String(), …)) become patternProperties "^(.*)$" for fast-json-stringify, and
  // `.` does not match a line break: a label or annotation whose name holds \n, \r, U+2028 or
  // U+2029 is stored (the row has it) but silently left out of GET /alerts and GET /alerts/:id.
  it('a label or annotation whose name holds a line break is shown by the API, not silently dropped', async () => {
    const run = randomBytes(6).toString('hex');
    const labels = { alertname: 'LineBreakName', run, 'a\nb': 'v1', 'c\rd': 'v2', 'e\u2028f': 'v3' };
    const annotations = { 'multi\nline': 'text', summary: 's' };
    const body = { version: '4', alerts: [{ status: 'firing', labels, annotations, fingerprint: run }] };
    expect((await sendChecked(t.url, store(), post(webhookPath('alertmanager'), JSON.stringify(body)))).status).toBe(200);
    const row = await store().db.selectFrom('alerts').select(['id', 'labels', 'annotations']).where('dedup_key', '=', run).executeTakeFirstOrThrow();
    expect(JSON.parse(row.labels)).toEqual(labels);
    expect(JSON.parse(row.annotations)).toEqual(annotations);
    const one = await send(t.url, { method: 'GET', path: `/api/v1/alerts/${row.id}`, headers: bearer(ADMIN_TOKEN) });
    expect((one.json as { alert: { labels: object } }).alert.labels).toEqual(labels);
    expect((one.json as { alert: { annotations: object } }).alert.annotations).toEqual(annotations);
  });

  // src/alerts/rules.ts truncate() cuts the incident title at 199 UTF-16 units and can split a
  // surrogate pair; the lone half is stored as U+FFFD on PostgreSQL and as three U+FFFD on
  // SQLite (whose title then has 202 characters, over the 200 limit).
  it('an incident title cut from a long label never splits an emoji (was a U+FFFD, three on SQLite)', async () => {
    const provider = `x${'🔥'.repeat(100)}`;
    const body = { version: '4', alerts: [{ status: 'firing', labels: { alertname: 'CircuitBreakerOpen', provider }, fingerprint: randomBytes(8).toString('hex') }] };
    expect((await sendChecked(t.url, store(), post(webhookPath('alertmanager'), JSON.stringify(body)))).status).toBe(200);
    const listed = await send(t.url, { method: 'GET', path: `/api/v1/alerts?label=${encodeURIComponent(`provider=${provider}`)}`, headers: bearer(ADMIN_TOKEN) });
    const incidentId = (listed.json as { items: Array<{ incidentId: string }> }).items[0]!.incidentId;
    const incident = await send(t.url, { method: 'GET', path: `/api/v1/incidents/${incidentId}`, headers: bearer(ADMIN_TOKEN) });
    const title = (incident.json as { title: string }).title;
    expect(title.includes('\ufffd'), JSON.stringify(title.slice(-5))).toBe(false);
    // 200 characters as the API counts them (code points), like a declared title.
    expect([...title].length).toBeLessThanOrEqual(200);
    expect(title.startsWith('Circuit breaker open for x🔥🔥')).toBe(true);
  });
});
