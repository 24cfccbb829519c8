/**
 * Signing in to the web UI: local accounts, session cookies with CSRF tokens,
 * sessions listed and ended, lifetimes, throttled guessing, and roles. Real
 * HTTP against a real server on the engine under test.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import { ADMIN_TOKEN, startTestServer, type TestServer } from '../support/server.ts';

const PASSWORD = 'correct horse battery staple';
const START = Date.parse('2030-03-04T09:00:00Z');

let t: TestServer;
const clock = new ManualClock(START);

interface Answer {
  status: number;
  body: any;
  headers: Headers;
}

/** A browser's view of one person: the cookie jar and the CSRF token the sign-in gave. */
interface Browser {
  cookie: string;
  csrf: string;
  sessionId: string;
}

async function request(method: string, path: string, options: { body?: unknown; cookie?: string; csrf?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.cookie) headers.cookie = options.cookie;
  if (options.csrf) headers['x-csrf-token'] = options.csrf;
  const response = await fetch(t.url + path, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null, headers: response.headers };
}

const as = (browser: Browser, method: string, path: string, body?: unknown) => request(method, path, { body, cookie: browser.cookie, csrf: browser.csrf });

async function createAccount(username: string, role: string, password = PASSWORD): Promise<string> {
  const created = await t.api('POST', '/api/v1/users', { username, role, password });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.id;
}

async function signIn(username: string, password = PASSWORD, headers: Record<string, string> = {}): Promise<Browser> {
  const answer = await request('POST', '/api/v1/session', { body: { username, password }, headers });
  expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  const cookie = answer.headers.get('set-cookie')!.split(';')[0]!;
  return { cookie, csrf: answer.body.csrfToken, sessionId: answer.body.session.id };
}

beforeAll(async () => {
  t = await startTestServer({ clock, timers: false, trustProxy: true });
  await createAccount('amara', 'admin');
  await createAccount('tomasz', 'responder');
  await createAccount('priya', 'viewer');
});
afterAll(async () => {
  await t?.stop();
});

describe('signing in', () => {
  it('answers the right password with the person, a CSRF token and an HttpOnly, SameSite session cookie', async () => {
    const answer = await request('POST', '/api/v1/session', { body: { username: 'tomasz', password: PASSWORD } });
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({ actor: 'user:tomasz', role: 'responder', account: { username: 'tomasz', name: 'Tomasz Wiśniewski', person: true } });
    expect(answer.body.permissions).toContain('incidents.write');
    expect(answer.body.permissions).not.toContain('users.manage');
    expect(answer.body.csrfToken).toMatch(/^[\w-]{43}$/);
    const cookie = answer.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^firebreak_session=fbs_[\w-]{43}; /);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Lax');
    expect(cookie).toContain('Path=/');
    expect(cookie).not.toContain('Secure');
    expect(answer.headers.get('cache-control')).toBe('no-store');
    // The secret is stored only as a digest.
    const stored = await t.server.services.store.db.selectFrom('account_sessions').select('token_hash').execute();
    const secret = cookie.split(';')[0]!.split('=')[1]!;
    expect(stored.map((row) => row.token_hash)).not.toContain(secret);
  });

  it('refuses a wrong password, an unknown name and a disabled account with the same 401', async () => {
    const id = await createAccount('leaver', 'responder');
    await t.api('PATCH', `/api/v1/users/${id}`, { disabled: true });
    const answers = await Promise.all([
      request('POST', '/api/v1/session', { body: { username: 'tomasz', password: 'not the password' }, headers: { 'x-forwarded-for': '198.51.100.1' } }),
      request('POST', '/api/v1/session', { body: { username: 'nobody-here', password: PASSWORD }, headers: { 'x-forwarded-for': '198.51.100.1' } }),
      request('POST', '/api/v1/session', { body: { username: 'leaver', password: PASSWORD }, headers: { 'x-forwarded-for': '198.51.100.1' } }),
    ]);
    for (const answer of answers) {
      expect(answer.status).toBe(401);
      expect(answer.body.error).toEqual({ code: 'unauthenticated', message: 'The username or the password is wrong', details: null });
      expect(answer.headers.get('set-cookie')).toBeNull();
    }
  });

  it('over HTTPS behind a trusted proxy the cookie is Secure and takes the __Host- prefix, and only that name counts there', async () => {
    const https = { 'x-forwarded-proto': 'https' };
    const answer = await request('POST', '/api/v1/session', { body: { username: 'priya', password: PASSWORD }, headers: https });
    const cookie = answer.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^__Host-firebreak_session=fbs_/);
    expect(cookie).toContain('Secure');
    const me = await request('GET', '/api/v1/session', { cookie: cookie.split(';')[0], headers: https });
    expect(me.body.actor).toBe('user:priya');
    // A plain-named cookie over HTTPS may have been planted (a sibling domain, plain HTTP): it signs nobody in.
    const secret = cookie.split(';')[0]!.split('=')[1]!;
    expect((await request('GET', '/api/v1/session', { cookie: `firebreak_session=${secret}`, headers: https })).status).toBe(401);
  });

  it('stops guessing: after 10 failures for one name from one address, 429 with Retry-After, even for the right password, until the window passes', async () => {
    await createAccount('guessed', 'viewer');
    const from = { 'x-forwarded-for': '203.0.113.7' };
    for (let i = 0; i < 10; i++) {
      const wrong = await request('POST', '/api/v1/session', { body: { username: 'guessed', password: `guess number ${i}` }, headers: from });
      expect(wrong.status).toBe(401);
    }
    const blocked = await request('POST', '/api/v1/session', { body: { username: 'guessed', password: PASSWORD }, headers: from });
    expect(blocked.status).toBe(429);
    expect(blocked.body.error.code).toBe('rate_limited');
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(800);
    // Another address is not held up by this one's guessing.
    expect((await request('POST', '/api/v1/session', { body: { username: 'guessed', password: PASSWORD }, headers: { 'x-forwarded-for': '203.0.113.8' } })).status).toBe(201);
    clock.advance(16 * 60_000);
    expect((await request('POST', '/api/v1/session', { body: { username: 'guessed', password: PASSWORD }, headers: from })).status).toBe(201);
  });

  it('never answers a 5xx and never sets a cookie for random sign-in bodies', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ username: fc.oneof(fc.string(), fc.constantFrom('amara', 'AMARA', ' amara ', 'amara\u0000')), password: fc.oneof(fc.string(), fc.string({ minLength: 1025, maxLength: 5000 })) }, { requiredKeys: [] }),
        fc.constantFrom('192.0.2.1', '192.0.2.2', '192.0.2.3'),
        async (body, address) => {
          const answer = await request('POST', '/api/v1/session', { body, headers: { 'x-forwarded-for': address } });
          expect(answer.status).toBeGreaterThanOrEqual(400);
          expect(answer.status).toBeLessThan(500);
          expect(answer.body.error.code).toMatch(/^(invalid|unauthenticated|rate_limited)$/);
          expect(answer.headers.get('set-cookie')).toBeNull();
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('a signed-in browser', () => {
  let tomasz: Browser;
  beforeAll(async () => {
    tomasz = await signIn('tomasz');
  });

  it('reads with the cookie alone, and acts as user:<username>', async () => {
    expect((await request('GET', '/api/v1/incidents', { cookie: tomasz.cookie })).status).toBe(200);
    const declared = await as(tomasz, 'POST', '/api/v1/incidents', { title: 'Checkout is slow', severity: 'P3' });
    expect(declared.status).toBe(201);
    expect(declared.body.declaredBy).toBe('user:tomasz');
  });

  it('refuses a change without the CSRF token, or with another session\'s, and stores nothing', async () => {
    const other = await signIn('tomasz');
    const before = await t.api('GET', '/api/v1/incidents?status=investigating&limit=500');
    const missing = await request('POST', '/api/v1/incidents', { body: { title: 'forged', severity: 'P3' }, cookie: tomasz.cookie });
    const wrong = await request('POST', '/api/v1/incidents', { body: { title: 'forged', severity: 'P3' }, cookie: tomasz.cookie, csrf: other.csrf });
    for (const answer of [missing, wrong]) {
      expect(answer.status).toBe(403);
      expect(answer.body.error.details).toEqual({ header: 'x-csrf-token' });
    }
    const after = await t.api('GET', '/api/v1/incidents?status=investigating&limit=500');
    expect(after.body.items.length).toBe(before.body.items.length);
  });

  it('holds the role of the account: a viewer reads but cannot declare', async () => {
    const priya = await signIn('priya');
    expect((await as(priya, 'GET', '/api/v1/incidents')).status).toBe(200);
    const refused = await as(priya, 'POST', '/api/v1/incidents', { title: 'nope', severity: 'P3' });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('forbidden');
  });

  it('a new role takes effect on the next request, without signing in again', async () => {
    const id = await createAccount('promoted', 'viewer');
    const browser = await signIn('promoted');
    expect((await as(browser, 'GET', '/api/v1/tokens')).status).toBe(403);
    await t.api('PATCH', `/api/v1/users/${id}`, { role: 'admin' });
    expect((await as(browser, 'GET', '/api/v1/tokens')).status).toBe(200);
  });

  it('an API token still works beside sessions, and GET /session says who it is', async () => {
    const me = await t.api('GET', '/api/v1/session');
    expect(me.body).toMatchObject({ actor: 'token:bootstrap', kind: 'token', role: 'admin', account: null, session: null, csrfToken: null });
  });

  it('lists a token made up by the server by its first characters, and one whose secret was chosen by none of it', async () => {
    const made = await t.api('POST', '/api/v1/tokens', { name: 'made-up', role: 'viewer' });
    const listed = (await t.api('GET', '/api/v1/tokens')).body.items;
    expect(listed.find((token: any) => token.name === 'made-up').prefix).toBe(made.body.token.slice(0, 10));
    const bootstrap = listed.find((token: any) => token.name === 'bootstrap');
    expect(bootstrap.prefix).toBe('');
    expect(JSON.stringify(listed)).not.toContain(ADMIN_TOKEN.slice(0, 6));
  });

  it('lists its own sessions, marks this one, and ends another', async () => {
    const laptop = await signIn('tomasz', PASSWORD, { 'user-agent': 'laptop browser' });
    const phone = await signIn('tomasz', PASSWORD, { 'user-agent': 'phone browser' });
    const listed = await as(laptop, 'GET', '/api/v1/sessions');
    const mine = listed.body.items.filter((s: any) => s.id === laptop.sessionId || s.id === phone.sessionId);
    expect(mine).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: laptop.sessionId, current: true, userAgent: 'laptop browser' }),
        expect.objectContaining({ id: phone.sessionId, current: false, userAgent: 'phone browser' }),
      ]),
    );
    expect((await as(laptop, 'DELETE', `/api/v1/sessions/${phone.sessionId}`)).status).toBe(200);
    expect((await request('GET', '/api/v1/session', { cookie: phone.cookie })).status).toBe(401);
    expect((await request('GET', '/api/v1/session', { cookie: laptop.cookie })).status).toBe(200);
  });

  it("cannot see or end someone else's session; an administrator can", async () => {
    const victim = await signIn('priya');
    const attacker = await signIn('tomasz');
    expect((await as(attacker, 'DELETE', `/api/v1/sessions/${victim.sessionId}`)).status).toBe(404);
    expect((await as(attacker, 'GET', '/api/v1/sessions?all=true')).status).toBe(403);
    const amara = await signIn('amara');
    const everyone = await as(amara, 'GET', '/api/v1/sessions?all=true');
    expect(everyone.body.items.map((s: any) => s.id)).toContain(victim.sessionId);
    expect((await as(amara, 'DELETE', `/api/v1/sessions/${victim.sessionId}`)).status).toBe(200);
    expect((await request('GET', '/api/v1/session', { cookie: victim.cookie })).status).toBe(401);
  });

  it('signing out ends the session and clears the cookie', async () => {
    const browser = await signIn('tomasz');
    const out = await as(browser, 'DELETE', '/api/v1/session');
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^firebreak_session=; .*Max-Age=0/);
    expect((await request('GET', '/api/v1/incidents', { cookie: browser.cookie })).status).toBe(401);
  });
});

describe('lifetimes and changes of an account', () => {
  it('a session ends after 7 days unused, and after 30 days however often it is used', async () => {
    const idle = await signIn('priya');
    const busy = await signIn('priya');
    clock.advance(6 * 86_400_000);
    expect((await request('GET', '/api/v1/session', { cookie: busy.cookie })).status).toBe(200);
    clock.advance(2 * 86_400_000);
    expect((await request('GET', '/api/v1/session', { cookie: idle.cookie })).status).toBe(401);
    for (let day = 8; day < 30; day += 5) {
      expect((await request('GET', '/api/v1/session', { cookie: busy.cookie })).status).toBe(200);
      clock.advance(5 * 86_400_000);
    }
    expect((await request('GET', '/api/v1/session', { cookie: busy.cookie })).status).toBe(401);
    const answer = await request('GET', '/api/v1/incidents', { cookie: busy.cookie });
    expect(answer.body.error.message).toBe('Your session has ended; sign in again');
  });

  it('disabling an account ends its sessions at once', async () => {
    const id = await createAccount('suspended', 'responder');
    const browser = await signIn('suspended');
    await t.api('PATCH', `/api/v1/users/${id}`, { disabled: true });
    expect((await request('GET', '/api/v1/incidents', { cookie: browser.cookie })).status).toBe(401);
    await t.api('PATCH', `/api/v1/users/${id}`, { disabled: false });
    expect((await request('GET', '/api/v1/incidents', { cookie: browser.cookie })).status).toBe(401);
    expect((await signIn('suspended')).cookie).toMatch(/^firebreak_session=/);
  });

  it('changing one\'s password needs the current one, then ends the other sessions and keeps this one', async () => {
    await createAccount('rotating', 'responder');
    const here = await signIn('rotating');
    const elsewhere = await signIn('rotating');
    const wrong = await as(here, 'POST', '/api/v1/session/password', { current: 'not it at all', password: 'a brand new passphrase' });
    expect(wrong.status).toBe(403);
    const weak = await as(here, 'POST', '/api/v1/session/password', { current: PASSWORD, password: 'short' });
    expect(weak.status).toBe(400);
    const changed = await as(here, 'POST', '/api/v1/session/password', { current: PASSWORD, password: 'a brand new passphrase' });
    expect(changed.status).toBe(200);
    expect((await request('GET', '/api/v1/session', { cookie: here.cookie })).status).toBe(200);
    expect((await request('GET', '/api/v1/session', { cookie: elsewhere.cookie })).status).toBe(401);
    expect((await request('POST', '/api/v1/session', { body: { username: 'rotating', password: PASSWORD } })).status).toBe(401);
    expect((await signIn('rotating', 'a brand new passphrase')).csrf).toBeTruthy();
  });

  it('an administrator can neither disable nor demote their own account', async () => {
    const amara = await signIn('amara');
    const me = await as(amara, 'GET', '/api/v1/session');
    const id = me.body.account.id;
    expect((await as(amara, 'PATCH', `/api/v1/users/${id}`, { disabled: true })).status).toBe(409);
    expect((await as(amara, 'PATCH', `/api/v1/users/${id}`, { role: 'viewer' })).status).toBe(409);
    expect((await as(amara, 'PATCH', `/api/v1/users/${id}`, { name: 'Amara O.' })).body.name).toBe('Amara O.');
  });

  it('refuses a taken username, a password with the username in it and people-less roles', async () => {
    expect((await t.api('POST', '/api/v1/users', { username: 'amara', role: 'viewer', password: PASSWORD })).status).toBe(409);
    expect((await t.api('POST', '/api/v1/users', { username: 'newbie', role: 'viewer', password: 'newbie-password-1' })).status).toBe(400);
    expect((await t.api('POST', '/api/v1/users', { username: 'machine', role: 'runner', password: PASSWORD })).status).toBe(400);
    const listed = await t.api('GET', '/api/v1/users');
    expect(listed.body.items.map((a: any) => a.username)).not.toContain('newbie');
    for (const account of listed.body.items) expect(JSON.stringify(account)).not.toContain('scrypt');
  });
});

describe('password attempts under attack', () => {
  const signInFrom = (username: string, password: string, address: string) => request('POST', '/api/v1/session', { body: { username, password }, headers: { 'x-forwarded-for': address } });

  it('counts guesses sent all at once: no more than 10 of 30 parallel ones are checked', async () => {
    await createAccount('parallel', 'viewer');
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => signInFrom('parallel', `parallel guess ${i}`, '203.0.113.50')));
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(10);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(20);
    expect(statuses.every((s) => s === 401 || s === 429)).toBe(true);
  });

  it('counts an IPv6 network by its /64, so new addresses of one network do not buy new guesses', async () => {
    await createAccount('sixfour', 'viewer');
    for (let i = 1; i <= 10; i++) expect((await signInFrom('sixfour', `v6 guess ${i}`, `2001:db8:aa:bb::${i.toString(16)}`)).status).toBe(401);
    expect((await signInFrom('sixfour', PASSWORD, '2001:db8:aa:bb:ffff:1:2:3')).status).toBe(429);
    expect((await signInFrom('sixfour', PASSWORD, '2001:db8:aa:cc::1')).status).toBe(201);
  });

  it('guessing one name from many places cannot lock its owner out of an address they signed in from before', { timeout: 60_000 }, async () => {
    await createAccount('targeted', 'responder');
    expect((await signInFrom('targeted', PASSWORD, '198.51.100.1')).status).toBe(201);
    // 11 addresses × 10 guesses: past the name's limit of 100, within each pair's and address's.
    for (let a = 0; a < 11; a++) {
      const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => signInFrom('targeted', `wrong ${a}-${i}`, `192.0.2.${100 + a}`)));
      expect(answers.every((answer) => answer.status === 401 || answer.status === 429)).toBe(true);
    }
    expect((await signInFrom('targeted', PASSWORD, '198.51.100.77')).status).toBe(429);
    expect((await signInFrom('targeted', PASSWORD, '198.51.100.1')).status).toBe(201);
  });

  it('limits guesses at the current password of a stolen session like sign-ins', { timeout: 60_000 }, async () => {
    await createAccount('stolen', 'responder');
    const thief = await signIn('stolen', PASSWORD, { 'x-forwarded-for': '203.0.113.90' });
    const change = (current: string) => request('POST', '/api/v1/session/password', { body: { current, password: 'the thief wants this one' }, cookie: thief.cookie, csrf: thief.csrf, headers: { 'x-forwarded-for': '203.0.113.90' } });
    for (let i = 0; i < 10; i++) expect((await change(`is it ${i}`)).status).toBe(403);
    const blocked = await change(PASSWORD);
    expect(blocked.status).toBe(429);
    expect((await signInFrom('stolen', 'the thief wants this one', '203.0.113.91')).status).toBe(401);
  });

  it('keeps one administrator: the last one can be neither demoted nor disabled, even with an admin token', async () => {
    const amara = (await t.api('GET', '/api/v1/users/amara')).body;
    // Earlier tests made other administrators: with them disabled, amara is the last.
    const others = (await t.api('GET', '/api/v1/users')).body.items.filter((a: any) => a.role === 'admin' && !a.disabledAt && a.id !== amara.id);
    for (const other of others) expect((await t.api('PATCH', `/api/v1/users/${other.id}`, { disabled: true })).status).toBe(200);
    const demoted = await t.api('PATCH', `/api/v1/users/${amara.id}`, { role: 'responder' });
    expect(demoted.status).toBe(409);
    expect(demoted.body.error.message).toContain('last administrator');
    expect((await t.api('PATCH', `/api/v1/users/${amara.id}`, { disabled: true })).status).toBe(409);
    expect((await t.api('GET', '/api/v1/users/amara')).body.role).toBe('admin');
    const backup = await createAccount('backup-admin', 'admin');
    expect((await t.api('PATCH', `/api/v1/users/${amara.id}`, { role: 'responder' })).status).toBe(200);
    expect((await t.api('PATCH', `/api/v1/users/${backup}`, { disabled: true })).status).toBe(409);
    expect((await t.api('PATCH', `/api/v1/users/${amara.id}`, { role: 'admin' })).status).toBe(200);
    for (const other of others) expect((await t.api('PATCH', `/api/v1/users/${other.id}`, { disabled: false })).status).toBe(200);
  });

  it('an administrator sets their own password only where the current one is asked for', async () => {
    const amara = await signIn('amara');
    const me = await as(amara, 'GET', '/api/v1/session');
    const answer = await as(amara, 'PATCH', `/api/v1/users/${me.body.account.id}`, { password: 'no current password asked' });
    expect(answer.status).toBe(409);
    expect(answer.body.error.details).toEqual({ field: 'password' });
  });
});
