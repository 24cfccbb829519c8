import type { Context } from '../core/context.ts';
import type { Tx } from '../store/index.ts';
import type { NotificationMessage } from './channels/index.ts';

export interface OutboundMessage {
  channelId: string;
  message: NotificationMessage;
  incidentId: string | null;
  pageId: string | null;
  /** Send no earlier than this (default: now). */
  notBefore?: number;
}

/**
 * Every outbound message is a row written in the transaction of the change
 * that caused it: if the change commits, the message will be sent (and retried
 * until it is, or dead-lettered); if it rolls back, nothing is sent.
 */
export async function enqueueMessage(ctx: Context, tx: Tx, outbound: OutboundMessage): Promise<boolean> {
  const now = ctx.clock.now();
  tx.afterCommit(() => ctx.wake.outbox());
  return tx.outbox.enqueue({
    id: ctx.newId(),
    idempotencyKey: outbound.message.idempotencyKey,
    channelId: outbound.channelId,
    incidentId: outbound.incidentId,
    pageId: outbound.pageId,
    message: outbound.message as unknown as Record<string, unknown>,
    nextAttemptAt: outbound.notBefore ?? now,
    createdAt: now,
  });
}
