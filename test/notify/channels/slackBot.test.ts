import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { channelProblems, deliverTo, type ChannelConfig } from '../../../src/notify/channels/index.ts';
import { NOW, declared, hostile, strings } from './fixtures.ts';
import { Receiver } from './receiver.ts';

const receiver = new Receiver();
beforeAll(() => receiver.start());
afterAll(() => receiver.stop());
beforeEach(() => receiver.reset());

const channel = (): ChannelConfig => ({ kind: 'slack-bot', id: 'slack-bot', channel: 'C0INCIDENTS', tokenEnv: 'SLACK_BOT_TOKEN', apiUrl: receiver.url('/api') });
const deps = (extra: Record<string, unknown> = {}) => ({ now: () => NOW, env: { SLACK_BOT_TOKEN: 'xoxb-test-token' }, timeoutMs: 2_000, ...extra });
const slackOk = (ts: string) => ({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ok: true, channel: 'C0INCIDENTS', ts }) });
const slackError = (error: string, status = 200, headers: Record<string, string> = {}) => ({
  status,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify({ ok: false, error }),
});

describe('Slack bot (chat.postMessage)', () => {
  it('posts to chat.postMessage with the bot token and returns the message ts', async () => {
    receiver.reply(slackOk('1710408600.000100'));
    const result = await deliverTo(channel(), declared(), deps());

    expect(result).toEqual({ ok: true, status: 200, remoteId: '1710408600.000100' });
    const request = receiver.last();
    expect(request.url).toBe('/api/chat.postMessage');
    expect(request.headers.authorization).toBe('Bearer xoxb-test-token');
    const payload = JSON.parse(request.body);
    expect(payload).toMatchObject({ channel: 'C0INCIDENTS', parse: 'none', unfurl_links: false, unfurl_media: false });
    expect(payload).not.toHaveProperty('thread_ts');
    expect(payload.blocks.map((block: any) => block.type)).toEqual(['header', 'section', 'section', 'context', 'actions']);
    expect(payload.text).toMatch(/^Incident declared: Checkout fails/);
  });

  it('puts later messages of the incident into the first message’s thread', async () => {
    receiver.reply(slackOk('1710408600.000100'));
    const first = await deliverTo(channel(), declared(), deps());
    const threadTs = (first as { remoteId: string }).remoteId;

    receiver.reply(slackOk('1710408700.000200'));
    const update = declared({ idempotencyKey: 'update-1', kind: 'incident.update', headline: 'Update: mitigated' });
    const second = await deliverTo(channel(), update, deps({ threadTs }));

    expect(receiver.lastJson().thread_ts).toBe('1710408600.000100');
    // remoteId stays the thread root, so storing it again never moves the thread.
    expect(second).toEqual({ ok: true, status: 200, remoteId: '1710408600.000100' });
  });

  it('does not thread a message that has no thread key', async () => {
    receiver.reply(slackOk('1.2'));
    await deliverTo(channel(), declared({ thread: undefined }), deps({ threadTs: '1710408600.000100' }));
    expect(receiver.lastJson()).not.toHaveProperty('thread_ts');
  });

  it('escapes user text in every text field', async () => {
    receiver.reply(slackOk('1.2'));
    await deliverTo(channel(), hostile(), deps());
    for (const { path, value } of strings(receiver.lastJson()).filter((entry) => !entry.path.endsWith('.url'))) {
      expect(value, path).not.toMatch(/[<>]/);
    }
  });

  it('gives up on invalid_auth and channel_not_found', async () => {
    receiver.reply(slackError('invalid_auth'), slackError('channel_not_found'));
    expect(await deliverTo(channel(), declared(), deps())).toEqual({
      ok: false,
      retryable: false,
      retryAfterMs: null,
      status: 200,
      error: 'Slack refused the message: invalid_auth',
    });
    expect(await deliverTo(channel(), declared(), deps())).toMatchObject({ ok: false, retryable: false, error: 'Slack refused the message: channel_not_found' });
  });

  it('retries when rate limited, after the Retry-After Slack sends with 429', async () => {
    receiver.reply(slackError('ratelimited', 429, { 'retry-after': '30' }));
    expect(await deliverTo(channel(), declared(), deps())).toMatchObject({ ok: false, retryable: true, retryAfterMs: 30_000, status: 429 });
  });

  it('retries an ok:false ratelimited or internal_error answered with 200', async () => {
    receiver.reply(slackError('ratelimited'), slackError('internal_error'));
    expect(await deliverTo(channel(), declared(), deps())).toMatchObject({ ok: false, retryable: true, status: 200 });
    expect(await deliverTo(channel(), declared(), deps())).toMatchObject({ ok: false, retryable: true, status: 200 });
  });

  it('retries a 200 that is not JSON (a proxy page), and a 502', async () => {
    receiver.reply({ status: 200, body: '<html>gateway</html>' }, { status: 502 });
    expect(await deliverTo(channel(), declared(), deps())).toMatchObject({ ok: false, retryable: true, status: 200 });
    expect(await deliverTo(channel(), declared(), deps())).toMatchObject({ ok: false, retryable: true, status: 502 });
  });

  it('times out and retries', async () => {
    receiver.reply('hang');
    expect(await deliverTo(channel(), declared(), deps({ timeoutMs: 200 }))).toMatchObject({ ok: false, retryable: true, error: 'no answer within 200 ms' });
  });

  it('reports a token that is missing or malformed', () => {
    expect(channelProblems(channel(), {}).map((problem) => problem.message)).toEqual(['environment variable SLACK_BOT_TOKEN is not set']);
    expect(channelProblems(channel(), { SLACK_BOT_TOKEN: 'hunter2' }).map((problem) => problem.message)).toEqual([
      'the Slack bot token does not look like one (xoxb-…) (from SLACK_BOT_TOKEN)',
    ]);
    expect(channelProblems({ kind: 'slack-bot', id: 'b', channel: 'C1', token: 'xoxb-1', tokenEnv: 'T' }, { T: 'xoxb-2' })[0]).toMatchObject({
      path: 'tokenEnv',
      message: 'both token and tokenEnv are set',
    });
    expect(channelProblems({ kind: 'slack-bot', id: 'b', channel: 'C1' }, {})[0]).toMatchObject({ path: 'tokenEnv', message: 'the Slack bot token is missing' });
  });
});
