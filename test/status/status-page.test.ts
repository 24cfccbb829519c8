import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.ts';
import { FIXTURES, shapeProblems } from './statuspage-v2-fixtures.ts';
import { childText, childrenNamed, parseXml } from './xml.ts';

const API = '/status/api/v2/';
const JSON_PATHS = Object.keys(FIXTURES) as Array<keyof typeof FIXTURES>;
const PUBLIC_PATHS = ['/status', '/status/history.atom', ...JSON_PATHS.map((p) => API + p)];

/** node:http, which (unlike fetch) leaves the body as it came: to see the encoding itself. */
function raw(url: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body: Buffer.concat(chunks) }));
    })
      .on('error', reject)
      .end();
  });
}

async function get(t: TestServer, path: string, headers: Record<string, string> = {}) {
  const response = await fetch(t.url + path, { headers });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

describe('public status page', () => {
  let t: TestServer;
  const secret = `s3cret-${randomBytes(12).toString('hex')}`;
  const publicText = `We are investigating elevated error rates ${randomBytes(4).toString('hex')}`;
  let incidentId: string;

  beforeAll(async () => {
    t = await startTestServer();
    const declared = await t.api('POST', '/api/v1/incidents', {
      title: 'Elevated API errors',
      severity: 'P1',
      services: ['rest-api'],
      summary: `internal summary ${secret}`,
      commander: 'amara',
    });
    expect(declared.status).toBe(201);
    incidentId = declared.body.id;
    // Everything internal carries the secret; only the public update may show.
    expect((await t.api('POST', `/api/v1/incidents/${incidentId}/updates`, { message: `internal: ${secret}`, public: false })).status).toBe(201);
    expect((await t.api('POST', `/api/v1/incidents/${incidentId}/updates`, { message: `default is internal ${secret}` })).status).toBe(201);
    expect((await t.api('POST', `/api/v1/incidents/${incidentId}/notes`, { text: `note ${secret}` })).status).toBe(201);
    expect((await t.api('POST', `/api/v1/incidents/${incidentId}/updates`, { message: publicText, public: true })).status).toBe(201);
    // An incident opened by an alert: its labels and annotations stay internal even once it is public.
    const integration = await t.api('POST', '/api/v1/integrations', { kind: 'alertmanager', name: 'status-page-test' });
    expect(integration.status).toBe(201);
    const labels = { alertname: 'StatusPageLeakCheck', service: 'rest-api', severity: 'critical', pod: `api-${secret}` };
    const webhook = {
      version: '4',
      groupKey: '{}:{alertname="StatusPageLeakCheck"}',
      truncatedAlerts: 0,
      status: 'firing',
      receiver: 'firebreak',
      groupLabels: {},
      commonLabels: labels,
      commonAnnotations: {},
      externalURL: 'http://alertmanager.example:9093',
      alerts: [
        {
          status: 'firing',
          labels,
          annotations: { summary: 'Error rate high', description: `runbook says: kubectl delete pod ${secret}` },
          startsAt: new Date().toISOString(),
          endsAt: '0001-01-01T00:00:00Z',
          generatorURL: `http://prometheus.example:9090/graph?g0.expr=${secret}`,
          fingerprint: 'statuspageleak01',
        },
      ],
    };
    const ingested = await fetch(t.url + integration.body.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(webhook) });
    expect(ingested.status).toBeLessThan(300);
    let alertIncident: string | null = null;
    for (let tries = 0; alertIncident === null && tries < 100; tries++) {
      alertIncident = (await t.api('GET', '/api/v1/alerts?label=alertname=StatusPageLeakCheck')).body.items[0]?.incidentId ?? null;
      if (alertIncident === null) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(alertIncident).not.toBeNull();
    expect((await t.api('POST', `/api/v1/incidents/${alertIncident}/updates`, { message: 'Some requests fail; we are on it.', public: true })).status).toBe(201);
    expect((await t.api('PATCH', `/api/v1/incidents/${alertIncident}`, { status: 'resolved' })).status).toBe(200);
    // An incident never updated in public stays off the page altogether.
    expect((await t.api('POST', '/api/v1/incidents', { title: `hidden ${secret}`, severity: 'P0', services: ['postgres'] })).status).toBe(201);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('shows public updates and nothing internal on every endpoint, feed and page', async () => {
    for (const path of PUBLIC_PATHS) {
      const { status, text } = await get(t, path);
      expect(status, path).toBe(200);
      expect(text, path).not.toContain(secret);
      expect(text, path).not.toContain('Amara');
      expect(text, path).not.toContain('amara');
      expect(text, path).not.toMatch(/token:|system:/);
    }
    for (const path of ['/status', '/status/history.atom', `${API}summary.json`, `${API}incidents.json`, `${API}incidents/unresolved.json`]) {
      expect((await get(t, path)).text, path).toContain(publicText);
    }
    expect((await get(t, `${API}incidents.json`)).text).toContain('Some requests fail; we are on it.');
  });

  it('answers in the shapes of the Statuspage v2 API', async () => {
    for (const path of JSON_PATHS) {
      const { status, headers, text } = await get(t, API + path);
      expect(status).toBe(200);
      expect(headers.get('content-type')).toMatch(/^application\/json/);
      expect(shapeProblems(JSON.parse(text), FIXTURES[path]), path).toEqual([]);
    }
    const summary = JSON.parse((await get(t, `${API}summary.json`)).text);
    expect(summary.page.name).toBe('SongNodes Music Platform');
    expect(summary.status).toEqual({ indicator: 'major', description: 'Partial System Outage' });
    expect(summary.components.find((c: any) => c.id === 'rest-api').status).toBe('partial_outage');
    expect(summary.components.find((c: any) => c.id === 'postgres').status).toBe('operational');
    expect(summary.incidents).toHaveLength(1);
    expect(summary.incidents[0]).toMatchObject({ id: incidentId, name: 'Elevated API errors', status: 'investigating', impact: 'major' });
    expect(summary.incidents[0].incident_updates.map((u: any) => [u.status, u.body])).toEqual([['investigating', publicText]]);
  });

  it('maps each public update to the status the incident had when it was posted, newest first', async () => {
    expect((await t.api('PATCH', `/api/v1/incidents/${incidentId}`, { status: 'mitigating' })).status).toBe(200);
    expect((await t.api('POST', `/api/v1/incidents/${incidentId}/updates`, { message: 'Fix is rolling out', public: true })).status).toBe(201);
    expect((await t.api('PATCH', `/api/v1/incidents/${incidentId}`, { status: 'monitoring' })).status).toBe(200);
    expect((await t.api('POST', `/api/v1/incidents/${incidentId}/updates`, { message: 'Error rates are back to normal', public: true })).status).toBe(201);
    expect((await t.api('PATCH', `/api/v1/incidents/${incidentId}`, { status: 'resolved' })).status).toBe(200);

    const incidents = JSON.parse((await get(t, `${API}incidents.json`)).text).incidents;
    const incident = incidents.find((i: any) => i.id === incidentId);
    expect(incident.status).toBe('resolved');
    expect(incident.resolved_at).not.toBeNull();
    expect(incident.monitoring_at).not.toBeNull();
    expect(incident.incident_updates.map((u: any) => u.status)).toEqual(['monitoring', 'identified', 'investigating']);
    expect(shapeProblems({ page: {}, incidents }, FIXTURES['incidents.json']).filter((p) => !p.startsWith('page'))).toEqual([]);
    expect(JSON.parse((await get(t, `${API}incidents/unresolved.json`)).text).incidents).toEqual([]);
    const status = JSON.parse((await get(t, `${API}status.json`)).text).status;
    expect(status).toEqual({ indicator: 'none', description: 'All Systems Operational' });
  });

  it('answers 304 to a matching If-None-Match and a new ETag after a change', async () => {
    for (const path of PUBLIC_PATHS) {
      const first = await get(t, path);
      const etag = first.headers.get('etag');
      expect(etag, path).toMatch(/^"[\w-]+"$/);
      expect(first.headers.get('cache-control'), path).toBe('public, max-age=30');
      const again = await get(t, path, { 'if-none-match': etag! });
      expect(again.status, path).toBe(304);
      expect(again.text).toBe('');
      expect(again.headers.get('etag')).toBe(etag);
      expect((await get(t, path, { 'if-none-match': `"other", W/${etag}` })).status, path).toBe(304);
      expect((await get(t, path, { 'if-none-match': '"other"' })).status, path).toBe(200);
    }
    const before = (await get(t, `${API}summary.json`)).headers.get('etag');
    expect((await t.api('PUT', '/api/v1/status/components/graph-api', { status: 'degraded_performance' })).status).toBe(200);
    const after = await get(t, `${API}summary.json`, { 'if-none-match': before! });
    expect(after.status).toBe(200);
    expect(after.headers.get('etag')).not.toBe(before);
    expect((await t.api('PUT', '/api/v1/status/components/graph-api', { status: null })).status).toBe(200);
  });

  it('sends the same document gzipped to clients that take gzip, with its own ETag', async () => {
    for (const path of ['/status', `${API}summary.json`, '/status/history.atom']) {
      const plain = await raw(t.url + path, { 'accept-encoding': 'identity' });
      const zipped = await raw(t.url + path, { 'accept-encoding': 'br, gzip;q=0.8' });
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(zipped.headers['content-encoding']).toBe('gzip');
      expect(zipped.headers.vary).toBe('accept-encoding');
      expect(gunzipSync(zipped.body).equals(plain.body)).toBe(true);
      expect(zipped.body.length).toBeLessThan(plain.body.length);
      expect(zipped.headers.etag).not.toBe(plain.headers.etag);
      expect((await raw(t.url + path, { 'accept-encoding': 'gzip', 'if-none-match': zipped.headers.etag as string })).status).toBe(304);
      expect((await raw(t.url + path, { 'accept-encoding': 'gzip;q=0, *', 'if-none-match': plain.headers.etag as string })).status).toBe(304);
    }
  });

  it('publishes a well-formed Atom feed of public updates', async () => {
    const { headers, text } = await get(t, '/status/history.atom');
    expect(headers.get('content-type')).toMatch(/^application\/atom\+xml/);
    const feed = parseXml(text);
    expect(feed.name).toBe('feed');
    expect(feed.attributes.xmlns).toBe('http://www.w3.org/2005/Atom');
    for (const required of ['id', 'title', 'updated']) expect(childText(feed, required), required).toBeTruthy();
    const entries = childrenNamed(feed, 'entry');
    expect(entries.length).toBeGreaterThanOrEqual(1);
    for (const entry of entries) {
      for (const required of ['id', 'title', 'updated']) expect(childText(entry, required), required).toBeTruthy();
      expect(Number.isNaN(Date.parse(childText(entry, 'updated')!))).toBe(false);
      expect(new Set(entries.map((e) => childText(e, 'id'))).size).toBe(entries.length);
    }
    const incident = entries.find((e) => childText(e, 'title') === 'Elevated API errors')!;
    const content = childrenNamed(incident, 'content')[0]!;
    expect(content.attributes.type).toBe('html');
    expect(content.text).toContain(publicText);
    expect(content.text).toContain('Error rates are back to normal');
  });

  it('renders an accessible page that needs no JavaScript', async () => {
    const { headers, text } = await get(t, '/status');
    expect(headers.get('content-type')).toMatch(/^text\/html/);
    expect(text).toMatch(/^<!doctype html>\n<html lang="en">/);
    expect(text).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    for (const landmark of ['<header>', '<main id="main">', '<footer>', '<h1>SongNodes Music Platform status</h1>']) expect(text).toContain(landmark);
    expect(text).not.toMatch(/<script|<img|<iframe/i);
    expect(text).toContain('All Systems Operational');
    // Component status in words, not only colour.
    expect(text).toMatch(/<span>REST API<\/span><span class="st operational">Operational<\/span>/);
    expect(headers.get('content-security-policy')).toContain("default-src 'none'");
  });

  it('lets responders set a component by hand and clear it again', async () => {
    const set = await t.api('PUT', '/api/v1/status/components/redis', { status: 'major_outage' });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ service: 'redis', override: 'major_outage' });
    let components = JSON.parse((await get(t, `${API}components.json`)).text).components;
    expect(components.find((c: any) => c.id === 'redis').status).toBe('major_outage');
    expect(JSON.parse((await get(t, `${API}status.json`)).text).status.indicator).toBe('critical');
    const listed = await t.api('GET', '/api/v1/status/components');
    expect(listed.body.items.find((c: any) => c.service === 'redis').override).toBe('major_outage');
    expect((await t.api('PUT', '/api/v1/status/components/redis', { status: null })).body.override).toBeNull();
    components = JSON.parse((await get(t, `${API}components.json`)).text).components;
    expect(components.find((c: any) => c.id === 'redis').status).toBe('operational');
  });

  it('shows scheduled maintenances as upcoming, then active, and removes deleted ones', async () => {
    const hour = 3_600_000;
    const now = Date.now();
    const active = await t.api('POST', '/api/v1/status/maintenances', {
      title: 'Cache upgrade',
      body: 'Redis moves to new hosts.',
      components: ['redis'],
      scheduledFor: new Date(now - hour).toISOString(),
      scheduledUntil: new Date(now + hour).toISOString(),
    });
    expect(active.status).toBe(201);
    expect(active.body.status).toBe('in_progress');
    const upcoming = await t.api('POST', '/api/v1/status/maintenances', {
      title: 'Broker upgrade',
      components: ['rabbitmq'],
      scheduledFor: new Date(now + 24 * hour).toISOString(),
      scheduledUntil: new Date(now + 26 * hour).toISOString(),
    });
    expect(upcoming.status).toBe(201);
    expect(upcoming.body.status).toBe('scheduled');

    const activeDoc = JSON.parse((await get(t, `${API}scheduled-maintenances/active.json`)).text);
    expect(shapeProblems(activeDoc, FIXTURES['scheduled-maintenances/active.json'])).toEqual([]);
    expect(activeDoc.scheduled_maintenances.map((m: any) => m.name)).toEqual(['Cache upgrade']);
    const upcomingDoc = JSON.parse((await get(t, `${API}scheduled-maintenances/upcoming.json`)).text);
    expect(shapeProblems(upcomingDoc, FIXTURES['scheduled-maintenances/upcoming.json'])).toEqual([]);
    expect(upcomingDoc.scheduled_maintenances.map((m: any) => m.name)).toEqual(['Broker upgrade']);
    const summary = JSON.parse((await get(t, `${API}summary.json`)).text);
    expect(shapeProblems(summary, FIXTURES['summary.json'])).toEqual([]);
    expect(summary.components.find((c: any) => c.id === 'redis').status).toBe('under_maintenance');
    expect(summary.status).toEqual({ indicator: 'maintenance', description: 'Service Under Maintenance' });
    expect(summary.scheduled_maintenances).toHaveLength(2);
    expect((await get(t, '/status')).text).toContain('Cache upgrade');
    expect((await t.api('GET', '/api/v1/status/maintenances')).body.items).toHaveLength(2);

    expect((await t.api('DELETE', `/api/v1/status/maintenances/${active.body.id}`)).status).toBe(204);
    expect((await t.api('DELETE', `/api/v1/status/maintenances/${active.body.id}`)).status).toBe(404);
    const after = JSON.parse((await get(t, `${API}summary.json`)).text);
    expect(after.components.find((c: any) => c.id === 'redis').status).toBe('operational');
    expect(after.scheduled_maintenances.map((m: any) => m.name)).toEqual(['Broker upgrade']);
  });

  it('documents the admin API in the OpenAPI document', async () => {
    const openapi = (await (await fetch(`${t.url}/api/v1/openapi.json`)).json()) as any;
    expect(Object.keys(openapi.paths)).toEqual(
      expect.arrayContaining(['/api/v1/status/components/{service}', '/api/v1/status/maintenances', '/api/v1/status/maintenances/{id}', '/status/api/v2/summary.json']),
    );
    expect(openapi.paths['/api/v1/status/maintenances'].post.requestBody.content['application/json'].schema.required).toEqual(
      expect.arrayContaining(['title', 'components', 'scheduledFor', 'scheduledUntil']),
    );
  });

  it('keeps the admin API to those allowed, and refuses bad input with the error envelope', async () => {
    const viewer = await t.token('viewer');
    const responder = await t.token('responder');
    const put = (body: unknown, token?: string, service = 'redis') => t.api('PUT', `/api/v1/status/components/${service}`, body, token);
    const noToken = await fetch(`${t.url}/api/v1/status/components/redis`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'operational' }),
    });
    expect(noToken.status).toBe(401);
    expect((await fetch(`${t.url}/api/v1/status/maintenances`, { method: 'POST' })).status).toBe(401);
    const forbidden = await put({ status: 'operational' }, viewer);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error.code).toBe('forbidden');
    expect((await t.api('POST', '/api/v1/status/maintenances', { title: 'x', components: [], scheduledFor: new Date().toISOString(), scheduledUntil: new Date(Date.now() + 1000).toISOString() }, viewer)).status).toBe(403);
    expect((await t.api('GET', '/api/v1/status/maintenances', undefined, viewer)).status).toBe(200);
    expect((await put({ status: 'operational' }, responder)).status).toBe(200);
    expect((await put({ status: null }, responder)).status).toBe(200);

    for (const body of [{ status: 'broken' }, {}, { status: 'operational', extra: 1 }, { status: 3 }]) {
      const answer = await put(body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.error.code).toBe('invalid');
    }
    const unknown = await put({ status: 'operational' }, undefined, 'no-such-service');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');

    const start = Date.now() + 3_600_000;
    const maintenance = (overrides: Record<string, unknown>) =>
      t.api('POST', '/api/v1/status/maintenances', {
        title: 'Window',
        components: ['redis'],
        scheduledFor: new Date(start).toISOString(),
        scheduledUntil: new Date(start + 3_600_000).toISOString(),
        ...overrides,
      });
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ scheduledUntil: new Date(start - 1).toISOString() }, 'scheduledUntil'],
      [{ scheduledFor: 'tomorrow' }, ''],
      [{ components: ['nope'] }, 'components'],
      [{ title: '' }, ''],
      [{ components: ['redis', 'redis'] }, ''],
      [{ scheduledUntil: new Date(start + 40 * 86_400_000).toISOString() }, 'scheduledUntil'],
    ];
    for (const [overrides, field] of cases) {
      const answer = await maintenance(overrides);
      expect(answer.status, JSON.stringify(overrides)).toBe(400);
      expect(answer.body.error.code).toBe('invalid');
      if (field) expect(answer.body.error.details.field).toBe(field);
    }
  });
});
