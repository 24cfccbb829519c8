import { conflict, notFound } from '../core/errors.ts';
import type { Context } from '../core/context.ts';
import { appendTimeline } from '../incidents/timeline.ts';
import type { RunRecord, RunStepRecord, StepChanges, StepState, Tx } from '../store/index.ts';

/**
 * The one way a step changes: compare-and-set on its state and attempt, then an
 * event for live views and, when the run belongs to an incident, a timeline entry,
 * all in the caller's transaction.
 */

export const FINAL_STATES: readonly StepState[] = ['succeeded', 'failed', 'skipped', 'cancelled'];
/** States in which nothing happens until a person acts. */
export const SETTLED_STATES: readonly StepState[] = [...FINAL_STATES, 'unknown'];

export async function loadRun(tx: Tx, runId: string): Promise<RunRecord> {
  const run = await tx.runs.run(runId);
  if (!run) throw notFound('Run', runId);
  return run;
}

export async function loadStep(tx: Tx, runId: string, stepId: string): Promise<RunStepRecord> {
  const step = await tx.runs.step(runId, stepId);
  if (!step) throw notFound('Step', `${runId}/${stepId}`);
  return step;
}

export interface Note {
  /** Timeline kind, e.g. `run.step.approved`; also the event's `change`. */
  kind: string;
  text: string;
  data?: Record<string, unknown>;
}

/**
 * Moves `step` from the states in `from` (at its current attempt) with `changes`.
 * Throws 409 when someone else moved it first, so two approvals or a cancel racing a
 * finish cannot both apply.
 */
export async function changeStep(
  ctx: Context,
  tx: Tx,
  run: RunRecord,
  step: RunStepRecord,
  from: readonly StepState[],
  changes: StepChanges,
  note: Note | null,
): Promise<RunStepRecord> {
  const at = ctx.clock.now();
  const moved = await tx.runs.updateStep(run.id, step.stepId, { states: from, attempt: step.attempt }, { ...changes, updatedAt: at });
  if (!moved) {
    const now = await tx.runs.step(run.id, step.stepId);
    throw conflict(`Step ${step.stepId} is ${now?.state ?? 'gone'} (attempt ${now?.attempt ?? '?'}), not ${from.join(' or ')}`, {
      state: now?.state ?? null,
      attempt: now?.attempt ?? null,
    });
  }
  const updated: RunStepRecord = { ...step, ...changes, updatedAt: at };
  await announceStep(ctx, tx, run, updated, note);
  if (FINAL_STATES.includes(updated.state) !== FINAL_STATES.includes(step.state)) await settleRun(ctx, tx, run);
  return updated;
}

/**
 * Tells live views that a step changed (a `run.step` event) and, with a note and an
 * incident, writes the timeline entry. For changes whose row the caller already wrote.
 */
export async function announceStep(ctx: Context, tx: Tx, run: RunRecord, step: RunStepRecord, note: Note | null): Promise<void> {
  await ctx.events.record(tx, {
    at: ctx.clock.now(),
    type: 'run.step',
    incidentId: run.incidentId,
    data: {
      runId: run.id,
      stepId: step.stepId,
      state: step.state,
      attempt: step.attempt,
      change: note?.kind ?? 'run.step.changed',
      exitCode: step.exitCode,
      runner: step.runnerName,
    },
  });
  if (note && run.incidentId !== null) {
    await appendTimeline(ctx, tx, run.incidentId, note.kind, note.text, { runId: run.id, stepId: step.stepId, attempt: step.attempt, ...note.data });
  }
}

/** A run is completed once every step has ended; a retry opens it again. */
export async function settleRun(ctx: Context, tx: Tx, run: RunRecord): Promise<void> {
  if (run.state === 'cancelled') return;
  const counts = await tx.runs.stateCounts(run.id);
  const state = Object.keys(counts).every((name) => FINAL_STATES.includes(name as StepState)) ? 'completed' : 'open';
  if (state === run.state) return;
  const at = ctx.clock.now();
  await tx.runs.setRunState(run.id, state, at);
  run.state = state;
  await ctx.events.record(tx, { at, type: 'run.state', incidentId: run.incidentId, data: { runId: run.id, state } });
  if (state === 'completed' && run.incidentId !== null) {
    const summary = Object.entries(counts).map(([name, count]) => `${count} ${name}`).join(', ');
    await appendTimeline(ctx, tx, run.incidentId, 'run.completed', `Runbook run of ${run.runbookTitle} completed: ${summary}`, {
      runId: run.id,
      runbook: run.runbookId,
      counts,
    });
  }
}

export const stepLabel = (step: RunStepRecord): string => `"${step.definition.title}" (${step.stepId})`;
