import type { Kysely } from 'kysely';
import type { Database, EscalationsTable, PagesTable, ScheduleOverridesTable } from '../schema.ts';

export interface EscalationRecord {
  incidentId: string;
  policyId: string;
  level: number;
  round: number;
  state: 'active' | 'acknowledged' | 'exhausted' | 'stopped';
  timerId: string | null;
  startedAt: number;
  updatedAt: number;
}

export interface PageRecord {
  id: string;
  incidentId: string;
  userId: string;
  level: number;
  round: number;
  reason: string;
  state: 'active' | 'stopped';
  createdAt: number;
  stoppedAt: number | null;
}

export interface OverrideRecord {
  id: string;
  scheduleId: string;
  userId: string;
  replaces: string | null;
  startsAt: number;
  endsAt: number;
  createdBy: string;
  createdAt: number;
  deletedAt: number | null;
}

const toEscalation = (row: EscalationsTable): EscalationRecord => ({
  incidentId: row.incident_id,
  policyId: row.policy_id,
  level: Number(row.level),
  round: Number(row.round),
  state: row.state as EscalationRecord['state'],
  timerId: row.timer_id,
  startedAt: Number(row.started_at),
  updatedAt: Number(row.updated_at),
});

const toPage = (row: PagesTable): PageRecord => ({
  id: row.id,
  incidentId: row.incident_id,
  userId: row.user_id,
  level: Number(row.level),
  round: Number(row.round),
  reason: row.reason,
  state: row.state as PageRecord['state'],
  createdAt: Number(row.created_at),
  stoppedAt: row.stopped_at === null ? null : Number(row.stopped_at),
});

const toOverride = (row: ScheduleOverridesTable): OverrideRecord => ({
  id: row.id,
  scheduleId: row.schedule_id,
  userId: row.user_id,
  replaces: row.replaces,
  startsAt: Number(row.starts_at),
  endsAt: Number(row.ends_at),
  createdBy: row.created_by,
  createdAt: Number(row.created_at),
  deletedAt: row.deleted_at === null ? null : Number(row.deleted_at),
});

export class PagingRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async setting(name: string): Promise<string | undefined> {
    const row = await this.db.selectFrom('settings').select('value').where('name', '=', name).executeTakeFirst();
    return row?.value;
  }

  /** First writer wins, so every instance ends up with the same value. */
  async settingOrCreate(name: string, create: () => string, at: number): Promise<string> {
    await this.db.insertInto('settings').values({ name, value: create(), created_at: at }).onConflict((oc) => oc.column('name').doNothing()).execute();
    return (await this.setting(name))!;
  }

  async escalation(incidentId: string): Promise<EscalationRecord | undefined> {
    const row = await this.db.selectFrom('escalations').selectAll().where('incident_id', '=', incidentId).executeTakeFirst();
    return row ? toEscalation(row) : undefined;
  }

  async saveEscalation(e: EscalationRecord): Promise<void> {
    const row = {
      incident_id: e.incidentId,
      policy_id: e.policyId,
      level: e.level,
      round: e.round,
      state: e.state,
      timer_id: e.timerId,
      started_at: e.startedAt,
      updated_at: e.updatedAt,
    };
    const { incident_id: _id, ...changes } = row;
    await this.db.insertInto('escalations').values(row).onConflict((oc) => oc.column('incident_id').doUpdateSet(changes)).execute();
  }

  async insertPage(page: PageRecord): Promise<void> {
    await this.db
      .insertInto('pages')
      .values({
        id: page.id,
        incident_id: page.incidentId,
        user_id: page.userId,
        level: page.level,
        round: page.round,
        reason: page.reason,
        state: page.state,
        created_at: page.createdAt,
        stopped_at: page.stoppedAt,
      })
      .execute();
  }

  async page(id: string): Promise<PageRecord | undefined> {
    const row = await this.db.selectFrom('pages').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toPage(row) : undefined;
  }

  async pagesOf(incidentId: string): Promise<PageRecord[]> {
    const rows = await this.db.selectFrom('pages').selectAll().where('incident_id', '=', incidentId).orderBy('id').execute();
    return rows.map(toPage);
  }

  /** Stops every active page of the incident; returns how many were running. */
  async stopPages(incidentId: string, at: number): Promise<number> {
    const result = await this.db
      .updateTable('pages')
      .set({ state: 'stopped', stopped_at: at })
      .where('incident_id', '=', incidentId)
      .where('state', '=', 'active')
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async pagesBetween(from: number, to: number): Promise<PageRecord[]> {
    const rows = await this.db.selectFrom('pages').selectAll().where('created_at', '>=', from).where('created_at', '<', to).orderBy('id').execute();
    return rows.map(toPage);
  }

  async insertOverride(o: OverrideRecord): Promise<void> {
    await this.db
      .insertInto('schedule_overrides')
      .values({
        id: o.id,
        schedule_id: o.scheduleId,
        user_id: o.userId,
        replaces: o.replaces,
        starts_at: o.startsAt,
        ends_at: o.endsAt,
        created_by: o.createdBy,
        created_at: o.createdAt,
        deleted_at: o.deletedAt,
      })
      .execute();
  }

  /** Overrides of a schedule that overlap [from, to), oldest first (later ones win). */
  async overrides(scheduleId: string, from: number, to: number): Promise<OverrideRecord[]> {
    const rows = await this.db
      .selectFrom('schedule_overrides')
      .selectAll()
      .where('schedule_id', '=', scheduleId)
      .where('deleted_at', 'is', null)
      .where('ends_at', '>', from)
      .where('starts_at', '<', to)
      .orderBy('id')
      .execute();
    return rows.map(toOverride);
  }

  async override(id: string): Promise<OverrideRecord | undefined> {
    const row = await this.db.selectFrom('schedule_overrides').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toOverride(row) : undefined;
  }

  async deleteOverride(id: string, at: number): Promise<boolean> {
    const result = await this.db
      .updateTable('schedule_overrides')
      .set({ deleted_at: at })
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async threadOf(threadKey: string, channelId: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('chat_threads')
      .select('remote_id')
      .where('thread_key', '=', threadKey)
      .where('channel_id', '=', channelId)
      .executeTakeFirst();
    return row?.remote_id;
  }

  async rememberThread(threadKey: string, channelId: string, remoteId: string, at: number): Promise<void> {
    await this.db
      .insertInto('chat_threads')
      .values({ thread_key: threadKey, channel_id: channelId, remote_id: remoteId, created_at: at })
      .onConflict((oc) => oc.columns(['thread_key', 'channel_id']).doNothing())
      .execute();
  }
}
