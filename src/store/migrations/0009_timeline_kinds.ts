import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../connect.ts';

/**
 * The status page looks for three kinds of timeline entries (stakeholder
 * updates, status changes and reopenings) across incidents; 0005 indexed
 * every entry by kind for it, so every alert attached to an incident paid
 * for an index entry that nothing reads. Two partial indexes cover exactly
 * what the status page reads (StatusRepository spells the same conditions
 * with literal kinds, which SQLite needs to match them to these indexes).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on today's table types
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema.createIndex('timeline_updates').on('timeline').columns(['incident_id', 'at']).where(sql.ref('kind'), '=', sql.lit('update')).execute();
  await db.schema
    .createIndex('timeline_status_changes')
    .on('timeline')
    .columns(['incident_id', 'id'])
    .where(sql<boolean>`${sql.ref('kind')} in (${sql.lit('status')}, ${sql.lit('reopened')})`)
    .execute();
  await db.schema.dropIndex('timeline_kind').execute();
}
