import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deliverTo, discord, type ChannelConfig } from '../../../src/notify/channels/index.ts';
import { NOW, declared, hostile, strings } from './fixtures.ts';
import { Receiver } from './receiver.ts';

const receiver = new Receiver({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"id":"1234567890123456789"}' });
beforeAll(() => receiver.start());
afterAll(() => receiver.stop());
beforeEach(() => receiver.reset());

const channel = (extra: Record<string, unknown> = {}): ChannelConfig => ({ kind: 'discord', id: 'discord', urlEnv: 'DISCORD_WEBHOOK_URL', ...extra });
const deps = (extra: Record<string, unknown> = {}) => ({
  now: () => NOW,
  env: { DISCORD_WEBHOOK_URL: receiver.url('/api/webhooks/111/token-abc?thread_id=42') },
  timeoutMs: 2_000,
  ...extra,
});

describe('Discord webhook', () => {
  it('posts content and one embed with wait=true, and returns the message id', async () => {
    const result = await deliverTo(channel({ username: 'Firebreak' }), declared(), deps());

    expect(result).toEqual({ ok: true, status: 200, remoteId: '1234567890123456789' });
    const request = receiver.last();
    const url = new URL(request.url, 'http://x');
    expect(url.pathname).toBe('/api/webhooks/111/token-abc');
    expect(url.searchParams.get('wait')).toBe('true');
    expect(url.searchParams.get('thread_id')).toBe('42');
    expect(JSON.parse(request.body)).toEqual({
      content: 'Incident declared: Checkout fails for EU customers',
      username: 'Firebreak',
      allowed_mentions: { parse: [] },
      embeds: [
        {
          title: '\\[P1\\] Checkout fails for EU customers',
          description:
            'Error rate on checkout\\-api is above 20% since 09:12 UTC.\nPayments are not taken.\n\n' +
            '[Acknowledge](https://firebreak.example.com/ack/abc?sig=def&exp=1) · [Open incident](https://firebreak.example.com/incidents/01JINC0000000000000000042)',
          url: 'https://firebreak.example.com/incidents/01JINC0000000000000000042',
          color: 0xe01e5a,
          timestamp: '2025-03-14T09:30:00.000Z',
          fields: [
            { name: 'Severity', value: 'P1', inline: true },
            { name: 'Status', value: 'investigating', inline: true },
            { name: 'Services', value: 'checkout\\-api, payments', inline: true },
            { name: 'Commander', value: 'Ada Lovelace', inline: true },
          ],
          footer: { text: 'Firebreak · Incident declared · Incident 01JINC0000000000000000042' },
        },
      ],
    });
  });

  it('never pings: @everyone and <@id> are broken up and allowed_mentions is empty', async () => {
    await deliverTo(channel(), hostile(), deps());
    const payload = receiver.lastJson();
    expect(payload.allowed_mentions).toEqual({ parse: [] });
    for (const { path, value } of strings(payload).filter((entry) => !entry.path.endsWith('.url'))) {
      expect(value, path).not.toMatch(/@(?:everyone|here)|<@[!&]?[0-9A-Za-z]/);
    }
    const embed = payload.embeds[0];
    const userText = [payload.content, embed.title, embed.description.split('\n\n[')[0], ...embed.fields.flatMap((field: any) => [field.name, field.value])];
    for (const text of userText) expect(unescapedMarkdown(text), text).toBeNull();
    expect(payload.content).toBe(
      '\\<!channel\\> \\*bold\\* @\u200beveryone \\<@\u200bU123\\|x\\> & \\<b\\>html\\</b\\> {{DATE\\(2017\\-02\\-14T06:08:00Z\\)}}',
    );
  });

  it('encodes brackets in link URLs so that a link cannot end early', () => {
    const payload = discord.renderPayload(
      declared({ actions: [{ label: 'Runbook', url: 'https://wiki.example.com/Runbook_(checkout) x' }], incident: undefined }),
      { kind: 'discord', id: 'd', url: 'https://discord.com/api/webhooks/1/t' },
      NOW,
    );
    expect(payload.embeds[0]!.description).toContain('[Runbook](https://wiki.example.com/Runbook_%28checkout%29%20x)');
  });

  it('stays within Discord’s 6000-character embed budget for very long input', () => {
    const long = '*'.repeat(10_000);
    const payload = discord.renderPayload(
      declared({
        headline: long,
        text: long,
        incident: { ...declared().incident!, title: long, services: Array.from({ length: 500 }, (_, index) => `svc-${index}`) },
        fields: Array.from({ length: 40 }, () => ({ label: long, value: long })),
        actions: Array.from({ length: 40 }, (_, index) => ({ label: long, url: `https://x.example/${'a'.repeat(300)}/${index}` })),
      }),
      { kind: 'discord', id: 'd', url: 'https://discord.com/api/webhooks/1/t' },
      NOW,
    );
    const embed = payload.embeds[0]!;
    const total = embed.title.length + (embed.description?.length ?? 0) + embed.footer.text.length + embed.fields.reduce((sum, field) => sum + field.name.length + field.value.length, 0);
    expect(total).toBeLessThanOrEqual(6000);
    expect(payload.content.length).toBeLessThanOrEqual(2000);
    expect(embed.title.length).toBeLessThanOrEqual(256);
    expect(embed.fields.length).toBeLessThanOrEqual(25);
  });

  it('uses retry_after from the JSON body of a 429 (fractional seconds)', async () => {
    receiver.reply({
      status: 429,
      headers: { 'content-type': 'application/json', 'retry-after': '2' },
      body: JSON.stringify({ message: 'You are being rate limited.', retry_after: 1.337, global: false }),
    });
    expect(await deliverTo(channel(), declared(), deps())).toMatchObject({ ok: false, retryable: true, retryAfterMs: 1337, status: 429 });
  });

  it('falls back to the Retry-After header when the 429 body has no retry_after', async () => {
    receiver.reply({ status: 429, headers: { 'retry-after': '4' }, body: 'slow down' });
    expect(await deliverTo(channel(), declared(), deps())).toMatchObject({ ok: false, retryable: true, retryAfterMs: 4000 });
  });

  it('accepts 204 (a webhook that ignores wait) without a remote id', async () => {
    receiver.reply({ status: 204 });
    expect(await deliverTo(channel(), declared(), deps())).toEqual({ ok: true, status: 204 });
  });

  it('gives up on 404 Unknown Webhook and 400, retries 500 and a closed connection', async () => {
    receiver.reply(
      { status: 404, body: '{"message": "Unknown Webhook", "code": 10015}' },
      { status: 400, body: '{"message":"Invalid Form Body","code":50035}' },
      { status: 500 },
      'close',
    );
    expect(await deliverTo(channel(), declared(), deps())).toMatchObject({ ok: false, retryable: false, status: 404, error: 'Discord answered 404: {"message": "Unknown Webhook", "code": 10015}' });
    expect(await deliverTo(channel(), declared(), deps())).toMatchObject({ ok: false, retryable: false, status: 400 });
    expect(await deliverTo(channel(), declared(), deps())).toMatchObject({ ok: false, retryable: true, status: 500 });
    expect(await deliverTo(channel(), declared(), deps())).toMatchObject({ ok: false, retryable: true, status: null });
  });
});

/** The first markdown character in `text` that no backslash escapes, or null. */
function unescapedMarkdown(text: string): string | null {
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!;
    if (char === '\\') index++;
    else if ('*_~`|<>[]'.includes(char)) return char;
  }
  return null;
}
