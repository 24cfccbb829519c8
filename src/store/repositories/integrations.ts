import type { Kysely } from 'kysely';
import type { Database, IntegrationsTable } from '../schema.ts';
import { fromJson, toJson } from './json.ts';

export interface IntegrationRecord {
  id: string;
  kind: string;
  name: string;
  service: string | null;
  mapping: Record<string, unknown> | null;
  keyHash: string;
  keyPrefix: string;
  createdAt: number;
  createdBy: string;
  deletedAt: number | null;
}

const toRecord = (row: IntegrationsTable): IntegrationRecord => ({
  id: row.id,
  kind: row.kind,
  name: row.name,
  service: row.service,
  mapping: fromJson<Record<string, unknown> | null>(row.mapping, null),
  keyHash: row.key_hash,
  keyPrefix: row.key_prefix,
  createdAt: Number(row.created_at),
  createdBy: row.created_by,
  deletedAt: row.deleted_at === null ? null : Number(row.deleted_at),
});

export class IntegrationRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(record: IntegrationRecord): Promise<void> {
    await this.db
      .insertInto('integrations')
      .values({
        id: record.id,
        kind: record.kind,
        name: record.name,
        service: record.service,
        mapping: record.mapping === null ? null : toJson(record.mapping),
        key_hash: record.keyHash,
        key_prefix: record.keyPrefix,
        created_at: record.createdAt,
        created_by: record.createdBy,
        deleted_at: record.deletedAt,
      })
      .execute();
  }

  async get(id: string): Promise<IntegrationRecord | undefined> {
    const row = await this.db.selectFrom('integrations').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  async findByKeyHash(keyHash: string): Promise<IntegrationRecord | undefined> {
    const row = await this.db.selectFrom('integrations').selectAll().where('key_hash', '=', keyHash).executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  async list(): Promise<IntegrationRecord[]> {
    const rows = await this.db.selectFrom('integrations').selectAll().where('deleted_at', 'is', null).orderBy('id').execute();
    return rows.map(toRecord);
  }

  async softDelete(id: string, at: number): Promise<boolean> {
    const result = await this.db
      .updateTable('integrations')
      .set({ deleted_at: at })
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }
}
