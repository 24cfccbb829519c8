import { afterEach, describe, expect, it } from 'vitest';
import { contentOf, type IncomingAlert } from '../../src/alerts/index.ts';
import { isDomainError } from '../../src/core/errors.ts';
import { parseJsonBody } from '../../src/http/json.ts';
import { WebhookParser, type WebhookRequest } from '../../src/http/webhooks/index.ts';
import { readWebhook } from '../../src/http/webhooks/parse.ts';

/*
 * Large webhooks are read on parser threads: whatever a body holds, the
 * alerts (or the refusal) must be exactly what reading it on the event loop
 * gives, including when a thread took the alerts for repeats, and when a
 * thread goes away with bodies in hand.
 */

const NOW = Date.parse('2026-12-01T12:00:00Z');
const request = (overrides: Partial<WebhookRequest> = {}): WebhookRequest => ({ kind: 'alertmanager', integrationId: 'int-1', mapping: null, now: NOW, ...overrides });

const alertmanagerBody = (count: number, change = (_i: number) => ({})) =>
  Buffer.from(
    JSON.stringify({
      version: '4',
      groupKey: '{}:{alertname="Disk"}',
      truncatedAlerts: 0,
      status: 'firing',
      receiver: 'firebreak',
      groupLabels: {},
      commonLabels: {},
      commonAnnotations: {},
      externalURL: 'http://alertmanager.example:9093',
      alerts: Array.from({ length: count }, (_, i) => ({
        status: 'firing',
        labels: { alertname: 'DiskFull', instance: `host-${i}:9100`, 'quote"d': `it's ${i}; $(rm -rf /)` },
        annotations: { summary: `disk ${i} at 97%` },
        startsAt: '2026-12-01T11:00:00Z',
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus.example:9090/graph?g0.expr=up',
        fingerprint: `fp-${i}`,
        ...change(i),
      })),
    }),
  );

/** What the event loop makes of the body, or the error it throws. */
const onEventLoop = (req: WebhookRequest, body: Buffer): IncomingAlert[] | Error => {
  try {
    return readWebhook(req, parseJsonBody(body));
  } catch (error) {
    return error as Error;
  }
};

describe('webhook parser threads', () => {
  let parser: WebhookParser | undefined;
  afterEach(async () => parser?.close());

  const started = async () => {
    parser = new WebhookParser({ threads: 1, minBytes: 0 });
    await parser.start();
    return parser;
  };

  it('reads a large webhook on a thread into the alerts the event loop reads', async () => {
    const body = alertmanagerBody(150);
    const received = await (await started()).parse(request(), body);
    const expected = onEventLoop(request(), body) as IncomingAlert[];
    expect(received.length).toBe(150);
    expect(received.dedupKeys).toEqual(expected.map((a) => a.dedupKey));
    expect(received.statuses).toEqual(expected.map((a) => a.status));
    expect(expected.map((_, i) => received.content(i))).toEqual(expected.map(contentOf));
    expect(await received.alerts()).toEqual(expected);
  });

  it('leaves out alerts it has seen firing unchanged, and reads them again when they are wanted', async () => {
    const threads = await started();
    const body = alertmanagerBody(40);
    await (await threads.parse(request(), body)).alerts();
    const again = await threads.parse(request(), body);
    // Left out (what the event loop got has no JSON to read): only the full read can give them back now, and it gives the same alerts.
    expect((again as unknown as { json: string | null }).json).toBeNull();
    expect(await again.alerts()).toEqual(onEventLoop(request(), body));
    // After a full read the thread no longer takes them for repeats; another integration never did.
    const third = await threads.parse(request(), body);
    expect(await third.alerts()).toEqual(onEventLoop(request(), body));
    const elsewhere = await threads.parse(request({ integrationId: 'int-2' }), body);
    expect(await elsewhere.alerts()).toEqual(onEventLoop(request(), body));
  });

  it('sends along alerts that changed or resolved since it saw them', async () => {
    const threads = await started();
    await threads.parse(request(), alertmanagerBody(30));
    const changed = alertmanagerBody(30, (i) => (i === 7 ? { annotations: { summary: 'disk 7 at 99%' } } : {}));
    expect((await (await threads.parse(request(), changed)).alerts())[7]!.annotations.summary).toBe('disk 7 at 99%');
    const resolved = alertmanagerBody(30, (i) => (i === 3 ? { status: 'resolved', endsAt: '2026-12-01T11:30:00Z' } : {}));
    const received = await threads.parse(request(), resolved);
    expect(received.statuses[3]).toBe('resolved');
    expect(await received.alerts()).toEqual(onEventLoop(request(), resolved));
  });

  it('reads generic webhooks through the integration’s mapping', async () => {
    const mapping = { alerts: 'items', title: 'name', dedupKey: 'id', status: 'state', statusMap: { alarm: 'firing', ok: 'resolved' }, labels: 'tags' };
    const body = Buffer.from(JSON.stringify({ items: Array.from({ length: 60 }, (_, i) => ({ id: `g${i}`, name: `Probe ${i}`, state: i % 2 ? 'alarm' : 'ok', tags: { zone: `z${i % 3}` } })) }));
    const req = request({ kind: 'generic', mapping: mapping as WebhookRequest['mapping'] });
    expect(await (await (await started()).parse(req, body)).alerts()).toEqual(onEventLoop(req, body));
  });

  it('refuses what the event loop refuses, with the same error', async () => {
    const threads = await started();
    const bodies = [
      Buffer.from(`{"version":"4","alerts":[${'{"labels":{"a":"b"}},'.repeat(50)}`),
      alertmanagerBody(20, (i) => (i === 4 ? { labels: { alertname: 'X', bad: 42 } } : {})),
      alertmanagerBody(20, (i) => (i === 9 ? { startsAt: 'yesterday' } : {})),
      Buffer.from(JSON.stringify({ version: '3', alerts: [] })),
      Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]),
    ];
    const described = (error: unknown) => {
      const { name, message, code, details } = error as { name: string; message: string; code?: string; details?: unknown };
      return { type: (error as object).constructor.name, name, message, code, details, domain: isDomainError(error) };
    };
    const kinds = new Set<string>();
    for (const body of bodies) {
      const refused = await threads.parse(request(), body).then(
        () => null,
        (error: unknown) => error,
      );
      const local = onEventLoop(request(), body);
      expect(local, body.toString('latin1').slice(0, 60)).toBeInstanceOf(Error);
      expect(described(refused)).toEqual(described(local));
      kinds.add(`${described(local).type} ${described(local).code}`);
    }
    // Malformed JSON, problems in the alerts, and bytes that are not UTF-8 all came back.
    expect(kinds).toEqual(new Set(['JsonSyntaxError FST_ERR_CTP_INVALID_JSON_BODY', 'DomainError invalid']));
  });

  it('reads on the event loop the bodies a thread held when the threads stopped', async () => {
    const threads = await started();
    const body = alertmanagerBody(200);
    const pending = Array.from({ length: 6 }, () => threads.parse(request(), body));
    await threads.close();
    for (const received of await Promise.all(pending)) expect(await received.alerts()).toEqual(onEventLoop(request(), body));
    // Closed for good: everything is read on the event loop from now on.
    expect(await (await threads.parse(request(), body)).alerts()).toEqual(onEventLoop(request(), body));
  });
});
