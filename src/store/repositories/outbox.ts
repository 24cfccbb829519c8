import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../connect.ts';
import type { Database, OutboxTable } from '../schema.ts';
import { fromJson, toJson } from './json.ts';

export type OutboxState = 'pending' | 'sending' | 'delivered' | 'dead' | 'cancelled';

export interface OutboxRecord {
  id: string;
  idempotencyKey: string;
  channelId: string;
  incidentId: string | null;
  pageId: string | null;
  message: Record<string, unknown>;
  state: OutboxState;
  attempts: number;
  nextAttemptAt: number;
  leaseUntil: number | null;
  lastError: string | null;
  lastStatus: number | null;
  remoteId: string | null;
  createdAt: number;
  deliveredAt: number | null;
}

const toRecord = (row: OutboxTable): OutboxRecord => ({
  id: row.id,
  idempotencyKey: row.idempotency_key,
  channelId: row.channel_id,
  incidentId: row.incident_id,
  pageId: row.page_id,
  message: fromJson<Record<string, unknown>>(row.message, {}),
  state: row.state as OutboxState,
  attempts: Number(row.attempts),
  nextAttemptAt: Number(row.next_attempt_at),
  leaseUntil: row.lease_until === null ? null : Number(row.lease_until),
  lastError: row.last_error,
  lastStatus: row.last_status === null ? null : Number(row.last_status),
  remoteId: row.remote_id,
  createdAt: Number(row.created_at),
  deliveredAt: row.delivered_at === null ? null : Number(row.delivered_at),
});

export class OutboxRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {}

  /** Enqueues once per idempotency key: a retried cause never sends twice. */
  async enqueue(record: Omit<OutboxRecord, 'state' | 'attempts' | 'leaseUntil' | 'lastError' | 'lastStatus' | 'remoteId' | 'deliveredAt'>): Promise<boolean> {
    const result = await this.db
      .insertInto('outbox')
      .values({
        id: record.id,
        idempotency_key: record.idempotencyKey,
        channel_id: record.channelId,
        incident_id: record.incidentId,
        page_id: record.pageId,
        message: toJson(record.message),
        state: 'pending',
        attempts: 0,
        next_attempt_at: record.nextAttemptAt,
        lease_until: null,
        last_error: null,
        last_status: null,
        remote_id: null,
        created_at: record.createdAt,
        delivered_at: null,
      })
      .onConflict((oc) => oc.column('idempotency_key').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  /**
   * Leases due messages to this worker: pending ones whose time has come, and
   * ones whose previous lease ran out (the sender died mid-delivery).
   */
  async claim(now: number, leaseMs: number, limit: number, channels?: string[]): Promise<OutboxRecord[]> {
    const lock = this.dialect === 'postgres' ? sql`for update skip locked` : sql``;
    const channelFilter = channels && channels.length > 0 ? sql`and channel_id not in (${sql.join(channels)})` : sql``;
    const result = await sql<OutboxTable>`
      update outbox
         set state = 'sending', lease_until = ${now + leaseMs}, attempts = attempts + 1
       where id in (select id from outbox
                     where ((state = 'pending' and next_attempt_at <= ${now}) or (state = 'sending' and lease_until < ${now}))
                     ${channelFilter}
                     order by next_attempt_at
                     limit ${limit} ${lock})
      returning *`.execute(this.db);
    return result.rows.map(toRecord).sort((a, b) => a.nextAttemptAt - b.nextAttemptAt);
  }

  async markDelivered(id: string, at: number, status: number | null, remoteId: string | null): Promise<void> {
    await this.db
      .updateTable('outbox')
      .set({ state: 'delivered', delivered_at: at, lease_until: null, last_status: status, remote_id: remoteId, last_error: null })
      .where('id', '=', id)
      .where('state', '=', 'sending')
      .execute();
  }

  async markRetry(id: string, nextAttemptAt: number, error: string, status: number | null): Promise<void> {
    await this.db
      .updateTable('outbox')
      .set({ state: 'pending', next_attempt_at: nextAttemptAt, lease_until: null, last_error: error.slice(0, 2000), last_status: status })
      .where('id', '=', id)
      .where('state', '=', 'sending')
      .execute();
  }

  async markDead(id: string, error: string, status: number | null): Promise<void> {
    await this.db
      .updateTable('outbox')
      .set({ state: 'dead', lease_until: null, last_error: error.slice(0, 2000), last_status: status })
      .where('id', '=', id)
      .where('state', '=', 'sending')
      .execute();
  }

  /** A page that was acknowledged meanwhile: what has not gone out yet never will. */
  async cancelForPages(pageIds: string[]): Promise<number> {
    if (pageIds.length === 0) return 0;
    const result = await this.db
      .updateTable('outbox')
      .set({ state: 'cancelled', lease_until: null })
      .where('page_id', 'in', pageIds)
      .where('state', '=', 'pending')
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async replay(id: string, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable('outbox')
      .set({ state: 'pending', attempts: 0, next_attempt_at: now, lease_until: null })
      .where('id', '=', id)
      .where('state', '=', 'dead')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async get(id: string): Promise<OutboxRecord | undefined> {
    const row = await this.db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  async list(filter: { states?: string[]; incidentId?: string; channelId?: string; limit: number; beforeId?: string }): Promise<OutboxRecord[]> {
    let query = this.db.selectFrom('outbox').selectAll();
    if (filter.states?.length) query = query.where('state', 'in', filter.states);
    if (filter.incidentId !== undefined) query = query.where('incident_id', '=', filter.incidentId);
    if (filter.channelId !== undefined) query = query.where('channel_id', '=', filter.channelId);
    if (filter.beforeId !== undefined) query = query.where('id', '<', filter.beforeId);
    const rows = await query.orderBy('id', 'desc').limit(filter.limit).execute();
    return rows.map(toRecord);
  }

  async nextDueAt(): Promise<number | null> {
    const row = await this.db
      .selectFrom('outbox')
      .select((eb) => eb.fn.min('next_attempt_at').as('next'))
      .where('state', '=', 'pending')
      .executeTakeFirst();
    return row?.next === null || row?.next === undefined ? null : Number(row.next);
  }

  async countByState(): Promise<Array<{ state: string; count: number }>> {
    const rows = await this.db.selectFrom('outbox').select(['state', (eb) => eb.fn.countAll<number>().as('count')]).groupBy('state').execute();
    return rows.map((r) => ({ state: r.state, count: Number(r.count) }));
  }
}
