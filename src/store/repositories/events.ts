import type { Kysely } from 'kysely';
import type { Database, EventsTable } from '../schema.ts';
import { fromJson, toJson } from './json.ts';

export interface StoredEvent {
  seq: number;
  at: number;
  type: string;
  incidentId: string | null;
  data: Record<string, unknown>;
}

export type NewEvent = Omit<StoredEvent, 'seq'>;

type EventRow = Omit<EventsTable, 'seq'> & { seq: number };

const toEvent = (row: EventRow): StoredEvent => ({
  seq: Number(row.seq),
  at: Number(row.at),
  type: row.type,
  incidentId: row.incident_id,
  data: fromJson<Record<string, unknown>>(row.data, {}),
});

/** The event log behind live updates: SSE clients resume from a sequence number. */
export class EventRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async append(event: NewEvent): Promise<StoredEvent> {
    const row = await this.db
      .insertInto('events')
      .values({ at: event.at, type: event.type, incident_id: event.incidentId, data: toJson(event.data) })
      .returning('seq')
      .executeTakeFirstOrThrow();
    return { ...event, seq: Number(row.seq) };
  }

  /** Several events, one statement per few hundred; their seqs ascend in the order given, as if appended one by one. */
  async appendMany(events: readonly NewEvent[]): Promise<StoredEvent[]> {
    const stored: StoredEvent[] = [];
    for (let i = 0; i < events.length; i += 500) {
      const part = events.slice(i, i + 500);
      const rows = await this.db
        .insertInto('events')
        .values(part.map((event) => ({ at: event.at, type: event.type, incident_id: event.incidentId, data: toJson(event.data) })))
        .returning('seq')
        .execute();
      // Rows are numbered in the order of the VALUES list; RETURNING need not list them in that order.
      const seqs = rows.map((row) => Number(row.seq)).sort((a, b) => a - b);
      part.forEach((event, k) => stored.push({ ...event, seq: seqs[k]! }));
    }
    return stored;
  }

  async after(seq: number, limit: number): Promise<StoredEvent[]> {
    const rows = await this.db.selectFrom('events').selectAll().where('seq', '>', seq).orderBy('seq').limit(limit).execute();
    return rows.map((row) => toEvent(row as EventRow));
  }

  async get(seq: number): Promise<StoredEvent | undefined> {
    const row = await this.db.selectFrom('events').selectAll().where('seq', '=', seq).executeTakeFirst();
    return row ? toEvent(row as EventRow) : undefined;
  }

  async bySeqs(seqs: number[]): Promise<StoredEvent[]> {
    if (seqs.length === 0) return [];
    const rows = await this.db.selectFrom('events').selectAll().where('seq', 'in', seqs).orderBy('seq').execute();
    return rows.map((row) => toEvent(row as EventRow));
  }

  async latestSeq(): Promise<number> {
    const row = await this.db.selectFrom('events').select((eb) => eb.fn.max('seq').as('max')).executeTakeFirst();
    return row?.max === null || row?.max === undefined ? 0 : Number(row.max);
  }
}
