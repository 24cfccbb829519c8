import { createHash } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import type { ConfigProblem } from '../../config/index.ts';
import { DEFAULT_TIMEOUT_MS, renderContext, renderFailure, type DeliveryDeps, type DeliveryResult, type Env, type RenderContext } from './delivery.ts';
import { kindLabel, messageActions, messageFields, safeUrl, wellFormed, type NotificationMessage } from './message.ts';
import { ChannelId, EnvName, resolveSecret, secretProblems, type SecretSetting } from './secrets.ts';

/** Email through an SMTP server (a relay, or a provider's submission port). */
export const EmailChannel = Type.Object(
  {
    kind: Type.Literal('email'),
    id: ChannelId,
    name: Type.Optional(Type.String({ minLength: 1 })),
    host: Type.String({ minLength: 1 }),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: '465 with secure: true, else usually 587 or 25' })),
    secure: Type.Optional(Type.Boolean({ description: 'TLS from the first byte (port 465); otherwise STARTTLS when the server offers it' })),
    requireTls: Type.Optional(Type.Boolean({ description: 'refuse to send unless STARTTLS succeeds' })),
    tlsRejectUnauthorized: Type.Optional(Type.Boolean({ description: 'false accepts a self-signed server certificate' })),
    user: Type.Optional(Type.String({ minLength: 1 })),
    password: Type.Optional(Type.String({ description: 'prefer passwordEnv' })),
    passwordEnv: Type.Optional(EnvName),
    from: Type.String({ minLength: 3, description: 'an address, or "Name <address>"' }),
    to: Type.Optional(Type.Array(Type.String({ minLength: 3 }), { description: 'addresses that get every message; the recipient of a page is added' })),
    messageIdDomain: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9.-]+$', description: "the right side of Message-IDs; the from address's domain by default" })),
  },
  { additionalProperties: false },
);
export type EmailChannel = Static<typeof EmailChannel>;

function passwordSetting(channel: EmailChannel): SecretSetting {
  return { field: 'password', literal: channel.password, envName: channel.passwordEnv, what: 'the SMTP password', optional: true };
}

const ADDRESS = /^[^\s@<>]+@[^\s@<>]+$/;

/** The bare address of `a@b` or `Name <a@b>`; null when there is none. */
export function addressOf(mailbox: string): string | null {
  const bracketed = /<([^<>]+)>\s*$/.exec(mailbox);
  const address = (bracketed?.[1] ?? mailbox).trim();
  return ADDRESS.test(address) ? address : null;
}

export function emailProblems(channel: EmailChannel, env: Env): ConfigProblem[] {
  const problems = secretProblems(passwordSetting(channel), env);
  const hasPassword = channel.password !== undefined || channel.passwordEnv !== undefined;
  if (channel.user !== undefined && !hasPassword) {
    problems.push({ path: 'passwordEnv', message: `user ${channel.user} has no password`, fix: 'set passwordEnv to the name of an environment variable that holds the SMTP password' });
  }
  if (channel.user === undefined && hasPassword) {
    problems.push({ path: 'user', message: 'a password is set but no user', fix: 'set user to the SMTP login name' });
  }
  if (addressOf(channel.from) === null) {
    problems.push({ path: 'from', message: `${channel.from} has no email address`, fix: 'write it as alerts@example.com or "Firebreak <alerts@example.com>"' });
  }
  for (const [index, to] of (channel.to ?? []).entries()) {
    if (addressOf(to) === null) problems.push({ path: `to[${index}]`, message: `${to} is not an email address`, fix: 'write it as oncall@example.com' });
  }
  if (channel.secure === true && channel.requireTls === true) {
    problems.push({ path: 'requireTls', message: 'requireTls is for STARTTLS and means nothing with secure: true', fix: 'remove requireTls' });
  }
  return problems;
}

function messageIdDomain(channel: EmailChannel): string {
  return channel.messageIdDomain ?? addressOf(channel.from)?.split('@')[1] ?? 'firebreak.invalid';
}

/** A Message-ID left side from a key: the key itself when it is a dot-atom, else a digest of it. */
function idPart(key: string): string {
  if (key.length <= 128 && /^[A-Za-z0-9_+=-]+(?:\.[A-Za-z0-9_+=-]+)*$/.test(key)) return key;
  return createHash('sha256').update(key).digest('base64url');
}

/** The Message-ID of a message: derived from its idempotency key, so that a retried send is recognisably the same mail. */
export function messageIdFor(message: NotificationMessage, channel: EmailChannel): string {
  return `<${idPart(message.idempotencyKey)}@${messageIdDomain(channel)}>`;
}

/** The id every message of a thread refers to, whether or not its first message was ever stored. */
export function threadIdFor(threadKey: string, channel: EmailChannel): string {
  return `<thread.${idPart(threadKey)}@${messageIdDomain(channel)}>`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ENTITIES[char]!);
}

const HTML_ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Header text on one line: a newline in a title must not start a header of its own. */
const oneLine = (text: string): string => wellFormed(text).replace(/[\r\n\t\v\f\u2028\u2029]+/g, ' ').trim();

export function subjectFor(message: NotificationMessage): string {
  const headline = message.headline.trim() === '' ? kindLabel(message.kind) : message.headline;
  const subject = message.incident === undefined ? headline : `[${message.incident.severity}] ${headline}`;
  return oneLine(subject).slice(0, 900);
}

export function recipientsFor(message: NotificationMessage, channel: EmailChannel): string[] {
  if (message.mailTo !== undefined) return addressOf(message.mailTo.address) === null ? [] : [message.mailTo.address];
  const recipients = [...(channel.to ?? [])];
  const personal = message.recipient?.email;
  if (personal !== undefined && personal !== null && addressOf(personal) !== null) recipients.push(personal);
  const seen = new Set<string>();
  return recipients.filter((recipient) => {
    const address = addressOf(recipient)?.toLowerCase();
    if (address === undefined || seen.has(address)) return false;
    seen.add(address);
    return true;
  });
}

function textBody(message: NotificationMessage): string {
  const headline = message.headline.trim() === '' ? kindLabel(message.kind) : message.headline;
  const parts = [wellFormed(headline)];
  if (message.text.trim() !== '') parts.push(wellFormed(message.text));
  const fields = messageFields(message);
  if (fields.length > 0) parts.push(fields.map((field) => `${oneLine(field.label)}: ${wellFormed(field.value)}`).join('\n'));
  const actions = messageActions(message);
  if (actions.length > 0) parts.push(actions.map((action) => `${oneLine(action.label)}: ${action.url}`).join('\n'));
  parts.push(`-- \n${footer(message)}`);
  return `${parts.join('\n\n')}\n`;
}

function footer(message: NotificationMessage): string {
  const context = ['Firebreak', kindLabel(message.kind)];
  if (message.incident !== undefined) context.push(`Incident ${message.incident.id}`);
  if (message.recipient !== undefined) context.push(`For ${message.recipient.name}`);
  return wellFormed(context.join(' · '));
}

const BUTTON_COLORS = { primary: '#1264a3', danger: '#e01e5a', default: '#4a4a4a' } as const;

function htmlBody(message: NotificationMessage): string {
  const headline = message.headline.trim() === '' ? kindLabel(message.kind) : message.headline;
  const html = (text: string): string => escapeHtml(wellFormed(text));
  const rows: string[] = [`<h1 style="font-size:20px;margin:0 0 12px">${html(headline)}</h1>`];
  if (message.text.trim() !== '') rows.push(`<p style="white-space:pre-wrap;margin:0 0 12px">${html(message.text)}</p>`);
  const fields = messageFields(message);
  if (fields.length > 0) {
    const cells = fields
      .map((field) => `<tr><th align="left" style="padding:2px 12px 2px 0;vertical-align:top">${html(field.label)}</th><td style="white-space:pre-wrap">${html(field.value)}</td></tr>`)
      .join('');
    rows.push(`<table role="presentation" cellspacing="0" cellpadding="0" style="margin:0 0 12px">${cells}</table>`);
  }
  const actions = messageActions(message);
  if (actions.length > 0) {
    const links = actions
      .map(
        (action) =>
          `<a href="${escapeHtml(action.url)}" style="display:inline-block;padding:8px 14px;margin:0 8px 8px 0;border-radius:4px;color:#ffffff;text-decoration:none;background:${BUTTON_COLORS[action.style ?? 'default']}">${html(action.label)}</a>`,
      )
      .join('');
    rows.push(`<p style="margin:0 0 12px">${links}</p>`);
  }
  rows.push(`<p style="color:#6b6b6b;font-size:12px;margin:12px 0 0">${html(footer(message))}</p>`);
  return `<!doctype html><html><head><meta charset="utf-8"></head><body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:14px;color:#1d1c1d">${rows.join('')}</body></html>`;
}

/** RFC 2369 and RFC 8058: mail clients show an unsubscribe button that POSTs `List-Unsubscribe=One-Click` to the URL. */
function unsubscribeHeaders(message: NotificationMessage): Record<string, string> {
  const url = safeUrl(message.mailTo?.unsubscribeUrl);
  if (url === null) return {};
  return { 'List-Unsubscribe': `<${url}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' };
}

/** The mail as nodemailer takes it: text and HTML parts, threading headers, no transport settings. */
export function render(message: NotificationMessage, channel: EmailChannel, context: RenderContext): SendMailOptions {
  const messageId = messageIdFor(message, channel);
  const options: SendMailOptions = {
    from: channel.from,
    to: recipientsFor(message, channel),
    subject: subjectFor(message),
    text: textBody(message),
    html: htmlBody(message),
    messageId,
    date: new Date(context.now),
    headers: {
      // RFC 3834: tells vacation responders not to answer a robot.
      'Auto-Submitted': 'auto-generated',
      'X-Firebreak-Kind': message.kind,
      ...(message.incident === undefined ? {} : { 'X-Firebreak-Incident': oneLine(message.incident.id) }),
      ...unsubscribeHeaders(message),
    },
  };
  if (message.thread !== undefined) {
    const threadId = threadIdFor(message.thread.key, channel);
    const root = context.threadTs && context.threadTs !== messageId ? context.threadTs : null;
    // The thread id is in every mail of the thread, so that clients group them even when the
    // caller never stored the first mail's id; only a known first mail is replied to.
    options.references = root === null ? [threadId] : [threadId, root];
    if (root !== null) options.inReplyTo = root;
  }
  return options;
}

function transportOptions(channel: EmailChannel, password: string | undefined, timeoutMs: number) {
  const secure = channel.secure ?? channel.port === 465;
  return {
    host: channel.host,
    port: channel.port ?? (secure ? 465 : 587),
    secure,
    requireTLS: channel.requireTls ?? false,
    ...(channel.user === undefined ? {} : { auth: { user: channel.user, pass: password ?? '' } }),
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    ...(channel.tlsRejectUnauthorized === false ? { tls: { rejectUnauthorized: false } } : {}),
  };
}

/** nodemailer's error codes that name our mistake, not the network's. */
const PERMANENT_CODES = new Set(['EAUTH', 'ENOAUTH', 'EENVELOPE', 'EMESSAGE', 'EOAUTH2']);

function classifySmtpError(error: unknown): DeliveryResult {
  const details = error as { code?: unknown; responseCode?: unknown; response?: unknown; message?: unknown };
  const code = typeof details.code === 'string' ? details.code : null;
  const responseCode = typeof details.responseCode === 'number' ? details.responseCode : null;
  // SMTP says it itself: 4xx is "try again later", 5xx is "never".
  const retryable = responseCode !== null ? responseCode < 500 : code === null || !PERMANENT_CODES.has(code);
  const text = typeof details.response === 'string' ? details.response : typeof details.message === 'string' ? details.message : String(error);
  return {
    ok: false,
    retryable,
    retryAfterMs: null,
    status: responseCode,
    error: `SMTP ${code === null ? 'error' : code}: ${text.replace(/\s+/g, ' ').slice(0, 300)}`,
  };
}

/**
 * Sends through a transport made for this delivery and closed after it, so no
 * connection outlives the attempt. `status` is the SMTP reply code; remoteId is
 * what to pass as `threadTs` later: this mail's Message-ID when it starts the
 * thread, the thread's root when it replies.
 */
export async function deliver(message: NotificationMessage, channel: EmailChannel, deps: DeliveryDeps): Promise<DeliveryResult> {
  const context = renderContext(deps);
  let mail: SendMailOptions;
  let password: string | undefined;
  try {
    password = resolveSecret(passwordSetting(channel), context.env);
    mail = render(message, channel, context);
  } catch (error) {
    return renderFailure(error);
  }
  if ((mail.to as string[]).length === 0) {
    return { ok: false, retryable: false, retryAfterMs: null, status: null, error: 'no recipient: the channel has no `to` and the message no recipient email' };
  }
  const timeoutMs = deps.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const transport = nodemailer.createTransport(transportOptions(channel, password, timeoutMs));
  let timer: NodeJS.Timeout | undefined;
  try {
    // nodemailer's timeouts are per phase; this bounds the whole attempt.
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })), timeoutMs);
    });
    const info = await Promise.race([transport.sendMail(mail), deadline]);
    const status = /^(\d{3})/.exec(String(info.response ?? ''))?.[1];
    const remoteId = (message.thread !== undefined && context.threadTs) || String(info.messageId ?? mail.messageId);
    return status === undefined ? { ok: true, remoteId } : { ok: true, status: Number(status), remoteId };
  } catch (error) {
    return classifySmtpError(error);
  } finally {
    clearTimeout(timer);
    transport.close();
  }
}
