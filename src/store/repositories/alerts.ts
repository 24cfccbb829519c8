import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../connect.ts';
import type { AlertsTable, Database } from '../schema.ts';
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

export class AlertRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {}

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

  async setGroupIncident(service: string, groupKey: string, incidentId: string, at: number): Promise<void> {
    await this.db
      .insertInto('alert_groups')
      .values({ service, group_key: groupKey, incident_id: incidentId, updated_at: at })
      .onConflict((oc) => oc.columns(['service', 'group_key']).doUpdateSet({ incident_id: incidentId, updated_at: at }))
      .execute();
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
