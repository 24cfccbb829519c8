import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../connect.ts';
import type { Database, IncidentsTable } from '../schema.ts';
import { fromJson, toJson } from './json.ts';

export interface IncidentRecord {
  id: string;
  title: string;
  summary: string;
  severity: string;
  status: string;
  services: string[];
  roles: Record<string, string>;
  declaredAt: number;
  declaredBy: string;
  acknowledgedAt: number | null;
  acknowledgedBy: string | null;
  identifiedAt: number | null;
  mitigatedAt: number | null;
  resolvedAt: number | null;
  closedAt: number | null;
  lastUpdateAt: number | null;
  updatedAt: number;
  version: number;
}

export interface IncidentFilter {
  statuses?: string[];
  severities?: string[];
  service?: string;
  /** Words that must all appear in the title or summary, in any case. */
  text?: string;
  declaredFrom?: number;
  declaredTo?: number;
  /** Position after which to continue, newest first. */
  after?: { declaredAt: number; id: string };
  limit: number;
}

function toRecord(row: IncidentsTable): IncidentRecord {
  return {
    id: row.id,
    title: row.title,
    summary: row.summary,
    severity: row.severity,
    status: row.status,
    services: fromJson<string[]>(row.services, []),
    roles: fromJson<Record<string, string>>(row.roles, {}),
    declaredAt: Number(row.declared_at),
    declaredBy: row.declared_by,
    acknowledgedAt: row.acknowledged_at === null ? null : Number(row.acknowledged_at),
    acknowledgedBy: row.acknowledged_by,
    identifiedAt: row.identified_at === null ? null : Number(row.identified_at),
    mitigatedAt: row.mitigated_at === null ? null : Number(row.mitigated_at),
    resolvedAt: row.resolved_at === null ? null : Number(row.resolved_at),
    closedAt: row.closed_at === null ? null : Number(row.closed_at),
    lastUpdateAt: row.last_update_at === null ? null : Number(row.last_update_at),
    updatedAt: Number(row.updated_at),
    version: Number(row.version),
  };
}

function toRow(record: IncidentRecord): IncidentsTable {
  return {
    id: record.id,
    title: record.title,
    summary: record.summary,
    severity: record.severity,
    status: record.status,
    services: toJson(record.services),
    roles: toJson(record.roles),
    declared_at: record.declaredAt,
    declared_by: record.declaredBy,
    acknowledged_at: record.acknowledgedAt,
    acknowledged_by: record.acknowledgedBy,
    identified_at: record.identifiedAt,
    mitigated_at: record.mitigatedAt,
    resolved_at: record.resolvedAt,
    closed_at: record.closedAt,
    last_update_at: record.lastUpdateAt,
    updated_at: record.updatedAt,
    version: record.version,
  };
}

const likeEscape = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

export class IncidentRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {}

  async insert(record: IncidentRecord): Promise<void> {
    await this.db.insertInto('incidents').values(toRow(record)).execute();
  }

  async get(id: string): Promise<IncidentRecord | undefined> {
    const row = await this.db.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  /**
   * Reads the incident and, on PostgreSQL, locks its row until the transaction
   * ends, so concurrent writers queue instead of failing (SQLite transactions
   * are serialised anyway).
   */
  async getForUpdate(id: string): Promise<IncidentRecord | undefined> {
    let query = this.db.selectFrom('incidents').selectAll().where('id', '=', id);
    if (this.dialect === 'postgres') query = query.forUpdate();
    const row = await query.executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  /**
   * Writes `next` only if the stored version is still `next.version - 1`; returns
   * false when someone else wrote first, so no update is ever lost silently.
   */
  async replace(next: IncidentRecord): Promise<boolean> {
    const { id: _id, ...changes } = toRow(next);
    const result = await this.db
      .updateTable('incidents')
      .set(changes)
      .where('id', '=', next.id)
      .where('version', '=', next.version - 1)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async list(filter: IncidentFilter): Promise<IncidentRecord[]> {
    let query = this.db.selectFrom('incidents').selectAll();
    if (filter.statuses?.length) query = query.where('status', 'in', filter.statuses);
    if (filter.severities?.length) query = query.where('severity', 'in', filter.severities);
    if (filter.service !== undefined) {
      const pattern = `%${likeEscape(JSON.stringify(filter.service))}%`;
      query = query.where(sql<boolean>`services like ${pattern} escape '\\'`);
    }
    for (const word of (filter.text ?? '').split(/\s+/).filter(Boolean).slice(0, 10)) {
      const pattern = `%${likeEscape(word.toLowerCase())}%`;
      query = query.where(sql<boolean>`(lower(title) like ${pattern} escape '\\' or lower(summary) like ${pattern} escape '\\')`);
    }
    if (filter.declaredFrom !== undefined) query = query.where('declared_at', '>=', filter.declaredFrom);
    if (filter.declaredTo !== undefined) query = query.where('declared_at', '<', filter.declaredTo);
    const after = filter.after;
    if (after) {
      query = query.where((eb) =>
        eb.or([
          eb('declared_at', '<', after.declaredAt),
          eb.and([eb('declared_at', '=', after.declaredAt), eb('id', '<', after.id)]),
        ]),
      );
    }
    const rows = await query.orderBy('declared_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
    return rows.map(toRecord);
  }

  async countByStatus(): Promise<Array<{ status: string; severity: string; count: number }>> {
    const rows = await this.db
      .selectFrom('incidents')
      .select(['status', 'severity', (eb) => eb.fn.countAll<number>().as('count')])
      .groupBy(['status', 'severity'])
      .execute();
    return rows.map((r) => ({ status: r.status, severity: r.severity, count: Number(r.count) }));
  }
}
