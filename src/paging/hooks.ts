import type { IncidentHooks } from '../core/context.ts';
import { formatDuration, parseDuration } from '../core/duration.ts';
import { CLOCK_LABELS, COMMANDER_ROLE, COMMUNICATIONS_ROLE, unacknowledgeIncidentIn, type TimerHandler } from '../incidents/index.ts';
import { enqueueMessage } from '../notify/outbox.ts';
import {
  ACK_REMINDER_TIMER,
  ACK_TIMEOUT_TIMER,
  ESCALATION_TIMER,
  escalateOnTimeout,
  remindAckLapse,
  resumePaging,
  scheduleAckLapse,
  startEscalation,
  stillSameAck,
  stopPaging,
} from './escalation.ts';
import { PAGE_STEP_TIMER, pageMessage, rulesOf, takePageStep, type PagingRuntime } from './page.ts';

/** How paging follows an incident's life: declared pages, acknowledged or resolved stops, reopened pages again. */
export function pagingHooks(runtime: PagingRuntime): IncidentHooks {
  return {
    declared: (ctx, tx, incident) => startEscalation(ctx, tx, runtime, incident),
    acknowledged: async (ctx, tx, incident) => {
      await stopPaging(ctx, tx, incident.id, 'acknowledged', `acknowledged by ${incident.acknowledgedBy}`);
      await scheduleAckLapse(ctx, tx, incident);
    },
    resolved: (ctx, tx, incident) => stopPaging(ctx, tx, incident.id, 'stopped', `incident ${incident.status}`),
    reopened: (ctx, tx, incident) => startEscalation(ctx, tx, runtime, incident),
    // A breach reaches the people currently paged, through the first of their rules.
    slaBreached: async (ctx, tx, incidentId, clock) => {
      const incident = await tx.incidents.get(incidentId);
      if (!incident) return;
      const pages = await tx.paging.pagesOf(incidentId);
      const latest = pages.filter((p) => p.level === pages.at(-1)?.level && p.round === pages.at(-1)?.round);
      const label = CLOCK_LABELS[clock.kind as keyof typeof CLOCK_LABELS] ?? clock.kind;
      for (const page of latest) {
        const rule = rulesOf(ctx.config(), page.userId)[0];
        if (!rule) continue;
        const message = pageMessage(ctx, runtime, incident, page, 0, 'sla.breached', `SLA breached (${label}): [${incident.severity}] ${incident.title}`);
        await enqueueMessage(ctx, tx, {
          channelId: rule.channel,
          message: { ...message, idempotencyKey: `sla:${incidentId}:${clock.kind}:${clock.dueAt}:${page.userId}` },
          incidentId,
          pageId: null,
        });
      }
    },
    // The communications lead writes the updates; without one the commander, else whoever was paged last.
    updateDueSoon: async (ctx, tx, incident, due) => {
      const lead = incident.roles[COMMUNICATIONS_ROLE] ?? incident.roles[COMMANDER_ROLE];
      const pages = await tx.paging.pagesOf(incident.id);
      const last = pages.at(-1);
      const people = lead !== undefined ? [lead] : pages.filter((p) => p.level === last?.level && p.round === last?.round).map((p) => p.userId);
      for (const userId of new Set(people)) {
        const rule = rulesOf(ctx.config(), userId)[0];
        if (!rule) continue;
        const page = pages.find((p) => p.userId === userId) ?? { id: `update-due-${due.clockId}`, incidentId: incident.id, userId, level: 0, round: 0, reason: 'update due', state: 'stopped' as const, createdAt: 0, stoppedAt: null };
        const message = pageMessage(ctx, runtime, incident, page, 0, 'reminder', `Update due: [${incident.severity}] ${incident.title}`);
        await enqueueMessage(ctx, tx, {
          channelId: rule.channel,
          message: { ...message, text: due.text, actions: message.actions?.filter((action) => action.label !== 'Acknowledge'), idempotencyKey: `update-due:${due.clockId}:${userId}` },
          incidentId: incident.id,
          pageId: null,
        });
      }
    },
  };
}

/** The durable timers paging sets. */
export function pagingTimerHandlers(runtime: PagingRuntime): Record<string, TimerHandler> {
  return {
    [ESCALATION_TIMER]: (ctx, tx, timer) => escalateOnTimeout(ctx, tx, runtime, String(timer.payload.incidentId), timer.id),
    [PAGE_STEP_TIMER]: (ctx, tx, timer) => takePageStep(ctx, tx, runtime, String(timer.payload.pageId), Number(timer.payload.step)),
    [ACK_REMINDER_TIMER]: (ctx, tx, timer) => remindAckLapse(ctx, tx, runtime, timer.payload),
    [ACK_TIMEOUT_TIMER]: async (ctx, tx, timer) => {
      const incident = await tx.incidents.get(String(timer.payload.incidentId));
      if (!incident || !stillSameAck(incident, timer.payload.acknowledgedAt)) return;
      const escalation = await tx.paging.escalation(incident.id);
      const policy = escalation ? ctx.config().escalationPolicies.find((p) => p.id === escalation.policyId) : undefined;
      const lapse = policy?.ackTimeout ? formatDuration(parseDuration(policy.ackTimeout)) : 'the ack timeout';
      await unacknowledgeIncidentIn(ctx, tx, incident.id, `no resolution within ${lapse}`);
      await resumePaging(ctx, tx, runtime, incident.id, `the acknowledgement lapsed after ${lapse}`);
    },
  };
}
