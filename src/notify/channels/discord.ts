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
import { fit, fitEscaped, kindLabel, messageActions, messageFields, safeUrl, type NotificationKind, type NotificationMessage } from './message.ts';
import { ChannelId, EnvName, httpUrlCheck, resolveSecret, secretProblems, type SecretSetting } from './secrets.ts';

/** A Discord channel webhook (Server Settings → Integrations → Webhooks). */
export const DiscordChannel = Type.Object(
  {
    kind: Type.Literal('discord'),
    id: ChannelId,
    name: Type.Optional(Type.String({ minLength: 1 })),
    url: Type.Optional(Type.String({ description: 'the webhook URL (it holds a token: prefer urlEnv)' })),
    urlEnv: Type.Optional(EnvName),
    username: Type.Optional(Type.String({ minLength: 1, maxLength: 80, description: 'shown as the sender instead of the webhook name' })),
    avatarUrl: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type DiscordChannel = Static<typeof DiscordChannel>;

function urlSetting(channel: DiscordChannel): SecretSetting {
  return { field: 'url', literal: channel.url, envName: channel.urlEnv, what: 'the Discord webhook URL', check: httpUrlCheck('the Discord webhook URL') };
}

export function discordProblems(channel: DiscordChannel, env: Env): ConfigProblem[] {
  const problems = secretProblems(urlSetting(channel), env);
  if (channel.avatarUrl !== undefined) {
    const problem = httpUrlCheck('avatarUrl')(channel.avatarUrl);
    if (problem !== null) problems.push({ path: 'avatarUrl', ...problem });
  }
  return problems;
}

/**
 * Escapes one character of user text for Discord markdown. Discord drops a
 * backslash before any ASCII punctuation, so escaping is safe wherever the
 * character appears. `@` gets a zero-width space after it, so that `@everyone`,
 * `@here` and `<@id>` never form a mention even where markdown is not parsed;
 * `allowed_mentions` forbids pings besides.
 */
export function escapeDiscordChar(char: string): string {
  if (char === '@') return '@\u200b';
  return MARKDOWN_CHARS.has(char) ? `\\${char}` : char;
}

const MARKDOWN_CHARS = new Set(['\\', '*', '_', '~', '`', '|', '>', '<', '#', '-', '[', ']', '(', ')']);

export function escapeDiscord(text: string): string {
  return Array.from(text, escapeDiscordChar).join('');
}

const discordText = (text: string, max: number): string => fitEscaped(text, max, escapeDiscordChar);

/** Embed colours by kind: red for what needs someone now, green when it is over. */
const COLORS: Readonly<Record<NotificationKind, number>> = {
  page: 0xe01e5a,
  'incident.declared': 0xe01e5a,
  escalation: 0xe01e5a,
  'sla.breached': 0xecb22e,
  reminder: 0xecb22e,
  'incident.update': 0x36c5f0,
  'incident.resolved': 0x2eb67d,
  subscription: 0x95a5a6,
  test: 0x95a5a6,
};

// Discord limits content to 2000 and a message's embeds to 6000 characters in
// all; the budget below stays under both whatever the input.
const CONTENT_MAX = 2000;
const TITLE_MAX = 256;
const TEXT_MAX = 1500;
const LINKS_MAX = 1500;
const FIELDS_MAX = 10;
const FIELD_NAME_MAX = 64;
const FIELD_VALUE_MAX = 160;
const FOOTER_MAX = 200;

/**
 * A URL inside `[label](url)`. URLs come through safeUrl, whose href already
 * percent-encodes spaces and angle brackets; parentheses stay, and would end the link.
 */
function linkUrl(url: string): string {
  return url.replace(/\(/g, '%28').replace(/\)/g, '%29');
}

export interface DiscordPayload {
  content: string;
  username?: string;
  avatar_url?: string;
  allowed_mentions: { parse: never[] };
  embeds: Array<{
    title: string;
    description?: string;
    url?: string;
    color: number;
    timestamp: string;
    fields: Array<{ name: string; value: string; inline: boolean }>;
    footer: { text: string };
  }>;
}

export function renderPayload(message: NotificationMessage, channel: DiscordChannel, now: number): DiscordPayload {
  const headline = message.headline.trim() === '' ? kindLabel(message.kind) : message.headline;
  const incident = message.incident;
  const title = incident === undefined ? headline : `[${incident.severity}] ${incident.title}`;

  const links: string[] = [];
  let linksLength = 0;
  for (const action of messageActions(message)) {
    const link = `[${discordText(action.label, 80)}](${linkUrl(action.url)})`;
    if (linksLength + link.length + 3 > LINKS_MAX) break;
    links.push(link);
    linksLength += link.length + 3;
  }
  const text = message.text.trim() === '' ? '' : discordText(message.text, TEXT_MAX);
  const description = [text, links.join(' · ')].filter((part) => part !== '').join('\n\n');

  const fields = messageFields(message)
    .slice(0, FIELDS_MAX)
    .map((field) => ({
      // Discord refuses empty names and values.
      name: discordText(field.label, FIELD_NAME_MAX) || '\u200b',
      value: discordText(field.value, FIELD_VALUE_MAX) || '\u200b',
      inline: true,
    }));

  const footer = ['Firebreak', kindLabel(message.kind)];
  if (incident !== undefined) footer.push(`Incident ${incident.id}`);
  const incidentUrl = safeUrl(incident?.url) ?? undefined;

  return {
    content: discordText(headline, CONTENT_MAX),
    ...(channel.username === undefined ? {} : { username: channel.username }),
    ...(channel.avatarUrl === undefined ? {} : { avatar_url: channel.avatarUrl }),
    // Nothing in a Firebreak message may ping: no @everyone, roles or users, whatever the text says.
    allowed_mentions: { parse: [] },
    embeds: [
      {
        title: discordText(title, TITLE_MAX) || '\u200b',
        ...(description === '' ? {} : { description }),
        ...(incidentUrl === undefined ? {} : { url: incidentUrl }),
        color: COLORS[message.kind],
        timestamp: new Date(now).toISOString(),
        fields,
        // Footers are not markdown: plain text, cut to size.
        footer: { text: fit(footer.join(' · '), FOOTER_MAX) },
      },
    ],
  };
}

export function render(message: NotificationMessage, channel: DiscordChannel, context: RenderContext): HttpRequest {
  const url = new URL(resolveSecret(urlSetting(channel), context.env)!);
  // wait=true makes Discord answer with the created message (and its id) instead of 204.
  url.searchParams.set('wait', 'true');
  return jsonRequest(url.href, renderPayload(message, channel, context.now));
}

/**
 * 200 with the message (wait=true) or 204; 429 with `retry_after` in seconds
 * (fractional) in the JSON body and Retry-After in the headers; 404 for a
 * deleted webhook.
 */
export async function deliver(message: NotificationMessage, channel: DiscordChannel, deps: DeliveryDeps): Promise<DeliveryResult> {
  let request: HttpRequest;
  try {
    request = render(message, channel, renderContext(deps));
  } catch (error) {
    return renderFailure(error);
  }
  const answer = await send(request, deps);
  if (!isAnswer(answer)) return answer;
  const json = parseJson(answer.body);
  const remoteId = typeof json?.id === 'string' ? json.id : undefined;
  const result = classifyAnswer(answer, deps.now(), 'Discord', answer.status === 200 ? remoteId : undefined);
  if (!result.ok && answer.status === 429 && typeof json?.retry_after === 'number' && json.retry_after >= 0) {
    // The body's value is the precise one (fractional seconds); the header is rounded.
    return { ...result, retryAfterMs: Math.ceil(json.retry_after * 1000) };
  }
  return result;
}

function parseJson(body: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(body);
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
