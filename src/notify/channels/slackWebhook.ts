import { Type, type Static } from '@sinclair/typebox';
import type { ConfigProblem } from '../../config/index.ts';
import {
  classifyAnswer,
  isAnswer,
  jsonRequest,
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
 * A Slack incoming webhook: posts Block Kit to the one channel the webhook was
 * created for. It cannot thread (no ts comes back); use slack-bot for threads.
 */
export const SlackWebhookChannel = Type.Object(
  {
    kind: Type.Literal('slack-webhook'),
    id: ChannelId,
    name: Type.Optional(Type.String({ minLength: 1 })),
    url: Type.Optional(Type.String({ description: 'the webhook URL (it holds a token: prefer urlEnv)' })),
    urlEnv: Type.Optional(EnvName),
  },
  { additionalProperties: false },
);
export type SlackWebhookChannel = Static<typeof SlackWebhookChannel>;

function urlSetting(channel: SlackWebhookChannel): SecretSetting {
  return {
    field: 'url',
    literal: channel.url,
    envName: channel.urlEnv,
    what: 'the Slack webhook URL',
    check: httpUrlCheck('the Slack webhook URL'),
  };
}

export function slackWebhookProblems(channel: SlackWebhookChannel, env: Env): ConfigProblem[] {
  return secretProblems(urlSetting(channel), env);
}

export function render(message: NotificationMessage, channel: SlackWebhookChannel, context: RenderContext): HttpRequest {
  const url = resolveSecret(urlSetting(channel), context.env)!;
  const content = renderSlackContent(message);
  return jsonRequest(url, { text: content.text, blocks: content.blocks, unfurl_links: false, unfurl_media: false });
}

/**
 * Incoming webhooks answer `200 ok`, or a status with the error as plain text
 * (`400 invalid_payload`, `403 action_prohibited`, `404 channel_not_found`,
 * `410 channel_is_archived`), or 429 with Retry-After.
 */
export async function deliver(message: NotificationMessage, channel: SlackWebhookChannel, deps: DeliveryDeps): Promise<DeliveryResult> {
  let request: HttpRequest;
  try {
    request = render(message, channel, renderContext(deps));
  } catch (error) {
    return renderFailure(error);
  }
  const answer = await send(request, deps);
  if (!isAnswer(answer)) return answer;
  return classifyAnswer(answer, deps.now(), 'Slack webhook');
}
