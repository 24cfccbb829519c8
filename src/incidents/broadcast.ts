import type { Config } from '../config/schema.ts';
import type { Context } from '../core/context.ts';
import { invalid } from '../core/errors.ts';
import type { NotificationMessage } from '../notify/channels/index.ts';
import { enqueueMessage } from '../notify/outbox.ts';
import type { IncidentRecord, TimelineEntry, Tx } from '../store/index.ts';
import { findTemplate, incidentFacts, renderMessage } from '../templates/index.ts';
import type { StakeholderUpdateInput } from './schemas.ts';

/** What an update says: the message as written, or its template rendered with the incident as it stands. */
export async function updateText(ctx: Context, tx: Tx, incident: IncidentRecord, input: StakeholderUpdateInput): Promise<string> {
  if (input.template === undefined) return input.message!;
  const config = ctx.config();
  const template = findTemplate(config, input.template, incident.severity);
  const facts = await incidentFacts(config, tx, incident);
  const text = renderMessage(config, { name: input.template, template }, facts, input.vars ?? {}, ctx.clock.now());
  if (text.trim() === '') throw invalid(`Template ${input.template} rendered nothing for this incident`, { template: input.template });
  return text;
}

/** Exactly one of message and template; channels the caller names must exist. */
export function checkUpdateInput(config: Config, input: StakeholderUpdateInput): void {
  if ((input.message === undefined) === (input.template === undefined)) {
    throw invalid('Give exactly one of "message" (the text) or "template" (a template name)', { fields: ['message', 'template'] });
  }
  if (input.vars !== undefined && input.template === undefined) {
    throw invalid('"vars" are for a template; give "template" too, or leave "vars" out', { field: 'vars' });
  }
  for (const channel of input.channels ?? []) {
    if (!config.channel(channel)) {
      throw invalid(`Channel ${channel} does not exist`, { field: 'channels', known: config.channels.map((c) => c.id) });
    }
  }
}

/** The channels (and, for email, the people) a severity's updates go to, as `communications` says. */
export function updateAudience(config: Config, severity: string, override: readonly string[] | undefined): { channels: string[]; recipients: string[] } {
  const wanted = severity.toLowerCase();
  const settings = Object.entries(config.communications).find(([id]) => id.toLowerCase() === wanted)?.[1];
  return { channels: [...(override ?? settings?.channels ?? [])], recipients: [...(settings?.recipients ?? [])] };
}

/**
 * One outbox row per channel (per person for email), in the update's transaction:
 * the update and its messages commit together. Keys derive from the timeline
 * entry, so a retried delivery is recognisably the same message.
 */
export async function sendUpdate(
  ctx: Context,
  tx: Tx,
  incident: IncidentRecord,
  entry: TimelineEntry,
  audience: { channels: string[]; recipients: string[] },
): Promise<number> {
  const config = ctx.config();
  const url = config.publicUrl === null ? null : `${config.publicUrl}/incidents/${incident.id}`;
  const base: Omit<NotificationMessage, 'idempotencyKey'> = {
    kind: 'incident.update',
    headline: `Update: [${incident.severity}] ${incident.title}`,
    text: entry.text,
    incident: { id: incident.id, title: incident.title, severity: incident.severity, status: incident.status, services: [...incident.services], url },
    thread: { key: `incident:${incident.id}` },
  };
  let sent = 0;
  for (const channelId of audience.channels) {
    const channel = config.channel(channelId);
    if (!channel) continue;
    const people = channel.kind === 'email' ? audience.recipients.flatMap((id) => {
      const user = config.user(id);
      return user?.email ? [{ userId: user.id, name: user.name, email: user.email }] : [];
    }) : [];
    // Email goes to each person (their own mail, the channel's "to" copied); without
    // people or a "to" list there is nobody to write to, so nothing is queued to fail.
    if (channel.kind === 'email' && people.length === 0 && (channel.to?.length ?? 0) === 0) continue;
    const copies: Array<Partial<Pick<NotificationMessage, 'recipient'>>> = people.length > 0 ? people.map((recipient) => ({ recipient })) : [{}];
    for (const copy of copies) {
      const key = `update:${entry.id}:${channelId}${copy.recipient ? `:${copy.recipient.userId}` : ''}`;
      await enqueueMessage(ctx, tx, { channelId, message: { ...base, ...copy, idempotencyKey: key }, incidentId: incident.id, pageId: null });
      sent++;
    }
  }
  return sent;
}
