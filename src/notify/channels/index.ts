/**
 * notify/channels — where messages leave Firebreak: Slack (incoming webhook or
 * bot), Discord, Microsoft Teams, signed generic webhooks and email. Each channel
 * renders one channel-independent NotificationMessage into its own markup,
 * escaping user text so that it is shown literally and never pings, and answers
 * each delivery attempt with a DeliveryResult that says whether to retry.
 *
 * Secrets are given literally or by environment variable (`urlEnv`, `tokenEnv`,
 * `secretEnv`, `passwordEnv`): `channelProblems` says which are missing.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { ConfigProblem } from '../../config/index.ts';
import type { DeliveryDeps, DeliveryResult, Env } from './delivery.ts';
import * as discord from './discord.ts';
import * as email from './email.ts';
import type { NotificationMessage } from './message.ts';
import * as slackBot from './slackBot.ts';
import * as slackWebhook from './slackWebhook.ts';
import * as teams from './teams.ts';
import * as webhook from './webhook.ts';

export { DiscordChannel } from './discord.ts';
export { EmailChannel } from './email.ts';
export { SlackBotChannel } from './slackBot.ts';
export { SlackWebhookChannel } from './slackWebhook.ts';
export { TeamsChannel } from './teams.ts';
export { WebhookChannel, verifyStandardWebhook, signStandardWebhook, type WebhookHeaders } from './webhook.ts';
export {
  NOTIFICATION_KINDS,
  type NotificationAction,
  type NotificationField,
  type NotificationIncident,
  type NotificationKind,
  type NotificationMessage,
} from './message.ts';
export { parseRetryAfter, type DeliveryDeps, type DeliveryResult, type Env, type HttpRequest, type RenderContext } from './delivery.ts';
export { discord, email, slackBot, slackWebhook, teams, webhook };

export const ChannelConfig = Type.Union(
  [
    slackWebhook.SlackWebhookChannel,
    slackBot.SlackBotChannel,
    discord.DiscordChannel,
    teams.TeamsChannel,
    webhook.WebhookChannel,
    email.EmailChannel,
  ],
  { description: 'a place messages go, by kind: slack-webhook, slack-bot, discord, teams, webhook, email' },
);
export type ChannelConfig = Static<typeof ChannelConfig>;
export type ChannelKind = ChannelConfig['kind'];

export const CHANNEL_KINDS: readonly ChannelKind[] = ['slack-webhook', 'slack-bot', 'discord', 'teams', 'webhook', 'email'];

/** One delivery attempt of `message` to `channel`; never throws. */
export async function deliverTo(channel: ChannelConfig, message: NotificationMessage, deps: DeliveryDeps): Promise<DeliveryResult> {
  try {
    switch (channel.kind) {
      case 'slack-webhook':
        return await slackWebhook.deliver(message, channel, deps);
      case 'slack-bot':
        return await slackBot.deliver(message, channel, deps);
      case 'discord':
        return await discord.deliver(message, channel, deps);
      case 'teams':
        return await teams.deliver(message, channel, deps);
      case 'webhook':
        return await webhook.deliver(message, channel, deps);
      case 'email':
        return await email.deliver(message, channel, deps);
    }
    // Only reachable with a config that skipped validation.
    return { ok: false, retryable: false, retryAfterMs: null, status: null, error: `unknown channel kind ${String((channel as { kind: unknown }).kind)}` };
  } catch (error) {
    // A bug of ours, not the peer's: retrying the same input would fail the same way.
    return { ok: false, retryable: false, retryAfterMs: null, status: null, error: `internal error: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** Whether the kind can put later messages into the first one's thread (remoteId → deps.threadTs). */
export function channelThreads(channel: ChannelConfig): boolean {
  return channel.kind === 'slack-bot' || channel.kind === 'email';
}

/**
 * What is wrong with a channel that the schema cannot see: secrets missing from
 * the environment, both or neither of `x` and `xEnv`, unreadable URLs or signing
 * secrets. Paths are relative to the channel (prefix them with its place in the file).
 */
export function channelProblems(channel: ChannelConfig, env: Env): ConfigProblem[] {
  switch (channel.kind) {
    case 'slack-webhook':
      return slackWebhook.slackWebhookProblems(channel, env);
    case 'slack-bot':
      return slackBot.slackBotProblems(channel, env);
    case 'discord':
      return discord.discordProblems(channel, env);
    case 'teams':
      return teams.teamsProblems(channel, env);
    case 'webhook':
      return webhook.webhookProblems(channel, env);
    case 'email':
      return email.emailProblems(channel, env);
  }
  const kind = String((channel as { kind: unknown }).kind);
  return [{ path: 'kind', message: `unknown channel kind ${kind}`, fix: `use one of: ${CHANNEL_KINDS.join(', ')}` }];
}
