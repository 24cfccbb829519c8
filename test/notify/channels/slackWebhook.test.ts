import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { channelProblems, deliverTo, slackWebhook, type ChannelConfig } from '../../../src/notify/channels/index.ts';
import { HOSTILE, NOW, declared, hostile, strings } from './fixtures.ts';
import { Receiver, closedPort } from './receiver.ts';

const receiver = new Receiver();
beforeAll(() => receiver.start());
afterAll(() => receiver.stop());
beforeEach(() => receiver.reset());

const channel = (): ChannelConfig => ({ kind: 'slack-webhook', id: 'slack-main', urlEnv: 'SLACK_WEBHOOK_URL' });
const deps = (extra: Record<string, unknown> = {}) => ({
  now: () => NOW,
  env: { SLACK_WEBHOOK_URL: receiver.url('/services/T000/B000/XXXX') },
  timeoutMs: 2_000,
  ...extra,
});

describe('Slack incoming webhook', () => {
  it('posts Block Kit with a header, the text, mrkdwn fields, a context line and buttons', async () => {
    const result = await deliverTo(channel(), declared(), deps());

    expect(result).toEqual({ ok: true, status: 200 });
    const request = receiver.last();
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/services/T000/B000/XXXX');
    expect(request.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(request.body)).toEqual({
      text: 'Incident declared: Checkout fails for EU customers\nError rate on checkout-api is above 20% since 09:12 UTC.\nPayments are not taken.',
      unfurl_links: false,
      unfurl_media: false,
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: 'Incident declared: Checkout fails for EU customers', emoji: true } },
        {
          type: 'section',
          text: { type: 'plain_text', text: 'Error rate on checkout-api is above 20% since 09:12 UTC.\nPayments are not taken.', emoji: true },
        },
        {
          type: 'section',
          fields: [
            { type: 'mrkdwn', text: '*Severity*\nP1', verbatim: true },
            { type: 'mrkdwn', text: '*Status*\ninvestigating', verbatim: true },
            { type: 'mrkdwn', text: '*Services*\ncheckout-api, payments', verbatim: true },
            { type: 'mrkdwn', text: '*Commander*\nAda Lovelace', verbatim: true },
          ],
        },
        {
          type: 'context',
          elements: [{ type: 'plain_text', text: 'Firebreak · Incident declared · Incident 01JINC0000000000000000042', emoji: true }],
        },
        {
          type: 'actions',
          elements: [
            {
              type: 'button',
              action_id: 'firebreak-action-0',
              text: { type: 'plain_text', text: 'Acknowledge', emoji: true },
              url: 'https://firebreak.example.com/ack/abc?sig=def&exp=1',
              style: 'primary',
            },
            {
              type: 'button',
              action_id: 'firebreak-action-1',
              text: { type: 'plain_text', text: 'Open incident', emoji: true },
              url: 'https://firebreak.example.com/incidents/01JINC0000000000000000042',
            },
          ],
        },
      ],
    });
  });

  it('shows a hostile title literally: no <!channel> or <@user> reaches Slack unescaped', async () => {
    await deliverTo(channel(), hostile(), deps());

    const payload = receiver.lastJson();
    const texts = strings(payload).filter((entry) => !entry.path.endsWith('.url'));
    for (const { path, value } of texts) {
      expect(value, path).not.toMatch(/[<>]/);
    }
    expect(payload.blocks[0].text.text).toBe(
      '&lt;!channel&gt; *bold* @everyone &lt;@U123|x&gt; &amp; &lt;b&gt;html&lt;/b&gt; {{DATE(2017-02-14T06:08:00Z)}}',
    );
    expect(payload.text.startsWith('&lt;!channel&gt;')).toBe(true);
    expect(payload.blocks[2].fields[3].text).toBe(`*Note*\n${HOSTILE.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}`);
    // The javascript: action is dropped; only http(s) URLs become buttons.
    const buttons = payload.blocks.find((block: any) => block.type === 'actions').elements;
    expect(buttons.map((button: any) => button.url)).toEqual([
      'https://firebreak.example.com/ack/x',
      'https://firebreak.example.com/incidents/01JINC0000000000000000042',
    ]);
  });

  it('keeps every block within Slack limits for very long input', async () => {
    const long = '<&>'.repeat(5000);
    const request = slackWebhook.render(
      declared({ headline: long, text: long, fields: Array.from({ length: 14 }, (_, index) => ({ label: `F${index}`, value: long })) }),
      { kind: 'slack-webhook', id: 's', url: 'https://hooks.slack.com/services/x' },
      { now: NOW, env: {} },
    );
    const payload = JSON.parse(request.body);
    expect(payload.blocks[0].text.text.length).toBeLessThanOrEqual(150);
    expect(payload.blocks[0].text.text.endsWith('…')).toBe(true);
    // No escape sequence is cut in half.
    expect(payload.blocks[0].text.text).toMatch(/^(?:&lt;|&amp;|&gt;)+…$/);
    expect(payload.blocks[1].text.text.length).toBeLessThanOrEqual(3000);
    const sections = payload.blocks.filter((block: any) => block.fields !== undefined);
    expect(sections.map((section: any) => section.fields.length)).toEqual([10, 7]);
    for (const section of sections) for (const field of section.fields) expect(field.text.length).toBeLessThanOrEqual(2000);
    expect(payload.text.length).toBeLessThanOrEqual(3000);
  });

  it('leaves out the text section when there is no text, since Slack refuses empty text objects', () => {
    const request = slackWebhook.render(declared({ text: '  ' }), { kind: 'slack-webhook', id: 's', url: 'https://x.example/' }, { now: NOW, env: {} });
    const types = JSON.parse(request.body).blocks.map((block: any) => (block.text === undefined ? block.type : `${block.type}:text`));
    expect(types).toEqual(['header:text', 'section', 'context', 'actions']);
  });

  it('retries on 500', async () => {
    receiver.reply({ status: 500, body: 'rollup_error' });
    const result = await deliverTo(channel(), declared(), deps());
    expect(result).toEqual({ ok: false, retryable: true, retryAfterMs: null, status: 500, error: 'Slack webhook answered 500: rollup_error' });
  });

  it('honours Retry-After in seconds on 429', async () => {
    receiver.reply({ status: 429, headers: { 'retry-after': '7' }, body: 'rate_limited' });
    const result = await deliverTo(channel(), declared(), deps());
    expect(result).toMatchObject({ ok: false, retryable: true, retryAfterMs: 7000, status: 429 });
  });

  it('honours Retry-After as an HTTP-date on 503', async () => {
    receiver.reply({ status: 503, headers: { 'retry-after': new Date(NOW + 90_000).toUTCString() } });
    const result = await deliverTo(channel(), declared(), deps());
    expect(result).toMatchObject({ ok: false, retryable: true, retryAfterMs: 90_000, status: 503 });
  });

  it('gives up on 404 channel_not_found and on 403 action_prohibited', async () => {
    receiver.reply({ status: 404, body: 'channel_not_found' }, { status: 403, body: 'action_prohibited' });
    expect(await deliverTo(channel(), declared(), deps())).toEqual({
      ok: false,
      retryable: false,
      retryAfterMs: null,
      status: 404,
      error: 'Slack webhook answered 404: channel_not_found',
    });
    expect(await deliverTo(channel(), declared(), deps())).toMatchObject({ ok: false, retryable: false, status: 403 });
  });

  it('retries 408 Request Timeout', async () => {
    receiver.reply({ status: 408 });
    expect(await deliverTo(channel(), declared(), deps())).toMatchObject({ ok: false, retryable: true, status: 408 });
  });

  it('times out a peer that never answers, and retries', async () => {
    receiver.reply('hang');
    const started = Date.now();
    const result = await deliverTo(channel(), declared(), deps({ timeoutMs: 300 }));
    expect(result).toEqual({ ok: false, retryable: true, retryAfterMs: null, status: null, error: 'no answer within 300 ms' });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('retries when the peer closes the connection without an answer', async () => {
    receiver.reply('close');
    const result = await deliverTo(channel(), declared(), deps());
    expect(result).toMatchObject({ ok: false, retryable: true, status: null });
    expect((result as { error: string }).error).toMatch(/^request failed: /);
  });

  it('retries when nothing listens, and never quotes the secret URL', async () => {
    const port = await closedPort();
    const result = await deliverTo(channel(), declared(), deps({ env: { SLACK_WEBHOOK_URL: `http://127.0.0.1:${port}/services/SECRET` } }));
    expect(result).toMatchObject({ ok: false, retryable: true, status: null });
    expect((result as { error: string }).error).toContain('ECONNREFUSED');
    expect((result as { error: string }).error).not.toContain('SECRET');
  });

  it('does not follow redirects (the body would go to another host)', async () => {
    receiver.reply({ status: 302, headers: { location: 'https://elsewhere.example/' } });
    expect(await deliverTo(channel(), declared(), deps())).toMatchObject({ ok: false, retryable: false, status: 302 });
    expect(receiver.requests).toHaveLength(1);
  });

  it('fails without retry when the URL variable is not set, and says which', async () => {
    const result = await deliverTo(channel(), declared(), deps({ env: {} }));
    expect(result).toMatchObject({ ok: false, retryable: false, status: null });
    expect((result as { error: string }).error).toContain('SLACK_WEBHOOK_URL is not set');
    expect(receiver.requests).toHaveLength(0);
    expect(channelProblems(channel(), {})).toEqual([
      {
        path: 'urlEnv',
        message: 'environment variable SLACK_WEBHOOK_URL is not set',
        fix: "set SLACK_WEBHOOK_URL to the Slack webhook URL in the server's environment, or change urlEnv",
      },
    ]);
  });
});
