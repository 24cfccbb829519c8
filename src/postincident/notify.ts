import type { Context } from '../core/context.ts';
import { enqueueMessage } from '../notify/outbox.ts';
import { rulesOf } from '../paging/page.ts';
import type { IncidentRecord, Tx } from '../store/index.ts';

/**
 * Tells one person something about an incident through the first of their
 * notification rules (as paging does), once per `key`.
 */
export async function remindPerson(ctx: Context, tx: Tx, incident: IncidentRecord, userId: string, key: string, headline: string, text: string): Promise<void> {
  const config = ctx.config();
  const rule = rulesOf(config, userId)[0];
  if (!rule) return;
  const user = config.user(userId);
  const url = config.publicUrl === null ? null : `${config.publicUrl}/incidents/${incident.id}`;
  await enqueueMessage(ctx, tx, {
    channelId: rule.channel,
    message: {
      idempotencyKey: key,
      kind: 'reminder',
      headline,
      text,
      incident: { id: incident.id, title: incident.title, severity: incident.severity, status: incident.status, services: incident.services, url },
      actions: url === null ? [] : [{ label: 'Open incident', url }],
      recipient: { userId, name: user?.name ?? userId, email: user?.email ?? null },
      thread: { key: `incident:${incident.id}` },
    },
    incidentId: incident.id,
    pageId: null,
  });
}
