import { actorLabel } from '../core/actor.ts';
import type { Context } from '../core/context.ts';
import { invalid, notFound } from '../core/errors.ts';
import { appendTimeline } from '../incidents/timeline.ts';
import type { ActionItemRecord, ActionItemStatus, Tx } from '../store/index.ts';
import { remindPerson } from './notify.ts';

export const ACTION_ITEM_DUE_TIMER = 'postincident.action-item-due';
export const ACTION_ITEM_STATUSES: readonly ActionItemStatus[] = ['open', 'done', 'wontfix'];

export interface ActionItemInput {
  title?: string;
  owner?: string | null;
  dueAt?: string | null;
  status?: ActionItemStatus;
  trackerUrl?: string | null;
}

export interface ActionItemView {
  id: string;
  incidentId: string;
  title: string;
  owner: string | null;
  dueAt: string | null;
  status: ActionItemStatus;
  trackerUrl: string | null;
  overdue: boolean;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export const presentActionItem = (item: ActionItemRecord, now: number): ActionItemView => ({
  id: item.id,
  incidentId: item.incidentId,
  title: item.title,
  owner: item.owner,
  dueAt: iso(item.dueAt),
  status: item.status,
  trackerUrl: item.trackerUrl,
  overdue: item.status === 'open' && item.dueAt !== null && item.dueAt < now,
  createdAt: iso(item.createdAt)!,
  createdBy: item.createdBy,
  updatedAt: iso(item.updatedAt)!,
});

function checked(ctx: Context, input: ActionItemInput, base: ActionItemRecord): ActionItemRecord {
  const next = { ...base };
  if (input.title !== undefined) {
    const title = input.title.trim();
    if (title === '' || title.length > 500) throw invalid('An action item needs a title of 1 to 500 characters', { field: 'title' });
    next.title = title;
  }
  if (input.owner !== undefined) {
    if (input.owner !== null && !ctx.config().user(input.owner)) {
      throw invalid(`"${input.owner}" is not a user of the configuration`, { field: 'owner', users: ctx.config().users.map((u) => u.id) });
    }
    next.owner = input.owner;
  }
  if (input.dueAt !== undefined) {
    const dueAt = input.dueAt === null ? null : Date.parse(input.dueAt);
    if (dueAt !== null && !Number.isFinite(dueAt)) throw invalid(`"${input.dueAt}" is not a time`, { field: 'dueAt' });
    next.dueAt = dueAt;
  }
  if (input.status !== undefined) next.status = input.status;
  if (input.trackerUrl !== undefined) {
    if (input.trackerUrl !== null && !/^https?:\/\/[^\s]{1,2000}$/.test(input.trackerUrl)) throw invalid('trackerUrl must be an http(s) URL', { field: 'trackerUrl' });
    next.trackerUrl = input.trackerUrl;
  }
  return next;
}

/** A due date gets a durable reminder to the owner, who hears once if the item is still open then. */
async function scheduleDue(ctx: Context, tx: Tx, item: ActionItemRecord): Promise<void> {
  if (item.dueAt === null || item.status !== 'open') return;
  await tx.timers.schedule([
    { id: ctx.newId(), kind: ACTION_ITEM_DUE_TIMER, dueAt: item.dueAt, payload: { actionItemId: item.id, dueAt: item.dueAt }, createdAt: ctx.clock.now() },
  ]);
}

export async function createActionItem(ctx: Context, incidentId: string, input: ActionItemInput): Promise<ActionItemView> {
  if (input.title === undefined) throw invalid('An action item needs a title', { field: 'title' });
  const now = ctx.clock.now();
  const item = checked(ctx, input, {
    id: ctx.newId(),
    incidentId,
    title: '',
    owner: null,
    dueAt: null,
    status: 'open',
    trackerUrl: null,
    createdAt: now,
    createdBy: actorLabel(ctx.actor),
    updatedAt: now,
  });
  await ctx.store.transaction(async (tx) => {
    if (!(await tx.incidents.get(incidentId))) throw notFound('Incident', incidentId);
    await tx.postIncident.insertActionItem(item);
    await scheduleDue(ctx, tx, item);
    await appendTimeline(ctx, tx, incidentId, 'action-item.created', `Action item: ${item.title}${item.owner ? ` (owner ${item.owner})` : ''}`, { actionItemId: item.id });
  });
  return presentActionItem(item, now);
}

export async function updateActionItem(ctx: Context, id: string, input: ActionItemInput): Promise<ActionItemView> {
  const now = ctx.clock.now();
  const updated = await ctx.store.transaction(async (tx) => {
    const current = await tx.postIncident.actionItem(id);
    if (!current) throw notFound('Action item', id);
    const next = { ...checked(ctx, input, current), updatedAt: now };
    await tx.postIncident.updateActionItem(next);
    if (next.dueAt !== current.dueAt || (next.status === 'open' && current.status !== 'open')) await scheduleDue(ctx, tx, next);
    if (next.status !== current.status) {
      await appendTimeline(ctx, tx, next.incidentId, 'action-item.status', `Action item ${next.status}: ${next.title}`, { actionItemId: id, status: next.status });
    }
    return next;
  });
  return presentActionItem(updated, now);
}

export async function listActionItems(ctx: Context, filter: { incidentId?: string; owner?: string; status?: ActionItemStatus; overdue?: boolean }): Promise<ActionItemView[]> {
  if (filter.incidentId !== undefined && !(await ctx.store.repos.incidents.get(filter.incidentId))) throw notFound('Incident', filter.incidentId);
  const now = ctx.clock.now();
  const items = await ctx.store.repos.postIncident.actionItems({ ...filter, limit: 1000 });
  return items.map((item) => presentActionItem(item, now)).filter((item) => filter.overdue === undefined || item.overdue === filter.overdue);
}

/** The due timer: still open (and still due then) means the owner hears it, once per due date. */
export async function remindActionItemDue(ctx: Context, tx: Tx, payload: Record<string, unknown>): Promise<void> {
  const item = await tx.postIncident.actionItem(String(payload.actionItemId));
  if (!item || item.status !== 'open' || item.dueAt !== payload.dueAt) return;
  const incident = await tx.incidents.get(item.incidentId);
  if (!incident) return;
  await appendTimeline(ctx, tx, item.incidentId, 'action-item.overdue', `Action item overdue: ${item.title}${item.owner ? ` (owner ${item.owner})` : ''}`, { actionItemId: item.id });
  if (item.owner) {
    await remindPerson(ctx, tx, incident, item.owner, `action-item-due:${item.id}:${item.dueAt}`, `Action item overdue: ${item.title}`, `Your action item from [${incident.severity}] ${incident.title} was due ${iso(item.dueAt)}: ${item.title}`);
  }
}
