import type { Kysely } from 'kysely';
import type { Dialect } from '../connect.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on today's table types
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';

  // A run of one runbook (or one of its scenarios), with the approval rule in force when it began.
  await db.schema
    .createTable('runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('runbook_id', 'text', (c) => c.notNull())
    .addColumn('runbook_title', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('scenario', 'text')
    .addColumn('incident_id', 'text')
    .addColumn('severity', 'text')
    .addColumn('params', 'text', (c) => c.notNull())
    .addColumn('approval_rule', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_by_id', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('updated_at', big, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('runs_incident').on('runs').columns(['incident_id', 'created_at']).execute();
  await db.schema.createIndex('runs_created').on('runs').columns(['created_at']).execute();

  // Each step as it was when the run began (a config reload never changes a run), and where it stands.
  await db.schema
    .createTable('run_steps')
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('step_id', 'text', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('definition', 'text', (c) => c.notNull())
    .addColumn('env', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('decisions', 'text', (c) => c.notNull())
    .addColumn('requested_by', 'text')
    .addColumn('requested_by_id', 'text')
    .addColumn('requested_at', big)
    .addColumn('queued_at', big)
    .addColumn('assignment_id', 'text')
    .addColumn('claim_id', 'text')
    .addColumn('runner_id', 'text')
    .addColumn('runner_name', 'text')
    .addColumn('runner_token', 'text')
    .addColumn('lease_until', big)
    .addColumn('cancel_requested', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('started_at', big)
    .addColumn('finished_at', big)
    .addColumn('exit_code', 'integer')
    .addColumn('signal', 'text')
    .addColumn('timed_out', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('error', 'text')
    .addColumn('output_bytes', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('output_dropped', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_seq', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('updated_at', big, (c) => c.notNull())
    .addPrimaryKeyConstraint('run_steps_pk', ['run_id', 'step_id'])
    .execute();
  await db.schema.createIndex('run_steps_state').on('run_steps').columns(['state', 'queued_at']).execute();
  await db.schema.createIndex('run_steps_assignment').on('run_steps').columns(['assignment_id']).execute();
  await db.schema.createIndex('run_steps_claim').on('run_steps').columns(['claim_id']).execute();

  await db.schema
    .createTable('run_approvals')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('step_id', 'text', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('decision', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text', (c) => c.notNull())
    .addColumn('actor_role', 'text', (c) => c.notNull())
    .addColumn('comment', 'text')
    .addColumn('at', big, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('run_approvals_step').on('run_approvals').columns(['run_id', 'step_id', 'attempt']).execute();

  // Output as the runner sent it (already masked), bounded per attempt by runbooks.maxOutput.
  await db.schema
    .createTable('run_output')
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('step_id', 'text', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('stream', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('at', big, (c) => c.notNull())
    .addPrimaryKeyConstraint('run_output_pk', ['run_id', 'step_id', 'attempt', 'seq'])
    .execute();
}
