import { actorLabel } from '../core/actor.ts';
import type { Context } from '../core/context.ts';
import { formatDuration, parseDuration } from '../core/duration.ts';
import { notFound } from '../core/errors.ts';
import { COMMANDER_ROLE } from '../incidents/declare.ts';
import { appendTimeline } from '../incidents/timeline.ts';
import type { IncidentRecord, TaskRecord, Tx } from '../store/index.ts';
import { remindPerson } from './notify.ts';
import type { Checklist } from './schema.ts';

export const TASKS_DUE_TIMER = 'postincident.tasks-due';

/** The checklist for a severity: the first whose severities include it, or one that names none. */
export function checklistFor(checklists: readonly Checklist[], severity: string): Checklist | undefined {
  return checklists.find((list) => list.severities === undefined || list.severities.some((s) => s.toLowerCase() === severity.toLowerCase()));
}

/**
 * On resolution the checklist becomes tasks, each stage due its time after the
 * resolution (0h, 24h, 1w), with a durable timer per stage that reminds the
 * commander of what is still open. A reopened and resolved-again incident keeps the
 * tasks it has.
 */
export async function createChecklistTasks(ctx: Context, tx: Tx, incident: IncidentRecord): Promise<TaskRecord[]> {
  const checklist = checklistFor(ctx.config().file.postIncident?.checklists ?? [], incident.severity);
  if (!checklist || (await tx.postIncident.tasks(incident.id)).length > 0) return [];
  const resolvedAt = incident.resolvedAt ?? ctx.clock.now();
  const now = ctx.clock.now();
  const tasks: TaskRecord[] = [];
  for (const stage of checklist.stages) {
    const dueAt = resolvedAt + parseDuration(stage.due);
    for (const title of stage.items) {
      tasks.push({ id: ctx.newId(), incidentId: incident.id, stage: stage.name, position: tasks.length, title, dueAt, doneAt: null, doneBy: null, createdAt: now });
    }
    await tx.timers.schedule([{ id: ctx.newId(), kind: TASKS_DUE_TIMER, dueAt, payload: { incidentId: incident.id, stage: stage.name }, createdAt: now }]);
  }
  await tx.postIncident.insertTasks(tasks);
  const stages = checklist.stages.map((stage) => `${stage.name} (${stage.items.length}, due ${stage.due === '0h' || parseDuration(stage.due) === 0 ? 'now' : `in ${formatDuration(parseDuration(stage.due))}`})`);
  await appendTimeline(ctx, tx, incident.id, 'tasks.created', `Post-incident checklist: ${tasks.length} tasks — ${stages.join(', ')}`, { count: tasks.length });
  return tasks;
}

/** A stage's due timer: what is still open goes on the timeline and to the commander. */
export async function remindTasksDue(ctx: Context, tx: Tx, incidentId: string, stage: string): Promise<void> {
  const incident = await tx.incidents.get(incidentId);
  if (!incident) return;
  const open = (await tx.postIncident.tasks(incidentId)).filter((task) => task.stage === stage && task.doneAt === null);
  if (open.length === 0) return;
  const text = `Post-incident tasks due (${stage}): ${open.map((task) => task.title).join('; ')}`;
  await appendTimeline(ctx, tx, incidentId, 'tasks.due', text, { stage, open: open.map((task) => task.id) });
  const commander = incident.roles[COMMANDER_ROLE];
  if (commander) await remindPerson(ctx, tx, incident, commander, `tasks-due:${incidentId}:${stage}`, `Post-incident tasks due: [${incident.severity}] ${incident.title}`, text);
}

export async function listTasks(ctx: Context, incidentId: string): Promise<TaskRecord[]> {
  if (!(await ctx.store.repos.incidents.get(incidentId))) throw notFound('Incident', incidentId);
  return ctx.store.repos.postIncident.tasks(incidentId);
}

/** Checks a task off (or back on), saying who and when. */
export async function checkTask(ctx: Context, incidentId: string, taskId: string, done: boolean): Promise<TaskRecord> {
  return ctx.store.transaction(async (tx) => {
    const task = await tx.postIncident.task(taskId);
    if (!task || task.incidentId !== incidentId) throw notFound('Task', taskId);
    if ((task.doneAt !== null) === done) return task;
    const now = ctx.clock.now();
    const who = actorLabel(ctx.actor);
    await tx.postIncident.setTaskDone(taskId, done ? now : null, done ? who : null);
    await appendTimeline(ctx, tx, incidentId, done ? 'task.done' : 'task.reopened', `${done ? 'Done' : 'Reopened'}: ${task.title} (${task.stage})`, { taskId });
    return { ...task, doneAt: done ? now : null, doneBy: done ? who : null };
  });
}
