import type { Kysely } from 'kysely';
import type { Database, SlaClocksTable } from '../schema.ts';

export type ClockState = 'pending' | 'met' | 'breached' | 'cancelled';

export interface SlaClockRecord {
  id: string;
  incidentId: string;
  kind: string;
  seq: number;
  startedAt: number;
  dueAt: number;
  state: ClockState;
  metAt: number | null;
  breachedAt: number | null;
  timerId: string | null;
}

const toRecord = (row: SlaClocksTable): SlaClockRecord => ({
  id: row.id,
  incidentId: row.incident_id,
  kind: row.kind,
  seq: Number(row.seq),
  startedAt: Number(row.started_at),
  dueAt: Number(row.due_at),
  state: row.state as ClockState,
  metAt: row.met_at === null ? null : Number(row.met_at),
  breachedAt: row.breached_at === null ? null : Number(row.breached_at),
  timerId: row.timer_id,
});

const toRow = (record: SlaClockRecord): SlaClocksTable => ({
  id: record.id,
  incident_id: record.incidentId,
  kind: record.kind,
  seq: record.seq,
  started_at: record.startedAt,
  due_at: record.dueAt,
  state: record.state,
  met_at: record.metAt,
  breached_at: record.breachedAt,
  timer_id: record.timerId,
});

export class SlaClockRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(record: SlaClockRecord): Promise<void> {
    await this.db.insertInto('sla_clocks').values(toRow(record)).execute();
  }

  async get(id: string): Promise<SlaClockRecord | undefined> {
    const row = await this.db.selectFrom('sla_clocks').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  async save(record: SlaClockRecord): Promise<void> {
    const { id: _id, ...changes } = toRow(record);
    await this.db.updateTable('sla_clocks').set(changes).where('id', '=', record.id).execute();
  }

  async forIncident(incidentId: string): Promise<SlaClockRecord[]> {
    const rows = await this.db
      .selectFrom('sla_clocks')
      .selectAll()
      .where('incident_id', '=', incidentId)
      .orderBy('seq', 'asc')
      .orderBy('due_at', 'asc')
      .execute();
    return rows.map(toRecord);
  }

  async forIncidents(incidentIds: string[]): Promise<Map<string, SlaClockRecord[]>> {
    const byIncident = new Map<string, SlaClockRecord[]>();
    if (incidentIds.length === 0) return byIncident;
    const rows = await this.db
      .selectFrom('sla_clocks')
      .selectAll()
      .where('incident_id', 'in', incidentIds)
      .orderBy('seq', 'asc')
      .orderBy('due_at', 'asc')
      .execute();
    for (const row of rows) {
      const list = byIncident.get(row.incident_id) ?? [];
      list.push(toRecord(row));
      byIncident.set(row.incident_id, list);
    }
    return byIncident;
  }
}
