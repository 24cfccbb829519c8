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
import { fitEscaped, kindLabel, messageActions, messageFields, type NotificationKind, type NotificationMessage } from './message.ts';
import { ChannelId, EnvName, httpUrlCheck, resolveSecret, secretProblems, type SecretSetting } from './secrets.ts';

/**
 * A Microsoft Teams channel through a Workflows webhook ("Post to a channel
 * when a webhook request is received"), which posts the Adaptive Card it is sent.
 */
export const TeamsChannel = Type.Object(
  {
    kind: Type.Literal('teams'),
    id: ChannelId,
    name: Type.Optional(Type.String({ minLength: 1 })),
    url: Type.Optional(Type.String({ description: 'the workflow URL (its sig= parameter is a secret: prefer urlEnv)' })),
    urlEnv: Type.Optional(EnvName),
  },
  { additionalProperties: false },
);
export type TeamsChannel = Static<typeof TeamsChannel>;

function urlSetting(channel: TeamsChannel): SecretSetting {
  return { field: 'url', literal: channel.url, envName: channel.urlEnv, what: 'the Teams workflow URL', check: httpUrlCheck('the Teams workflow URL') };
}

export function teamsProblems(channel: TeamsChannel, env: Env): ConfigProblem[] {
  return secretProblems(urlSetting(channel), env);
}

/**
 * User text goes only into TextRun elements of RichTextBlocks, which Adaptive
 * Cards render without Markdown (TextBlock and FactSet would parse it), and
 * mentions need `<at>` tags plus msteams entities, which we never send. What is
 * left to neutralise are `{{DATE(…)}}`/`{{TIME(…)}}` functions: a zero-width
 * space after each `{` keeps them from forming.
 */
export function escapeTeamsChar(char: string): string {
  return char === '{' ? '{\u200b' : char;
}

export function escapeTeams(text: string): string {
  return Array.from(text, escapeTeamsChar).join('');
}

const teamsText = (text: string, max: number): string => fitEscaped(text, max, escapeTeamsChar);

const HEADLINE_MAX = 300;
const TEXT_MAX = 4000;
const FIELDS_MAX = 20;
const FIELD_LABEL_MAX = 100;
const FIELD_VALUE_MAX = 1000;
const ACTIONS_MAX = 6;

const HEADLINE_COLORS: Readonly<Record<NotificationKind, 'Attention' | 'Warning' | 'Good' | 'Accent' | 'Default'>> = {
  page: 'Attention',
  'incident.declared': 'Attention',
  escalation: 'Attention',
  'sla.breached': 'Warning',
  reminder: 'Warning',
  'incident.update': 'Accent',
  'incident.resolved': 'Good',
  subscription: 'Default',
  test: 'Default',
};

type TextRun = { type: 'TextRun'; text: string; weight?: 'Bolder'; size?: 'Large' | 'Small'; color?: string; isSubtle?: boolean };
type CardElement = { type: 'RichTextBlock'; inlines: TextRun[]; spacing?: 'Small' | 'Medium' | 'None' };

export interface TeamsPayload {
  type: 'message';
  attachments: Array<{
    contentType: 'application/vnd.microsoft.card.adaptive';
    contentUrl: null;
    content: {
      $schema: string;
      type: 'AdaptiveCard';
      version: '1.4';
      msteams: { width: 'Full' };
      body: CardElement[];
      actions: Array<{ type: 'Action.OpenUrl'; title: string; url: string; style?: 'positive' | 'destructive' }>;
    };
  }>;
}

export function renderPayload(message: NotificationMessage): TeamsPayload {
  const headline = message.headline.trim() === '' ? kindLabel(message.kind) : message.headline;
  const body: CardElement[] = [
    {
      type: 'RichTextBlock',
      inlines: [{ type: 'TextRun', text: teamsText(headline, HEADLINE_MAX), weight: 'Bolder', size: 'Large', color: HEADLINE_COLORS[message.kind] }],
    },
  ];
  if (message.text.trim() !== '') body.push({ type: 'RichTextBlock', inlines: [{ type: 'TextRun', text: teamsText(message.text, TEXT_MAX) }] });
  for (const [index, field] of messageFields(message).slice(0, FIELDS_MAX).entries()) {
    body.push({
      type: 'RichTextBlock',
      spacing: index === 0 ? 'Medium' : 'None',
      inlines: [
        { type: 'TextRun', text: `${teamsText(field.label, FIELD_LABEL_MAX)}: `, weight: 'Bolder' },
        { type: 'TextRun', text: teamsText(field.value, FIELD_VALUE_MAX) },
      ],
    });
  }
  const context = ['Firebreak', kindLabel(message.kind)];
  if (message.incident !== undefined) context.push(`Incident ${message.incident.id}`);
  if (message.recipient !== undefined) context.push(`For ${message.recipient.name}`);
  body.push({ type: 'RichTextBlock', spacing: 'Medium', inlines: [{ type: 'TextRun', text: teamsText(context.join(' · '), 500), size: 'Small', isSubtle: true }] });

  const actions = messageActions(message)
    .slice(0, ACTIONS_MAX)
    .map((action) => ({
      type: 'Action.OpenUrl' as const,
      // Action titles are plain text.
      title: teamsText(action.label, 80),
      url: action.url,
      ...(action.style === undefined ? {} : { style: action.style === 'danger' ? ('destructive' as const) : ('positive' as const) }),
    }));

  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          msteams: { width: 'Full' },
          body,
          actions,
        },
      },
    ],
  };
}

export function render(message: NotificationMessage, channel: TeamsChannel, context: RenderContext): HttpRequest {
  return jsonRequest(resolveSecret(urlSetting(channel), context.env)!, renderPayload(message));
}

/** Workflows accept with 202 before the flow runs: a 2xx means queued, not shown. */
export async function deliver(message: NotificationMessage, channel: TeamsChannel, deps: DeliveryDeps): Promise<DeliveryResult> {
  let request: HttpRequest;
  try {
    request = render(message, channel, renderContext(deps));
  } catch (error) {
    return renderFailure(error);
  }
  const answer = await send(request, deps);
  if (!isAnswer(answer)) return answer;
  return classifyAnswer(answer, deps.now(), 'Teams workflow');
}
