import type { IncidentHooks } from '../core/context.ts';
import { formatDuration, parseDuration } from '../core/duration.ts';
import { CLOCK_LABELS, unacknowledgeIncidentIn, type TimerHandler } from '../incidents/index.ts';
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
