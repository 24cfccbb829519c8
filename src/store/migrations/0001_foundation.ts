import type { Kysely } from 'kysely';
import type { Dialect } from '../connect.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on today's table types
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';

  await db.schema
    .createTable('incidents')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('summary', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('services', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('roles', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('declared_at', big, (c) => c.notNull())
    .addColumn('declared_by', 'text', (c) => c.notNull())
    .addColumn('acknowledged_at', big)
    .addColumn('acknowledged_by', 'text')
    .addColumn('identified_at', big)
    .addColumn('mitigated_at', big)
    .addColumn('resolved_at', big)
    .addColumn('closed_at', big)
    .addColumn('last_update_at', big)
    .addColumn('updated_at', big, (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('incidents_declared').on('incidents').columns(['declared_at', 'id']).execute();
  await db.schema.createIndex('incidents_status').on('incidents').columns(['status', 'declared_at']).execute();

  await db.schema
    .createTable('timeline')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('incident_id', 'text', (c) => c.notNull().references('incidents.id'))
    .addColumn('at', big, (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull().defaultTo('{}'))
    .execute();
  await db.schema.createIndex('timeline_incident').on('timeline').columns(['incident_id', 'id']).execute();

  await db.schema
    .createTable('sla_clocks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('incident_id', 'text', (c) => c.notNull().references('incidents.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('started_at', big, (c) => c.notNull())
    .addColumn('due_at', big, (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('met_at', big)
    .addColumn('breached_at', big)
    .addColumn('timer_id', 'text')
    .addUniqueConstraint('sla_clocks_incident_kind_seq', ['incident_id', 'kind', 'seq'])
    .execute();

  await db.schema
    .createTable('timers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('due_at', big, (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('fired_at', big)
    .addColumn('fired_by', 'text')
    .addColumn('late_ms', big)
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('created_at', big, (c) => c.notNull())
    .execute();
  // The scheduler only ever looks for pending rows in due order.
  await db.schema.createIndex('timers_pending_due').on('timers').columns(['state', 'due_at']).execute();

  await db.schema
    .createTable('api_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('last_used_at', big)
    .addColumn('revoked_at', big)
    .execute();

  await db.schema
    .createTable('events')
    .addColumn('seq', dialect === 'postgres' ? 'bigserial' : 'integer', (c) =>
      dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
    )
    .addColumn('at', big, (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('incident_id', 'text')
    .addColumn('data', 'text', (c) => c.notNull().defaultTo('{}'))
    .execute();
}
