/**
 * The message every channel renders: said once, in plain text, by whoever decides
 * that people must be told something. Channels decide the markup; nothing in here
 * is markup, so every string is escaped by the channel that shows it.
 */
export type NotificationKind =
  | 'page'
  | 'incident.declared'
  | 'incident.update'
  | 'incident.resolved'
  | 'sla.breached'
  | 'escalation'
  | 'reminder'
  | 'subscription'
  | 'test';

export const NOTIFICATION_KINDS: readonly NotificationKind[] = [
  'page',
  'incident.declared',
  'incident.update',
  'incident.resolved',
  'sla.breached',
  'escalation',
  'reminder',
  'subscription',
  'test',
];

export interface NotificationIncident {
  id: string;
  title: string;
  severity: string;
  status: string;
  services: string[];
  url: string | null;
}

export interface NotificationField {
  label: string;
  value: string;
}

export interface NotificationAction {
  label: string;
  url: string;
  style?: 'primary' | 'danger';
}

export interface NotificationMessage {
  /** Stable across retries of one delivery: receivers deduplicate on it (webhook-id, Message-ID). */
  idempotencyKey: string;
  kind: NotificationKind;
  headline: string;
  /** Plain text, possibly several lines; never markup. */
  text: string;
  incident?: NotificationIncident;
  fields?: NotificationField[];
  /** Links such as the signed acknowledge link or "open incident"; only http(s) URLs are shown. */
  actions?: NotificationAction[];
  recipient?: { userId: string; name: string; email?: string | null };
  /** Messages with the same key belong together (a Slack thread, an email conversation). */
  thread?: { key: string };
  /**
   * Email to this address alone, instead of the channel's `to` (a status page
   * subscriber, who must see neither the channel's list nor be seen on it).
   * With `unsubscribeUrl`, the mail carries RFC 8058 one-click unsubscribe headers.
   */
  mailTo?: { address: string; unsubscribeUrl?: string };
}

const KIND_LABELS: Readonly<Record<NotificationKind, string>> = {
  page: 'Page',
  'incident.declared': 'Incident declared',
  'incident.update': 'Incident update',
  'incident.resolved': 'Incident resolved',
  'sla.breached': 'SLA breached',
  escalation: 'Escalation',
  reminder: 'Reminder',
  subscription: 'Status page subscription',
  test: 'Test message',
};

export function kindLabel(kind: NotificationKind): string {
  return KIND_LABELS[kind] ?? kind;
}

/**
 * Text as receivers can store it: lone surrogates (which JSON and SMTP peers
 * reject or mangle) become U+FFFD.
 */
export function wellFormed(text: string): string {
  return text.toWellFormed();
}

/** An action URL we are willing to put behind a button: absolute http(s) only, never `javascript:`. */
export function safeUrl(url: string | null | undefined): string | null {
  if (url === null || url === undefined) return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return null;
  return parsed.href;
}

/**
 * The buttons a message shows: its own actions with a safe URL, then "Open incident"
 * when the incident has a URL that no action already points at.
 */
export type ShownAction = { label: string; url: string; style?: 'primary' | 'danger' };

export function messageActions(message: NotificationMessage): ShownAction[] {
  const actions: ShownAction[] = [];
  for (const action of message.actions ?? []) {
    const url = safeUrl(action.url);
    if (url === null) continue;
    actions.push(action.style === undefined ? { label: action.label, url } : { label: action.label, url, style: action.style });
  }
  const incidentUrl = safeUrl(message.incident?.url);
  if (incidentUrl !== null && !actions.some((action) => action.url === incidentUrl)) {
    actions.push({ label: 'Open incident', url: incidentUrl });
  }
  return actions;
}

/** The facts every channel shows as label/value pairs: the incident's, then the message's own. */
export function messageFields(message: NotificationMessage): NotificationField[] {
  const fields: NotificationField[] = [];
  const incident = message.incident;
  if (incident !== undefined) {
    fields.push({ label: 'Severity', value: incident.severity });
    fields.push({ label: 'Status', value: incident.status });
    if (incident.services.length > 0) fields.push({ label: 'Services', value: incident.services.join(', ') });
  }
  for (const field of message.fields ?? []) fields.push(field);
  return fields;
}

/**
 * Cuts text to at most `max` characters *after* escaping, without splitting a
 * code point or an escape sequence, and marks the cut with an ellipsis.
 * `escapeChar` maps one code point to its escaped form.
 */
export function fitEscaped(text: string, max: number, escapeChar: (char: string) => string): string {
  const pieces: string[] = [];
  let length = 0;
  let cut = false;
  const chars = Array.from(wellFormed(text));
  for (let index = 0; index < chars.length; index++) {
    const piece = escapeChar(chars[index]!);
    // Keep room for the ellipsis unless this is the very last character.
    const room = index === chars.length - 1 ? max : max - 1;
    if (length + piece.length > room) {
      cut = true;
      break;
    }
    pieces.push(piece);
    length += piece.length;
  }
  return cut ? `${pieces.join('')}…` : pieces.join('');
}

/** Same cut for text that is not escaped (plain text fields). */
export function fit(text: string, max: number): string {
  return fitEscaped(text, max, (char) => char);
}
