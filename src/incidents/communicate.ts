import type { Context } from '../core/context.ts';
import { DomainError, invalid, notFound } from '../core/errors.ts';
import { parseDuration } from '../core/duration.ts';
import { formatDuration } from '../core/duration.ts';
import type { IncidentRecord, TimelineEntry, Tx } from '../store/index.ts';
import { actorLabel } from '../core/actor.ts';
import { checkUpdateInput, sendUpdate, updateAudience, updateText } from './broadcast.ts';
import { LATE_NOTE_THRESHOLD_MS, meetClocks, restartCadence } from './clocks.ts';
import { mutateIncident } from './mutate.ts';
import type { NoteInput, ReminderInput, StakeholderUpdateInput } from './schemas.ts';
import { appendTimeline } from './timeline.ts';

export const REMINDER_TIMER = 'incident.reminder';
const MAX_REMINDER_MS = 366 * 86_400_000;

/**
 * A stakeholder update: written or rendered from a template, on the timeline, sent
 * through the outbox to the severity's channels; meets the notification clock and
 * restarts the update cadence.
 */
export async function postStakeholderUpdate(
  ctx: Context,
  id: string,
  input: StakeholderUpdateInput,
): Promise<{ incident: IncidentRecord; entry: TimelineEntry }> {
  checkUpdateInput(ctx.config(), input);
  let entry: TimelineEntry | undefined;
  const incident = await mutateIncident(ctx, id, undefined, async (current, tx) => {
    if (current.status === 'closed') {
      throw new DomainError('invalid_transition', 'A closed incident takes no more stakeholder updates', { status: current.status });
    }
    const now = ctx.clock.now();
    const next = { ...current, lastUpdateAt: now };
    const text = await updateText(ctx, tx, current, input);
    const audience = updateAudience(ctx.config(), current.severity, input.channels);
    entry = await appendTimeline(ctx, tx, id, 'update', text, {
      public: input.public ?? false,
      ...(input.template === undefined ? {} : { template: input.template }),
    });
    await sendUpdate(ctx, tx, next, entry, audience);
    if (input.public === true) await ctx.hooks.publicUpdate?.(ctx, tx, next, entry);
    await meetClocks(ctx, tx, next, ['stakeholderNotification'], now);
    const severity = ctx.config().severity(next.severity);
    if (severity) await restartCadence(ctx, tx, next, severity, now);
    return next;
  });
  return { incident, entry: entry! };
}

export async function addNote(ctx: Context, id: string, input: NoteInput): Promise<TimelineEntry> {
  return ctx.store.transaction(async (tx) => {
    if (!(await tx.incidents.get(id))) throw notFound('Incident', id);
    return appendTimeline(ctx, tx, id, 'note', input.text);
  });
}

export interface Reminder {
  id: string;
  incidentId: string;
  dueAt: number;
  message: string;
}

/** A durable reminder on the incident's timeline, e.g. "check the DLQ again in 10 minutes". */
export async function scheduleReminder(ctx: Context, incidentId: string, input: ReminderInput): Promise<Reminder> {
  const now = ctx.clock.now();
  if ((input.at === undefined) === (input.in === undefined)) {
    throw invalid('Give exactly one of "at" (a time) or "in" (a duration such as 15m)', { fields: ['at', 'in'] });
  }
  const dueAt = input.at !== undefined ? Date.parse(input.at) : now + parseDuration(input.in!);
  if (!Number.isFinite(dueAt)) throw invalid(`"${input.at}" is not a time`, { field: 'at' });
  if (dueAt > now + MAX_REMINDER_MS || dueAt < now - MAX_REMINDER_MS) {
    throw invalid('A reminder must fall within a year from now', { field: input.at !== undefined ? 'at' : 'in' });
  }
  const reminder: Reminder = { id: ctx.newId(), incidentId, dueAt, message: input.message };
  await ctx.store.transaction(async (tx) => {
    if (!(await tx.incidents.get(incidentId))) throw notFound('Incident', incidentId);
    await tx.timers.schedule([
      {
        id: reminder.id,
        kind: REMINDER_TIMER,
        dueAt,
        payload: { incidentId, message: input.message, requestedBy: actorLabel(ctx.actor) },
        createdAt: now,
      },
    ]);
  });
  return reminder;
}

/** The reminder timer: one timeline entry, in the timer's own transaction. */
export async function fireReminder(ctx: Context, tx: Tx, payload: Record<string, unknown>, lateMs: number): Promise<void> {
  const incidentId = String(payload.incidentId);
  if (!(await tx.incidents.get(incidentId))) return;
  const late = lateMs > LATE_NOTE_THRESHOLD_MS ? ` (fired ${formatDuration(lateMs)} late: Firebreak was not running)` : '';
  await appendTimeline(ctx, tx, incidentId, 'reminder', `Reminder: ${String(payload.message)}${late}`, {
    requestedBy: payload.requestedBy ?? null,
    lateMs,
  });
}
