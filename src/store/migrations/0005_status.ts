import type { Kysely } from 'kysely';
import type { Dialect } from '../connect.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on today's table types
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';

  // A component status set by hand on the public status page; no row means "derived from incidents".
  await db.schema
    .createTable('status_components')
    .addColumn('service_id', 'text', (c) => c.primaryKey())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('updated_at', big, (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .execute();

  // Scheduled maintenances announced on the status page; their state follows from the clock.
  await db.schema
    .createTable('status_maintenances')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('components', 'text', (c) => c.notNull())
    .addColumn('scheduled_for', big, (c) => c.notNull())
    .addColumn('scheduled_until', big, (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('deleted_at', big)
    .execute();
  await db.schema.createIndex('status_maintenances_until').on('status_maintenances').columns(['scheduled_until']).execute();

  // The status page looks up stakeholder updates across all incidents.
  await db.schema.createIndex('timeline_kind').on('timeline').columns(['kind', 'incident_id']).execute();
}
