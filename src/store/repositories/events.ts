import type { CompiledQuery, Kysely, QueryResult } from 'kysely';
import type { Dialect } from '../connect.ts';
import type { Database, EventsTable } from '../schema.ts';
import { insertStatements, type BulkColumn } from './bulk.ts';
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

const COLUMNS: readonly BulkColumn[] = [['at', 'bigint'], ['type', 'text'], ['incident_id', 'text'], ['data', 'text']];

/** The event log behind live updates: SSE clients resume from a sequence number. */
export class EventRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {}

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
    const results = [];
    for (const statement of this.appendStatements(events)) results.push(await this.db.executeQuery(statement));
    return this.appended(events, results);
  }

  /** The statements of appendMany, to run with others (Tx.send); `appended` reads their results. */
  appendStatements(events: readonly NewEvent[]): CompiledQuery[] {
    return insertStatements(this.dialect, 'events', COLUMNS, events.map((e) => [e.at, e.type, e.incidentId, toJson(e.data)]), 'seq');
  }

  /** The events as stored, from the results of their appendStatements. */
  appended(events: readonly NewEvent[], results: ReadonlyArray<QueryResult<unknown>>): StoredEvent[] {
    // Rows are numbered in the order they are inserted; RETURNING need not list them in that order.
    const seqs = results.flatMap((result) => (result.rows as Array<{ seq: number | string }>).map((row) => Number(row.seq))).sort((a, b) => a - b);
    if (seqs.length !== events.length) throw new Error(`appending ${events.length} events returned ${seqs.length} sequence numbers`);
    return events.map((event, k) => ({ ...event, seq: seqs[k]! }));
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
