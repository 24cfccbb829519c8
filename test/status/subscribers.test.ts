import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.ts';
import { configProblemsOf } from '../../src/config/problems.ts';
import { ManualClock } from '../../src/core/clock.ts';
import { startSmtpReceiver, type ReceivedMail } from '../support/receivers.ts';
import { exampleConfigText, startTestServer, type TestServer } from '../support/server.ts';

const HOUR = 3_600_000;
const PUBLIC_URL = 'https://status.example.test';
const READER = 'reader@example.org';

/** What a mail client shows: the parts decoded from quoted-printable or base64. */
function mailText(mail: ReceivedMail): string {
  return mail.raw
    .split(/\r?\n--[^\r\n]+\r?\n/)
    .map((part) => {
      const split = part.search(/\r?\n\r?\n/);
      if (split < 0) return part;
      const headers = part.slice(0, split);
      const body = part.slice(split).trim();
      if (/content-transfer-encoding:\s*base64/i.test(headers)) return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
      if (/content-transfer-encoding:\s*quoted-printable/i.test(headers)) {
        return Buffer.from(body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1').toString('utf8');
      }
      return body;
    })
    .join('\n');
}

/** A header of the mail's top part, unfolded. */
function header(mail: ReceivedMail, name: string): string | undefined {
  const head = mail.raw.slice(0, mail.raw.search(/\r?\n\r?\n/)).replace(/\r?\n[ \t]+/g, ' ');
  return new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(head)?.[1]?.trim();
}

/** The example with its email channel at the receiver (and a `to` list subscribers must never see), subscriptions as given. */
function configText(smtpPort: number, statusPage: string): string {
  const text = exampleConfigText()
    .replace('port: 2525', `port: ${smtpPort}`)
    .replace('from: "Firebreak <firebreak@songnodes.example>"', 'from: "Firebreak <firebreak@songnodes.example>"\n    to: [ops@songnodes.example]');
  return `${text}\npublicUrl: ${PUBLIC_URL}\n${statusPage}`;
}
const SUBSCRIPTIONS = 'statusPage:\n  subscriptions:\n    channel: email\n';

const tokenIn = (text: string, path: string) => new RegExp(`${PUBLIC_URL}${path}\\?token=([A-Za-z0-9_%-]+)`).exec(text)?.[1];

describe('email subscribers of the status page', () => {
  let t: TestServer;
  let smtp: Awaited<ReturnType<typeof startSmtpReceiver>>;
  let dir: string;
  const clock = new ManualClock(Date.parse('2030-05-04T08:00:00Z'));
  let confirmToken = '';
  let unsubscribeToken = '';

  beforeAll(async () => {
    smtp = await startSmtpReceiver();
    dir = mkdtempSync(join(tmpdir(), 'firebreak-subscribers-'));
    writeFileSync(join(dir, 'firebreak.yaml'), configText(smtp.port, SUBSCRIPTIONS));
    t = await startTestServer({ clock, timers: false, configPath: join(dir, 'firebreak.yaml') });
  });
  afterAll(async () => {
    await t?.stop();
    await smtp?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const mailsTo = (address: string) => smtp.mails.filter((m) => m.to.includes(address));
  const post = (path: string, body: string | Record<string, unknown>) =>
    fetch(t.url + path, {
      method: 'POST',
      headers: { 'content-type': typeof body === 'string' ? 'application/x-www-form-urlencoded' : 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const subscriber = async (email: string) => (await t.api('GET', '/api/v1/status/subscribers')).body.items.find((s: any) => s.email === email);
  const publicUpdate = async (incidentId: string, message: string, isPublic: boolean) => {
    const response = await t.api('POST', `/api/v1/incidents/${incidentId}/updates`, { message, public: isPublic });
    expect(response.status).toBe(201);
    await t.server.deliverNow();
  };

  it('shows a subscribe form on the status page', async () => {
    const page = await (await fetch(`${t.url}/status`)).text();
    expect(page).toContain(`<form class="subscribe" method="post" action="${PUBLIC_URL}/status/subscribe">`);
    expect(page).toContain('type="email" name="email"');
  });

  it('sends a confirmation link and confirms only when the button is pressed', async () => {
    const response = await post('/status/subscribe', { email: '  Reader@Example.ORG ' });
    expect(response.status).toBe(202);
    await t.server.deliverNow();
    const [mail, ...more] = mailsTo(READER);
    expect(more).toEqual([]);
    expect(mail!.to).toEqual([READER]);
    expect(header(mail!, 'X-Firebreak-Kind')).toBe('subscription');
    confirmToken = tokenIn(mailText(mail!), '/status/subscriptions/confirm')!;
    expect(confirmToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await subscriber(READER)).state).toBe('pending');

    // A mail scanner following the link only sees a page with a button.
    const shown = await fetch(`${t.url}/status/subscriptions/confirm?token=${confirmToken}`);
    expect(shown.status).toBe(200);
    expect(shown.headers.get('referrer-policy')).toBe('no-referrer');
    const html = await shown.text();
    expect(html).toContain(`<form method="post" action="${PUBLIC_URL}/status/subscriptions/confirm?token=${confirmToken}">`);
    expect((await subscriber(READER)).state).toBe('pending');

    const confirmed = await post(`/status/subscriptions/confirm?token=${confirmToken}`, 'confirm=yes');
    expect(confirmed.status).toBe(200);
    expect(await confirmed.text()).toContain('Subscribed');
    expect((await subscriber(READER)).state).toBe('confirmed');
    // Used once: the same link no longer works.
    expect((await post(`/status/subscriptions/confirm?token=${confirmToken}`, 'confirm=yes')).status).toBe(404);
  });

  it('answers the same whether or not an address is known, and does not mail a confirmed one again', async () => {
    const known = await post('/status/subscribe', { email: READER });
    const unknown = await post('/status/subscribe', { email: 'stranger@example.org' });
    expect(known.status).toBe(unknown.status);
    expect(await known.text()).toBe(await unknown.text());
    await t.server.deliverNow();
    expect(mailsTo(READER)).toHaveLength(1);
    expect(mailsTo('stranger@example.org')).toHaveLength(1);
  });

  it('mails public updates, and only public content, to confirmed subscribers with one-click unsubscribe', async () => {
    const declared = await t.api('POST', '/api/v1/incidents', { title: 'Checkout errors', severity: 'P2', summary: 'db-7 disk full, see runbook', services: ['rest-api'] });
    expect(declared.status).toBe(201);
    const id = declared.body.id;
    await publicUpdate(id, 'Internal: paging the storage team', false);
    expect(mailsTo(READER)).toHaveLength(1);

    await publicUpdate(id, 'Some payments fail; we are looking into it.', true);
    const mails = mailsTo(READER);
    expect(mails).toHaveLength(2);
    const mail = mails[1]!;
    expect(mail.to).toEqual([READER]);
    const text = mailText(mail);
    expect(text).toContain('Some payments fail; we are looking into it.');
    expect(text).toContain('Checkout errors');
    expect(text).toContain('Investigating');
    expect(text).not.toContain('db-7');
    expect(text).not.toContain('paging the storage team');
    // As a word: the random unsubscribe token in the headers may hold the letters P2.
    expect(text).not.toMatch(/\bP2\b/);
    expect(header(mail, 'X-Firebreak-Incident')).toBeUndefined();
    expect(header(mail, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
    const listUnsubscribe = header(mail, 'List-Unsubscribe')!;
    expect(listUnsubscribe).toMatch(new RegExp(`^<${PUBLIC_URL}/status/subscriptions/unsubscribe\\?token=[A-Za-z0-9_-]+>$`));
    unsubscribeToken = tokenIn(listUnsubscribe, '/status/subscriptions/unsubscribe')!;
    // The stranger never confirmed.
    expect(mailsTo('stranger@example.org')).toHaveLength(1);

    // The page behind the link changes nothing by itself.
    const shown = await fetch(`${t.url}/status/subscriptions/unsubscribe?token=${unsubscribeToken}`);
    expect(shown.status).toBe(200);
    expect((await subscriber(READER)).state).toBe('confirmed');

    // RFC 8058: the mail client POSTs this body to the List-Unsubscribe URL.
    const oneClick = await post(`/status/subscriptions/unsubscribe?token=${unsubscribeToken}`, 'List-Unsubscribe=One-Click');
    expect(oneClick.status).toBe(200);
    expect((await subscriber(READER)).state).toBe('unsubscribed');
    expect((await post(`/status/subscriptions/unsubscribe?token=${unsubscribeToken}`, 'List-Unsubscribe=One-Click')).status).toBe(200);
    // RFC 8058 allows multipart/form-data too.
    const multipart = new FormData();
    multipart.set('List-Unsubscribe', 'One-Click');
    expect((await fetch(`${t.url}/status/subscriptions/unsubscribe?token=${unsubscribeToken}`, { method: 'POST', body: multipart })).status).toBe(200);

    await publicUpdate(id, 'Fixed: payments work again.', true);
    expect(mailsTo(READER)).toHaveLength(2);
  });

  it('answers an unknown link with a neutral 404 page', async () => {
    const page = await fetch(`${t.url}/status/subscriptions/confirm?token=not-a-token`);
    expect(page.status).toBe(404);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('This link is not valid');
    expect((await fetch(`${t.url}/status/subscriptions/unsubscribe?token=not-a-token`)).status).toBe(404);
    expect((await post('/status/subscriptions/unsubscribe?token=not-a-token', 'List-Unsubscribe=One-Click')).status).toBe(404);
  });

  it('refuses an address that is not one, as JSON and as a form', async () => {
    clock.advance(2 * HOUR);
    const json = await post('/status/subscribe', { email: 'not an address' });
    expect(json.status).toBe(400);
    expect(((await json.json()) as any).error.code).toBe('invalid');
    const form = await post('/status/subscribe', 'email=a%40b');
    expect(form.status).toBe(400);
    expect(form.headers.get('content-type')).toContain('text/html');
  });

  it('answers a form with a page', async () => {
    const form = await post('/status/subscribe', `email=${encodeURIComponent('form@example.org')}`);
    expect(form.status).toBe(200);
    expect(await form.text()).toContain('a message with a link to confirm is on its way');
  });

  it('limits requests per address to 5 an hour, with the error envelope', async () => {
    clock.advance(2 * HOUR);
    for (let i = 0; i < 5; i++) expect((await post('/status/subscribe', { email: 'flood@example.org' })).status).toBe(202);
    const limited = await post('/status/subscribe', { email: 'flood@example.org' });
    expect(limited.status).toBe(429);
    expect(((await limited.json()) as any).error.code).toBe('rate_limited');
    // The same client is over its own limit now too.
    expect((await post('/status/subscribe', { email: 'other@example.org' })).status).toBe(429);
    clock.advance(HOUR + 1);
    expect((await post('/status/subscribe', { email: 'flood@example.org' })).status).toBe(202);
  });

  it('lets responders list subscribers and admins remove one; viewers may not', async () => {
    const viewer = await t.token('viewer');
    expect((await t.api('GET', '/api/v1/status/subscribers', undefined, viewer)).status).toBe(403);
    const responder = await t.token('responder');
    const listed = await t.api('GET', '/api/v1/status/subscribers?state=pending', undefined, responder);
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((s: any) => s.email)).toContain('stranger@example.org');
    expect(listed.body.items.every((s: any) => s.state === 'pending')).toBe(true);
    const stranger = await subscriber('stranger@example.org');
    expect((await t.api('DELETE', `/api/v1/status/subscribers/${stranger.id}`)).status).toBe(204);
    expect(await subscriber('stranger@example.org')).toBeUndefined();
    expect((await t.api('DELETE', `/api/v1/status/subscribers/${stranger.id}`)).status).toBe(404);
  });

  it('takes no subscriptions and shows no form once the configuration drops them', async () => {
    writeFileSync(join(dir, 'firebreak.yaml'), configText(smtp.port, ''));
    await t.server.reloadConfig();
    expect(await (await fetch(`${t.url}/status`)).text()).not.toContain('Get updates by email');
    clock.advance(2 * HOUR);
    const refused = await post('/status/subscribe', { email: 'late@example.org' });
    expect(refused.status).toBe(404);
    expect(((await refused.json()) as any).error.code).toBe('not_found');
  });
});

describe('statusPage configuration', () => {
  const problemsOf = (statusPage: string) => {
    try {
      parseConfig(configText(2525, statusPage), null, Date.now());
      return [];
    } catch (error) {
      return configProblemsOf(error).map((p) => `${p.path}: ${p.message} (${p.fix})`);
    }
  };

  it('accepts an email channel and no statusPage at all', () => {
    expect(configText(2525, '')).toContain('    to: [ops@songnodes.example]');
    expect(problemsOf(SUBSCRIPTIONS)).toEqual([]);
    expect(problemsOf('')).toEqual([]);
  });

  it('names a channel that does not exist or is not email', () => {
    expect(problemsOf('statusPage:\n  subscriptions:\n    channel: emial\n')).toEqual([
      expect.stringMatching(/^statusPage\.subscriptions\.channel: channel "emial" is not in channels \(did you mean "email"\?\)/),
    ]);
    expect(problemsOf('statusPage:\n  subscriptions:\n    channel: pager-bridge\n')).toEqual([
      expect.stringMatching(/channel "pager-bridge" is a webhook channel, not email \(use one of: email\)/),
    ]);
  });
});
