import { sql, type Kysely } from 'kysely';
import type { AccountSessionsTable, AccountsTable, Database } from '../schema.ts';

export interface AccountRecord {
  id: string;
  username: string;
  name: string;
  role: string;
  passwordHash: string;
  createdAt: number;
  createdBy: string;
  updatedAt: number;
  passwordChangedAt: number;
  disabledAt: number | null;
  lastLoginAt: number | null;
}

export interface SessionRecord {
  id: string;
  tokenHash: string;
  accountId: string;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  revokedAt: number | null;
  userAgent: string;
  address: string;
}

export type AccountChanges = Partial<Pick<AccountRecord, 'name' | 'role' | 'passwordHash' | 'passwordChangedAt' | 'disabledAt' | 'lastLoginAt'>>;

const num = (value: number | string): number => Number(value);
const numOrNull = (value: number | string | null): number | null => (value === null ? null : Number(value));

const toAccount = (row: AccountsTable): AccountRecord => ({
  id: row.id,
  username: row.username,
  name: row.name,
  role: row.role,
  passwordHash: row.password_hash,
  createdAt: num(row.created_at),
  createdBy: row.created_by,
  updatedAt: num(row.updated_at),
  passwordChangedAt: num(row.password_changed_at),
  disabledAt: numOrNull(row.disabled_at),
  lastLoginAt: numOrNull(row.last_login_at),
});

const toSession = (row: AccountSessionsTable): SessionRecord => ({
  id: row.id,
  tokenHash: row.token_hash,
  accountId: row.account_id,
  createdAt: num(row.created_at),
  lastSeenAt: num(row.last_seen_at),
  expiresAt: num(row.expires_at),
  revokedAt: numOrNull(row.revoked_at),
  userAgent: row.user_agent,
  address: row.address,
});

/** Local accounts of the web UI, their sign-in sessions and the count of failed sign-ins. */
export class AccountRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** False when the username is taken (two admins creating the same account at once). */
  async insert(record: AccountRecord): Promise<boolean> {
    const result = await this.db
      .insertInto('accounts')
      .values({
        id: record.id,
        username: record.username,
        name: record.name,
        role: record.role,
        password_hash: record.passwordHash,
        created_at: record.createdAt,
        created_by: record.createdBy,
        updated_at: record.updatedAt,
        password_changed_at: record.passwordChangedAt,
        disabled_at: record.disabledAt,
        last_login_at: record.lastLoginAt,
      })
      .onConflict((oc) => oc.column('username').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async get(id: string): Promise<AccountRecord | undefined> {
    const row = await this.db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toAccount(row) : undefined;
  }

  async findByUsername(username: string): Promise<AccountRecord | undefined> {
    const row = await this.db.selectFrom('accounts').selectAll().where('username', '=', username).executeTakeFirst();
    return row ? toAccount(row) : undefined;
  }

  async list(): Promise<AccountRecord[]> {
    return (await this.db.selectFrom('accounts').selectAll().orderBy('username').execute()).map(toAccount);
  }

  async update(id: string, changes: AccountChanges, at: number): Promise<AccountRecord | undefined> {
    await this.db
      .updateTable('accounts')
      .set({
        updated_at: at,
        ...(changes.name !== undefined && { name: changes.name }),
        ...(changes.role !== undefined && { role: changes.role }),
        ...(changes.passwordHash !== undefined && { password_hash: changes.passwordHash }),
        ...(changes.passwordChangedAt !== undefined && { password_changed_at: changes.passwordChangedAt }),
        ...(changes.disabledAt !== undefined && { disabled_at: changes.disabledAt }),
        ...(changes.lastLoginAt !== undefined && { last_login_at: changes.lastLoginAt }),
      })
      .where('id', '=', id)
      .execute();
    return this.get(id);
  }

  async insertSession(record: SessionRecord): Promise<void> {
    await this.db
      .insertInto('account_sessions')
      .values({
        id: record.id,
        token_hash: record.tokenHash,
        account_id: record.accountId,
        created_at: record.createdAt,
        last_seen_at: record.lastSeenAt,
        expires_at: record.expiresAt,
        revoked_at: record.revokedAt,
        user_agent: record.userAgent,
        address: record.address,
      })
      .execute();
  }

  /** The session a cookie names, with its account, in one read (every request of the UI asks). */
  async sessionByHash(tokenHash: string): Promise<{ session: SessionRecord; account: AccountRecord } | undefined> {
    const row = await this.db
      .selectFrom('account_sessions as s')
      .innerJoin('accounts as a', 'a.id', 's.account_id')
      .select([
        's.id as s_id',
        's.token_hash as s_token_hash',
        's.account_id as s_account_id',
        's.created_at as s_created_at',
        's.last_seen_at as s_last_seen_at',
        's.expires_at as s_expires_at',
        's.revoked_at as s_revoked_at',
        's.user_agent as s_user_agent',
        's.address as s_address',
        'a.id',
        'a.username',
        'a.name',
        'a.role',
        'a.password_hash',
        'a.created_at',
        'a.created_by',
        'a.updated_at',
        'a.password_changed_at',
        'a.disabled_at',
        'a.last_login_at',
      ])
      .where('s.token_hash', '=', tokenHash)
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      account: toAccount(row),
      session: toSession({
        id: row.s_id,
        token_hash: row.s_token_hash,
        account_id: row.s_account_id,
        created_at: row.s_created_at,
        last_seen_at: row.s_last_seen_at,
        expires_at: row.s_expires_at,
        revoked_at: row.s_revoked_at,
        user_agent: row.s_user_agent,
        address: row.s_address,
      }),
    };
  }

  async getSession(id: string): Promise<SessionRecord | undefined> {
    const row = await this.db.selectFrom('account_sessions').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toSession(row) : undefined;
  }

  /** Sessions still usable at `now`, newest first; one account's, or everyone's. */
  async liveSessions(now: number, accountId?: string): Promise<SessionRecord[]> {
    let query = this.db
      .selectFrom('account_sessions')
      .selectAll()
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .orderBy('created_at', 'desc')
      .limit(1000);
    if (accountId !== undefined) query = query.where('account_id', '=', accountId);
    return (await query.execute()).map(toSession);
  }

  async touchSession(id: string, at: number, expiresAt: number): Promise<void> {
    await this.db.updateTable('account_sessions').set({ last_seen_at: at, expires_at: expiresAt }).where('id', '=', id).execute();
  }

  async revokeSession(id: string, at: number): Promise<boolean> {
    const result = await this.db
      .updateTable('account_sessions')
      .set({ revoked_at: at })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Ends every session of the account (but `keep`, the caller's own); returns how many. */
  async revokeSessionsOf(accountId: string, at: number, keep?: string): Promise<number> {
    let query = this.db.updateTable('account_sessions').set({ revoked_at: at }).where('account_id', '=', accountId).where('revoked_at', 'is', null);
    if (keep !== undefined) query = query.where('id', '!=', keep);
    const result = await query.executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /** Sessions that ended long ago are of no use to anyone; keeps the table small. */
  async forgetSessionsBefore(before: number): Promise<void> {
    await this.db
      .deleteFrom('account_sessions')
      .where((eb) => eb.or([eb('expires_at', '<', before), eb('revoked_at', '<', before)]))
      .execute();
  }

  /**
   * Counts one attempt for each key, before its password is checked, and
   * returns the counts that now stand: in the key's window if that began after
   * `since`, else in a new one from `now`. Counting first, in one statement per
   * key, is what stops parallel guesses from all reading the count from before
   * any of them. Windows that ended are forgotten here too.
   */
  async countAttempt(keys: readonly string[], now: number, since: number): Promise<Map<string, { failures: number; windowStartedAt: number }>> {
    await this.db.deleteFrom('login_failures').where('window_started_at', '<=', since).execute();
    const counted = new Map<string, { failures: number; windowStartedAt: number }>();
    for (const key of keys) {
      const row = await this.db
        .insertInto('login_failures')
        .values({ key, failures: 1, window_started_at: now })
        // Another instance, its clock a little behind, may have started a window this one's delete left: a row can still be stale here.
        .onConflict((oc) =>
          oc.column('key').doUpdateSet({
            failures: sql<number>`case when login_failures.window_started_at > ${since} then login_failures.failures + 1 else 1 end`,
            window_started_at: sql<number>`case when login_failures.window_started_at > ${since} then login_failures.window_started_at else ${now} end`,
          }),
        )
        .returning(['failures', 'window_started_at'])
        .executeTakeFirstOrThrow();
      counted.set(key, { failures: Number(row.failures), windowStartedAt: Number(row.window_started_at) });
    }
    return counted;
  }

  /** Takes back one counted attempt of each key (it turned out to be the right password). */
  async releaseAttempt(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.db
      .updateTable('login_failures')
      .set({ failures: sql<number>`failures - 1` })
      .where('key', 'in', [...keys])
      .where('failures', '>', 0)
      .execute();
  }

  /** Whether the account has signed in from this address within the sessions kept (ended ones too). */
  async hasSignedInFrom(accountId: string, address: string): Promise<boolean> {
    const row = await this.db.selectFrom('account_sessions').select('id').where('account_id', '=', accountId).where('address', '=', address).limit(1).executeTakeFirst();
    return row !== undefined;
  }

  async clearFailures(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.db.deleteFrom('login_failures').where('key', 'in', [...keys]).execute();
  }
}
