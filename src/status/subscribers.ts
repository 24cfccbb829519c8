import { createHash, createHmac, randomBytes } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import type { Context, IncidentHooks } from '../core/context.ts';
import { DomainError, invalid, notFound } from '../core/errors.ts';
import type { NotificationMessage } from '../notify/channels/index.ts';
import { enqueueMessage } from '../notify/outbox.ts';
import type { IncidentRecord, SubscriberRecord, SubscriberState, TimelineEntry, Tx } from '../store/index.ts';
import { publicIncidentStatus } from './model.ts';

export const SubscribeInput = Type.Object(
  { email: Type.String({ minLength: 1, maxLength: 320, description: 'where status page updates go, after the address confirms' }) },
  { additionalProperties: false },
);
export type SubscribeInput = Static<typeof SubscribeInput>;

export type TokenKind = 'confirm' | 'unsubscribe';

/** The paths the mails link to; the public routes serve them. */
export const CONFIRM_PATH = '/status/subscriptions/confirm';
export const UNSUBSCRIBE_PATH = '/status/subscriptions/unsubscribe';

const LINK_KEY_SETTING = 'status_subscription_key';
const STATUS_WORDS: Record<string, string> = { investigating: 'Investigating', identified: 'Identified', monitoring: 'Monitoring', resolved: 'Resolved' };

// Stricter than what SMTP allows on purpose: one address, no display name, no
// quoted local part, a dotted domain; anything odder is more likely a mistake or an attack.
const EMAIL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+$/;

/** Lower-cased and trimmed, so that one mailbox is one subscriber; invalid when it is not a plain address. */
export function normaliseEmail(text: string): string {
  const email = text.trim().toLowerCase();
  if (email.length > 254 || !EMAIL.test(email)) throw invalid('Give one email address, such as name@example.com', { field: 'email' });
  return email;
}

/** The email channel subscribers are written to, or null when subscriptions are off. */
export function subscriptionChannel(ctx: Pick<Context, 'config'>): string | null {
  return ctx.config().file.statusPage?.subscriptions?.channel ?? null;
}

function requireChannel(ctx: Context): string {
  const channel = subscriptionChannel(ctx);
  if (channel === null) throw new DomainError('not_found', 'This status page takes no email subscriptions');
  return channel;
}

const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');
const newToken = (): string => randomBytes(32).toString('base64url');

/**
 * The unsubscribe token is derived (HMAC of the subscriber id under a key kept in the
 * database) rather than stored, because every later mail must carry it while the
 * table keeps only its digest.
 */
async function linkKey(ctx: Context, tx: Tx): Promise<string> {
  return tx.paging.settingOrCreate(LINK_KEY_SETTING, () => randomBytes(32).toString('base64url'), ctx.clock.now());
}

const unsubscribeToken = (key: string, subscriberId: string): string => createHmac('sha256', key).update(`unsubscribe:${subscriberId}`).digest('base64url');

const link = (ctx: Context, path: string, token: string): string => `${ctx.config().publicUrl ?? ''}${path}?token=${encodeURIComponent(token)}`;

/**
 * Asks an address to confirm (double opt-in). Says nothing about whether the
 * address was known: a confirmed subscriber gets no second mail, anyone else a
 * fresh confirmation link (the earlier one stops working).
 */
export async function subscribe(ctx: Context, input: SubscribeInput): Promise<void> {
  const channelId = requireChannel(ctx);
  const email = normaliseEmail(input.email);
  const now = ctx.clock.now();
  await ctx.store.transaction(async (tx) => {
    const existing = await tx.status.subscriberByEmail(email);
    if (existing?.state === 'confirmed') return;
    const confirmToken = newToken();
    const id = existing?.id ?? ctx.newId();
    const key = await linkKey(ctx, tx);
    await tx.status.saveSubscriber({
      id,
      email,
      state: 'pending',
      confirmTokenHash: hashToken(confirmToken),
      unsubscribeTokenHash: hashToken(unsubscribeToken(key, id)),
      createdAt: existing?.createdAt ?? now,
      confirmedAt: null,
      unsubscribedAt: null,
    });
    // Two first requests for one address race to insert; the row that won keeps its id.
    const saved = (await tx.status.subscriberByEmail(email))!;
    const unsubscribeUrl = link(ctx, UNSUBSCRIBE_PATH, unsubscribeToken(key, saved.id));
    const confirmUrl = link(ctx, CONFIRM_PATH, confirmToken);
    const name = pageName(ctx);
    const message: NotificationMessage = {
      idempotencyKey: `subscription-confirm:${saved.id}:${hashToken(confirmToken).slice(0, 16)}`,
      kind: 'subscription',
      headline: `Confirm your subscription to ${name} status updates`,
      text: `Someone, hopefully you, asked for ${name} status updates at this address.\n\nTo start getting them, open this link and press the button there:\n${confirmUrl}\n\nIf it was not you, ignore this mail: nothing more will be sent.`,
      actions: [{ label: 'Confirm subscription', url: confirmUrl, style: 'primary' }],
      mailTo: { address: email, unsubscribeUrl },
    };
    await enqueueMessage(ctx, tx, { channelId, message, incidentId: null, pageId: null });
  });
}

/** Whether a link's token is one we would act on; the pages behind links ask before showing a button. */
export async function tokenIsLive(ctx: Context, kind: TokenKind, token: string): Promise<boolean> {
  const found = await ctx.store.repos.status.subscriberByToken(kind, hashToken(token));
  return found !== undefined && (kind === 'unsubscribe' || found.state === 'pending');
}

const unknownLink = () => new DomainError('not_found', 'This link is not valid: it may have been used already, or replaced by a newer one');

export async function confirmSubscription(ctx: Context, token: string): Promise<void> {
  await ctx.store.transaction(async (tx) => {
    const found = await tx.status.subscriberByToken('confirm', hashToken(token));
    if (!found || !(await tx.status.confirmSubscriber(found.id, ctx.clock.now()))) throw unknownLink();
  });
}

/** Unsubscribes; a second use of the same link is fine (mail clients retry one-click POSTs). */
export async function unsubscribe(ctx: Context, token: string): Promise<void> {
  await ctx.store.transaction(async (tx) => {
    const found = await tx.status.subscriberByToken('unsubscribe', hashToken(token));
    if (!found) throw unknownLink();
    await tx.status.unsubscribeSubscriber(found.id, ctx.clock.now());
  });
}

export async function listSubscribers(ctx: Context, options: { state?: SubscriberState } = {}): Promise<SubscriberRecord[]> {
  return ctx.store.repos.status.subscribers(options);
}

/** Forgets an address entirely (someone asked to be erased, or it bounces). */
export async function removeSubscriber(ctx: Context, id: string): Promise<void> {
  if (!(await ctx.store.repos.status.deleteSubscriber(id))) throw notFound('Subscriber', id);
}

function pageName(ctx: Context): string {
  return ctx.config().file.organization?.name ?? 'Firebreak';
}

/**
 * One mail per confirmed subscriber for a public update, in the update's
 * transaction. Only what the status page shows goes out: the title, the public
 * status and the update's text; never severity, services, people or links inside.
 */
export async function mailSubscribers(ctx: Context, tx: Tx, incident: IncidentRecord, entry: TimelineEntry): Promise<number> {
  const channelId = subscriptionChannel(ctx);
  if (channelId === null) return 0;
  const subscribers = await tx.status.subscribers({ state: 'confirmed' });
  if (subscribers.length === 0) return 0;
  const key = await linkKey(ctx, tx);
  const status = STATUS_WORDS[publicIncidentStatus(incident.status)] ?? 'Investigating';
  const pageUrl = `${ctx.config().publicUrl ?? ''}/status#incident-${incident.id}`;
  let queued = 0;
  for (const subscriber of subscribers) {
    const unsubscribeUrl = link(ctx, UNSUBSCRIBE_PATH, unsubscribeToken(key, subscriber.id));
    const message: NotificationMessage = {
      idempotencyKey: `status-update:${entry.id}:${subscriber.id}`,
      kind: 'incident.update',
      headline: `${status}: ${incident.title}`,
      text: `${entry.text}\n\nUnsubscribe: ${unsubscribeUrl}`,
      fields: [{ label: 'Status', value: status }],
      actions: [{ label: 'Status page', url: pageUrl }],
      mailTo: { address: subscriber.email, unsubscribeUrl },
    };
    // No incident id on the row: a delivery per subscriber would flood the incident's timeline.
    if (await enqueueMessage(ctx, tx, { channelId, message, incidentId: null, pageId: null })) queued++;
  }
  return queued;
}

/** The status page listens for public updates to mail its subscribers. */
export const statusHooks: IncidentHooks = {
  publicUpdate: async (ctx, tx, incident, entry) => {
    await mailSubscribers(ctx, tx, incident, entry);
  },
};
