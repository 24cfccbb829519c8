import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { channelProblems, deliverTo, signStandardWebhook, verifyStandardWebhook, webhook, type ChannelConfig } from '../../../src/notify/channels/index.ts';
import { HOSTILE, NOW, declared, hostile } from './fixtures.ts';
import { Receiver } from './receiver.ts';

const receiver = new Receiver({ status: 204 });
beforeAll(() => receiver.start());
afterAll(() => receiver.stop());
beforeEach(() => receiver.reset());

const SECRET = `whsec_${Buffer.from('a 32-byte secret for these tests').toString('base64')}`;
const channel = (extra: Record<string, unknown> = {}): ChannelConfig => ({ kind: 'webhook', id: 'hook', url: receiver.url('/firebreak'), secretEnv: 'HOOK_SECRET', ...extra });
const deps = (extra: Record<string, unknown> = {}) => ({ now: () => NOW, env: { HOOK_SECRET: SECRET }, timeoutMs: 2_000, ...extra });

describe('Standard Webhooks signing', () => {
  it('matches the test vector of the Standard Webhooks reference libraries', () => {
    const key = webhook.secretBytes('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')!;
    expect(signStandardWebhook(key, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}')).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('sends id, timestamp and a signature that verifies on the bytes received', async () => {
    const result = await deliverTo(channel(), declared(), deps());

    expect(result).toEqual({ ok: true, status: 204 });
    const request = receiver.last();
    expect(request.headers['webhook-id']).toBe('01JPAGE000000000000000001.slack-main');
    expect(request.headers['webhook-timestamp']).toBe(String(NOW / 1000));
    expect(request.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(verifyStandardWebhook(SECRET, request.headers, request.body, NOW + 1_000)).toBe(true);
    expect(verifyStandardWebhook(SECRET, request.headers, Buffer.from(request.body), NOW)).toBe(true);
  });

  it('sends the message as {type, timestamp, data}, unescaped', async () => {
    await deliverTo(channel(), hostile(), deps());
    const payload = receiver.lastJson();
    expect(payload.type).toBe('incident.declared');
    expect(payload.timestamp).toBe('2025-03-14T09:30:00.000Z');
    expect(payload.data.headline).toBe(HOSTILE);
    expect(payload.data.incident.title).toBe(HOSTILE);
    expect(payload.data).toMatchObject({ idempotencyKey: '01JPAGE000000000000000001.slack-main', kind: 'incident.declared', thread: { key: 'incident:01JINC0000000000000000042' } });
  });

  it('refuses a tampered body, a wrong secret, a stale or future timestamp and missing headers', async () => {
    await deliverTo(channel(), declared(), deps());
    const { headers, body } = receiver.last();
    expect(verifyStandardWebhook(SECRET, headers, body.replace('Checkout', 'Checkin'), NOW)).toBe(false);
    expect(verifyStandardWebhook(SECRET, headers, `${body} `, NOW)).toBe(false);
    const other = `whsec_${Buffer.from('another secret of thirty-two b.').toString('base64')}`;
    expect(verifyStandardWebhook(other, headers, body, NOW)).toBe(false);
    expect(verifyStandardWebhook(SECRET, headers, body, NOW + 301_000)).toBe(false);
    expect(verifyStandardWebhook(SECRET, headers, body, NOW - 301_000)).toBe(false);
    expect(verifyStandardWebhook(SECRET, headers, body, NOW + 299_000)).toBe(true);
    expect(verifyStandardWebhook(SECRET, headers, body, NOW + 50_000, 10)).toBe(false);
    expect(verifyStandardWebhook(SECRET, { ...headers, 'webhook-signature': undefined }, body, NOW)).toBe(false);
    expect(verifyStandardWebhook(SECRET, { ...headers, 'webhook-id': 'another-id' }, body, NOW)).toBe(false);
    expect(verifyStandardWebhook(SECRET, { ...headers, 'webhook-timestamp': String(NOW / 1000 + 1) }, body, NOW)).toBe(false);
  });

  it('accepts any one matching signature of several (key rotation) and reads Headers objects', async () => {
    await deliverTo(channel(), declared(), deps());
    const { headers, body } = receiver.last();
    const rotated = new Headers({
      'Webhook-Id': String(headers['webhook-id']),
      'Webhook-Timestamp': String(headers['webhook-timestamp']),
      'Webhook-Signature': `v1,bm90IGl0 v2,ignored ${String(headers['webhook-signature'])}`,
    });
    expect(verifyStandardWebhook(SECRET, rotated, body, NOW)).toBe(true);
  });

  it('keeps the same webhook-id on a retry, so that the receiver can drop the duplicate', async () => {
    receiver.reply({ status: 500 });
    expect(await deliverTo(channel(), declared(), deps())).toMatchObject({ ok: false, retryable: true, status: 500 });
    expect(await deliverTo(channel(), declared(), deps({ now: () => NOW + 60_000 }))).toEqual({ ok: true, status: 204 });
    const [first, second] = receiver.requests;
    expect(second!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
    expect(second!.headers['webhook-timestamp']).toBe(String(NOW / 1000 + 60));
  });

  it('hashes an idempotency key that is not a header-safe token', () => {
    expect(webhook.webhookId('incident 42 / page ✓')).toMatch(/^msg_[A-Za-z0-9_-]{43}$/);
    expect(webhook.webhookId('incident 42 / page ✓')).toBe(webhook.webhookId('incident 42 / page ✓'));
  });

  it('sends unsigned when no secret is configured, and sends configured headers', async () => {
    await deliverTo(channel({ secretEnv: undefined, headers: { 'X-Tenant': 'acme' } }), declared(), deps());
    const { headers } = receiver.last();
    expect(headers['webhook-signature']).toBeUndefined();
    expect(headers['webhook-id']).toBeDefined();
    expect(headers['x-tenant']).toBe('acme');
  });

  it('classifies answers: 410 gives up, 429 waits, 503 retries', async () => {
    receiver.reply({ status: 410 }, { status: 429, headers: { 'retry-after': '3' } }, { status: 503 });
    expect(await deliverTo(channel(), declared(), deps())).toMatchObject({ ok: false, retryable: false, status: 410 });
    expect(await deliverTo(channel(), declared(), deps())).toMatchObject({ ok: false, retryable: true, status: 429, retryAfterMs: 3000 });
    expect(await deliverTo(channel(), declared(), deps())).toMatchObject({ ok: false, retryable: true, status: 503 });
  });

  it('reports a secret that is not whsec_ base64 or too short, and headers Firebreak sets itself', () => {
    expect(channelProblems(channel(), { HOOK_SECRET: 'whsec_not base64!' }).map((problem) => problem.message)).toEqual([
      'the signing secret is not whsec_ followed by base64 (from HOOK_SECRET)',
    ]);
    expect(channelProblems(channel(), { HOOK_SECRET: `whsec_${Buffer.from('short').toString('base64')}` })[0]!.message).toMatch(/5 bytes; Standard Webhooks asks for at least 24/);
    expect(channelProblems(channel({ headers: { 'Webhook-Signature': 'x' } }), { HOOK_SECRET: SECRET })).toEqual([
      { path: 'headers.Webhook-Signature', message: 'header Webhook-Signature is set by Firebreak', fix: 'remove headers.Webhook-Signature' },
    ]);
    expect(channelProblems(channel({ url: 'ftp://x.example/' }), { HOOK_SECRET: SECRET })[0]).toMatchObject({ path: 'url', message: 'the webhook URL must use https (or http), not ftp' });
    expect(channelProblems(channel(), { HOOK_SECRET: SECRET })).toEqual([]);
  });
});
