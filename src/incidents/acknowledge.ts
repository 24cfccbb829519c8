import { actorLabel } from '../core/actor.ts';
import type { Context } from '../core/context.ts';
import { DomainError } from '../core/errors.ts';
import type { IncidentRecord, Tx } from '../store/index.ts';
import { meetClocks } from './clocks.ts';
import { isOpen } from './lifecycle.ts';
import { mutateIncident, mutateIncidentIn } from './mutate.ts';
import type { AcknowledgeInput } from './schemas.ts';
import { appendTimeline } from './timeline.ts';

/** Someone has the incident: stops the initial-response clock. */
export async function acknowledgeIncident(ctx: Context, id: string, input: AcknowledgeInput): Promise<IncidentRecord> {
  return mutateIncident(ctx, id, undefined, (current, tx) => acknowledge(ctx, tx, current, input));
}

/** Acknowledges inside the caller's transaction (a PagerDuty acknowledge event); no-op if already acknowledged. */
export async function acknowledgeIncidentIn(ctx: Context, tx: Tx, id: string, comment: string): Promise<IncidentRecord> {
  return mutateIncidentIn(ctx, tx, id, undefined, async (current) =>
    current.acknowledgedAt !== null || !isOpen(current.status) ? current : acknowledge(ctx, tx, current, { comment }),
  );
}

async function acknowledge(ctx: Context, tx: Tx, current: IncidentRecord, input: AcknowledgeInput): Promise<IncidentRecord> {
  if (current.acknowledgedAt !== null) {
    throw new DomainError('conflict', `Already acknowledged by ${current.acknowledgedBy}`, {
      acknowledgedBy: current.acknowledgedBy,
      acknowledgedAt: new Date(current.acknowledgedAt).toISOString(),
    });
  }
  if (!isOpen(current.status)) {
    throw new DomainError('invalid_transition', `A ${current.status} incident cannot be acknowledged`, { status: current.status });
  }
  const now = ctx.clock.now();
  const next = { ...current, acknowledgedAt: now, acknowledgedBy: actorLabel(ctx.actor) };
  const comment = input.comment?.trim();
  await appendTimeline(ctx, tx, current.id, 'acknowledged', comment ? `Acknowledged: ${comment}` : 'Acknowledged', {
    comment: comment ?? null,
  });
  await meetClocks(ctx, tx, next, ['initialResponse'], now);
  await ctx.hooks.acknowledged?.(ctx, tx, next);
  return next;
}

/**
 * An acknowledgement that lapsed (the policy's ack timeout): the incident is
 * unacknowledged again, so that paging resumes. The initial-response clock
 * keeps its verdict; someone did respond once.
 */
export async function unacknowledgeIncidentIn(ctx: Context, tx: Tx, id: string, reason: string): Promise<IncidentRecord> {
  return mutateIncidentIn(ctx, tx, id, undefined, async (current) => {
    if (current.acknowledgedAt === null || !isOpen(current.status)) return current;
    await appendTimeline(ctx, tx, id, 'ack.lapsed', `Acknowledgement by ${current.acknowledgedBy} lapsed: ${reason}`, {
      acknowledgedBy: current.acknowledgedBy,
      acknowledgedAt: current.acknowledgedAt,
    });
    return { ...current, acknowledgedAt: null, acknowledgedBy: null };
  });
}
