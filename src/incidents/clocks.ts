import type { SeverityLevel, SlaClockKind } from '../config/schema.ts';
import type { Context } from '../core/context.ts';
import { formatDuration } from '../core/duration.ts';
import type { IncidentRecord, SlaClockRecord, Tx } from '../store/index.ts';
import { stage } from './lifecycle.ts';
import { appendTimeline } from './timeline.ts';

export const SLA_DUE_TIMER = 'sla.due';
/** Before the next stakeholder update is due, the person who writes it hears so. */
export const UPDATE_DUE_TIMER = 'update.due-soon';
const UPDATE_REMINDER_LEAD_MS = 5 * 60_000;

export const CLOCK_LABELS: Record<SlaClockKind, string> = {
  initialResponse: 'initial response',
  stakeholderNotification: 'stakeholder notification',
  mitigationStarted: 'mitigation started',
  investigationStarted: 'investigation started',
  updateCadence: 'stakeholder update',
};

const label = (kind: string) => CLOCK_LABELS[kind as SlaClockKind] ?? kind;

/** When the incident itself already shows the clock's goal reached, and when. */
function alreadyMet(kind: SlaClockKind, incident: IncidentRecord): number | null {
  switch (kind) {
    case 'initialResponse':
      return incident.acknowledgedAt;
    case 'stakeholderNotification':
      return incident.lastUpdateAt;
    case 'investigationStarted':
      return incident.identifiedAt;
    case 'mitigationStarted':
      return incident.mitigatedAt;
    case 'updateCadence':
      return null;
  }
}

/**
 * The update cadence runs from the last stakeholder update. Where the severity
 * also sets a first-notification deadline, the cadence starts with that first
 * update instead of competing with it.
 */
function cadenceStart(severity: SeverityLevel, incident: IncidentRecord): number | null {
  if (incident.lastUpdateAt !== null) return incident.lastUpdateAt;
  return severity.sla?.stakeholderNotification ? null : incident.declaredAt;
}

async function startClock(
  ctx: Context,
  tx: Tx,
  incident: IncidentRecord,
  kind: SlaClockKind,
  seq: number,
  startedAt: number,
  target: string,
): Promise<SlaClockRecord> {
  const now = ctx.clock.now();
  const metAt = alreadyMet(kind, incident);
  const clock: SlaClockRecord = {
    id: ctx.newId(),
    incidentId: incident.id,
    kind,
    seq,
    startedAt,
    dueAt: ctx.config().calendar.slaDueAt(startedAt, target),
    state: metAt !== null ? 'met' : 'pending',
    metAt,
    breachedAt: null,
    timerId: null,
  };
  if (clock.state === 'pending') {
    clock.timerId = ctx.newId();
    await tx.timers.schedule([
      { id: clock.timerId, kind: SLA_DUE_TIMER, dueAt: clock.dueAt, payload: { clockId: clock.id }, createdAt: now },
      ...updateReminder(ctx, clock, now),
    ]);
  }
  await tx.clocks.insert(clock);
  return clock;
}

/**
 * The reminder of an update-cadence clock: 5 minutes before it is due, or a third of
 * the interval for cadences shorter than 15 minutes. It finds out when it fires whether
 * an update came in meanwhile (the clock is then met), so it is never cancelled.
 */
function updateReminder(ctx: Context, clock: SlaClockRecord, now: number) {
  if (clock.kind !== 'updateCadence') return [];
  const lead = Math.min(UPDATE_REMINDER_LEAD_MS, Math.floor((clock.dueAt - clock.startedAt) / 3));
  const at = clock.dueAt - lead;
  if (lead <= 0 || at <= now) return [];
  return [{ id: ctx.newId(), kind: UPDATE_DUE_TIMER, dueAt: at, payload: { clockId: clock.id }, createdAt: now }];
}

/** The update-due timer: the clock still waits for an update, so say so on the timeline and to whoever writes it. */
export async function remindUpdateDue(ctx: Context, tx: Tx, clockId: string): Promise<void> {
  const clock = await tx.clocks.get(clockId);
  if (!clock || clock.state !== 'pending') return;
  const incident = await tx.incidents.get(clock.incidentId);
  if (!incident || stage(incident.status) >= stage('resolved')) return;
  const left = formatDuration(Math.max(0, clock.dueAt - ctx.clock.now()));
  const text = `${incident.severity} update due in ${left} (at ${new Date(clock.dueAt).toISOString()}): post a stakeholder update`;
  await appendTimeline(ctx, tx, incident.id, 'update.due-soon', text, { clockId, dueAt: clock.dueAt });
  await ctx.hooks.updateDueSoon?.(ctx, tx, incident, { clockId, dueAt: clock.dueAt, text });
}

/** The clocks a newly declared incident starts with. */
export async function startClocks(ctx: Context, tx: Tx, incident: IncidentRecord, severity: SeverityLevel): Promise<void> {
  for (const [kind, target] of Object.entries(severity.sla ?? {}) as Array<[SlaClockKind, string]>) {
    const startedAt = kind === 'updateCadence' ? cadenceStart(severity, incident) : incident.declaredAt;
    if (startedAt !== null) await startClock(ctx, tx, incident, kind, 0, startedAt, target);
  }
}

/** Marks the pending clocks of these kinds met at `at`, and stops their timers. */
export async function meetClocks(ctx: Context, tx: Tx, incident: IncidentRecord, kinds: SlaClockKind[], at: number): Promise<void> {
  const clocks = await tx.clocks.forIncident(incident.id);
  for (const clock of clocks) {
    if (clock.state !== 'pending' || !kinds.includes(clock.kind as SlaClockKind)) continue;
    await settle(tx, clock, 'met', at);
    const took = formatDuration(at - clock.startedAt);
    const margin = clock.dueAt - at;
    const text =
      margin >= 0
        ? `SLA met: ${label(clock.kind)} after ${took}, ${formatDuration(margin)} before the deadline`
        : `SLA met late: ${label(clock.kind)} after ${took}, ${formatDuration(-margin)} past the deadline`;
    await appendTimeline(ctx, tx, incident.id, 'sla.met', text, { clockId: clock.id, kind: clock.kind, dueAt: clock.dueAt });
  }
}

/** Stops clocks that no longer apply (e.g. update cadence once resolved) without judging them. */
export async function cancelClocks(tx: Tx, incidentId: string, kinds: SlaClockKind[]): Promise<void> {
  for (const clock of await tx.clocks.forIncident(incidentId)) {
    if (clock.state === 'pending' && kinds.includes(clock.kind as SlaClockKind)) await settle(tx, clock, 'cancelled', null);
  }
}

async function settle(tx: Tx, clock: SlaClockRecord, state: 'met' | 'cancelled', at: number | null): Promise<void> {
  if (clock.timerId) await tx.timers.cancel(clock.timerId);
  await tx.clocks.save({ ...clock, state, metAt: at });
}

/** A stakeholder update: meets the cadence clock that was running and starts the next one. */
export async function restartCadence(ctx: Context, tx: Tx, incident: IncidentRecord, severity: SeverityLevel, at: number): Promise<void> {
  const clocks = (await tx.clocks.forIncident(incident.id)).filter((c) => c.kind === 'updateCadence');
  await meetClocks(ctx, tx, incident, ['updateCadence'], at);
  const cadence = severity.sla?.updateCadence;
  if (!cadence || stage(incident.status) >= stage('resolved')) return;
  const seq = clocks.reduce((max, c) => Math.max(max, c.seq + 1), 0);
  await startClock(ctx, tx, incident, 'updateCadence', seq, at, cadence);
}

/**
 * A new severity brings new targets: pending clocks get new deadlines from
 * their original start, clocks the new severity lacks stop, and clocks it adds
 * start (already met where the incident shows it). Settled clocks keep their history.
 */
export async function recomputeClocks(
  ctx: Context,
  tx: Tx,
  incident: IncidentRecord,
  severity: SeverityLevel,
): Promise<string[]> {
  const changes: string[] = [];
  const clocks = await tx.clocks.forIncident(incident.id);
  const targets = severity.sla ?? {};
  const calendar = ctx.config().calendar;
  for (const clock of clocks) {
    if (clock.state !== 'pending') continue;
    const target = targets[clock.kind as SlaClockKind];
    const waitsForFirstUpdate = clock.kind === 'updateCadence' && cadenceStart(severity, incident) === null;
    if (!target || waitsForFirstUpdate) {
      await settle(tx, clock, 'cancelled', null);
      changes.push(`${label(clock.kind)} no longer applies`);
      continue;
    }
    const dueAt = calendar.slaDueAt(clock.startedAt, target);
    if (dueAt === clock.dueAt) continue;
    if (clock.timerId) await tx.timers.reschedule(clock.timerId, dueAt);
    await tx.clocks.save({ ...clock, dueAt });
    changes.push(`${label(clock.kind)} now due ${new Date(dueAt).toISOString()} (was ${new Date(clock.dueAt).toISOString()})`);
  }
  const open = stage(incident.status) < stage('resolved');
  for (const [kind, target] of Object.entries(targets) as Array<[SlaClockKind, string]>) {
    if (!open || clocks.some((c) => c.kind === kind)) continue;
    const startedAt = kind === 'updateCadence' ? cadenceStart(severity, incident) : incident.declaredAt;
    if (startedAt === null) continue;
    const clock = await startClock(ctx, tx, incident, kind, 0, startedAt, target);
    changes.push(
      clock.state === 'met'
        ? `${label(kind)} applies and was already met`
        : `${label(kind)} now due ${new Date(clock.dueAt).toISOString()}`,
    );
  }
  return changes;
}

/** The `sla.due` timer: a clock still pending at its deadline is breached. */
export async function breachIfDue(ctx: Context, tx: Tx, clockId: string, timerId: string, lateMs: number): Promise<void> {
  const clock = await tx.clocks.get(clockId);
  if (!clock || clock.state !== 'pending' || clock.timerId !== timerId) return;
  const now = ctx.clock.now();
  await tx.clocks.save({ ...clock, state: 'breached', breachedAt: now });
  const lateNote = lateMs > LATE_NOTE_THRESHOLD_MS ? ` (noticed ${formatDuration(lateMs)} late: Firebreak was not running)` : '';
  const text = `SLA breached: ${label(clock.kind)} was due at ${new Date(clock.dueAt).toISOString()}${lateNote}`;
  const data = { clockId: clock.id, kind: clock.kind, dueAt: clock.dueAt, lateMs };
  await appendTimeline(ctx, tx, clock.incidentId, 'sla.breached', text, data);
  await ctx.events.record(tx, { at: now, type: 'sla.breached', incidentId: clock.incidentId, data });
  await ctx.hooks.slaBreached?.(ctx, tx, clock.incidentId, { kind: clock.kind, dueAt: clock.dueAt });
}

export const LATE_NOTE_THRESHOLD_MS = 5_000;
