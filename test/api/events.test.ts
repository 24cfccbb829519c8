import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEventStream } from '../support/sse.ts';
import { ADMIN_TOKEN, startTestServer, type TestServer } from '../support/server.ts';

describe('live events', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => t.stop());

  it('streams incident events and resumes from Last-Event-ID without losing any', async () => {
    const viewer = await t.token('viewer');
    const stream = await openEventStream(`${t.url}/api/v1/events`, viewer);
    expect(stream.response.headers.get('content-type')).toContain('text/event-stream');
    const first = (await t.api('POST', '/api/v1/incidents', { title: 'live one', severity: 'P2' })).body;
    await expect.poll(() => stream.events.some((e) => e.event === 'incident.declared' && e.data.incidentId === first.id)).toBe(true);
    const lastSeen = stream.events.at(-1)!.id;
    await stream.close();

    // While nobody listens, more happens.
    const second = (await t.api('POST', '/api/v1/incidents', { title: 'missed one', severity: 'P2' })).body;
    await t.api('POST', `/api/v1/incidents/${second.id}/notes`, { text: 'while away' });

    const resumed = await openEventStream(`${t.url}/api/v1/events`, viewer, { 'last-event-id': lastSeen });
    await expect.poll(() => resumed.events.some((e) => e.event === 'timeline.appended' && e.data.data.entry.text === 'while away')).toBe(true);
    expect(resumed.events.some((e) => e.event === 'incident.declared' && e.data.incidentId === second.id)).toBe(true);
    expect(resumed.events.every((e) => Number(e.id) > Number(lastSeen))).toBe(true);
    const ids = resumed.events.map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    await resumed.close();
  });

  it('filters by incident', async () => {
    const a = (await t.api('POST', '/api/v1/incidents', { title: 'a', severity: 'P3' })).body;
    const b = (await t.api('POST', '/api/v1/incidents', { title: 'b', severity: 'P3' })).body;
    const stream = await openEventStream(`${t.url}/api/v1/events?incident=${b.id}`, ADMIN_TOKEN);
    await t.api('POST', `/api/v1/incidents/${a.id}/notes`, { text: 'for a' });
    await t.api('POST', `/api/v1/incidents/${b.id}/notes`, { text: 'for b' });
    await expect.poll(() => stream.events.length).toBeGreaterThan(0);
    expect(stream.events.every((e) => e.data.incidentId === b.id)).toBe(true);
    await stream.close();
  });

  it('refuses a stream without a token', async () => {
    const response = await fetch(`${t.url}/api/v1/events`);
    expect(response.status).toBe(401);
    expect(((await response.json()) as any).error.code).toBe('unauthenticated');
  });
});

describe('live events over HEAD', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => t.stop());

  it('answers a HEAD at once instead of holding the stream open', async () => {
    const response = await fetch(`${t.url}/api/v1/events`, { method: 'HEAD', headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, signal: AbortSignal.timeout(5000) });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
  });
});
