import type { Context } from '../core/context.ts';
import { parseDuration } from '../core/duration.ts';
import { DomainError, invalid } from '../core/errors.ts';
import type { Masker } from '../runbooks/mask.ts';
import {
  MAX_OUTPUT_CHUNK_CHARS,
  MAX_OUTPUT_CHUNKS_PER_REPORT,
  type AbandonReport,
  type Assignment,
  type ClaimRequest,
  type ControlReply,
  type FinishReport,
  type OutputReport,
  type RunnableKind,
} from '../runbooks/protocol.ts';
import type { RunRecord, RunStepRecord, Tx } from '../store/index.ts';
import { announceStep, changeStep, loadRun, stepLabel } from './changes.ts';
import { matchesSelector } from './selector.ts';
import { maskerFor, outputTail, secretValuesOf } from './view.ts';

/**
 * The server's half of the runner protocol (see runbooks/protocol.ts): claiming a
 * queued step, taking its output, and settling it. Every call is idempotent, and a
 * step whose runner goes silent past its lease becomes `unknown`: nothing re-runs
 * by itself, a person chooses retry or skip.
 */

const CANDIDATES = 50;

const gone = (message: string) => new DomainError('assignment_gone', message);

export const leaseMsOf = (ctx: Context): number => parseDuration(ctx.config().runbookSettings.runnerLease);

/** One attempt to claim work for the runner; null when nothing queued matches its labels. */
export async function claimStep(ctx: Context, request: ClaimRequest): Promise<Assignment | null> {
  return ctx.store.transaction(async (tx) => {
    // One read finds both a step this claim already took (a retry after a lost answer:
    // the same assignment comes back, not a second step) and the queued candidates.
    const found = await tx.runs.claimable(request.claim, CANDIDATES);
    const earlier = found.find((step) => step.claimId === request.claim);
    if (earlier) {
      if (earlier.runnerId !== request.runner.id || earlier.state !== 'running') return null;
      const run = await loadRun(tx, earlier.runId);
      const extended = await extendLease(ctx, tx, earlier);
      return assignmentOf(ctx, run, extended);
    }
    for (const candidate of found) {
      if (candidate.state !== 'queued' || !matchesSelector(candidate.definition.runner, request.runner.labels)) continue;
      const now = ctx.clock.now();
      const changes = {
        state: 'running' as const,
        assignmentId: ctx.newId(),
        claimId: request.claim,
        runnerId: request.runner.id,
        runnerName: request.runner.name,
        runnerToken: ctx.actor.id,
        leaseUntil: now + leaseMsOf(ctx),
        startedAt: now,
        updatedAt: now,
      };
      const moved = await tx.runs.updateStep(candidate.runId, candidate.stepId, { states: ['queued'], attempt: candidate.attempt }, changes);
      // Another runner took it between the read and the write; try the next one.
      if (!moved) continue;
      const run = await loadRun(tx, candidate.runId);
      const step: RunStepRecord = { ...candidate, ...changes };
      await announceStep(ctx, tx, run, step, {
        kind: 'run.step.started',
        text: `Step ${stepLabel(step)} started on runner ${request.runner.name}`,
        data: { command: step.definition.command, runner: { id: request.runner.id, name: request.runner.name, labels: request.runner.labels } },
      });
      return assignmentOf(ctx, run, step);
    }
    return null;
  });
}

function assignmentOf(ctx: Context, run: RunRecord, step: RunStepRecord): Assignment {
  const settings = ctx.config().runbookSettings;
  const lease = leaseMsOf(ctx);
  const secrets = secretValuesOf(ctx.config());
  return {
    id: step.assignmentId!,
    runId: run.id,
    stepId: step.stepId,
    attempt: step.attempt,
    title: step.definition.title,
    kind: step.definition.kind as RunnableKind,
    command: step.definition.command,
    env: step.env,
    timeoutMs: step.definition.timeoutMs,
    secretEnv: [...settings.secrets],
    secretValues: secrets.filter((value) => Object.values(step.env).some((v) => v.includes(value))),
    leaseMs: lease,
    heartbeatMs: Math.max(1000, Math.floor(lease / 3)),
  };
}

/** The step this runner holds under `assignmentId`, or 409 assignment_gone. */
async function heldStep(ctx: Context, tx: Tx, assignmentId: string): Promise<RunStepRecord> {
  const step = await tx.runs.stepByAssignment(assignmentId);
  if (!step || step.runnerToken !== ctx.actor.id) throw gone(`Assignment ${assignmentId} is not held by this runner`);
  if (step.state !== 'running') throw gone(`Step ${step.stepId} is ${step.state}; its assignment has ended`);
  return step;
}

async function extendLease(ctx: Context, tx: Tx, step: RunStepRecord): Promise<RunStepRecord> {
  const leaseUntil = ctx.clock.now() + leaseMsOf(ctx);
  await tx.runs.updateStep(step.runId, step.stepId, { states: ['running'], attempt: step.attempt }, { leaseUntil, updatedAt: ctx.clock.now() });
  return { ...step, leaseUntil };
}

const reply = (step: RunStepRecord): ControlReply => ({ cancel: step.cancelRequested, leaseUntil: step.leaseUntil ?? 0 });

export async function heartbeat(ctx: Context, assignmentId: string): Promise<ControlReply> {
  return ctx.store.transaction(async (tx) => reply(await extendLease(ctx, tx, await heldStep(ctx, tx, assignmentId))));
}

/**
 * Stores new chunks (masked) up to `runbooks.maxOutput` bytes per attempt and
 * publishes them live. A chunk resent after a lost answer (seq already stored) is ignored.
 */
export async function reportOutput(ctx: Context, assignmentId: string, report: OutputReport, masker: Masker = maskerFor(ctx.config())): Promise<ControlReply> {
  checkChunks(report);
  return ctx.store.transaction(async (tx) => {
    const step = await heldStep(ctx, tx, assignmentId);
    const fresh = report.chunks.filter((chunk) => chunk.seq > step.lastSeq).sort((a, b) => a.seq - b.seq);
    if (fresh.length > 0 && fresh[0]!.seq !== step.lastSeq + 1) {
      throw invalid(`Output chunk ${fresh[0]!.seq} arrived before ${step.lastSeq + 1}; send chunks in order`, { expected: step.lastSeq + 1 });
    }
    const limit = ctx.config().runbookSettings.maxOutput;
    const now = ctx.clock.now();
    let bytes = step.outputBytes;
    let dropped = step.outputDropped;
    const kept = [];
    for (const chunk of fresh) {
      const text = masker.mask(chunk.text);
      const size = Buffer.byteLength(text, 'utf8');
      if (bytes + size > limit) {
        dropped += size;
        continue;
      }
      bytes += size;
      kept.push({ runId: step.runId, stepId: step.stepId, attempt: step.attempt, seq: chunk.seq, stream: chunk.stream, text, at: now });
    }
    await tx.runs.insertOutput(kept);
    const lastSeq = fresh.length > 0 ? fresh[fresh.length - 1]!.seq : step.lastSeq;
    const leaseUntil = now + leaseMsOf(ctx);
    await tx.runs.updateStep(step.runId, step.stepId, { states: ['running'], attempt: step.attempt }, { lastSeq, outputBytes: bytes, outputDropped: dropped, leaseUntil, updatedAt: now });
    if (kept.length > 0) {
      const run = await loadRun(tx, step.runId);
      await ctx.events.record(tx, {
        at: now,
        type: 'run.output',
        incidentId: run.incidentId,
        data: { runId: step.runId, stepId: step.stepId, attempt: step.attempt, chunks: kept.map(({ seq, stream, text }) => ({ seq, stream, text })) },
      });
    }
    return { cancel: step.cancelRequested, leaseUntil };
  });
}

function checkChunks(report: OutputReport): void {
  if (report.chunks.length > MAX_OUTPUT_CHUNKS_PER_REPORT) throw invalid(`At most ${MAX_OUTPUT_CHUNKS_PER_REPORT} chunks per report`, { field: 'chunks' });
  for (const chunk of report.chunks) {
    if (chunk.text.length > MAX_OUTPUT_CHUNK_CHARS) throw invalid(`A chunk holds at most ${MAX_OUTPUT_CHUNK_CHARS} characters`, { field: 'chunks', seq: chunk.seq });
  }
}

/** The runner's verdict. Sent again after a lost answer, it changes nothing the second time. */
export async function finishStep(ctx: Context, assignmentId: string, report: FinishReport): Promise<ControlReply> {
  return ctx.store.transaction(async (tx) => {
    const step = await tx.runs.stepByAssignment(assignmentId);
    if (!step || step.runnerToken !== ctx.actor.id) throw gone(`Assignment ${assignmentId} is not held by this runner`);
    if (step.state !== 'running') {
      // Already settled by this same report (a retry), or by the lease sweep: either way, done.
      return { cancel: false, leaseUntil: 0 };
    }
    const run = await loadRun(tx, step.runId);
    const state = report.cancelled ? 'cancelled' : report.exitCode === 0 && !report.timedOut && report.error === null ? 'succeeded' : 'failed';
    const masker = maskerFor(ctx.config());
    // The tail of the output goes on the incident's timeline; a run without an incident needs none.
    const output = run.incidentId === null ? [] : (await tx.runs.output(step.runId, step.stepId)).filter((chunk) => chunk.attempt === step.attempt);
    const tail = outputTail(output.map((chunk) => chunk.text).join(''));
    const how = report.cancelled
      ? 'was stopped'
      : report.timedOut
        ? `timed out after ${Math.round(step.definition.timeoutMs / 1000)}s`
        : report.error !== null
          ? `could not run: ${masker.mask(report.error)}`
          : report.exitCode === 0
            ? 'succeeded'
            : report.signal !== null
              ? `was killed by ${report.signal}`
              : `failed with exit code ${report.exitCode}`;
    await changeStep(
      ctx,
      tx,
      run,
      step,
      ['running'],
      {
        state,
        finishedAt: ctx.clock.now(),
        exitCode: report.exitCode,
        signal: report.signal,
        timedOut: report.timedOut,
        error: report.error === null ? null : masker.mask(report.error),
        leaseUntil: null,
      },
      {
        kind: `run.step.${state}`,
        text: `Step ${stepLabel(step)} ${how} on runner ${step.runnerName} (${(report.durationMs / 1000).toFixed(1)}s)`,
        data: {
          exitCode: report.exitCode,
          signal: report.signal,
          timedOut: report.timedOut,
          durationMs: report.durationMs,
          command: step.definition.command,
          output: tail,
          outputTruncated: step.outputDropped > 0,
        },
      },
    );
    return { cancel: false, leaseUntil: 0 };
  });
}

/** The runner came back without knowing how the step ended (it restarted mid-step). */
export async function abandonStep(ctx: Context, assignmentId: string, report: AbandonReport): Promise<ControlReply> {
  return ctx.store.transaction(async (tx) => {
    const step = await tx.runs.stepByAssignment(assignmentId);
    if (!step || step.runnerToken !== ctx.actor.id) throw gone(`Assignment ${assignmentId} is not held by this runner`);
    if (step.state !== 'running') return { cancel: false, leaseUntil: 0 };
    await markUnknown(ctx, tx, step, `runner ${step.runnerName}: ${report.reason.slice(0, 500)}`);
    return { cancel: false, leaseUntil: 0 };
  });
}

async function markUnknown(ctx: Context, tx: Tx, step: RunStepRecord, why: string): Promise<void> {
  const run = await loadRun(tx, step.runId);
  await changeStep(ctx, tx, run, step, ['running'], { state: 'unknown', finishedAt: ctx.clock.now(), leaseUntil: null }, {
    kind: 'run.step.unknown',
    text: `Step ${stepLabel(step)} ended in an unknown state (${why}); it will not run again by itself: retry or skip it`,
    data: { reason: why, command: step.definition.command },
  });
}

/**
 * Steps whose runner went silent past the lease (it died, or lost the network for
 * good) become `unknown`. Safe to run on every instance: each change is a compare-and-set.
 */
export async function sweepLapsedSteps(ctx: Context, limit = 100): Promise<number> {
  const lapsed = await ctx.store.repos.runs.lapsed(ctx.clock.now(), limit);
  let count = 0;
  for (const step of lapsed) {
    try {
      await ctx.store.transaction(async (tx) => {
        const current = await tx.runs.step(step.runId, step.stepId);
        if (!current || current.state !== 'running' || current.attempt !== step.attempt || (current.leaseUntil ?? 0) >= ctx.clock.now()) return;
        await markUnknown(ctx, tx, current, `runner ${current.runnerName} has not been heard from since ${new Date(current.leaseUntil! - leaseMsOf(ctx)).toISOString()}`);
        count += 1;
      });
    } catch (error) {
      if (!(error instanceof DomainError && error.code === 'conflict')) throw error;
    }
  }
  return count;
}
