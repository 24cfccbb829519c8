import { actorLabel } from '../core/actor.ts';
import type { Context } from '../core/context.ts';
import { conflict, DomainError, forbidden, invalid, notFound } from '../core/errors.ts';
import { appendTimeline } from '../incidents/timeline.ts';
import type { RunRecord, RunStepRecord, StepChanges, StepState, Tx } from '../store/index.ts';
import { changeStep, FINAL_STATES, loadRun, loadStep, stepLabel, type Note } from './changes.ts';
import {
  approvalRuleFor,
  checkParams,
  definitionOf,
  findRunbook,
  isPersonStep,
  scenarioIdOf,
  stepEnvironment,
  stepsOfRun,
  type RunContext,
} from './plan.ts';
import { maskerFor, maskValues, runView, type RunView } from './view.ts';

export interface CreateRunInput {
  runbook: string;
  scenario?: string;
  incident?: string;
  params?: Record<string, string>;
  dryRun?: boolean;
}

export interface DryRunStep {
  id: string;
  title: string;
  kind: string;
  command: string;
  env: Record<string, string>;
  runner: string | null;
  timeoutMs: number;
  byPerson: boolean;
  approval: { required: boolean; reason: string; needed: number; approverRoles: string[] };
  missingParameters: string[];
  decisions: Array<{ id: string; question: string; gatesStep: boolean }>;
}

export interface DryRunView {
  dryRun: true;
  runbook: { id: string; title: string; source: string };
  scenario: string | null;
  incidentId: string | null;
  severity: string | null;
  approvalRule: RunRecord['approvalRule'];
  steps: DryRunStep[];
}

const MAX_COMMENT = 2000;

async function incidentContext(ctx: Context, tx: Tx, incidentId: string | null) {
  if (incidentId === null) return { incident: null, alerts: [] };
  const incident = await tx.incidents.get(incidentId);
  if (!incident) throw notFound('Incident', incidentId);
  const alerts = await tx.alerts.list({ incidentId, limit: 20 });
  return { incident, alerts };
}

/**
 * Starts a run of a runbook (or one scenario of it), optionally for an incident. With
 * `dryRun` nothing is stored: the answer shows each step's exact command, environment,
 * runner and approval, and runs nothing.
 */
export async function createRun(ctx: Context, input: CreateRunInput): Promise<RunView | DryRunView> {
  const config = ctx.config();
  const runbook = findRunbook(config, input.runbook);
  const scenario = scenarioIdOf(runbook, input.scenario ?? null);
  const steps = stepsOfRun(runbook, input.scenario ?? null);
  const params = checkParams(input.params ?? {}, runbook);
  const masker = maskerFor(config);
  return ctx.store.transaction(async (tx) => {
    const { incident, alerts } = await incidentContext(ctx, tx, input.incident ?? null);
    const rule = approvalRuleFor(config, incident?.severity ?? null);
    const runId = ctx.newId();
    const context: RunContext = { runId, runbookId: runbook.id, incident, alerts, params };
    const definitions = steps.map((step) => ({ stepId: step.id, definition: definitionOf(runbook, step, rule, config) }));
    if (input.dryRun) {
      return {
        dryRun: true as const,
        runbook: { id: runbook.id, title: runbook.title, source: runbook.source },
        scenario,
        incidentId: incident?.id ?? null,
        severity: incident?.severity ?? null,
        approvalRule: rule,
        steps: definitions.map(({ stepId, definition }) => {
          const { env, missing } = stepEnvironment({ stepId, definition }, context, config.runbookSettings.secrets);
          return {
            id: stepId,
            title: definition.title,
            kind: definition.kind,
            command: definition.command,
            env: maskValues(env, masker),
            runner: definition.runner,
            timeoutMs: definition.timeoutMs,
            byPerson: isPersonStep(definition),
            approval: { ...definition.approval, needed: definition.approval.required ? rule.approvals : 0, approverRoles: rule.approverRoles },
            missingParameters: missing,
            decisions: definition.decisions,
          };
        }),
      };
    }
    const now = ctx.clock.now();
    const run: RunRecord = {
      id: runId,
      runbookId: runbook.id,
      runbookTitle: runbook.title,
      source: runbook.source,
      scenario,
      incidentId: incident?.id ?? null,
      severity: incident?.severity ?? null,
      params,
      approvalRule: rule,
      state: definitions.length === 0 ? 'completed' : 'open',
      createdBy: actorLabel(ctx.actor),
      createdById: ctx.actor.id,
      createdAt: now,
      updatedAt: now,
    };
    const records: RunStepRecord[] = definitions.map(({ stepId, definition }, position) => ({
      ...blankStep(now),
      runId,
      stepId,
      position,
      definition,
    }));
    await tx.runs.insertRun(run, records);
    await ctx.events.record(tx, { at: now, type: 'run.created', incidentId: run.incidentId, data: { runId, runbook: runbook.id, scenario } });
    if (incident) {
      const which = scenario ? ` (scenario ${runbook.scenarios.find((s) => s.id === scenario)?.title ?? scenario})` : '';
      await appendTimeline(ctx, tx, incident.id, 'run.started', `Runbook run started: ${runbook.title}${which}, ${records.length} steps`, {
        runId,
        runbook: runbook.id,
        scenario,
        approvalRule: rule,
      });
    }
    return runView(run, records, [], [], masker);
  });
}

function blankStep(now: number): Omit<RunStepRecord, 'runId' | 'stepId' | 'position' | 'definition'> {
  return {
    env: {},
    state: 'pending',
    attempt: 1,
    decisions: {},
    requestedBy: null,
    requestedById: null,
    requestedAt: null,
    queuedAt: null,
    assignmentId: null,
    claimId: null,
    runnerId: null,
    runnerName: null,
    runnerToken: null,
    leaseUntil: null,
    cancelRequested: false,
    startedAt: null,
    finishedAt: null,
    exitCode: null,
    signal: null,
    timedOut: false,
    error: null,
    outputBytes: 0,
    outputDropped: 0,
    lastSeq: 0,
    updatedAt: now,
  };
}

export async function getRun(ctx: Context, runId: string): Promise<RunView> {
  const { repos } = ctx.store;
  const run = await repos.runs.run(runId);
  if (!run) throw notFound('Run', runId);
  const [steps, approvals, output] = await Promise.all([repos.runs.steps(runId), repos.runs.approvals(runId), repos.runs.output(runId)]);
  return runView(run, steps, approvals, output, maskerFor(ctx.config()));
}

export async function listRuns(ctx: Context, query: { incident?: string; before?: string; limit?: number }): Promise<{ items: RunView[]; nextCursor: string | null }> {
  const limit = query.limit ?? 50;
  const runs = await ctx.store.repos.runs.list({ incidentId: query.incident, before: query.before, limit: limit + 1 });
  const page = runs.slice(0, limit);
  const masker = maskerFor(ctx.config());
  const items = await Promise.all(
    page.map(async (run) => runView(run, await ctx.store.repos.runs.steps(run.id), await ctx.store.repos.runs.approvals(run.id), [], masker)),
  );
  return { items, nextCursor: runs.length > limit ? page[page.length - 1]!.id : null };
}

export type StepAction =
  | { action: 'start'; params?: Record<string, string>; comment?: string }
  | { action: 'approve'; comment?: string }
  | { action: 'reject'; comment?: string }
  | { action: 'skip'; comment?: string }
  | { action: 'retry'; params?: Record<string, string>; comment?: string }
  | { action: 'cancel'; comment?: string }
  | { action: 'answer'; decision: string; answer: 'yes' | 'no' }
  | { action: 'complete'; outcome: 'succeeded' | 'failed'; comment?: string };

/** A person acts on one step of a run; the answer is the whole run as it now stands. */
export async function actOnStep(ctx: Context, runId: string, stepId: string, action: StepAction): Promise<RunView> {
  const comment = 'comment' in action ? cleanComment(action.comment) : null;
  await ctx.store.transaction(async (tx) => {
    const run = await loadRun(tx, runId);
    if (run.state === 'cancelled') throw conflict(`Run ${runId} was cancelled`, { state: run.state });
    const step = await loadStep(tx, runId, stepId);
    switch (action.action) {
      case 'start':
        return start(ctx, tx, run, step, ['pending'], action.params, comment);
      case 'retry':
        return retry(ctx, tx, run, step, action.params, comment);
      case 'approve':
        return approve(ctx, tx, run, step, comment);
      case 'reject':
        return reject(ctx, tx, run, step, comment);
      case 'skip':
        return changeStep(ctx, tx, run, step, ['pending', 'awaiting-approval', 'queued', 'failed', 'unknown', 'cancelled'], { state: 'skipped', finishedAt: ctx.clock.now() }, {
          kind: 'run.step.skipped',
          text: `Skipped step ${stepLabel(step)}${comment ? `: ${comment}` : ''}`,
          data: { comment },
        });
      case 'cancel':
        return cancel(ctx, tx, run, step, comment);
      case 'answer':
        return answer(ctx, tx, run, step, action.decision, action.answer);
      case 'complete':
        return complete(ctx, tx, run, step, action.outcome, comment);
    }
  });
  return getRun(ctx, runId);
}

function cleanComment(comment: string | undefined): string | null {
  const trimmed = comment?.trim() ?? '';
  if (trimmed.length > MAX_COMMENT) throw invalid(`A comment is at most ${MAX_COMMENT} characters`, { field: 'comment' });
  return trimmed === '' ? null : trimmed;
}

async function runContext(ctx: Context, tx: Tx, run: RunRecord, extraParams: Record<string, string>): Promise<RunContext> {
  const { incident, alerts } = await incidentContext(ctx, tx, run.incidentId);
  return { runId: run.id, runbookId: run.runbookId, incident, alerts, params: { ...run.params, ...extraParams } };
}

/** Extra parameter values given when starting a step join the run's, checked against the step's runbook. */
function moreParams(ctx: Context, run: RunRecord, params: Record<string, string> | undefined): Record<string, string> {
  if (!params || Object.keys(params).length === 0) return {};
  const runbook = ctx.config().runbooks.get(run.runbookId);
  if (!runbook) throw conflict(`Runbook ${run.runbookId} is no longer configured; parameters cannot be checked`, { runbook: run.runbookId });
  return checkParams(params, runbook);
}

async function start(
  ctx: Context,
  tx: Tx,
  run: RunRecord,
  step: RunStepRecord,
  from: readonly StepState[],
  params: Record<string, string> | undefined,
  comment: string | null,
): Promise<RunStepRecord> {
  if (!from.includes(step.state)) throw conflict(`Step ${step.stepId} is ${step.state}; only a ${from.join(' or ')} step can be started`, { state: step.state });
  const gate = step.definition.decisions.find((d) => d.gatesStep && step.decisions[d.id] === undefined);
  if (gate) {
    throw new DomainError('decision_required', `Answer "${gate.question}" first: the step runs only on yes`, { decision: gate.id, question: gate.question });
  }
  const extra = moreParams(ctx, run, params);
  const { env, missing } = stepEnvironment(step, await runContext(ctx, tx, run, extra), ctx.config().runbookSettings.secrets);
  if (missing.length > 0) {
    throw invalid(`Step ${step.stepId} needs ${missing.join(', ')}: give ${missing.length === 1 ? 'it' : 'them'} as params when starting`, { missingParameters: missing });
  }
  if (Object.keys(extra).length > 0) {
    await tx.runs.setParams(run.id, { ...run.params, ...extra }, ctx.clock.now());
  }
  const now = ctx.clock.now();
  const who = actorLabel(ctx.actor);
  const requested: StepChanges = { env, requestedBy: who, requestedById: ctx.actor.id, requestedAt: now };
  const commandData = { command: step.definition.command, runner: step.definition.runner, params: Object.keys(env).filter((n) => !n.startsWith('FIREBREAK_')) };
  if (step.definition.approval.required) {
    return changeStep(ctx, tx, run, step, from, { ...requested, state: 'awaiting-approval' }, {
      kind: 'run.step.approval-requested',
      text: `Approval requested for step ${stepLabel(step)}: ${step.definition.approval.reason}${comment ? ` — ${comment}` : ''}`,
      data: { ...commandData, reason: step.definition.approval.reason, needed: run.approvalRule.approvals, approverRoles: run.approvalRule.approverRoles, comment },
    });
  }
  return begin(ctx, tx, run, step, from, requested, comment ? `: ${comment}` : '');
}

/** Approved or needing no approval: queue it for a runner, or hand it to the person. */
function begin(ctx: Context, tx: Tx, run: RunRecord, step: RunStepRecord, from: readonly StepState[], changes: StepChanges, suffix: string): Promise<RunStepRecord> {
  const now = ctx.clock.now();
  if (isPersonStep(step.definition)) {
    return changeStep(ctx, tx, run, step, from, { ...changes, state: 'running', startedAt: now, runnerName: changes.requestedBy ?? step.requestedBy }, {
      kind: 'run.step.started',
      text: `Step ${stepLabel(step)} is being done by hand by ${changes.requestedBy ?? step.requestedBy}${suffix}`,
      data: { command: step.definition.command, byPerson: true },
    });
  }
  return changeStep(ctx, tx, run, step, from, { ...changes, state: 'queued', queuedAt: now }, {
    kind: 'run.step.queued',
    text: `Step ${stepLabel(step)} queued for a runner${step.definition.runner ? ` matching ${step.definition.runner}` : ''}${suffix}`,
    data: { command: step.definition.command, runner: step.definition.runner },
  });
}

async function retry(ctx: Context, tx: Tx, run: RunRecord, step: RunStepRecord, params: Record<string, string> | undefined, comment: string | null): Promise<RunStepRecord> {
  const retryable: StepState[] = ['failed', 'unknown', 'cancelled'];
  if (!retryable.includes(step.state)) throw conflict(`Step ${step.stepId} is ${step.state}; only a failed, unknown or cancelled step can be retried`, { state: step.state });
  // A new attempt starts clean: approvals, runner and output belong to the attempt before.
  const fresh = await changeStep(ctx, tx, run, step, retryable, {
    state: 'pending',
    attempt: step.attempt + 1,
    ...RESET,
  }, null);
  return start(ctx, tx, run, fresh, ['pending'], params, comment ? `retry: ${comment}` : 'retry');
}

/** What a new attempt starts without: the request, runner, result and output of the one before. */
const RESET: StepChanges = (({ env: _env, state: _state, attempt: _attempt, decisions: _decisions, updatedAt: _updatedAt, ...rest }) => rest)(blankStep(0));

async function approve(ctx: Context, tx: Tx, run: RunRecord, step: RunStepRecord, comment: string | null): Promise<RunStepRecord> {
  if (step.state !== 'awaiting-approval') throw conflict(`Step ${step.stepId} is ${step.state}, not awaiting approval`, { state: step.state });
  const rule = run.approvalRule;
  const who = actorLabel(ctx.actor);
  if (ctx.actor.id === step.requestedById || who === step.requestedBy) {
    throw forbidden('You asked to run this step; someone else must approve it', { requestedBy: step.requestedBy });
  }
  if (!rule.approverRoles.includes(ctx.actor.role)) {
    throw forbidden(`Approving needs the role ${rule.approverRoles.join(' or ')} (${rule.origin}); you are ${ctx.actor.role}`, {
      approverRoles: rule.approverRoles,
      role: ctx.actor.role,
    });
  }
  const given = (await tx.runs.approvals(run.id)).filter((a) => a.stepId === step.stepId && a.attempt === step.attempt && a.decision === 'approved');
  if (given.some((a) => a.actorId === ctx.actor.id || a.actor === who)) throw conflict('You have already approved this step', { approvedBy: who });
  const now = ctx.clock.now();
  await tx.runs.insertApproval({
    id: ctx.newId(),
    runId: run.id,
    stepId: step.stepId,
    attempt: step.attempt,
    decision: 'approved',
    actor: who,
    actorId: ctx.actor.id,
    actorRole: ctx.actor.role,
    comment,
    at: now,
  });
  const count = given.length + 1;
  const note: Note = {
    kind: 'run.step.approved',
    text: `${who} approved step ${stepLabel(step)} requested by ${step.requestedBy}${count < rule.approvals ? ` (${count} of ${rule.approvals})` : ''}${comment ? `: ${comment}` : ''}`,
    data: { approvedBy: who, requestedBy: step.requestedBy, comment, approvals: count, needed: rule.approvals },
  };
  if (run.incidentId !== null) await appendTimeline(ctx, tx, run.incidentId, note.kind, note.text, { runId: run.id, stepId: step.stepId, ...note.data });
  if (count < rule.approvals) return step;
  return begin(ctx, tx, run, step, ['awaiting-approval'], {}, '');
}

async function reject(ctx: Context, tx: Tx, run: RunRecord, step: RunStepRecord, comment: string | null): Promise<RunStepRecord> {
  if (step.state !== 'awaiting-approval') throw conflict(`Step ${step.stepId} is ${step.state}, not awaiting approval`, { state: step.state });
  const rule = run.approvalRule;
  const who = actorLabel(ctx.actor);
  // The requester may withdraw their own request; anyone else refusing needs an approver's role.
  const ownRequest = ctx.actor.id === step.requestedById || who === step.requestedBy;
  if (!ownRequest && !rule.approverRoles.includes(ctx.actor.role)) {
    throw forbidden(`Refusing needs the role ${rule.approverRoles.join(' or ')}; you are ${ctx.actor.role}`, { approverRoles: rule.approverRoles });
  }
  await tx.runs.insertApproval({
    id: ctx.newId(),
    runId: run.id,
    stepId: step.stepId,
    attempt: step.attempt,
    decision: ownRequest ? 'withdrawn' : 'rejected',
    actor: who,
    actorId: ctx.actor.id,
    actorRole: ctx.actor.role,
    comment,
    at: ctx.clock.now(),
  });
  // Back to pending: the step can be asked for again (a new request, new approvals).
  return changeStep(ctx, tx, run, step, ['awaiting-approval'], { state: 'pending', requestedBy: null, requestedById: null, requestedAt: null }, {
    kind: 'run.step.rejected',
    text: `${who} ${ownRequest ? 'withdrew the request for' : 'refused'} step ${stepLabel(step)}${comment ? `: ${comment}` : ''}`,
    data: { rejectedBy: who, requestedBy: step.requestedBy, comment },
  });
}

async function cancel(ctx: Context, tx: Tx, run: RunRecord, step: RunStepRecord, comment: string | null): Promise<RunStepRecord> {
  const who = actorLabel(ctx.actor);
  const suffix = comment ? `: ${comment}` : '';
  if (step.state === 'running' && !isPersonStep(step.definition)) {
    if (step.cancelRequested) return step;
    // The runner hears it on its next heartbeat or output report and stops the process group.
    return changeStep(ctx, tx, run, step, ['running'], { cancelRequested: true }, {
      kind: 'run.step.cancel-requested',
      text: `${who} asked to stop step ${stepLabel(step)}${suffix}`,
      data: { comment },
    });
  }
  return changeStep(ctx, tx, run, step, ['awaiting-approval', 'queued', 'running', 'pending'], { state: 'cancelled', finishedAt: ctx.clock.now() }, {
    kind: 'run.step.cancelled',
    text: `${who} cancelled step ${stepLabel(step)}${suffix}`,
    data: { comment },
  });
}

async function answer(ctx: Context, tx: Tx, run: RunRecord, step: RunStepRecord, decisionId: string, value: 'yes' | 'no'): Promise<RunStepRecord> {
  const point = step.definition.decisions.find((d) => d.id === decisionId);
  if (!point) throw invalid(`Step ${step.stepId} has no decision ${decisionId}`, { field: 'decision', decisions: step.definition.decisions.map((d) => d.id) });
  if (FINAL_STATES.includes(step.state)) throw conflict(`Step ${step.stepId} has ended (${step.state})`, { state: step.state });
  const who = actorLabel(ctx.actor);
  const decisions = { ...step.decisions, [decisionId]: { answer: value, by: who, at: ctx.clock.now() } };
  const skips = point.gatesStep && value === 'no' && step.state === 'pending';
  return changeStep(ctx, tx, run, step, [step.state], skips ? { decisions, state: 'skipped', finishedAt: ctx.clock.now() } : { decisions }, {
    kind: 'run.step.decision',
    text: `${who} answered "${point.question}": ${value}${skips ? `, so step ${stepLabel(step)} is skipped` : ''}`,
    data: { decision: decisionId, question: point.question, answer: value },
  });
}

async function complete(ctx: Context, tx: Tx, run: RunRecord, step: RunStepRecord, outcome: 'succeeded' | 'failed', comment: string | null): Promise<RunStepRecord> {
  if (!isPersonStep(step.definition)) throw conflict(`Step ${step.stepId} runs on a runner; its runner reports how it went`, { kind: step.definition.kind });
  const who = actorLabel(ctx.actor);
  return changeStep(ctx, tx, run, step, ['running'], { state: outcome, finishedAt: ctx.clock.now() }, {
    kind: `run.step.${outcome}`,
    text: `${who} marked step ${stepLabel(step)} ${outcome === 'succeeded' ? 'done' : 'failed'}${comment ? `: ${comment}` : ''}`,
    data: { outcome, comment, byPerson: true },
  });
}

/** Cancels every step that has not ended; running steps are stopped by their runners. */
export async function cancelRun(ctx: Context, runId: string, comment: string | undefined): Promise<RunView> {
  const reason = cleanComment(comment);
  await ctx.store.transaction(async (tx) => {
    const run = await loadRun(tx, runId);
    if (run.state === 'cancelled') return;
    for (const step of await tx.runs.steps(runId)) {
      if (FINAL_STATES.includes(step.state)) continue;
      if (step.state === 'running' && !isPersonStep(step.definition)) {
        if (!step.cancelRequested) await tx.runs.updateStep(runId, step.stepId, { states: ['running'], attempt: step.attempt }, { cancelRequested: true, updatedAt: ctx.clock.now() });
        continue;
      }
      await tx.runs.updateStep(runId, step.stepId, { states: [step.state], attempt: step.attempt }, { state: 'cancelled', finishedAt: ctx.clock.now(), updatedAt: ctx.clock.now() });
    }
    const at = ctx.clock.now();
    await tx.runs.setRunState(runId, 'cancelled', at);
    await ctx.events.record(tx, { at, type: 'run.state', incidentId: run.incidentId, data: { runId, state: 'cancelled' } });
    if (run.incidentId !== null) {
      await appendTimeline(ctx, tx, run.incidentId, 'run.cancelled', `${actorLabel(ctx.actor)} cancelled the run of ${run.runbookTitle}${reason ? `: ${reason}` : ''}`, { runId, comment: reason });
    }
  });
  return getRun(ctx, runId);
}
