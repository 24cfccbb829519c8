import type { Kysely } from 'kysely';
import type { Dialect } from '../connect.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on today's table types
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';

  // People who sign in to the web UI. A username that is also a user id of the
  // configuration is that person (paging, roles, on-call); the password is kept
  // only as a scrypt digest with its own salt and parameters.
  await db.schema
    .createTable('accounts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('username', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('updated_at', big, (c) => c.notNull())
    .addColumn('password_changed_at', big, (c) => c.notNull())
    .addColumn('disabled_at', big)
    .addColumn('last_login_at', big)
    .execute();

  // Sign-in sessions. The cookie carries a random secret; only its SHA-256 is stored,
  // so a copy of the database signs nobody in.
  await db.schema
    .createTable('account_sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('last_seen_at', big, (c) => c.notNull())
    .addColumn('expires_at', big, (c) => c.notNull())
    .addColumn('revoked_at', big)
    .addColumn('user_agent', 'text', (c) => c.notNull())
    .addColumn('address', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('account_sessions_account').on('account_sessions').columns(['account_id', 'created_at']).execute();

  // Failed sign-ins per key (an account name, a client address) in the current window,
  // shared by every instance so that spreading guesses over instances gains nothing.
  await db.schema
    .createTable('login_failures')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('window_started_at', big, (c) => c.notNull())
    .execute();
}
