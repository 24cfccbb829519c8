import { Type, type Static } from '@sinclair/typebox';
import type { ConfigProblem } from '../../config/index.ts';
import {
  classifyAnswer,
  describeBody,
  isAnswer,
  jsonRequest,
  parseRetryAfter,
  renderContext,
  renderFailure,
  send,
  type DeliveryDeps,
  type DeliveryResult,
  type Env,
  type HttpRequest,
  type RenderContext,
} from './delivery.ts';
import type { NotificationMessage } from './message.ts';
import { ChannelId, EnvName, httpUrlCheck, resolveSecret, secretProblems, type SecretSetting } from './secrets.ts';
import { renderSlackContent } from './slackBlocks.ts';

/**
 * A Slack app's bot posting with chat.postMessage. Unlike an incoming webhook it
 * learns each message's `ts`, so later messages of an incident go into its thread.
 */
export const SlackBotChannel = Type.Object(
  {
    kind: Type.Literal('slack-bot'),
    id: ChannelId,
    name: Type.Optional(Type.String({ minLength: 1 })),
    channel: Type.String({ minLength: 1, description: 'a channel ID such as C0123456789 (or a name such as #incidents)' }),
    token: Type.Optional(Type.String({ description: 'the bot token, xoxb-… (prefer tokenEnv)' })),
    tokenEnv: Type.Optional(EnvName),
    apiUrl: Type.Optional(Type.String({ description: 'the Web API base URL; https://slack.com/api unless you proxy it' })),
  },
  { additionalProperties: false },
);
export type SlackBotChannel = Static<typeof SlackBotChannel>;

export const SLACK_API_URL = 'https://slack.com/api';

function tokenSetting(channel: SlackBotChannel): SecretSetting {
  return {
    field: 'token',
    literal: channel.token,
    envName: channel.tokenEnv,
    what: 'the Slack bot token',
    check: (value) =>
      /^xox[a-z]-\S+$/.test(value)
        ? null
        : {
            message: 'the Slack bot token does not look like one (xoxb-…)',
            fix: "copy the Bot User OAuth Token from the Slack app's OAuth & Permissions page",
          },
  };
}

export function slackBotProblems(channel: SlackBotChannel, env: Env): ConfigProblem[] {
  const problems = secretProblems(tokenSetting(channel), env);
  if (channel.apiUrl !== undefined) {
    const problem = httpUrlCheck('apiUrl')(channel.apiUrl);
    if (problem !== null) problems.push({ path: 'apiUrl', ...problem });
  }
  return problems;
}

export function render(message: NotificationMessage, channel: SlackBotChannel, context: RenderContext): HttpRequest {
  const token = resolveSecret(tokenSetting(channel), context.env)!;
  const content = renderSlackContent(message);
  const threadTs = replyTo(message, context);
  const base = (channel.apiUrl ?? SLACK_API_URL).replace(/\/+$/, '');
  return jsonRequest(
    `${base}/chat.postMessage`,
    {
      channel: channel.channel,
      text: content.text,
      blocks: content.blocks,
      // `parse: none` and no link_names: names in our text are never turned into mentions.
      parse: 'none',
      unfurl_links: false,
      unfurl_media: false,
      ...(threadTs === null ? {} : { thread_ts: threadTs }),
    },
    { authorization: `Bearer ${token}` },
  );
}

/** The thread root to reply to: only for messages that belong to a thread whose root is known. */
function replyTo(message: NotificationMessage, context: RenderContext): string | null {
  return message.thread !== undefined && context.threadTs ? context.threadTs : null;
}

/** Slack errors that a later attempt may not meet; every other `ok:false` error is permanent. */
const TRANSIENT_ERRORS = new Set(['ratelimited', 'rate_limited', 'internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

/**
 * The Web API answers 200 with `{ok:true, ts, channel}` or `{ok:false, error}`;
 * rate limits come as HTTP 429 with Retry-After (and `error: ratelimited`).
 * remoteId is what to pass as `threadTs` for later messages of the thread: this
 * message's ts when it starts the thread, the thread's root ts when it replies.
 */
export async function deliver(message: NotificationMessage, channel: SlackBotChannel, deps: DeliveryDeps): Promise<DeliveryResult> {
  let request: HttpRequest;
  const context = renderContext(deps);
  try {
    request = render(message, channel, context);
  } catch (error) {
    return renderFailure(error);
  }
  const answer = await send(request, deps);
  if (!isAnswer(answer)) return answer;
  if (answer.status !== 200) return classifyAnswer(answer, deps.now(), 'Slack');

  let parsed: { ok?: unknown; ts?: unknown; error?: unknown };
  try {
    parsed = JSON.parse(answer.body) as typeof parsed;
  } catch {
    return { ok: false, retryable: true, retryAfterMs: null, status: 200, error: `Slack answered 200 without JSON${describeBody(answer.body)}` };
  }
  if (parsed.ok === true) {
    const ts = typeof parsed.ts === 'string' ? parsed.ts : undefined;
    const remoteId = replyTo(message, context) ?? ts;
    return remoteId === undefined ? { ok: true, status: 200 } : { ok: true, status: 200, remoteId };
  }
  const error = typeof parsed.error === 'string' ? parsed.error : 'unknown_error';
  const retryable = TRANSIENT_ERRORS.has(error);
  return {
    ok: false,
    retryable,
    retryAfterMs: retryable ? parseRetryAfter(answer.headers.get('retry-after'), deps.now()) : null,
    status: 200,
    error: `Slack refused the message: ${error}`,
  };
}
