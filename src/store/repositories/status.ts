import { sql, type Kysely } from 'kysely';
import type { Database, StatusMaintenancesTable, StatusSubscribersTable } from '../schema.ts';
import { fromJson, toJson } from './json.ts';
import type { IncidentRecord } from './incidents.ts';

export interface ComponentOverrideRecord {
  serviceId: string;
  status: string;
  updatedAt: number;
  updatedBy: string;
}

export interface MaintenanceRecord {
  id: string;
  title: string;
  body: string;
  components: string[];
  scheduledFor: number;
  scheduledUntil: number;
  createdAt: number;
  createdBy: string;
  deletedAt: number | null;
}

/** A stakeholder update marked public: the only incident text the status page may show. */
export interface PublicUpdateRecord {
  id: string;
  incidentId: string;
  at: number;
  text: string;
}

export interface StatusChangeRecord {
  incidentId: string;
  at: number;
  to: string;
}

export type SubscriberState = 'pending' | 'confirmed' | 'unsubscribed';

/** Someone who gets status page updates by email; tokens only as their SHA-256 digests. */
export interface SubscriberRecord {
  id: string;
  email: string;
  state: SubscriberState;
  confirmTokenHash: string | null;
  unsubscribeTokenHash: string;
  createdAt: number;
  confirmedAt: number | null;
  unsubscribedAt: number | null;
}

const toSubscriber = (row: StatusSubscribersTable): SubscriberRecord => ({
  id: row.id,
  email: row.email,
  state: row.state as SubscriberState,
  confirmTokenHash: row.confirm_token_hash,
  unsubscribeTokenHash: row.unsubscribe_token_hash,
  createdAt: Number(row.created_at),
  confirmedAt: row.confirmed_at === null ? null : Number(row.confirmed_at),
  unsubscribedAt: row.unsubscribed_at === null ? null : Number(row.unsubscribed_at),
});

const toMaintenance = (row: StatusMaintenancesTable): MaintenanceRecord => ({
  id: row.id,
  title: row.title,
  body: row.body,
  components: fromJson<string[]>(row.components, []),
  scheduledFor: Number(row.scheduled_for),
  scheduledUntil: Number(row.scheduled_until),
  createdAt: Number(row.created_at),
  createdBy: row.created_by,
  deletedAt: row.deleted_at === null ? null : Number(row.deleted_at),
});

// Timeline data is JSON text on both engines, written by JSON.stringify (no spaces);
// this narrows the scan in SQL and every row is checked again after parsing.
const PUBLIC_PATTERN = '%"public":true%';

/** The public status page's own state, and its read model over incidents and their timelines. */
export class StatusRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async overrides(): Promise<ComponentOverrideRecord[]> {
    const rows = await this.db.selectFrom('status_components').selectAll().orderBy('service_id').execute();
    return rows.map((r) => ({ serviceId: r.service_id, status: r.status, updatedAt: Number(r.updated_at), updatedBy: r.updated_by }));
  }

  async setOverride(record: ComponentOverrideRecord): Promise<void> {
    const values = { service_id: record.serviceId, status: record.status, updated_at: record.updatedAt, updated_by: record.updatedBy };
    await this.db
      .insertInto('status_components')
      .values(values)
      .onConflict((oc) => oc.column('service_id').doUpdateSet({ status: values.status, updated_at: values.updated_at, updated_by: values.updated_by }))
      .execute();
  }

  async clearOverride(serviceId: string): Promise<boolean> {
    const result = await this.db.deleteFrom('status_components').where('service_id', '=', serviceId).executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }

  async insertMaintenance(m: MaintenanceRecord): Promise<void> {
    await this.db
      .insertInto('status_maintenances')
      .values({
        id: m.id,
        title: m.title,
        body: m.body,
        components: toJson(m.components),
        scheduled_for: m.scheduledFor,
        scheduled_until: m.scheduledUntil,
        created_at: m.createdAt,
        created_by: m.createdBy,
        deleted_at: m.deletedAt,
      })
      .execute();
  }

  async getMaintenance(id: string): Promise<MaintenanceRecord | undefined> {
    const row = await this.db.selectFrom('status_maintenances').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toMaintenance(row) : undefined;
  }

  /** Not deleted; those not yet over first, then the most recent past ones, up to `limit` of those. */
  async maintenances(options: { now: number; pastLimit: number }): Promise<MaintenanceRecord[]> {
    const current = await this.db
      .selectFrom('status_maintenances')
      .selectAll()
      .where('deleted_at', 'is', null)
      .where('scheduled_until', '>', options.now)
      .orderBy('scheduled_for', 'asc')
      .execute();
    const past = await this.db
      .selectFrom('status_maintenances')
      .selectAll()
      .where('deleted_at', 'is', null)
      .where('scheduled_until', '<=', options.now)
      .orderBy('scheduled_until', 'desc')
      .orderBy('id', 'desc')
      .limit(options.pastLimit)
      .execute();
    return [...current, ...past].map(toMaintenance);
  }

  async deleteMaintenance(id: string, at: number): Promise<boolean> {
    const result = await this.db
      .updateTable('status_maintenances')
      .set({ deleted_at: at })
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Every incident with at least one public update, and when its latest public update was posted. */
  async publicIncidentActivity(): Promise<Array<{ incidentId: string; lastPublicAt: number }>> {
    const rows = await this.db
      .selectFrom('timeline')
      .select(['incident_id', (eb) => eb.fn.max('at').as('last')])
      // Literal kinds, so that SQLite can use the partial indexes of 0009 (a bound value it cannot match to them).
      .where('kind', '=', sql.lit('update'))
      .where(sql<boolean>`data like ${PUBLIC_PATTERN}`)
      .groupBy('incident_id')
      .execute();
    return rows.map((r) => ({ incidentId: r.incident_id, lastPublicAt: Number(r.last) }));
  }

  async openIncidentIds(openStatuses: readonly string[]): Promise<string[]> {
    const rows = await this.db.selectFrom('incidents').select('id').where('status', 'in', [...openStatuses]).execute();
    return rows.map((r) => r.id);
  }

  async incidents(ids: readonly string[]): Promise<IncidentRecord[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.selectFrom('incidents').selectAll().where('id', 'in', [...ids]).execute();
    return rows.map((row) => ({
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
    }));
  }

  /** Public updates of these incidents, oldest first. Internal updates and every other entry stay behind. */
  async publicUpdates(incidentIds: readonly string[]): Promise<PublicUpdateRecord[]> {
    if (incidentIds.length === 0) return [];
    const rows = await this.db
      .selectFrom('timeline')
      .select(['id', 'incident_id', 'at', 'text', 'data'])
      .where('incident_id', 'in', [...incidentIds])
      .where('kind', '=', sql.lit('update'))
      .where(sql<boolean>`data like ${PUBLIC_PATTERN}`)
      .orderBy('id', 'asc')
      .execute();
    return rows
      .filter((r) => fromJson<Record<string, unknown>>(r.data, {}).public === true)
      .map((r) => ({ id: r.id, incidentId: r.incident_id, at: Number(r.at), text: r.text }));
  }

  /** Status changes (and reopenings) of these incidents, oldest first: only where each went, and when. */
  async statusChanges(incidentIds: readonly string[]): Promise<StatusChangeRecord[]> {
    if (incidentIds.length === 0) return [];
    const rows = await this.db
      .selectFrom('timeline')
      .select(['incident_id', 'at', 'data'])
      .where('incident_id', 'in', [...incidentIds])
      .where(sql<boolean>`${sql.ref('kind')} in (${sql.lit('status')}, ${sql.lit('reopened')})`)
      .orderBy('id', 'asc')
      .execute();
    return rows.flatMap((r) => {
      const to = fromJson<Record<string, unknown>>(r.data, {}).to;
      return typeof to === 'string' ? [{ incidentId: r.incident_id, at: Number(r.at), to }] : [];
    });
  }

  async subscriberByEmail(email: string): Promise<SubscriberRecord | undefined> {
    const row = await this.db.selectFrom('status_subscribers').selectAll().where('email', '=', email).executeTakeFirst();
    return row ? toSubscriber(row) : undefined;
  }

  async subscriberByToken(kind: 'confirm' | 'unsubscribe', tokenHash: string): Promise<SubscriberRecord | undefined> {
    const column = kind === 'confirm' ? 'confirm_token_hash' : 'unsubscribe_token_hash';
    const row = await this.db.selectFrom('status_subscribers').selectAll().where(column, '=', tokenHash).executeTakeFirst();
    return row ? toSubscriber(row) : undefined;
  }

  /** Inserts, or (same address) replaces the row's state and confirm token; the id and unsubscribe token stay. */
  async saveSubscriber(record: SubscriberRecord): Promise<void> {
    const values = {
      id: record.id,
      email: record.email,
      state: record.state,
      confirm_token_hash: record.confirmTokenHash,
      unsubscribe_token_hash: record.unsubscribeTokenHash,
      created_at: record.createdAt,
      confirmed_at: record.confirmedAt,
      unsubscribed_at: record.unsubscribedAt,
    };
    await this.db
      .insertInto('status_subscribers')
      .values(values)
      .onConflict((oc) =>
        oc.column('email').doUpdateSet({
          state: values.state,
          confirm_token_hash: values.confirm_token_hash,
          confirmed_at: values.confirmed_at,
          unsubscribed_at: values.unsubscribed_at,
        }),
      )
      .execute();
  }

  /** pending → confirmed, once: a second use of the token finds nothing. */
  async confirmSubscriber(id: string, at: number): Promise<boolean> {
    const result = await this.db
      .updateTable('status_subscribers')
      .set({ state: 'confirmed', confirm_token_hash: null, confirmed_at: at, unsubscribed_at: null })
      .where('id', '=', id)
      .where('state', '=', 'pending')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async unsubscribeSubscriber(id: string, at: number): Promise<boolean> {
    const result = await this.db
      .updateTable('status_subscribers')
      .set({ state: 'unsubscribed', confirm_token_hash: null, unsubscribed_at: at })
      .where('id', '=', id)
      .where('state', '!=', 'unsubscribed')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async deleteSubscriber(id: string): Promise<boolean> {
    const result = await this.db.deleteFrom('status_subscribers').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }

  /** In id order (the order they signed up); `state` narrows. */
  async subscribers(options: { state?: SubscriberState; limit?: number } = {}): Promise<SubscriberRecord[]> {
    let query = this.db.selectFrom('status_subscribers').selectAll().orderBy('id', 'asc');
    if (options.state !== undefined) query = query.where('state', '=', options.state);
    if (options.limit !== undefined) query = query.limit(options.limit);
    return (await query.execute()).map(toSubscriber);
  }
}
