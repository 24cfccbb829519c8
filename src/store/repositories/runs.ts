import { sql, type Kysely } from 'kysely';
import type { Database, RunApprovalsTable, RunOutputTable, RunStepsTable, RunsTable } from '../schema.ts';
import { fromJson, toJson } from './json.ts';

export type RunState = 'open' | 'completed' | 'cancelled';

export type StepState =
  | 'pending'
  | 'awaiting-approval'
  | 'queued'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'skipped'
  | 'cancelled'
  | 'unknown';

export interface StoredApprovalRule {
  /** `marked`: the steps the runbook marks; `all`: every step that runs a command. */
  steps: 'marked' | 'all';
  approverRoles: string[];
  approvals: number;
  /** Where the rule came from: `runbooks.approval` or `runbooks.authorization.P1`. */
  origin: string;
  note: string | null;
}

export interface RunRecord {
  id: string;
  runbookId: string;
  runbookTitle: string;
  source: string;
  scenario: string | null;
  incidentId: string | null;
  severity: string | null;
  params: Record<string, string>;
  approvalRule: StoredApprovalRule;
  state: RunState;
  createdBy: string;
  createdById: string;
  createdAt: number;
  updatedAt: number;
}

/** The step as the run took it from the runbook: a config reload never changes a run. */
export interface StepDefinition {
  title: string;
  kind: 'shell' | 'sql' | 'promql' | 'http' | 'manual';
  section: string | null;
  scenario: string | null;
  /** What runs: placeholders rewritten to quoted variable references. */
  command: string;
  /** The text as the runbook has it. */
  original: string;
  parameters: Array<{ name: string; required: boolean }>;
  runner: string | null;
  timeoutMs: number;
  /** Wants a terminal (watch, top): a person runs it and confirms, like a manual step. */
  interactive: boolean;
  approval: { required: boolean; reason: string };
  decisions: Array<{ id: string; question: string; gatesStep: boolean }>;
  waitSeconds: number;
  expectedOutput: string | null;
  line: number;
}

export interface DecisionAnswer {
  answer: 'yes' | 'no';
  by: string;
  at: number;
}

export interface RunStepRecord {
  runId: string;
  stepId: string;
  position: number;
  definition: StepDefinition;
  env: Record<string, string>;
  state: StepState;
  attempt: number;
  decisions: Record<string, DecisionAnswer>;
  requestedBy: string | null;
  requestedById: string | null;
  requestedAt: number | null;
  queuedAt: number | null;
  assignmentId: string | null;
  claimId: string | null;
  runnerId: string | null;
  runnerName: string | null;
  runnerToken: string | null;
  leaseUntil: number | null;
  cancelRequested: boolean;
  startedAt: number | null;
  finishedAt: number | null;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  error: string | null;
  outputBytes: number;
  outputDropped: number;
  lastSeq: number;
  updatedAt: number;
}

export type StepChanges = Partial<Omit<RunStepRecord, 'runId' | 'stepId' | 'position' | 'definition'>>;

export interface ApprovalRecord {
  id: string;
  runId: string;
  stepId: string;
  attempt: number;
  /** `withdrawn`: the requester took their own request back. */
  decision: 'approved' | 'rejected' | 'withdrawn';
  actor: string;
  actorId: string;
  actorRole: string;
  comment: string | null;
  at: number;
}

export interface OutputRecord {
  runId: string;
  stepId: string;
  attempt: number;
  seq: number;
  stream: 'stdout' | 'stderr';
  text: string;
  at: number;
}

const num = (value: number | null): number | null => (value === null ? null : Number(value));

const toRun = (row: RunsTable): RunRecord => ({
  id: row.id,
  runbookId: row.runbook_id,
  runbookTitle: row.runbook_title,
  source: row.source,
  scenario: row.scenario,
  incidentId: row.incident_id,
  severity: row.severity,
  params: fromJson(row.params, {}),
  approvalRule: fromJson(row.approval_rule, { steps: 'marked', approverRoles: ['admin', 'responder'], approvals: 1, origin: 'runbooks.approval', note: null }),
  state: row.state as RunState,
  createdBy: row.created_by,
  createdById: row.created_by_id,
  createdAt: Number(row.created_at),
  updatedAt: Number(row.updated_at),
});

const toStep = (row: RunStepsTable): RunStepRecord => ({
  runId: row.run_id,
  stepId: row.step_id,
  position: Number(row.position),
  definition: fromJson(row.definition, {} as StepDefinition),
  env: fromJson(row.env, {}),
  state: row.state as StepState,
  attempt: Number(row.attempt),
  decisions: fromJson(row.decisions, {}),
  requestedBy: row.requested_by,
  requestedById: row.requested_by_id,
  requestedAt: num(row.requested_at),
  queuedAt: num(row.queued_at),
  assignmentId: row.assignment_id,
  claimId: row.claim_id,
  runnerId: row.runner_id,
  runnerName: row.runner_name,
  runnerToken: row.runner_token,
  leaseUntil: num(row.lease_until),
  cancelRequested: Number(row.cancel_requested) === 1,
  startedAt: num(row.started_at),
  finishedAt: num(row.finished_at),
  exitCode: num(row.exit_code),
  signal: row.signal,
  timedOut: Number(row.timed_out) === 1,
  error: row.error,
  outputBytes: Number(row.output_bytes),
  outputDropped: Number(row.output_dropped),
  lastSeq: Number(row.last_seq),
  updatedAt: Number(row.updated_at),
});

/** Column names of the fields a step update may change. */
const STEP_COLUMNS: { [K in keyof StepChanges]-?: keyof RunStepsTable } = {
  env: 'env',
  state: 'state',
  attempt: 'attempt',
  decisions: 'decisions',
  requestedBy: 'requested_by',
  requestedById: 'requested_by_id',
  requestedAt: 'requested_at',
  queuedAt: 'queued_at',
  assignmentId: 'assignment_id',
  claimId: 'claim_id',
  runnerId: 'runner_id',
  runnerName: 'runner_name',
  runnerToken: 'runner_token',
  leaseUntil: 'lease_until',
  cancelRequested: 'cancel_requested',
  startedAt: 'started_at',
  finishedAt: 'finished_at',
  exitCode: 'exit_code',
  signal: 'signal',
  timedOut: 'timed_out',
  error: 'error',
  outputBytes: 'output_bytes',
  outputDropped: 'output_dropped',
  lastSeq: 'last_seq',
  updatedAt: 'updated_at',
};

function stepColumns(changes: StepChanges): Partial<RunStepsTable> {
  const row: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(changes) as Array<[keyof StepChanges, unknown]>) {
    const column = STEP_COLUMNS[key];
    if (value === undefined || column === undefined) continue;
    if (key === 'decisions' || key === 'env') row[column] = toJson(value);
    else if (typeof value === 'boolean') row[column] = value ? 1 : 0;
    else row[column] = value;
  }
  return row as Partial<RunStepsTable>;
}

export class RunRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insertRun(run: RunRecord, steps: readonly RunStepRecord[]): Promise<void> {
    await this.db
      .insertInto('runs')
      .values({
        id: run.id,
        runbook_id: run.runbookId,
        runbook_title: run.runbookTitle,
        source: run.source,
        scenario: run.scenario,
        incident_id: run.incidentId,
        severity: run.severity,
        params: toJson(run.params),
        approval_rule: toJson(run.approvalRule),
        state: run.state,
        created_by: run.createdBy,
        created_by_id: run.createdById,
        created_at: run.createdAt,
        updated_at: run.updatedAt,
      })
      .execute();
    if (steps.length === 0) return;
    await this.db
      .insertInto('run_steps')
      .values(
        steps.map((step) => ({
          run_id: step.runId,
          step_id: step.stepId,
          position: step.position,
          definition: toJson(step.definition),
          ...(stepColumns(step) as Omit<RunStepsTable, 'run_id' | 'step_id' | 'position' | 'definition'>),
        })),
      )
      .execute();
  }

  async run(id: string): Promise<RunRecord | undefined> {
    const row = await this.db.selectFrom('runs').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRun(row) : undefined;
  }

  /** Newest first; `before` is the id of the last run of the previous page. */
  async list(filter: { incidentId?: string; before?: string; limit: number }): Promise<RunRecord[]> {
    let query = this.db.selectFrom('runs').selectAll();
    if (filter.incidentId !== undefined) query = query.where('incident_id', '=', filter.incidentId);
    if (filter.before !== undefined) query = query.where('id', '<', filter.before);
    const rows = await query.orderBy('id', 'desc').limit(filter.limit).execute();
    return rows.map(toRun);
  }

  async setRunState(id: string, state: RunState, at: number): Promise<void> {
    await this.db.updateTable('runs').set({ state, updated_at: at }).where('id', '=', id).execute();
  }

  async setParams(id: string, params: Record<string, string>, at: number): Promise<void> {
    await this.db.updateTable('runs').set({ params: toJson(params), updated_at: at }).where('id', '=', id).execute();
  }

  async steps(runId: string): Promise<RunStepRecord[]> {
    const rows = await this.db.selectFrom('run_steps').selectAll().where('run_id', '=', runId).orderBy('position').execute();
    return rows.map(toStep);
  }

  /** How many steps of the run are in each state. */
  async stateCounts(runId: string): Promise<Record<string, number>> {
    const rows = await this.db
      .selectFrom('run_steps')
      .select((eb) => ['state', eb.fn.countAll<number>().as('n')])
      .where('run_id', '=', runId)
      .groupBy('state')
      .execute();
    return Object.fromEntries(rows.map((row) => [row.state, Number(row.n)]));
  }

  async step(runId: string, stepId: string): Promise<RunStepRecord | undefined> {
    const row = await this.db.selectFrom('run_steps').selectAll().where('run_id', '=', runId).where('step_id', '=', stepId).executeTakeFirst();
    return row ? toStep(row) : undefined;
  }

  async stepByAssignment(assignmentId: string): Promise<RunStepRecord | undefined> {
    const row = await this.db.selectFrom('run_steps').selectAll().where('assignment_id', '=', assignmentId).executeTakeFirst();
    return row ? toStep(row) : undefined;
  }

  async stepByClaim(claimId: string): Promise<RunStepRecord | undefined> {
    const row = await this.db.selectFrom('run_steps').selectAll().where('claim_id', '=', claimId).executeTakeFirst();
    return row ? toStep(row) : undefined;
  }

  /**
   * Changes a step only if it is still in one of `from` at `attempt`: two people (or
   * a person and a runner) acting at once cannot both win. False when it had moved on.
   */
  async updateStep(runId: string, stepId: string, from: { states: readonly StepState[]; attempt: number }, changes: StepChanges): Promise<boolean> {
    const result = await this.db
      .updateTable('run_steps')
      .set(stepColumns(changes))
      .where('run_id', '=', runId)
      .where('step_id', '=', stepId)
      .where('attempt', '=', from.attempt)
      .where('state', 'in', [...from.states])
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** The step a claim already took, if any, then queued steps, oldest first, for runners to claim. */
  async claimable(claimId: string, limit: number): Promise<RunStepRecord[]> {
    // One statement: a round trip saved on every claim matters on PostgreSQL.
    const rows = await this.db
      .selectFrom('run_steps')
      .selectAll()
      .where((eb) => eb.or([eb('claim_id', '=', claimId), eb('state', '=', 'queued')]))
      .orderBy(sql`case when claim_id = ${claimId} then 0 else 1 end`)
      .orderBy('queued_at')
      .limit(limit + 1)
      .execute();
    return rows.map(toStep);
  }

  /** Running steps whose runner has been silent past its lease. */
  async lapsed(now: number, limit: number): Promise<RunStepRecord[]> {
    const rows = await this.db
      .selectFrom('run_steps')
      .selectAll()
      .where('state', '=', 'running')
      .where('lease_until', '<', now)
      .orderBy('lease_until')
      .limit(limit)
      .execute();
    return rows.map(toStep);
  }

  async insertApproval(approval: ApprovalRecord): Promise<void> {
    await this.db
      .insertInto('run_approvals')
      .values({
        id: approval.id,
        run_id: approval.runId,
        step_id: approval.stepId,
        attempt: approval.attempt,
        decision: approval.decision,
        actor: approval.actor,
        actor_id: approval.actorId,
        actor_role: approval.actorRole,
        comment: approval.comment,
        at: approval.at,
      })
      .execute();
  }

  async approvals(runId: string): Promise<ApprovalRecord[]> {
    const rows = await this.db.selectFrom('run_approvals').selectAll().where('run_id', '=', runId).orderBy('id').execute();
    return rows.map(toApproval);
  }

  /** Stores chunks not seen before; a resent chunk (same seq) is ignored. */
  async insertOutput(chunks: readonly OutputRecord[]): Promise<void> {
    if (chunks.length === 0) return;
    await this.db
      .insertInto('run_output')
      .values(chunks.map((c) => ({ run_id: c.runId, step_id: c.stepId, attempt: c.attempt, seq: c.seq, stream: c.stream, text: c.text, at: c.at })))
      .onConflict((oc) => oc.columns(['run_id', 'step_id', 'attempt', 'seq']).doNothing())
      .execute();
  }

  async output(runId: string, stepId?: string): Promise<OutputRecord[]> {
    let query = this.db.selectFrom('run_output').selectAll().where('run_id', '=', runId);
    if (stepId !== undefined) query = query.where('step_id', '=', stepId);
    const rows = await query.orderBy('step_id').orderBy('attempt').orderBy('seq').execute();
    return rows.map(toOutput);
  }
}

const toApproval = (row: RunApprovalsTable): ApprovalRecord => ({
  id: row.id,
  runId: row.run_id,
  stepId: row.step_id,
  attempt: Number(row.attempt),
  decision: row.decision as ApprovalRecord['decision'],
  actor: row.actor,
  actorId: row.actor_id,
  actorRole: row.actor_role,
  comment: row.comment,
  at: Number(row.at),
});

const toOutput = (row: RunOutputTable): OutputRecord => ({
  runId: row.run_id,
  stepId: row.step_id,
  attempt: Number(row.attempt),
  seq: Number(row.seq),
  stream: row.stream as OutputRecord['stream'],
  text: row.text,
  at: Number(row.at),
});
