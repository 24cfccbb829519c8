import { fitEscaped, kindLabel, messageActions, messageFields, type NotificationMessage } from './message.ts';

/**
 * Block Kit for both Slack channels (incoming webhook and chat.postMessage).
 *
 * Slack reads `&`, `<` and `>` as control characters in message text: `<!channel>`
 * pings everyone, `<@U123>` mentions, `<url|label>` links. Every user-supplied
 * string is therefore entity-escaped, and we write no `<…>` sequences ourselves.
 * Headlines and prose go into plain_text objects, which Slack renders without
 * mrkdwn emphasis; only field labels are bold (mrkdwn, `verbatim` so that Slack
 * does not auto-link names in values).
 */

/** Escapes one character of user text for Slack message text. */
export function escapeSlackChar(char: string): string {
  switch (char) {
    case '&':
      return '&amp;';
    case '<':
      return '&lt;';
    case '>':
      return '&gt;';
    default:
      return char;
  }
}

export function escapeSlack(text: string): string {
  return text.replace(/[&<>]/g, escapeSlackChar);
}

/** Escaped and cut to Slack's per-element limit (limits count the escaped text). */
function slackText(text: string, max: number): string {
  return fitEscaped(text, max, escapeSlackChar);
}

// Block Kit limits (https://docs.slack.dev/reference/block-kit/blocks).
const HEADER_MAX = 150;
const SECTION_TEXT_MAX = 3000;
const FIELD_TEXT_MAX = 2000;
const FIELDS_PER_SECTION = 10;
const CONTEXT_TEXT_MAX = 3000;
const BUTTON_TEXT_MAX = 75;
const BUTTON_URL_MAX = 3000;
const BUTTONS_MAX = 25;
/** chat.postMessage truncates longer text; notifications only show the start anyway. */
const FALLBACK_TEXT_MAX = 3000;

type PlainText = { type: 'plain_text'; text: string; emoji: boolean };
type Mrkdwn = { type: 'mrkdwn'; text: string; verbatim: boolean };
export type SlackBlock =
  | { type: 'header'; text: PlainText }
  | { type: 'section'; text: PlainText }
  | { type: 'section'; fields: Mrkdwn[] }
  | { type: 'context'; elements: Array<PlainText | Mrkdwn> }
  | {
      type: 'actions';
      elements: Array<{ type: 'button'; action_id: string; text: PlainText; url: string; style?: 'primary' | 'danger' }>;
    };

export interface SlackContent {
  /** The notification fallback, also shown where blocks cannot be. */
  text: string;
  blocks: SlackBlock[];
}

const plain = (text: string): PlainText => ({ type: 'plain_text', text, emoji: true });

export function renderSlackContent(message: NotificationMessage): SlackContent {
  const headline = message.headline.trim() === '' ? kindLabel(message.kind) : message.headline;
  const blocks: SlackBlock[] = [{ type: 'header', text: plain(slackText(headline, HEADER_MAX)) }];

  // An empty text object is refused (invalid_blocks), so empty prose leaves the section out.
  if (message.text.trim() !== '') blocks.push({ type: 'section', text: plain(slackText(message.text, SECTION_TEXT_MAX)) });

  const fields = messageFields(message).map(
    (field): Mrkdwn => ({
      type: 'mrkdwn',
      // Labels are cut short so that the value always shows within the field limit.
      text: `*${slackText(field.label, 100)}*\n${slackText(field.value, FIELD_TEXT_MAX - 110)}`,
      verbatim: true,
    }),
  );
  for (let start = 0; start < fields.length; start += FIELDS_PER_SECTION) {
    blocks.push({ type: 'section', fields: fields.slice(start, start + FIELDS_PER_SECTION) });
  }

  const context = [kindLabel(message.kind)];
  if (message.incident !== undefined) context.push(`Incident ${message.incident.id}`);
  if (message.recipient !== undefined) context.push(`For ${message.recipient.name}`);
  blocks.push({ type: 'context', elements: [plain(slackText(`Firebreak · ${context.join(' · ')}`, CONTEXT_TEXT_MAX))] });

  const buttons = messageActions(message)
    .filter((action) => action.url.length <= BUTTON_URL_MAX)
    .slice(0, BUTTONS_MAX)
    .map((action, index) => ({
      type: 'button' as const,
      // Unique within the message; Slack refuses duplicates.
      action_id: `firebreak-action-${index}`,
      text: plain(slackText(action.label, BUTTON_TEXT_MAX)),
      url: action.url,
      ...(action.style === undefined ? {} : { style: action.style }),
    }));
  if (buttons.length > 0) blocks.push({ type: 'actions', elements: buttons });

  const summary = message.text.trim() === '' ? headline : `${headline}\n${message.text}`;
  return { text: slackText(summary, FALLBACK_TEXT_MAX), blocks };
}
