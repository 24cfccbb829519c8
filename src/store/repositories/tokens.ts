import type { Kysely } from 'kysely';
import type { ApiTokensTable, Database } from '../schema.ts';

export interface ApiTokenRecord {
  id: string;
  name: string;
  role: string;
  tokenHash: string;
  prefix: string;
  createdAt: number;
  createdBy: string;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

const toRecord = (row: ApiTokensTable): ApiTokenRecord => ({
  id: row.id,
  name: row.name,
  role: row.role,
  tokenHash: row.token_hash,
  prefix: row.prefix,
  createdAt: Number(row.created_at),
  createdBy: row.created_by,
  lastUsedAt: row.last_used_at === null ? null : Number(row.last_used_at),
  revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
});

export class ApiTokenRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(record: ApiTokenRecord): Promise<void> {
    await this.db
      .insertInto('api_tokens')
      .values({
        id: record.id,
        name: record.name,
        role: record.role,
        token_hash: record.tokenHash,
        prefix: record.prefix,
        created_at: record.createdAt,
        created_by: record.createdBy,
        last_used_at: record.lastUsedAt,
        revoked_at: record.revokedAt,
      })
      .execute();
  }

  /** Inserts unless a token with the same secret exists (several instances starting at once). */
  async insertUnlessPresent(record: ApiTokenRecord): Promise<boolean> {
    const result = await this.db
      .insertInto('api_tokens')
      .values({
        id: record.id,
        name: record.name,
        role: record.role,
        token_hash: record.tokenHash,
        prefix: record.prefix,
        created_at: record.createdAt,
        created_by: record.createdBy,
        last_used_at: record.lastUsedAt,
        revoked_at: record.revokedAt,
      })
      .onConflict((oc) => oc.column('token_hash').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async findByHash(tokenHash: string): Promise<ApiTokenRecord | undefined> {
    const row = await this.db.selectFrom('api_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  async get(id: string): Promise<ApiTokenRecord | undefined> {
    const row = await this.db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  async list(): Promise<ApiTokenRecord[]> {
    const rows = await this.db.selectFrom('api_tokens').selectAll().orderBy('id').execute();
    return rows.map(toRecord);
  }

  async revoke(id: string, at: number): Promise<boolean> {
    const result = await this.db
      .updateTable('api_tokens')
      .set({ revoked_at: at })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async touch(id: string, at: number): Promise<void> {
    await this.db.updateTable('api_tokens').set({ last_used_at: at }).where('id', '=', id).execute();
  }
}
