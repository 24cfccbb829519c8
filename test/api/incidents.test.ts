import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.ts';

describe('incidents API', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => t.stop());

  const declare = async (body: Record<string, unknown> = {}) => {
    const response = await t.api('POST', '/api/v1/incidents', { title: 'Circuit breaker open on rest-api', severity: 'P1', ...body });
    expect(response.status).toBe(201);
    return response.body;
  };

  it('declares an incident with services, summary and commander, and shows it', async () => {
    const incident = await declare({ services: ['rest-api'], summary: 'Errors at 60%', commander: 'amara' });
    expect(incident).toMatchObject({
      status: 'investigating',
      severity: 'P1',
      services: ['rest-api'],
      summary: 'Errors at 60%',
      roles: { commander: 'amara' },
      version: 1,
      acknowledgedAt: null,
    });
    expect(incident.allowedTransitions).toEqual(['identified', 'mitigating', 'monitoring', 'resolved']);
    const shown = await t.api('GET', `/api/v1/incidents/${incident.id}`);
    expect(shown.status).toBe(200);
    expect(shown.body).toEqual(incident);
  });

  it('refuses unknown severities, services and users with the allowed values', async () => {
    const badSeverity = await t.api('POST', '/api/v1/incidents', { title: 'x', severity: 'P9' });
    expect(badSeverity.status).toBe(400);
    expect(badSeverity.body.error.details.allowed).toEqual(['P0', 'P1', 'P2', 'P3']);
    const badService = await t.api('POST', '/api/v1/incidents', { title: 'x', severity: 'P1', services: ['nope'] });
    expect(badService.status).toBe(400);
    expect(badService.body.error.details.unknown).toEqual(['nope']);
    const badCommander = await t.api('POST', '/api/v1/incidents', { title: 'x', severity: 'P1', commander: 'mallory' });
    expect(badCommander.status).toBe(400);
  });

  it('walks the lifecycle forward, resolves, reopens and closes', async () => {
    const incident = await declare();
    const path = `/api/v1/incidents/${incident.id}`;
    expect((await t.api('PATCH', path, { status: 'mitigating' })).body.status).toBe('mitigating');
    const back = await t.api('PATCH', path, { status: 'identified' });
    expect(back.status).toBe(409);
    expect(back.body.error).toMatchObject({ code: 'invalid_transition', details: { allowed: ['monitoring', 'resolved'] } });
    const resolved = await t.api('PATCH', path, { status: 'resolved' });
    expect(resolved.body).toMatchObject({ status: 'resolved', allowedTransitions: ['closed', 'investigating'] });
    expect(resolved.body.resolvedAt).not.toBeNull();
    const reopened = await t.api('PATCH', path, { status: 'investigating' });
    expect(reopened.body).toMatchObject({ status: 'investigating', resolvedAt: null });
    await t.api('PATCH', path, { status: 'resolved' });
    const closed = await t.api('PATCH', path, { status: 'closed' });
    expect(closed.body).toMatchObject({ status: 'closed', allowedTransitions: [] });
    const final = await t.api('PATCH', path, { status: 'investigating' });
    expect(final.status).toBe(409);
    expect(final.body.error.details.allowed).toEqual([]);

    const kinds = (await t.api('GET', `${path}/timeline`)).body.items.map((e: any) => e.kind);
    expect(kinds.filter((k: string) => k === 'status')).toHaveLength(4);
    expect(kinds).toContain('reopened');
  });

  it('acknowledges once and records who did it', async () => {
    const incident = await declare();
    const acked = await t.api('POST', `/api/v1/incidents/${incident.id}/ack`, { comment: 'looking' });
    expect(acked.status).toBe(200);
    expect(acked.body.acknowledgedBy).toBe('token:bootstrap');
    const again = await t.api('POST', `/api/v1/incidents/${incident.id}/ack`);
    expect(again.status).toBe(409);
    expect(again.body.error.details.acknowledgedBy).toBe('token:bootstrap');
  });

  it('assigns and unassigns roles from the configuration, on the timeline', async () => {
    const incident = await declare();
    const path = `/api/v1/incidents/${incident.id}`;
    expect((await t.api('PUT', `${path}/roles/communications`, { assignee: 'tomasz' })).body.roles).toEqual({ communications: 'tomasz' });
    expect((await t.api('PUT', `${path}/roles/communications`, { assignee: 'amara' })).body.roles).toEqual({ communications: 'amara' });
    expect((await t.api('PUT', `${path}/roles/janitor`, { assignee: 'tomasz' })).status).toBe(400);
    expect((await t.api('DELETE', `${path}/roles/communications`)).body.roles).toEqual({});
    const texts = (await t.api('GET', `${path}/timeline`)).body.items.map((e: any) => e.text);
    expect(texts).toContain('amara takes over as Communications lead from tomasz');
    expect(texts).toContain('amara is no longer Communications lead');
  });

  it('keeps every timeline entry with actor and time, and takes notes', async () => {
    const incident = await declare();
    const viewer = await t.token('viewer');
    const note = await t.api('POST', `/api/v1/incidents/${incident.id}/notes`, { text: 'DLQ at 5,200 messages' });
    expect(note.status).toBe(201);
    const timeline = await t.api('GET', `/api/v1/incidents/${incident.id}/timeline`, undefined, viewer);
    expect(timeline.status).toBe(200);
    const last = timeline.body.items.at(-1);
    expect(last).toMatchObject({ kind: 'note', text: 'DLQ at 5,200 messages', actor: 'token:bootstrap' });
    expect(Date.parse(last.at)).toBeGreaterThan(0);
    const after = await t.api('GET', `/api/v1/incidents/${incident.id}/timeline?after=${timeline.body.items[0].id}`);
    expect(after.body.items).toHaveLength(timeline.body.items.length - 1);
  });

  it('pages a long timeline back from the newest entry', async () => {
    const incident = await declare();
    for (let i = 0; i < 12; i++) expect((await t.api('POST', `/api/v1/incidents/${incident.id}/notes`, { text: `note ${i}` })).status).toBe(201);
    const path = `/api/v1/incidents/${incident.id}/timeline`;
    const oldestFirst = (await t.api('GET', `${path}?limit=5000`)).body.items.map((e: any) => e.id);
    const newest = (await t.api('GET', `${path}?order=newest&limit=5`)).body.items;
    expect(newest.map((e: any) => e.text)).toEqual(['note 11', 'note 10', 'note 9', 'note 8', 'note 7']);
    const back: string[] = [];
    let page = newest;
    while (page.length > 0) {
      back.push(...page.map((e: any) => e.id));
      page = (await t.api('GET', `${path}?order=newest&limit=5&before=${page.at(-1).id}`)).body.items;
    }
    expect(back).toEqual([...oldestFirst].reverse());
    expect((await t.api('GET', `${path}?order=sideways`)).status).toBe(400);
  });

  it('refuses a write based on a stale version and loses no concurrent write', async () => {
    const incident = await declare();
    const path = `/api/v1/incidents/${incident.id}`;
    expect((await t.api('PATCH', path, { title: 'first', version: 1 })).status).toBe(200);
    const stale = await t.api('PATCH', path, { title: 'second', version: 1 });
    expect(stale.status).toBe(409);
    expect(stale.body.error.details.currentVersion).toBe(2);

    // Twenty concurrent edits without a version: every one lands, none is lost.
    const notes = await Promise.all(
      Array.from({ length: 20 }, (_, i) => t.api('PATCH', path, { summary: `summary ${i}` })),
    );
    expect(notes.every((r) => r.status === 200)).toBe(true);
    const shown = (await t.api('GET', path)).body;
    expect(shown.version).toBe(22);
    const summaries = (await t.api('GET', `${path}/timeline`)).body.items.filter((e: any) => e.kind === 'summary');
    expect(summaries).toHaveLength(20);
  });

  it('lists with filters and walks every page with the cursor', async () => {
    const tag = `svc-${Date.now()}`;
    const created: string[] = [];
    for (let i = 0; i < 7; i++) {
      created.push((await declare({ title: `${tag} ${i}`, severity: i % 2 ? 'P2' : 'P3', services: ['graph-api'] })).id);
    }
    await t.api('PATCH', `/api/v1/incidents/${created[0]}`, { status: 'resolved' });

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `?service=graph-api&limit=3${cursor ? `&cursor=${cursor}` : ''}`;
      const page: any = (await t.api('GET', `/api/v1/incidents${query}`)).body;
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((i: any) => i.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...created].reverse());

    const p2Open = (await t.api('GET', '/api/v1/incidents?service=graph-api&severity=P2&status=investigating')).body.items;
    expect(p2Open.map((i: any) => i.id).sort()).toEqual([created[1], created[3], created[5]].sort());
    const resolved = (await t.api('GET', '/api/v1/incidents?status=resolved&service=graph-api')).body.items;
    expect(resolved.map((i: any) => i.id)).toEqual([created[0]]);
    const future = (await t.api('GET', `/api/v1/incidents?from=${new Date(Date.now() + 3_600_000).toISOString()}`)).body.items;
    expect(future).toEqual([]);
    expect((await t.api('GET', '/api/v1/incidents?cursor=garbage')).status).toBe(400);
  });

  it('answers 404 for an unknown incident and 400 for unknown fields', async () => {
    const missing = await t.api('GET', '/api/v1/incidents/01ARZ3NDEKTSV4RRFFQ69G5FAV');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('not_found');
    const unknown = await t.api('PATCH', '/api/v1/incidents/01ARZ3NDEKTSV4RRFFQ69G5FAV', { colour: 'red' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.details).toEqual([{ field: 'colour', message: 'is not a known field' }]);
  });

  it('sets durable reminders that land on the timeline', async () => {
    const incident = await declare();
    const reminder = await t.api('POST', `/api/v1/incidents/${incident.id}/reminders`, { message: 'check DLQ depth', in: '1s' });
    expect(reminder.status).toBe(201);
    const both = await t.api('POST', `/api/v1/incidents/${incident.id}/reminders`, { message: 'x', in: '1s', at: new Date().toISOString() });
    expect(both.status).toBe(400);
    await expect.poll(
      async () => (await t.api('GET', `/api/v1/incidents/${incident.id}/timeline`)).body.items.filter((e: any) => e.kind === 'reminder').length,
      { timeout: 10_000, interval: 100 },
    ).toBe(1);
  });
});

describe('HTTP protocol', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => t.stop());

  it('answers 413 for an oversized body and 415 for a wrong content type', async () => {
    const huge = await fetch(`${t.url}/api/v1/incidents`, {
      method: 'POST',
      headers: { authorization: 'Bearer fbk_test_admin_token_0123456789', 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'x', severity: 'P1', summary: 'y'.repeat(2 * 1024 * 1024) }),
    });
    expect(huge.status).toBe(413);
    expect(((await huge.json()) as any).error.code).toBe('body_too_large');
    const form = await fetch(`${t.url}/api/v1/incidents`, {
      method: 'POST',
      headers: { authorization: 'Bearer fbk_test_admin_token_0123456789', 'content-type': 'application/x-www-form-urlencoded' },
      body: 'title=x&severity=P1',
    });
    expect(form.status).toBe(415);
    const broken = await fetch(`${t.url}/api/v1/incidents`, {
      method: 'POST',
      headers: { authorization: 'Bearer fbk_test_admin_token_0123456789', 'content-type': 'application/json' },
      body: '{"title": ',
    });
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as any).error.code).toBe('invalid_json');
  });

  it('serves health, readiness, metrics and an OpenAPI 3.1 document without a token', async () => {
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${t.url}/readyz`);
    expect((await ready.json()) as any).toMatchObject({ status: 'ready', database: t.database.engine });
    await t.api('POST', '/api/v1/incidents', { title: 'metrics', severity: 'P2' });
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toMatch(/firebreak_http_request_duration_seconds_bucket\{.*route="\/api\/v1\/incidents"/);
    expect(metrics).toMatch(/firebreak_incidents\{status="investigating",severity="P2",open="true"\} 1/);
    expect(metrics).toMatch(/firebreak_timers\{state="pending"\} \d+/);
    const openapi = (await (await fetch(`${t.url}/api/v1/openapi.json`)).json()) as any;
    expect(openapi.openapi).toBe('3.1.0');
    expect(Object.keys(openapi.paths)).toEqual(
      expect.arrayContaining(['/api/v1/incidents', '/api/v1/incidents/{id}', '/api/v1/incidents/{id}/ack', '/api/v1/incidents/{id}/timeline', '/api/v1/events']),
    );
    expect(openapi.paths['/api/v1/incidents'].post.requestBody.content['application/json'].schema.required).toEqual(['title', 'severity']);
  });

  it('carries a request id on every answer', async () => {
    const response = await fetch(`${t.url}/healthz`, { headers: { 'x-request-id': 'trace-abc' } });
    expect(response.headers.get('x-request-id')).toBe('trace-abc');
  });
});

describe('validation messages', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => t.stop());

  it('names the allowed values of a bad enum once', async () => {
    const response = await t.api('GET', '/api/v1/incidents?status=bogus');
    expect(response.status).toBe(400);
    expect(response.body.error.details).toEqual([
      { field: 'status.0', message: 'must be one of: investigating, identified, mitigating, monitoring, resolved, closed' },
    ]);
  });
});
