import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../connect.ts';
import type { Database, TimersTable } from '../schema.ts';
import { fromJson, toJson } from './json.ts';

export interface TimerRecord {
  id: string;
  kind: string;
  dueAt: number;
  payload: Record<string, unknown>;
  state: 'pending' | 'fired' | 'cancelled' | 'failed';
  firedAt: number | null;
  firedBy: string | null;
  lateMs: number | null;
  attempts: number;
  lastError: string | null;
  createdAt: number;
}

const toRecord = (row: TimersTable): TimerRecord => ({
  id: row.id,
  kind: row.kind,
  dueAt: Number(row.due_at),
  payload: fromJson<Record<string, unknown>>(row.payload, {}),
  state: row.state as TimerRecord['state'],
  firedAt: row.fired_at === null ? null : Number(row.fired_at),
  firedBy: row.fired_by,
  lateMs: row.late_ms === null ? null : Number(row.late_ms),
  attempts: Number(row.attempts),
  lastError: row.last_error,
  createdAt: Number(row.created_at),
});

export interface NewTimer {
  id: string;
  kind: string;
  dueAt: number;
  payload: Record<string, unknown>;
  createdAt: number;
}

export class TimerRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {}

  async schedule(timers: NewTimer[]): Promise<void> {
    // Chunked so one statement stays under both engines' bind-parameter limits.
    for (let start = 0; start < timers.length; start += 500) {
      const chunk = timers.slice(start, start + 500);
      await this.db
        .insertInto('timers')
        .values(
          chunk.map((t) => ({
            id: t.id,
            kind: t.kind,
            due_at: t.dueAt,
            payload: toJson(t.payload),
            state: 'pending',
            fired_at: null,
            fired_by: null,
            late_ms: null,
            attempts: 0,
            last_error: null,
            created_at: t.createdAt,
          })),
        )
        .execute();
    }
  }

  async get(id: string): Promise<TimerRecord | undefined> {
    const row = await this.db.selectFrom('timers').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  /** Returns false when the timer already fired or was cancelled. */
  async cancel(id: string): Promise<boolean> {
    const result = await this.db
      .updateTable('timers')
      .set({ state: 'cancelled' })
      .where('id', '=', id)
      .where('state', '=', 'pending')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async reschedule(id: string, dueAt: number): Promise<boolean> {
    const result = await this.db
      .updateTable('timers')
      .set({ due_at: dueAt })
      .where('id', '=', id)
      .where('state', '=', 'pending')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * Claims up to `limit` due timers and marks them fired in one conditional
   * statement. Run it inside the transaction that also applies the timers'
   * effects: a crash rolls both back, so a timer fires exactly once. On
   * PostgreSQL SKIP LOCKED lets several instances claim disjoint batches.
   */
  async claimDue(now: number, limit: number, instance: string): Promise<TimerRecord[]> {
    const lock = this.dialect === 'postgres' ? sql`for update skip locked` : sql``;
    const result = await sql<TimersTable>`
      update timers
         set state = 'fired', fired_at = ${now}, fired_by = ${instance}, late_ms = ${now} - due_at
       where id in (select id from timers
                     where state = 'pending' and due_at <= ${now}
                     order by due_at
                     limit ${limit} ${lock})
         and state = 'pending'
      returning *`.execute(this.db);
    return result.rows.map(toRecord).sort((a, b) => a.dueAt - b.dueAt || (a.id < b.id ? -1 : 1));
  }

  /** A handler failed: put the timer back with a later due time, or give up. */
  async retryLater(id: string, dueAt: number, error: string, giveUp: boolean): Promise<void> {
    await this.db
      .updateTable('timers')
      .set((eb) => ({
        state: giveUp ? 'failed' : 'pending',
        due_at: dueAt,
        fired_at: null,
        fired_by: null,
        late_ms: null,
        attempts: eb('attempts', '+', 1),
        last_error: error.slice(0, 2000),
      }))
      .where('id', '=', id)
      .execute();
  }

  async nextDueAt(): Promise<number | null> {
    const row = await this.db
      .selectFrom('timers')
      .select((eb) => eb.fn.min('due_at').as('next'))
      .where('state', '=', 'pending')
      .executeTakeFirst();
    return row?.next === null || row?.next === undefined ? null : Number(row.next);
  }

  async counts(now: number): Promise<{ pending: number; due: number; failed: number }> {
    const row = await this.db
      .selectFrom('timers')
      .select([
        sql<number>`sum(case when state = 'pending' then 1 else 0 end)`.as('pending'),
        sql<number>`sum(case when state = 'pending' and due_at <= ${now} then 1 else 0 end)`.as('due'),
        sql<number>`sum(case when state = 'failed' then 1 else 0 end)`.as('failed'),
      ])
      .executeTakeFirstOrThrow();
    return { pending: Number(row.pending ?? 0), due: Number(row.due ?? 0), failed: Number(row.failed ?? 0) };
  }

  async byKind(kind: string): Promise<TimerRecord[]> {
    const rows = await this.db.selectFrom('timers').selectAll().where('kind', '=', kind).orderBy('due_at').execute();
    return rows.map(toRecord);
  }
}
