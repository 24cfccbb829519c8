import type { Kysely } from 'kysely';
import type { Dialect } from '../connect.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on today's table types
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';

  // Values shared by every instance, e.g. the key that signs acknowledge links.
  await db.schema
    .createTable('settings')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('schedule_overrides')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('schedule_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('replaces', 'text')
    .addColumn('starts_at', big, (c) => c.notNull())
    .addColumn('ends_at', big, (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('deleted_at', big)
    .execute();
  await db.schema.createIndex('schedule_overrides_window').on('schedule_overrides').columns(['schedule_id', 'ends_at']).execute();

  // One escalation per incident: where it stands in its policy.
  await db.schema
    .createTable('escalations')
    .addColumn('incident_id', 'text', (c) => c.primaryKey())
    .addColumn('policy_id', 'text', (c) => c.notNull())
    .addColumn('level', 'integer', (c) => c.notNull())
    .addColumn('round', 'integer', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('timer_id', 'text')
    .addColumn('started_at', big, (c) => c.notNull())
    .addColumn('updated_at', big, (c) => c.notNull())
    .execute();

  // Who was paged, when, and the pending steps of their notification rules.
  await db.schema
    .createTable('pages')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('incident_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('level', 'integer', (c) => c.notNull())
    .addColumn('round', 'integer', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('stopped_at', big)
    .execute();
  await db.schema.createIndex('pages_incident').on('pages').columns(['incident_id', 'state']).execute();
  await db.schema.createIndex('pages_user').on('pages').columns(['user_id', 'created_at']).execute();

  await db.schema
    .createTable('outbox')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('idempotency_key', 'text', (c) => c.notNull().unique())
    .addColumn('channel_id', 'text', (c) => c.notNull())
    .addColumn('incident_id', 'text')
    .addColumn('page_id', 'text')
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('next_attempt_at', big, (c) => c.notNull())
    .addColumn('lease_until', big)
    .addColumn('last_error', 'text')
    .addColumn('last_status', 'integer')
    .addColumn('remote_id', 'text')
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('delivered_at', big)
    .execute();
  await db.schema.createIndex('outbox_due').on('outbox').columns(['state', 'next_attempt_at']).execute();
  await db.schema.createIndex('outbox_incident').on('outbox').columns(['incident_id']).execute();

  // Slack threads per incident and channel, so follow-ups land in the same thread.
  await db.schema
    .createTable('chat_threads')
    .addColumn('thread_key', 'text', (c) => c.notNull())
    .addColumn('channel_id', 'text', (c) => c.notNull())
    .addColumn('remote_id', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .addPrimaryKeyConstraint('chat_threads_pk', ['thread_key', 'channel_id'])
    .execute();
}
