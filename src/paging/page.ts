import type { Config, NotificationRule } from '../config/schema.ts';
import type { Context } from '../core/context.ts';
import { parseDuration } from '../core/duration.ts';
import type { NotificationMessage } from '../notify/channels/index.ts';
import { enqueueMessage } from '../notify/outbox.ts';
import type { IncidentRecord, PageRecord, Tx } from '../store/index.ts';
import type { AckLinks } from './links.ts';

export const PAGE_STEP_TIMER = 'page.notify';

/** What paging needs beyond the domain services: where links point and how they are signed. */
export interface PagingRuntime {
  links: AckLinks;
  /** The URL people reach this Firebreak at (config publicUrl, else where it listens). */
  publicUrl(): string;
}

export function rulesOf(config: Config, userId: string): NotificationRule[] {
  return config.user(userId)?.notificationRules ?? config.paging.defaultNotificationRules ?? [];
}

export function incidentUrl(runtime: PagingRuntime, incidentId: string): string {
  return `${runtime.publicUrl()}/incidents/${incidentId}`;
}

/** The message a person gets when paged (or reminded, or told of a breach). */
export function pageMessage(
  ctx: Context,
  runtime: PagingRuntime,
  incident: IncidentRecord,
  page: PageRecord,
  step: number,
  kind: NotificationMessage['kind'] = 'page',
  headline?: string,
): NotificationMessage {
  const config = ctx.config();
  const user = config.user(page.userId);
  const ttl = parseDuration(config.paging.ackLinkTtl);
  const token = runtime.links.sign({ incidentId: incident.id, userId: page.userId, expiresAt: ctx.clock.now() + ttl });
  const severity = config.severity(incident.severity);
  return {
    idempotencyKey: `${kind}:${page.id}:${step}`,
    kind,
    headline: headline ?? `[${incident.severity}] ${incident.title}`,
    text: [
      `${user?.name ?? page.userId}, you are paged for ${incident.severity}${severity ? ` (${severity.name})` : ''}: ${incident.title}.`,
      incident.summary ? incident.summary : '',
      `Reason: ${page.reason}.`,
    ]
      .filter(Boolean)
      .join('\n'),
    incident: {
      id: incident.id,
      title: incident.title,
      severity: incident.severity,
      status: incident.status,
      services: incident.services,
      url: incidentUrl(runtime, incident.id),
    },
    fields: [
      { label: 'Severity', value: incident.severity },
      { label: 'Status', value: incident.status },
      ...(incident.services.length ? [{ label: 'Services', value: incident.services.join(', ') }] : []),
    ],
    actions: [
      { label: 'Acknowledge', url: `${runtime.publicUrl()}/ack/${token}`, style: 'primary' },
      { label: 'Open incident', url: incidentUrl(runtime, incident.id) },
    ],
    recipient: { userId: page.userId, name: user?.name ?? page.userId, email: user?.email ?? null },
    thread: { key: `incident:${incident.id}` },
  };
}

/**
 * Pages one person: a page row, then each step of their notification rules,
 * at once or as a durable timer for later. Acknowledging stops the steps not
 * yet taken (their timers find the page stopped; queued messages are cancelled).
 */
export async function pageUser(
  ctx: Context,
  tx: Tx,
  runtime: PagingRuntime,
  incident: IncidentRecord,
  userId: string,
  level: number,
  round: number,
  reason: string,
): Promise<PageRecord> {
  const now = ctx.clock.now();
  const page: PageRecord = { id: ctx.newId(), incidentId: incident.id, userId, level, round, reason, state: 'active', createdAt: now, stoppedAt: null };
  await tx.paging.insertPage(page);
  const rules = rulesOf(ctx.config(), userId);
  for (const [step, rule] of rules.entries()) {
    const after = parseDuration(rule.after);
    if (after === 0) {
      await enqueueMessage(ctx, tx, { channelId: rule.channel, message: pageMessage(ctx, runtime, incident, page, step), incidentId: incident.id, pageId: page.id });
    } else {
      await tx.timers.schedule([{ id: ctx.newId(), kind: PAGE_STEP_TIMER, dueAt: now + after, payload: { pageId: page.id, step }, createdAt: now }]);
    }
  }
  return page;
}

/** A later step of someone's notification rules came due. */
export async function takePageStep(ctx: Context, tx: Tx, runtime: PagingRuntime, pageId: string, step: number): Promise<void> {
  const page = await tx.paging.page(pageId);
  if (!page || page.state !== 'active') return;
  const incident = await tx.incidents.get(page.incidentId);
  const rule = rulesOf(ctx.config(), page.userId)[step];
  if (!incident || !rule) return;
  await enqueueMessage(ctx, tx, { channelId: rule.channel, message: pageMessage(ctx, runtime, incident, page, step), incidentId: incident.id, pageId: page.id });
}
