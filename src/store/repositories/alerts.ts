import { CompiledQuery, sql, type Kysely } from 'kysely';
import type { Dialect } from '../connect.ts';
import type { AlertsTable, Database } from '../schema.ts';
import { ROWS_PER_STATEMENT, insertStatements, unnest, valuesList, type BulkColumn } from './bulk.ts';
import { fromJson, toJson } from './json.ts';

export type AlertStatus = 'firing' | 'resolved' | 'acknowledged';

export interface AlertRecord {
  id: string;
  integrationId: string;
  dedupKey: string;
  name: string;
  status: AlertStatus;
  severity: string;
  service: string | null;
  summary: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  details: Record<string, unknown>;
  groupKey: string;
  runbook: string | null;
  generatorUrl: string | null;
  startsAt: number | null;
  endsAt: number | null;
  firstSeenAt: number;
  lastSeenAt: number;
  lastChangeAt: number;
  count: number;
  suppressedBy: string | null;
  incidentId: string | null;
}

export interface AlertHistoryEntry {
  id: string;
  alertId: string;
  at: number;
  kind: string;
  text: string;
  data: Record<string, unknown>;
}

export interface AlertFilter {
  statuses?: string[];
  service?: string;
  incidentId?: string;
  integrationId?: string;
  /** Exact label values that must all be present. */
  labels?: Record<string, string>;
  seenFrom?: number;
  seenTo?: number;
  after?: { lastSeenAt: number; id: string };
  limit: number;
}

const toRecord = (row: AlertsTable): AlertRecord => ({
  id: row.id,
  integrationId: row.integration_id,
  dedupKey: row.dedup_key,
  name: row.name,
  status: row.status as AlertStatus,
  severity: row.severity,
  service: row.service,
  summary: row.summary,
  labels: fromJson<Record<string, string>>(row.labels, {}),
  annotations: fromJson<Record<string, string>>(row.annotations, {}),
  details: fromJson<Record<string, unknown>>(row.details, {}),
  groupKey: row.group_key,
  runbook: row.runbook,
  generatorUrl: row.generator_url,
  startsAt: row.starts_at === null ? null : Number(row.starts_at),
  endsAt: row.ends_at === null ? null : Number(row.ends_at),
  firstSeenAt: Number(row.first_seen_at),
  lastSeenAt: Number(row.last_seen_at),
  lastChangeAt: Number(row.last_change_at),
  count: Number(row.count),
  suppressedBy: row.suppressed_by,
  incidentId: row.incident_id,
});

const toRow = (record: AlertRecord): AlertsTable => ({
  id: record.id,
  integration_id: record.integrationId,
  dedup_key: record.dedupKey,
  name: record.name,
  status: record.status,
  severity: record.severity,
  service: record.service,
  summary: record.summary,
  labels: toJson(record.labels),
  annotations: toJson(record.annotations),
  details: toJson(record.details),
  group_key: record.groupKey,
  runbook: record.runbook,
  generator_url: record.generatorUrl,
  starts_at: record.startsAt,
  ends_at: record.endsAt,
  first_seen_at: record.firstSeenAt,
  last_seen_at: record.lastSeenAt,
  last_change_at: record.lastChangeAt,
  count: record.count,
  suppressed_by: record.suppressedBy,
  incident_id: record.incidentId,
});

/** Alert columns in the order the multi-row statements below write them, with their PostgreSQL types. */
const ALERT_COLUMNS = [
  ['id', 'text'], ['integration_id', 'text'], ['dedup_key', 'text'], ['name', 'text'], ['status', 'text'], ['severity', 'text'],
  ['service', 'text'], ['summary', 'text'], ['labels', 'text'], ['annotations', 'text'], ['details', 'text'], ['group_key', 'text'],
  ['runbook', 'text'], ['generator_url', 'text'], ['starts_at', 'bigint'], ['ends_at', 'bigint'], ['first_seen_at', 'bigint'],
  ['last_seen_at', 'bigint'], ['last_change_at', 'bigint'], ['count', 'integer'], ['suppressed_by', 'text'], ['incident_id', 'text'],
] as const satisfies ReadonlyArray<readonly [keyof AlertsTable, string]> & readonly BulkColumn[];

/** An alert's values in the order of ALERT_COLUMNS. */
const alertValues = (record: AlertRecord): unknown[] => [
  record.id,
  record.integrationId,
  record.dedupKey,
  record.name,
  record.status,
  record.severity,
  record.service,
  record.summary,
  toJson(record.labels),
  toJson(record.annotations),
  toJson(record.details),
  record.groupKey,
  record.runbook,
  record.generatorUrl,
  record.startsAt,
  record.endsAt,
  record.firstSeenAt,
  record.lastSeenAt,
  record.lastChangeAt,
  record.count,
  record.suppressedBy,
  record.incidentId,
];

const HISTORY_COLUMNS: readonly BulkColumn[] = [['id', 'text'], ['alert_id', 'text'], ['at', 'bigint'], ['kind', 'text'], ['text', 'text'], ['data', 'text']];


/** What placing an alert in its group's incident needs to know of that incident. */
export interface GroupIncident {
  id: string;
  status: string;
  resolvedAt: number | null;
}

/** A repeat (or several) of a stored alert, written by `touchStatements`. */
export interface AlertTouch {
  id: string;
  /** When it was last seen: becomes last_seen_at. */
  at: number;
  /** How many deliveries: added to count. */
  n: number;
  /** Labels and annotations as last sent, as JSON; null keeps the stored ones. */
  labels: string | null;
  annotations: string | null;
}

/**
 * Statements whose text is built here rather than by Kysely's query builder:
 * the ingest path sends many rows in one statement, and building a query tree
 * per row costs more than running it. Values are always bound parameters: on
 * SQLite a `VALUES` list of them, on PostgreSQL one array per column (`unnest`),
 * so that the statement text, its planning and its binding stay small.
 */
class RawStatements {
  constructor(private readonly db: Kysely<Database>) {}

  /** `(?, ?, …), (?, ?, …)` (SQLite). */
  rows(count: number, width: number): string {
    return valuesList(count, width);
  }

  /** `?, ?, …` (SQLite). */
  list(count: number): string {
    return Array.from({ length: count }, () => '?').join(', ');
  }

  /** `unnest($1::text[], $2::bigint[] …)` for these PostgreSQL types. */
  unnest(types: readonly string[]): string {
    return unnest(types);
  }

  async run<R>(text: string, parameters: unknown[]): Promise<R[]> {
    const result = await this.db.executeQuery<R>(CompiledQuery.raw(text, parameters));
    return result.rows;
  }
}

function chunks<T>(items: readonly T[], size = ROWS_PER_STATEMENT): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export class AlertRepository {
  private readonly raw: RawStatements;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {
    this.raw = new RawStatements(db);
  }

  /** The stored alerts of one integration with these dedup keys (absent ones are simply missing). */
  async findByIdentities(integrationId: string, dedupKeys: readonly string[]): Promise<AlertRecord[]> {
    const found: AlertRecord[] = [];
    if (this.dialect === 'postgres') {
      const rows = await this.raw.run<AlertsTable>('select * from alerts where integration_id = $1 and dedup_key = any($2::text[])', [integrationId, [...new Set(dedupKeys)]]);
      return rows.map(toRecord);
    }
    for (const keys of chunks([...new Set(dedupKeys)])) {
      const rows = await this.raw.run<AlertsTable>(
        `select * from alerts where integration_id = ? and dedup_key in (${this.raw.list(keys.length)})`,
        [integrationId, ...keys],
      );
      for (const row of rows) found.push(toRecord(row));
    }
    return found;
  }

  /** New alerts, one statement per few hundred. */
  async insertMany(records: readonly AlertRecord[]): Promise<void> {
    for (const statement of this.insertStatements(records)) await this.db.executeQuery(statement);
  }

  /** The statements of insertMany, to run with others (Tx.send). */
  insertStatements(records: readonly AlertRecord[]): CompiledQuery[] {
    return insertStatements(this.dialect, 'alerts', ALERT_COLUMNS, records.map(alertValues));
  }

  /**
   * Repeats of stored alerts in one statement (per few hundred on SQLite):
   * last_seen_at moved forward (never back: a refresh written late must not
   * undo a later change), count increased (relative, so that concurrent repeats
   * on other instances add up), labels and annotations replaced where given.
   * One entry per alert id; to run with other statements (Tx.send).
   */
  touchStatements(touches: readonly AlertTouch[]): CompiledQuery[] {
    if (touches.length === 0) return [];
    if (this.dialect === 'postgres') {
      return [
        CompiledQuery.raw(
          `update alerts set last_seen_at = greatest(alerts.last_seen_at, v.at), count = alerts.count + v.n, ` +
            `labels = coalesce(v.labels, alerts.labels), annotations = coalesce(v.annotations, alerts.annotations) ` +
            `from ${unnest(['text', 'bigint', 'integer', 'text', 'text'])} as v(id, at, n, labels, annotations) where alerts.id = v.id`,
          [touches.map((t) => t.id), touches.map((t) => t.at), touches.map((t) => t.n), touches.map((t) => t.labels), touches.map((t) => t.annotations)],
        ),
      ];
    }
    return chunks(touches).map((part) => {
      const parameters: unknown[] = [];
      for (const t of part) parameters.push(t.id, t.at, t.n, t.labels, t.annotations);
      return CompiledQuery.raw(
        `update alerts set last_seen_at = max(alerts.last_seen_at, v.column2), count = alerts.count + v.column3, ` +
          `labels = coalesce(v.column4, alerts.labels), annotations = coalesce(v.column5, alerts.annotations) ` +
          `from (values ${valuesList(part.length, 5)}) as v where alerts.id = v.column1`,
        parameters,
      );
    });
  }

  async findByIdentity(integrationId: string, dedupKey: string): Promise<AlertRecord | undefined> {
    const row = await this.db
      .selectFrom('alerts')
      .selectAll()
      .where('integration_id', '=', integrationId)
      .where('dedup_key', '=', dedupKey)
      .executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  async get(id: string): Promise<AlertRecord | undefined> {
    const row = await this.db.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  async insert(record: AlertRecord): Promise<void> {
    await this.db.insertInto('alerts').values(toRow(record)).execute();
  }

  async save(record: AlertRecord): Promise<void> {
    const { id: _id, ...changes } = toRow(record);
    await this.db.updateTable('alerts').set(changes).where('id', '=', record.id).execute();
  }

  /** A repeat of a known alert: the cheap path that most deliveries take. */
  async touch(id: string, at: number, labels: Record<string, string>, annotations: Record<string, string>): Promise<void> {
    await this.db
      .updateTable('alerts')
      .set((eb) => ({ last_seen_at: at, count: eb('count', '+', 1), labels: toJson(labels), annotations: toJson(annotations) }))
      .where('id', '=', id)
      .execute();
  }

  async forIncident(incidentId: string): Promise<AlertRecord[]> {
    const rows = await this.db.selectFrom('alerts').selectAll().where('incident_id', '=', incidentId).orderBy('first_seen_at').execute();
    return rows.map(toRecord);
  }

  async countOpenForIncident(incidentId: string): Promise<number> {
    const row = await this.db
      .selectFrom('alerts')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('incident_id', '=', incidentId)
      .where('status', '!=', 'resolved')
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Firing alerts that are not themselves suppressed: candidates to inhibit others. */
  async firingUnsuppressed(limit: number): Promise<AlertRecord[]> {
    const rows = await this.db
      .selectFrom('alerts')
      .selectAll()
      .where('status', '=', 'firing')
      .where('suppressed_by', 'is', null)
      .orderBy('last_seen_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toRecord);
  }

  async list(filter: AlertFilter): Promise<AlertRecord[]> {
    let query = this.db.selectFrom('alerts').selectAll();
    if (filter.statuses?.length) query = query.where('status', 'in', filter.statuses);
    if (filter.service !== undefined) query = query.where('service', '=', filter.service);
    if (filter.incidentId !== undefined) query = query.where('incident_id', '=', filter.incidentId);
    if (filter.integrationId !== undefined) query = query.where('integration_id', '=', filter.integrationId);
    if (filter.seenFrom !== undefined) query = query.where('last_seen_at', '>=', filter.seenFrom);
    if (filter.seenTo !== undefined) query = query.where('last_seen_at', '<', filter.seenTo);
    for (const [name, value] of Object.entries(filter.labels ?? {})) {
      // Labels are a JSON object; find the exact "name":"value" pair as JSON writes it,
      // by position rather than LIKE, so that case and % _ are taken literally.
      const needle = `${JSON.stringify(name)}:${JSON.stringify(value)}`;
      query = query.where(this.dialect === 'postgres' ? sql<boolean>`strpos(labels, ${needle}) > 0` : sql<boolean>`instr(labels, ${needle}) > 0`);
    }
    const after = filter.after;
    if (after) {
      query = query.where((eb) =>
        eb.or([eb('last_seen_at', '<', after.lastSeenAt), eb.and([eb('last_seen_at', '=', after.lastSeenAt), eb('id', '<', after.id)])]),
      );
    }
    const rows = await query.orderBy('last_seen_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
    return rows.map(toRecord);
  }

  async appendHistory(entry: AlertHistoryEntry): Promise<void> {
    await this.db
      .insertInto('alert_history')
      .values({ id: entry.id, alert_id: entry.alertId, at: entry.at, kind: entry.kind, text: entry.text, data: toJson(entry.data) })
      .execute();
  }

  async appendHistoryMany(entries: readonly AlertHistoryEntry[]): Promise<void> {
    for (const statement of this.historyStatements(entries)) await this.db.executeQuery(statement);
  }

  /** The statements of appendHistoryMany, to run with others (Tx.send). */
  historyStatements(entries: readonly AlertHistoryEntry[]): CompiledQuery[] {
    return insertStatements(this.dialect, 'alert_history', HISTORY_COLUMNS, entries.map((e) => [e.id, e.alertId, e.at, e.kind, e.text, toJson(e.data)]));
  }

  async history(alertId: string, limit: number): Promise<AlertHistoryEntry[]> {
    const rows = await this.db.selectFrom('alert_history').selectAll().where('alert_id', '=', alertId).orderBy('id').limit(limit).execute();
    return rows.map((row) => ({
      id: row.id,
      alertId: row.alert_id,
      at: Number(row.at),
      kind: row.kind,
      text: row.text,
      data: fromJson<Record<string, unknown>>(row.data, {}),
    }));
  }

  async groupIncident(service: string, groupKey: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('alert_groups')
      .select('incident_id')
      .where('service', '=', service)
      .where('group_key', '=', groupKey)
      .executeTakeFirst();
    return row?.incident_id;
  }

  /**
   * The incidents of these alert groups, as far as placing an alert needs them
   * (id, status, when resolved), keyed by `service` NUL `group key`; groups
   * without an incident are missing.
   */
  async groupIncidents(groups: ReadonlyArray<{ service: string; groupKey: string }>): Promise<Map<string, GroupIncident>> {
    const found = new Map<string, GroupIncident>();
    for (const part of chunks(groups)) {
      const postgres = this.dialect === 'postgres';
      const rows = await this.raw.run<{ service: string; group_key: string; id: string; status: string; resolved_at: number | null }>(
        `select g.service, g.group_key, i.id, i.status, i.resolved_at from alert_groups g join incidents i on i.id = g.incident_id ` +
          `where (g.service, g.group_key) in (${postgres ? `select * from ${this.raw.unnest(['text', 'text'])}` : `values ${this.raw.rows(part.length, 2)}`})`,
        postgres ? [part.map((g) => g.service), part.map((g) => g.groupKey)] : part.flatMap((g) => [g.service, g.groupKey]),
      );
      for (const row of rows) {
        found.set(`${row.service}\u0000${row.group_key}`, { id: row.id, status: row.status, resolvedAt: row.resolved_at === null ? null : Number(row.resolved_at) });
      }
    }
    return found;
  }

  async setGroupIncident(service: string, groupKey: string, incidentId: string, at: number): Promise<void> {
    await this.db
      .insertInto('alert_groups')
      .values({ service, group_key: groupKey, incident_id: incidentId, updated_at: at })
      .onConflict((oc) => oc.columns(['service', 'group_key']).doUpdateSet({ incident_id: incidentId, updated_at: at }))
      .execute();
  }

  /**
   * PostgreSQL: takes these alert-group locks (as Tx.lock does: advisory, until
   * the transaction ends) in the order given, in one statement. Nothing on SQLite.
   */
  async lockGroups(keys: readonly string[]): Promise<void> {
    if (this.dialect !== 'postgres' || keys.length === 0) return;
    await this.raw.run('select pg_advisory_xact_lock(hashtextextended(k, 0)) from unnest($1::text[]) as k', [keys]);
  }

  async countByStatus(): Promise<Array<{ status: string; suppressed: boolean; count: number }>> {
    const rows = await this.db
      .selectFrom('alerts')
      .select(['status', sql<number>`case when suppressed_by is null then 0 else 1 end`.as('suppressed'), (eb) => eb.fn.countAll<number>().as('count')])
      .groupBy(['status', sql`case when suppressed_by is null then 0 else 1 end`])
      .execute();
    return rows.map((r) => ({ status: r.status, suppressed: Number(r.suppressed) === 1, count: Number(r.count) }));
  }
}
