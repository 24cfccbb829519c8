import { afterEach, describe, expect, it } from 'vitest';
import { contentOf, type IncomingAlert } from '../../src/alerts/index.ts';
import { OpenAlerts } from '../../src/alerts/open-alerts.ts';
import type { AlertRecord } from '../../src/store/index.ts';
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

  const started = async (openAlerts: OpenAlerts | null = null) => {
    parser = new WebhookParser({ threads: 1, minBytes: 0, openAlerts });
    await parser.start();
    return parser;
  };
  /** The stored alert an incoming one became (as far as the open alerts look at it). */
  const record = (alert: IncomingAlert): AlertRecord => ({
    id: `alert-${alert.dedupKey}`,
    integrationId: 'int-1',
    dedupKey: alert.dedupKey,
    name: 'DiskFull',
    status: 'firing',
    severity: 'P3',
    service: null,
    summary: alert.summary ?? '',
    labels: alert.labels,
    annotations: alert.annotations,
    details: {},
    groupKey: '',
    runbook: null,
    generatorUrl: null,
    startsAt: NOW,
    endsAt: null,
    firstSeenAt: NOW,
    lastSeenAt: NOW,
    lastChangeAt: NOW,
    count: 1,
    suppressedBy: null,
    incidentId: 'incident-1',
  });

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

  it('claims a webhook whose alerts all repeat open alerts, and reads them again when they are wanted', async () => {
    const open = new OpenAlerts();
    const threads = await started(open);
    const body = alertmanagerBody(40);
    const alerts = onEventLoop(request(), body) as IncomingAlert[];
    for (const alert of alerts) open.update(record(alert));
    open.publish();
    const claimed = await threads.parse(request(), body);
    expect(claimed.repeatsAsOf).toBe(1);
    expect(claimed.dedupKeys).toEqual(alerts.map((a) => a.dedupKey));
    // Only the full read can give them back now, and it gives the same alerts.
    expect(await claimed.alerts()).toEqual(alerts);
    // Another integration's alerts are not open.
    expect((await threads.parse(request({ integrationId: 'int-2' }), body)).repeatsAsOf).toBeNull();
  });

  it('claims nothing for alerts that changed, resolved or closed since', async () => {
    const open = new OpenAlerts();
    const threads = await started(open);
    const alerts = onEventLoop(request(), alertmanagerBody(30)) as IncomingAlert[];
    for (const alert of alerts) open.update(record(alert));
    open.publish();
    const changed = alertmanagerBody(30, (i) => (i === 7 ? { annotations: { summary: 'disk 7 at 99%' } } : {}));
    const notClaimed = await threads.parse(request(), changed);
    expect(notClaimed.repeatsAsOf).toBeNull();
    expect((await notClaimed.alerts())[7]!.annotations.summary).toBe('disk 7 at 99%');
    const resolved = alertmanagerBody(30, (i) => (i === 3 ? { status: 'resolved', endsAt: '2026-12-01T11:30:00Z' } : {}));
    expect((await threads.parse(request(), resolved)).repeatsAsOf).toBeNull();
    // The pipeline resolved one of them: the thread hears of it with the next update.
    open.update({ ...record(alerts[12]!), status: 'resolved' });
    open.publish();
    const afterUpdate = await threads.parse(request(), alertmanagerBody(30));
    expect(afterUpdate.repeatsAsOf).toBeNull();
    expect(await afterUpdate.alerts()).toEqual(alerts);
  });

  it('a thread started late gets everything open so far', async () => {
    const open = new OpenAlerts();
    const alerts = onEventLoop(request(), alertmanagerBody(25)) as IncomingAlert[];
    for (const alert of alerts) open.update(record(alert));
    open.publish();
    open.publish();
    const threads = await started(open);
    expect((await threads.parse(request(), alertmanagerBody(25))).repeatsAsOf).toBe(1);
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
