import type { Kysely } from 'kysely';
import type { ActionItemsTable, Database, IncidentTasksTable, PostmortemsTable } from '../schema.ts';

export interface TaskRecord {
  id: string;
  incidentId: string;
  stage: string;
  position: number;
  title: string;
  dueAt: number;
  doneAt: number | null;
  doneBy: string | null;
  createdAt: number;
}

export interface PostmortemRecord {
  incidentId: string;
  version: number;
  markdown: string;
  createdAt: number;
  updatedAt: number;
  updatedBy: string;
}

export type ActionItemStatus = 'open' | 'done' | 'wontfix';

export interface ActionItemRecord {
  id: string;
  incidentId: string;
  title: string;
  owner: string | null;
  dueAt: number | null;
  status: ActionItemStatus;
  trackerUrl: string | null;
  createdAt: number;
  createdBy: string;
  updatedAt: number;
}

const num = (value: number | null): number | null => (value === null ? null : Number(value));

const toTask = (row: IncidentTasksTable): TaskRecord => ({
  id: row.id,
  incidentId: row.incident_id,
  stage: row.stage,
  position: Number(row.position),
  title: row.title,
  dueAt: Number(row.due_at),
  doneAt: num(row.done_at),
  doneBy: row.done_by,
  createdAt: Number(row.created_at),
});

const toPostmortem = (row: PostmortemsTable): PostmortemRecord => ({
  incidentId: row.incident_id,
  version: Number(row.version),
  markdown: row.markdown,
  createdAt: Number(row.created_at),
  updatedAt: Number(row.updated_at),
  updatedBy: row.updated_by,
});

const toActionItem = (row: ActionItemsTable): ActionItemRecord => ({
  id: row.id,
  incidentId: row.incident_id,
  title: row.title,
  owner: row.owner,
  dueAt: num(row.due_at),
  status: row.status as ActionItemStatus,
  trackerUrl: row.tracker_url,
  createdAt: Number(row.created_at),
  createdBy: row.created_by,
  updatedAt: Number(row.updated_at),
});

/** Checklist tasks, post-mortems with their versions, and action items. */
export class PostIncidentRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insertTasks(tasks: readonly TaskRecord[]): Promise<void> {
    if (tasks.length === 0) return;
    await this.db
      .insertInto('incident_tasks')
      .values(tasks.map((t) => ({ id: t.id, incident_id: t.incidentId, stage: t.stage, position: t.position, title: t.title, due_at: t.dueAt, done_at: t.doneAt, done_by: t.doneBy, created_at: t.createdAt })))
      .execute();
  }

  async tasks(incidentId: string): Promise<TaskRecord[]> {
    const rows = await this.db.selectFrom('incident_tasks').selectAll().where('incident_id', '=', incidentId).orderBy('position').execute();
    return rows.map(toTask);
  }

  async task(id: string): Promise<TaskRecord | undefined> {
    const row = await this.db.selectFrom('incident_tasks').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toTask(row) : undefined;
  }

  async setTaskDone(id: string, doneAt: number | null, doneBy: string | null): Promise<void> {
    await this.db.updateTable('incident_tasks').set({ done_at: doneAt, done_by: doneBy }).where('id', '=', id).execute();
  }

  async postmortem(incidentId: string): Promise<PostmortemRecord | undefined> {
    const row = await this.db.selectFrom('postmortems').selectAll().where('incident_id', '=', incidentId).executeTakeFirst();
    return row ? toPostmortem(row) : undefined;
  }

  /** Writes a new version; false when the stored version is no longer `expected` (someone saved in between). */
  async savePostmortem(incidentId: string, expected: number, markdown: string, at: number, by: string): Promise<boolean> {
    const version = expected + 1;
    if (expected === 0) {
      const inserted = await this.db
        .insertInto('postmortems')
        .values({ incident_id: incidentId, version, markdown, created_at: at, updated_at: at, updated_by: by })
        .onConflict((oc) => oc.column('incident_id').doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) !== 1) return false;
    } else {
      const updated = await this.db
        .updateTable('postmortems')
        .set({ version, markdown, updated_at: at, updated_by: by })
        .where('incident_id', '=', incidentId)
        .where('version', '=', expected)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== 1) return false;
    }
    await this.db.insertInto('postmortem_versions').values({ incident_id: incidentId, version, markdown, at, by }).execute();
    return true;
  }

  async postmortemVersions(incidentId: string): Promise<Array<{ version: number; at: number; by: string; markdown: string }>> {
    const rows = await this.db.selectFrom('postmortem_versions').selectAll().where('incident_id', '=', incidentId).orderBy('version').execute();
    return rows.map((row) => ({ version: Number(row.version), at: Number(row.at), by: row.by, markdown: row.markdown }));
  }

  async insertActionItem(item: ActionItemRecord): Promise<void> {
    await this.db
      .insertInto('action_items')
      .values({
        id: item.id,
        incident_id: item.incidentId,
        title: item.title,
        owner: item.owner,
        due_at: item.dueAt,
        status: item.status,
        tracker_url: item.trackerUrl,
        created_at: item.createdAt,
        created_by: item.createdBy,
        updated_at: item.updatedAt,
      })
      .execute();
  }

  async actionItem(id: string): Promise<ActionItemRecord | undefined> {
    const row = await this.db.selectFrom('action_items').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toActionItem(row) : undefined;
  }

  async updateActionItem(item: ActionItemRecord): Promise<void> {
    await this.db
      .updateTable('action_items')
      .set({ title: item.title, owner: item.owner, due_at: item.dueAt, status: item.status, tracker_url: item.trackerUrl, updated_at: item.updatedAt })
      .where('id', '=', item.id)
      .execute();
  }

  async actionItems(filter: { incidentId?: string; owner?: string; status?: ActionItemStatus; limit: number }): Promise<ActionItemRecord[]> {
    let query = this.db.selectFrom('action_items').selectAll();
    if (filter.incidentId !== undefined) query = query.where('incident_id', '=', filter.incidentId);
    if (filter.owner !== undefined) query = query.where('owner', '=', filter.owner);
    if (filter.status !== undefined) query = query.where('status', '=', filter.status);
    const rows = await query.orderBy('id').limit(filter.limit).execute();
    return rows.map(toActionItem);
  }
}
