import type { Kysely } from 'kysely';
import type { Database, MaintenanceWindowsTable, SilencesTable } from '../schema.ts';
import { fromJson, toJson } from './json.ts';

export interface StoredMatcher {
  name: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

export interface SilenceRecord {
  id: string;
  matchers: StoredMatcher[];
  startsAt: number;
  endsAt: number;
  createdBy: string;
  comment: string;
  createdAt: number;
  expiredAt: number | null;
}

export interface MaintenanceWindowRecord {
  id: string;
  service: string;
  startsAt: number;
  endsAt: number;
  createdBy: string;
  comment: string;
  createdAt: number;
  cancelledAt: number | null;
}

const toSilence = (row: SilencesTable): SilenceRecord => ({
  id: row.id,
  matchers: fromJson<StoredMatcher[]>(row.matchers, []),
  startsAt: Number(row.starts_at),
  endsAt: Number(row.ends_at),
  createdBy: row.created_by,
  comment: row.comment,
  createdAt: Number(row.created_at),
  expiredAt: row.expired_at === null ? null : Number(row.expired_at),
});

const toWindow = (row: MaintenanceWindowsTable): MaintenanceWindowRecord => ({
  id: row.id,
  service: row.service,
  startsAt: Number(row.starts_at),
  endsAt: Number(row.ends_at),
  createdBy: row.created_by,
  comment: row.comment,
  createdAt: Number(row.created_at),
  cancelledAt: row.cancelled_at === null ? null : Number(row.cancelled_at),
});

export class SilenceRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(s: SilenceRecord): Promise<void> {
    await this.db
      .insertInto('silences')
      .values({
        id: s.id,
        matchers: toJson(s.matchers),
        starts_at: s.startsAt,
        ends_at: s.endsAt,
        created_by: s.createdBy,
        comment: s.comment,
        created_at: s.createdAt,
        expired_at: s.expiredAt,
      })
      .execute();
  }

  async get(id: string): Promise<SilenceRecord | undefined> {
    const row = await this.db.selectFrom('silences').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toSilence(row) : undefined;
  }

  /** Silences in force at `at`: started, not ended, not expired by hand. */
  async activeAt(at: number): Promise<SilenceRecord[]> {
    const rows = await this.db
      .selectFrom('silences')
      .selectAll()
      .where('starts_at', '<=', at)
      .where('ends_at', '>', at)
      .where('expired_at', 'is', null)
      .orderBy('id')
      .execute();
    return rows.map(toSilence);
  }

  async list(options: { includeExpired: boolean; at: number; limit: number }): Promise<SilenceRecord[]> {
    let query = this.db.selectFrom('silences').selectAll();
    if (!options.includeExpired) query = query.where('ends_at', '>', options.at).where('expired_at', 'is', null);
    const rows = await query.orderBy('id', 'desc').limit(options.limit).execute();
    return rows.map(toSilence);
  }

  async expire(id: string, at: number): Promise<boolean> {
    const result = await this.db
      .updateTable('silences')
      .set({ expired_at: at })
      .where('id', '=', id)
      .where('expired_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async insertWindow(w: MaintenanceWindowRecord): Promise<void> {
    await this.db
      .insertInto('maintenance_windows')
      .values({
        id: w.id,
        service: w.service,
        starts_at: w.startsAt,
        ends_at: w.endsAt,
        created_by: w.createdBy,
        comment: w.comment,
        created_at: w.createdAt,
        cancelled_at: w.cancelledAt,
      })
      .execute();
  }

  async getWindow(id: string): Promise<MaintenanceWindowRecord | undefined> {
    const row = await this.db.selectFrom('maintenance_windows').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toWindow(row) : undefined;
  }

  async windowsActiveAt(at: number): Promise<MaintenanceWindowRecord[]> {
    const rows = await this.db
      .selectFrom('maintenance_windows')
      .selectAll()
      .where('starts_at', '<=', at)
      .where('ends_at', '>', at)
      .where('cancelled_at', 'is', null)
      .execute();
    return rows.map(toWindow);
  }

  async listWindows(options: { includePast: boolean; at: number; limit: number }): Promise<MaintenanceWindowRecord[]> {
    let query = this.db.selectFrom('maintenance_windows').selectAll();
    if (!options.includePast) query = query.where('ends_at', '>', options.at).where('cancelled_at', 'is', null);
    const rows = await query.orderBy('starts_at', 'desc').limit(options.limit).execute();
    return rows.map(toWindow);
  }

  async cancelWindow(id: string, at: number): Promise<boolean> {
    const result = await this.db
      .updateTable('maintenance_windows')
      .set({ cancelled_at: at })
      .where('id', '=', id)
      .where('cancelled_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }
}
