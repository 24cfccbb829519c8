import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { channelProblems, deliverTo, email, type ChannelConfig } from '../../../src/notify/channels/index.ts';
import { HOSTILE, NOW, declared, hostile } from './fixtures.ts';
import { leaves, parseMime, type MimePart } from './mime.ts';
import { closedPort } from './receiver.ts';

interface Received {
  from: string;
  to: string[];
  user: string | null;
  raw: string;
  mail: MimePart;
}

const received: Received[] = [];
let smtp: SMTPServer;
let port: number;

beforeAll(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    allowInsecureAuth: true,
    // No TLS in this test: nodemailer would upgrade and then refuse the self-signed certificate.
    disabledCommands: ['STARTTLS'],
    logger: false,
    disableReverseLookup: true,
    onAuth(auth, _session, callback) {
      if (auth.username === 'firebreak' && auth.password === 'smtp-pass') return callback(null, { user: auth.username });
      return callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onRcptTo(address, _session, callback) {
      if (address.address.startsWith('nobody@')) return callback(Object.assign(new Error('No such user here'), { responseCode: 550 }));
      if (address.address.startsWith('busy@')) return callback(Object.assign(new Error('Mailbox busy, try later'), { responseCode: 451 }));
      return callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        received.push({
          from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
          to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
          user: typeof session.user === 'string' ? session.user : null,
          raw,
          mail: parseMime(raw),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  port = (smtp.server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => smtp.close(() => resolve())));
beforeEach(() => {
  received.length = 0;
});

const channel = (extra: Record<string, unknown> = {}): ChannelConfig => ({
  kind: 'email',
  id: 'email',
  host: '127.0.0.1',
  port,
  secure: false,
  from: 'Firebreak <firebreak@example.com>',
  to: ['oncall@example.com'],
  ...extra,
});
const deps = (extra: Record<string, unknown> = {}) => ({ now: () => NOW, env: {}, timeoutMs: 3_000, ...extra });

function part(mail: MimePart, type: string): MimePart {
  const found = leaves(mail).find((leaf) => (leaf.header('content-type') ?? '').startsWith(type));
  if (found === undefined) throw new Error(`no ${type} part`);
  return found;
}

describe('email over SMTP', () => {
  it('sends text and HTML parts with a [severity] subject and a Message-ID from the idempotency key', async () => {
    const result = await deliverTo(channel(), declared(), deps());

    expect(result).toEqual({ ok: true, status: 250, remoteId: '<01JPAGE000000000000000001.slack-main@example.com>' });
    expect(received).toHaveLength(1);
    const { mail, from, to } = received[0]!;
    expect(from).toBe('firebreak@example.com');
    expect(to).toEqual(['oncall@example.com']);
    expect(mail.header('subject')).toBe('[P1] Incident declared: Checkout fails for EU customers');
    expect(mail.header('message-id')).toBe('<01JPAGE000000000000000001.slack-main@example.com>');
    expect(mail.header('from')).toBe('Firebreak <firebreak@example.com>');
    expect(mail.header('auto-submitted')).toBe('auto-generated');
    expect(mail.header('x-firebreak-kind')).toBe('incident.declared');
    expect(mail.header('x-firebreak-incident')).toBe('01JINC0000000000000000042');
    expect(new Date(mail.header('date')!).getTime()).toBe(NOW);
    expect(mail.header('content-type')).toMatch(/^multipart\/alternative/);

    expect(part(mail, 'text/plain').body.trimEnd()).toBe(
      [
        'Incident declared: Checkout fails for EU customers',
        '',
        'Error rate on checkout-api is above 20% since 09:12 UTC.',
        'Payments are not taken.',
        '',
        'Severity: P1',
        'Status: investigating',
        'Services: checkout-api, payments',
        'Commander: Ada Lovelace',
        '',
        'Acknowledge: https://firebreak.example.com/ack/abc?sig=def&exp=1',
        'Open incident: https://firebreak.example.com/incidents/01JINC0000000000000000042',
        '',
        '-- ',
        'Firebreak · Incident declared · Incident 01JINC0000000000000000042',
      ].join('\n'),
    );
    const html = part(mail, 'text/html').body;
    expect(html).toContain('<h1 style="font-size:20px;margin:0 0 12px">Incident declared: Checkout fails for EU customers</h1>');
    expect(html).toContain('href="https://firebreak.example.com/ack/abc?sig=def&amp;exp=1"');
    expect(html).toContain('<th align="left" style="padding:2px 12px 2px 0;vertical-align:top">Severity</th><td style="white-space:pre-wrap">P1</td>');
  });

  it('escapes user text in the HTML part and keeps it literal in the text part', async () => {
    await deliverTo(channel(), hostile(), deps());
    const { mail } = received[0]!;
    const html = part(mail, 'text/html').body;
    expect(html).toContain('&lt;!channel&gt; *bold* @everyone &lt;@U123|x&gt; &amp; &lt;b&gt;html&lt;/b&gt;');
    expect(html).not.toContain('<b>html</b>');
    expect(html).not.toContain('javascript:');
    expect(part(mail, 'text/plain').body).toContain(HOSTILE);
    expect(mail.header('subject')).toBe(`[P1] ${HOSTILE}`);
  });

  it('keeps a newline in a headline from starting a header of its own', async () => {
    await deliverTo(channel(), declared({ headline: 'Disk full\r\nBcc: attacker@example.com' }), deps());
    const { mail, to } = received[0]!;
    expect(mail.header('subject')).toBe('[P1] Disk full Bcc: attacker@example.com');
    expect(mail.header('bcc')).toBeUndefined();
    expect(to).toEqual(['oncall@example.com']);
  });

  it('threads later messages: In-Reply-To the first mail, References the thread', async () => {
    const first = await deliverTo(channel(), declared(), deps());
    const rootId = (first as { remoteId: string }).remoteId;
    const update = declared({ idempotencyKey: '01JUPDATE00000000000000001', kind: 'incident.update', headline: 'Update: mitigated' });
    const second = await deliverTo(channel(), update, deps({ threadTs: rootId }));

    const threadId = email.threadIdFor('incident:01JINC0000000000000000042', channel() as email.EmailChannel);
    expect(threadId).toMatch(/^<thread\.[A-Za-z0-9_-]{43}@example\.com>$/);
    const [firstMail, secondMail] = received.map((entry) => entry.mail);
    expect(firstMail!.header('in-reply-to')).toBeUndefined();
    expect(firstMail!.header('references')).toBe(threadId);
    expect(secondMail!.header('message-id')).toBe('<01JUPDATE00000000000000001@example.com>');
    expect(secondMail!.header('in-reply-to')).toBe(rootId);
    expect(secondMail!.header('references')).toBe(`${threadId} ${rootId}`);
    expect(second).toMatchObject({ ok: true, remoteId: rootId });
  });

  it('adds the paged person’s address to the configured ones, once', async () => {
    await deliverTo(
      channel({ to: ['oncall@example.com', 'ada@example.com'] }),
      declared({ kind: 'page', recipient: { userId: 'ada', name: 'Ada Lovelace', email: 'Ada@Example.com' } }),
      deps(),
    );
    expect(received[0]!.to).toEqual(['oncall@example.com', 'ada@example.com']);
    await deliverTo(channel({ to: undefined }), declared({ kind: 'page', recipient: { userId: 'ada', name: 'Ada', email: 'ada@example.com' } }), deps());
    expect(received[1]!.to).toEqual(['ada@example.com']);
  });

  it('fails without retry when there is nobody to send to', async () => {
    expect(await deliverTo(channel({ to: undefined }), declared(), deps())).toMatchObject({ ok: false, retryable: false, status: null });
    expect(received).toHaveLength(0);
  });

  it('logs in with the password from the environment', async () => {
    const result = await deliverTo(channel({ user: 'firebreak', passwordEnv: 'SMTP_PASSWORD' }), declared(), deps({ env: { SMTP_PASSWORD: 'smtp-pass' } }));
    expect(result).toMatchObject({ ok: true, status: 250 });
    expect(received[0]!.user).toBe('firebreak');
  });

  it('gives up on a wrong password (535) and on a rejected recipient (550), retries a 451', async () => {
    const wrong = await deliverTo(channel({ user: 'firebreak', passwordEnv: 'SMTP_PASSWORD' }), declared(), deps({ env: { SMTP_PASSWORD: 'nope' } }));
    expect(wrong).toMatchObject({ ok: false, retryable: false, status: 535 });
    expect((wrong as { error: string }).error).toMatch(/^SMTP EAUTH: /);
    expect(await deliverTo(channel({ to: ['nobody@example.com'] }), declared(), deps())).toMatchObject({ ok: false, retryable: false, status: 550 });
    expect(await deliverTo(channel({ to: ['busy@example.com'] }), declared(), deps())).toMatchObject({ ok: false, retryable: true, status: 451 });
    expect(received).toHaveLength(0);
  });

  it('fails without retry when the password variable is not set', async () => {
    const result = await deliverTo(channel({ user: 'firebreak', passwordEnv: 'SMTP_PASSWORD' }), declared(), deps());
    expect(result).toMatchObject({ ok: false, retryable: false });
    expect((result as { error: string }).error).toContain('SMTP_PASSWORD is not set');
  });

  it('retries when nothing listens', async () => {
    const result = await deliverTo(channel({ port: await closedPort() }), declared(), deps());
    expect(result).toMatchObject({ ok: false, retryable: true, status: null });
    expect((result as { error: string }).error).toMatch(/^SMTP E[A-Z]+: .*ECONNREFUSED/);
  });

  it('times out a server that accepts the connection but never greets, and retries', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const started = Date.now();
      const result = await deliverTo(channel({ port: (silent.address() as AddressInfo).port }), declared(), deps({ timeoutMs: 300 }));
      expect(result).toMatchObject({ ok: false, retryable: true, status: null });
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('reports settings that cannot work', () => {
    expect(channelProblems(channel({ user: 'firebreak' }), {})).toEqual([
      { path: 'passwordEnv', message: 'user firebreak has no password', fix: 'set passwordEnv to the name of an environment variable that holds the SMTP password' },
    ]);
    expect(channelProblems(channel({ from: 'Firebreak', to: ['not an address'] }), {}).map((problem) => problem.path)).toEqual(['from', 'to[0]']);
    expect(channelProblems(channel({ user: 'u', passwordEnv: 'SMTP_PASSWORD' }), {})[0]).toMatchObject({ path: 'passwordEnv', message: 'environment variable SMTP_PASSWORD is not set' });
    expect(channelProblems(channel(), {})).toEqual([]);
  });
});
