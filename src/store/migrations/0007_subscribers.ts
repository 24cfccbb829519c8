import type { Kysely } from 'kysely';
import type { Dialect } from '../connect.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on today's table types
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';

  // People who get status page updates by email. Tokens are kept only as SHA-256
  // digests, so a copy of the database cannot confirm or unsubscribe anyone.
  await db.schema
    .createTable('status_subscribers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('email', 'text', (c) => c.notNull().unique())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('confirm_token_hash', 'text')
    .addColumn('unsubscribe_token_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('confirmed_at', big)
    .addColumn('unsubscribed_at', big)
    .execute();
  await db.schema.createIndex('status_subscribers_confirm').on('status_subscribers').columns(['confirm_token_hash']).execute();
  await db.schema.createIndex('status_subscribers_unsubscribe').on('status_subscribers').columns(['unsubscribe_token_hash']).execute();
  await db.schema.createIndex('status_subscribers_state').on('status_subscribers').columns(['state', 'id']).execute();
}
