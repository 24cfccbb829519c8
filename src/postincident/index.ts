/**
 * After the incident: the post-incident checklist (tasks due 0 h, 24 h, 1 week after
 * resolution), the post-mortem draft written from the record, and action items with
 * owners and due dates. Each reminder is a durable timer.
 */
import type { IncidentHooks } from '../core/context.ts';
import type { TimerHandler } from '../incidents/timers.ts';
import { ACTION_ITEM_DUE_TIMER, remindActionItemDue } from './action-items.ts';
import { createChecklistTasks, remindTasksDue, TASKS_DUE_TIMER } from './checklist.ts';
import { createDraft } from './postmortem.ts';

export { checkTask, listTasks, checklistFor } from './checklist.ts';
export { getPostmortem, savePostmortem, previewDraft, draftPostmortem, MAX_POSTMORTEM_CHARS, type PostmortemView } from './postmortem.ts';
export { createActionItem, updateActionItem, listActionItems, ACTION_ITEM_STATUSES, type ActionItemInput, type ActionItemView } from './action-items.ts';
export { PostIncidentSettings, type Checklist } from './schema.ts';

/** On resolution: the checklist's tasks and the post-mortem draft, in the resolving transaction. */
export const postIncidentHooks: IncidentHooks = {
  resolved: async (ctx, tx, incident) => {
    await createChecklistTasks(ctx, tx, incident);
    await createDraft(ctx, tx, incident);
  },
};

export const postIncidentTimerHandlers: Record<string, TimerHandler> = {
  [TASKS_DUE_TIMER]: (ctx, tx, timer) => remindTasksDue(ctx, tx, String(timer.payload.incidentId), String(timer.payload.stage)),
  [ACTION_ITEM_DUE_TIMER]: (ctx, tx, timer) => remindActionItemDue(ctx, tx, timer.payload),
};
