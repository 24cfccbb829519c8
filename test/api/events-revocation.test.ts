/**
 * A live event stream outlives the request that opened it, so it must notice
 * when its caller may no longer read: a session ended from another device, a
 * disabled account, a revoked token. Real HTTP against a real server, with the
 * stream's check shortened from 15 s so the test need not wait.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import { openEventStream } from '../support/sse.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const PASSWORD = 'correct horse battery staple';
const CHECK_MS = 100;
const clock = new ManualClock(Date.parse('2030-05-06T03:00:00Z'));
let t: TestServer;

async function signIn(username: string): Promise<{ cookie: string; csrf: string; sessionId: string }> {
  const response = await fetch(`${t.url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: PASSWORD }) });
  const body = (await response.json()) as any;
  expect(response.status, JSON.stringify(body)).toBe(201);
  return { cookie: response.headers.get('set-cookie')!.split(';')[0]!, csrf: body.csrfToken, sessionId: body.session.id };
}

const streamWith = (cookie: string) => openEventStream(`${t.url}/api/v1/events`, null, { cookie });
const endedWithin = async (ended: Promise<void>, ms: number) => Promise.race([ended.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms))]);

beforeAll(async () => {
  t = await startTestServer({ clock, timers: false, streamCheckMs: CHECK_MS });
  for (const [username, role] of [['amara', 'admin'], ['tomasz', 'responder']]) {
    const created = await t.api('POST', '/api/v1/users', { username, role, password: PASSWORD });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
  }
});
afterAll(async () => {
  await t?.stop();
});

describe('a live stream whose caller may no longer read', () => {
  it('a stream on a good session stays open and delivers, and its checks do not keep the session alive', async () => {
    const phone = await signIn('tomasz');
    const stream = await streamWith(phone.cookie);
    expect(stream.response.status).toBe(200);
    const before = (await t.api('GET', '/api/v1/sessions?all=true')).body.items.find((s: any) => s.id === phone.sessionId).lastSeenAt;
    clock.advance(5 * 60_000);
    expect(await endedWithin(stream.ended, CHECK_MS * 8)).toBe(false);
    const declared = await t.api('POST', '/api/v1/incidents', { title: 'still listening', severity: 'P3' });
    await expect.poll(() => stream.events.some((e) => e.event === 'incident.declared' && e.data.incidentId === declared.body.id)).toBe(true);
    const after = (await t.api('GET', '/api/v1/sessions?all=true')).body.items.find((s: any) => s.id === phone.sessionId).lastSeenAt;
    expect(after).toBe(before);
    await stream.close();
  });

  it('a session ended from another device closes its stream with session.ended, and the reconnect is refused', async () => {
    const phone = await signIn('tomasz');
    const laptop = await signIn('tomasz');
    const stream = await streamWith(phone.cookie);
    const ended = await fetch(`${t.url}/api/v1/sessions/${phone.sessionId}`, { method: 'DELETE', headers: { cookie: laptop.cookie, 'x-csrf-token': laptop.csrf } });
    expect(ended.status).toBe(200);
    expect(await endedWithin(stream.ended, 10_000)).toBe(true);
    const last = stream.events.at(-1)!;
    expect(last.event).toBe('session.ended');
    expect(last.data.code).toBe('unauthenticated');
    expect(last.id).toBe('');
    const again = await fetch(`${t.url}/api/v1/events`, { headers: { cookie: phone.cookie } });
    expect(again.status).toBe(401);
    // The other device's stream is untouched.
    const other = await streamWith(laptop.cookie);
    expect(await endedWithin(other.ended, CHECK_MS * 5)).toBe(false);
    await other.close();
  });

  it('disabling an account closes the streams of all its sessions', async () => {
    await t.api('POST', '/api/v1/users', { username: 'priya', role: 'viewer', password: PASSWORD });
    const streams = await Promise.all([signIn('priya'), signIn('priya')].map(async (s) => streamWith((await s).cookie)));
    const disabled = await t.api('PATCH', '/api/v1/users/priya', { disabled: true });
    expect(disabled.status, JSON.stringify(disabled.body)).toBe(200);
    for (const stream of streams) {
      expect(await endedWithin(stream.ended, 10_000)).toBe(true);
      expect(stream.events.at(-1)!.event).toBe('session.ended');
    }
  });

  it('revoking an API token closes the streams opened with it', async () => {
    const created = await t.api('POST', '/api/v1/tokens', { name: 'wallboard', role: 'viewer' });
    const stream = await openEventStream(`${t.url}/api/v1/events`, created.body.token);
    expect(stream.response.status).toBe(200);
    expect(await endedWithin(stream.ended, CHECK_MS * 5)).toBe(false);
    expect((await t.api('DELETE', `/api/v1/tokens/${created.body.record.id}`)).status).toBe(200);
    expect(await endedWithin(stream.ended, 10_000)).toBe(true);
    expect(stream.events.at(-1)).toMatchObject({ event: 'session.ended', data: { code: 'unauthenticated' } });
  });
});
