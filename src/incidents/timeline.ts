import { actorLabel } from '../core/actor.ts';
import type { Context } from '../core/context.ts';
import type { TimelineEntry, Tx } from '../store/index.ts';

/** Every change to an incident leaves one of these, written in the change's own transaction. */
export async function appendTimeline(
  ctx: Context,
  tx: Tx,
  incidentId: string,
  kind: string,
  text: string,
  data: Record<string, unknown> = {},
): Promise<TimelineEntry> {
  const entry: TimelineEntry = {
    id: ctx.newId(),
    incidentId,
    at: ctx.clock.now(),
    actor: actorLabel(ctx.actor),
    kind,
    text,
    data,
  };
  await tx.timeline.append(entry);
  await ctx.events.record(tx, { at: entry.at, type: 'timeline.appended', incidentId, data: { entry } });
  return entry;
}
