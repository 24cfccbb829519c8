import type { CompiledQuery, Kysely } from 'kysely';
import type { Dialect } from '../connect.ts';
import type { Database, TimelineTable } from '../schema.ts';
import { insertStatements, type BulkColumn } from './bulk.ts';
import { fromJson, toJson } from './json.ts';

export interface TimelineEntry {
  id: string;
  incidentId: string;
  at: number;
  actor: string;
  kind: string;
  text: string;
  data: Record<string, unknown>;
}

const toEntry = (row: TimelineTable): TimelineEntry => ({
  id: row.id,
  incidentId: row.incident_id,
  at: Number(row.at),
  actor: row.actor,
  kind: row.kind,
  text: row.text,
  data: fromJson<Record<string, unknown>>(row.data, {}),
});

const toRow = (entry: TimelineEntry): TimelineTable => ({
  id: entry.id,
  incident_id: entry.incidentId,
  at: entry.at,
  actor: entry.actor,
  kind: entry.kind,
  text: entry.text,
  data: toJson(entry.data),
});

const COLUMNS: readonly BulkColumn[] = [['id', 'text'], ['incident_id', 'text'], ['at', 'bigint'], ['actor', 'text'], ['kind', 'text'], ['text', 'text'], ['data', 'text']];

/** Append-only: there is no update and no delete. */
export class TimelineRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {}

  async append(entry: TimelineEntry): Promise<void> {
    await this.db.insertInto('timeline').values(toRow(entry)).execute();
  }

  /** Several entries, one statement per few hundred (alert ingest attaching many alerts). */
  async appendMany(entries: readonly TimelineEntry[]): Promise<void> {
    for (const statement of this.appendStatements(entries)) await this.db.executeQuery(statement);
  }

  /** The statements of appendMany, to run with others (Tx.send). */
  appendStatements(entries: readonly TimelineEntry[]): CompiledQuery[] {
    return insertStatements(this.dialect, 'timeline', COLUMNS, entries.map((e) => [e.id, e.incidentId, e.at, e.actor, e.kind, e.text, toJson(e.data)]));
  }

  /** Entries between the ids given (neither included), oldest first, or newest first with `newestFirst`. */
  async list(incidentId: string, options: { afterId?: string; beforeId?: string; limit: number; newestFirst?: boolean }): Promise<TimelineEntry[]> {
    let query = this.db.selectFrom('timeline').selectAll().where('incident_id', '=', incidentId);
    if (options.afterId !== undefined) query = query.where('id', '>', options.afterId);
    if (options.beforeId !== undefined) query = query.where('id', '<', options.beforeId);
    const rows = await query.orderBy('id', options.newestFirst ? 'desc' : 'asc').limit(options.limit).execute();
    return rows.map(toEntry);
  }

  async countByKind(incidentId: string, kind: string): Promise<number> {
    const row = await this.db
      .selectFrom('timeline')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('incident_id', '=', incidentId)
      .where('kind', '=', kind)
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }
}
