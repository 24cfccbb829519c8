import type { Config, EscalationPolicy, EscalationTarget } from '../config/schema.ts';
import { actorLabel } from '../core/actor.ts';
import type { Context } from '../core/context.ts';
import { formatDuration, parseDuration } from '../core/duration.ts';
import { DomainError, invalid, notFound } from '../core/errors.ts';
import { appendTimeline } from '../incidents/index.ts';
import { enqueueMessage } from '../notify/outbox.ts';
import type { EscalationRecord, IncidentRecord, Tx } from '../store/index.ts';
import { whoIsOnCall } from './oncall.ts';
import { pageMessage, pageUser, rulesOf, type PagingRuntime } from './page.ts';

export const ESCALATION_TIMER = 'escalation.timeout';
export const ACK_TIMEOUT_TIMER = 'ack.timeout';
export const ACK_REMINDER_TIMER = 'ack.reminder';

export function policyFor(config: Config, incident: IncidentRecord): EscalationPolicy | undefined {
  let policyId = config.paging.defaultEscalationPolicy;
  for (const serviceId of incident.services) {
    const service = config.service(serviceId);
    const bySeverity = service?.escalationBySeverity;
    const chosen = (bySeverity && Object.entries(bySeverity).find(([sev]) => sev.toLowerCase() === incident.severity.toLowerCase())?.[1]) ?? service?.escalationPolicy;
    if (chosen) {
      policyId = chosen;
      break;
    }
  }
  return policyId === undefined ? undefined : config.escalationPolicies.find((p) => p.id === policyId);
}

/** The people a level's targets mean right now, each with how they were found. */
async function resolveTargets(ctx: Context, tx: Tx, targets: EscalationTarget[], at: number): Promise<Array<{ userId: string; via: string }>> {
  const config = ctx.config();
  const found: Array<{ userId: string; via: string }> = [];
  for (const target of targets) {
    if ('user' in target) found.push({ userId: target.user, via: 'directly' });
    else if ('team' in target) {
      for (const member of config.teams.find((t) => t.id === target.team)?.members ?? []) found.push({ userId: member, via: `team ${target.team}` });
    } else {
      const oncall = await whoIsOnCall(ctx, tx, target.schedule, at, target.next ?? false);
      if (oncall.userId) found.push({ userId: oncall.userId, via: `${target.next ? 'next on call in' : 'on call in'} ${target.schedule}` });
    }
  }
  const seen = new Set<string>();
  return found.filter((f) => !seen.has(f.userId) && seen.add(f.userId));
}

/** Pages a level's targets and sets the timer that moves on if nobody acknowledges. */
async function pageLevel(ctx: Context, tx: Tx, runtime: PagingRuntime, incident: IncidentRecord, escalation: EscalationRecord, policy: EscalationPolicy, reason: string): Promise<void> {
  const now = ctx.clock.now();
  const level = policy.levels[escalation.level]!;
  const people = await resolveTargets(ctx, tx, level.targets, now);
  for (const person of people) await pageUser(ctx, tx, runtime, incident, person.userId, escalation.level, escalation.round, reason);
  const timeout = parseDuration(level.timeout);
  const timerId = ctx.newId();
  await tx.timers.schedule([{ id: timerId, kind: ESCALATION_TIMER, dueAt: now + timeout, payload: { incidentId: incident.id }, createdAt: now }]);
  await tx.paging.saveEscalation({ ...escalation, state: 'active', timerId, updatedAt: now });
  const levelName = `level ${escalation.level + 1} of ${policy.name}${escalation.round > 0 ? ` (repeat ${escalation.round})` : ''}`;
  const who = people.map((p) => `${p.userId} (${p.via})`).join(', ');
  await appendTimeline(
    ctx,
    tx,
    incident.id,
    'paged',
    people.length > 0 ? `Paged ${levelName}: ${who}; ${reason}` : `Nobody to page at ${levelName} (no one on call); ${reason}`,
    { policy: policy.id, level: escalation.level, round: escalation.round, users: people.map((p) => p.userId), timeoutMs: timeout },
  );
  for (const person of people) {
    if (rulesOf(ctx.config(), person.userId).length === 0) {
      await appendTimeline(ctx, tx, incident.id, 'paging.warning', `${person.userId} has no notification rules, so the page reached nobody`, { userId: person.userId });
    }
  }
}

export async function startEscalation(ctx: Context, tx: Tx, runtime: PagingRuntime, incident: IncidentRecord): Promise<void> {
  const policy = policyFor(ctx.config(), incident);
  if (!policy) {
    await appendTimeline(ctx, tx, incident.id, 'paging.none', 'No escalation policy applies to this incident, so nobody was paged');
    return;
  }
  const now = ctx.clock.now();
  const escalation: EscalationRecord = { incidentId: incident.id, policyId: policy.id, level: 0, round: 0, state: 'active', timerId: null, startedAt: now, updatedAt: now };
  await pageLevel(ctx, tx, runtime, incident, escalation, policy, `new ${incident.severity} incident`);
}

/** Stops paging: the escalation timer, every page's remaining steps and queued messages. */
export async function stopPaging(ctx: Context, tx: Tx, incidentId: string, state: 'acknowledged' | 'stopped', why: string): Promise<void> {
  const escalation = await tx.paging.escalation(incidentId);
  if (!escalation || escalation.state === state) return;
  const now = ctx.clock.now();
  if (escalation.timerId) await tx.timers.cancel(escalation.timerId);
  const pages = (await tx.paging.pagesOf(incidentId)).filter((p) => p.state === 'active');
  await tx.paging.stopPages(incidentId, now);
  const cancelled = await tx.outbox.cancelForPages(pages.map((p) => p.id));
  await tx.paging.saveEscalation({ ...escalation, state, timerId: null, updatedAt: now });
  if (escalation.state === 'active' || pages.length > 0) {
    await appendTimeline(ctx, tx, incidentId, 'paging.stopped', `Paging stopped: ${why}${cancelled ? ` (${cancelled} queued message${cancelled === 1 ? '' : 's'} not sent)` : ''}`, {
      pages: pages.length,
      cancelled,
    });
  }
}

/** The level's timeout ran out with nobody acknowledging: the next level, another round, or the end. */
export async function escalateOnTimeout(ctx: Context, tx: Tx, runtime: PagingRuntime, incidentId: string, timerId: string): Promise<void> {
  const escalation = await tx.paging.escalation(incidentId);
  if (!escalation || escalation.state !== 'active' || escalation.timerId !== timerId) return;
  const incident = await tx.incidents.get(incidentId);
  const policy = ctx.config().escalationPolicies.find((p) => p.id === escalation.policyId);
  if (!incident || !policy) return;
  const timeout = policy.levels[escalation.level]?.timeout ?? '0m';
  await advance(ctx, tx, runtime, incident, escalation, policy, `nobody acknowledged within ${formatDuration(parseDuration(timeout))}`);
}

async function advance(ctx: Context, tx: Tx, runtime: PagingRuntime, incident: IncidentRecord, escalation: EscalationRecord, policy: EscalationPolicy, reason: string): Promise<void> {
  await tx.paging.stopPages(incident.id, ctx.clock.now());
  let { level, round } = escalation;
  level += 1;
  if (level >= policy.levels.length) {
    if (round >= policy.repeat) {
      await tx.paging.saveEscalation({ ...escalation, state: 'exhausted', timerId: null, updatedAt: ctx.clock.now() });
      await appendTimeline(ctx, tx, incident.id, 'paging.exhausted', `Escalation policy ${policy.name} is exhausted and nobody acknowledged; ${reason}`, { policy: policy.id });
      return;
    }
    level = 0;
    round += 1;
  }
  await pageLevel(ctx, tx, runtime, incident, { ...escalation, level, round }, policy, reason);
}

/** Pages the level where the escalation stands again (an acknowledgement lapsed). */
export async function resumePaging(ctx: Context, tx: Tx, runtime: PagingRuntime, incidentId: string, reason: string): Promise<void> {
  const escalation = await tx.paging.escalation(incidentId);
  const incident = await tx.incidents.get(incidentId);
  const policy = escalation ? ctx.config().escalationPolicies.find((p) => p.id === escalation.policyId) : undefined;
  if (!escalation || !incident || !policy) return;
  await pageLevel(ctx, tx, runtime, incident, { ...escalation, level: Math.min(escalation.level, policy.levels.length - 1) }, policy, reason);
}

/** Someone asks to escalate now rather than wait. */
export async function escalateNow(ctx: Context, runtime: PagingRuntime, incidentId: string, reason: string | undefined): Promise<void> {
  await ctx.store.transaction(async (tx) => {
    const incident = await tx.incidents.get(incidentId);
    if (!incident) throw notFound('Incident', incidentId);
    if (incident.status === 'resolved' || incident.status === 'closed') {
      throw new DomainError('invalid_transition', `A ${incident.status} incident is not escalated`, { status: incident.status });
    }
    const escalation = await tx.paging.escalation(incidentId);
    const policy = escalation ? ctx.config().escalationPolicies.find((p) => p.id === escalation.policyId) : policyFor(ctx.config(), incident);
    if (!policy) throw new DomainError('conflict', 'No escalation policy applies to this incident', null);
    const why = `escalated by ${actorLabel(ctx.actor)}${reason ? `: ${reason}` : ''}`;
    if (!escalation) {
      const now = ctx.clock.now();
      await pageLevel(ctx, tx, runtime, incident, { incidentId, policyId: policy.id, level: 0, round: 0, state: 'active', timerId: null, startedAt: now, updatedAt: now }, policy, why);
      return;
    }
    if (escalation.timerId) await tx.timers.cancel(escalation.timerId);
    if (escalation.state === 'exhausted') {
      await pageLevel(ctx, tx, runtime, incident, { ...escalation, level: policy.levels.length - 1 }, policy, why);
      return;
    }
    await advance(ctx, tx, runtime, incident, escalation, policy, why);
  });
}

/** Hands the incident to someone else: their pages start, the current ones stop. */
export async function reassign(ctx: Context, runtime: PagingRuntime, incidentId: string, target: { user?: string; schedule?: string }, reason: string | undefined): Promise<void> {
  const config = ctx.config();
  if ((target.user === undefined) === (target.schedule === undefined)) throw invalid('Give exactly one of "user" or "schedule"', { fields: ['user', 'schedule'] });
  if (target.user !== undefined && !config.user(target.user)) throw invalid(`Unknown user "${target.user}"`, { field: 'user', allowed: config.users.map((u) => u.id) });
  if (target.schedule !== undefined && !config.schedules.some((s) => s.id === target.schedule)) {
    throw invalid(`Unknown schedule "${target.schedule}"`, { field: 'schedule', allowed: config.schedules.map((s) => s.id) });
  }
  await ctx.store.transaction(async (tx) => {
    const incident = await tx.incidents.get(incidentId);
    if (!incident) throw notFound('Incident', incidentId);
    const now = ctx.clock.now();
    let userId = target.user;
    if (target.schedule !== undefined) {
      userId = (await whoIsOnCall(ctx, tx, target.schedule, now)).userId ?? undefined;
      if (!userId) throw new DomainError('conflict', `Nobody is on call in ${target.schedule} right now`, { schedule: target.schedule });
    }
    const escalation = await tx.paging.escalation(incidentId);
    if (escalation?.timerId) await tx.timers.cancel(escalation.timerId);
    const previous = (await tx.paging.pagesOf(incidentId)).filter((p) => p.state === 'active');
    await tx.paging.stopPages(incidentId, now);
    await tx.outbox.cancelForPages(previous.map((p) => p.id));
    const why = `reassigned by ${actorLabel(ctx.actor)}${reason ? `: ${reason}` : ''}`;
    await pageUser(ctx, tx, runtime, incident, userId!, escalation?.level ?? 0, escalation?.round ?? 0, why);
    const policy = escalation ? config.escalationPolicies.find((p) => p.id === escalation.policyId) : undefined;
    let timerId: string | null = null;
    if (escalation && policy) {
      // The new person gets the current level's timeout before the policy moves on.
      timerId = ctx.newId();
      const timeout = parseDuration(policy.levels[escalation.level]?.timeout ?? '30m');
      await tx.timers.schedule([{ id: timerId, kind: ESCALATION_TIMER, dueAt: now + timeout, payload: { incidentId }, createdAt: now }]);
      await tx.paging.saveEscalation({ ...escalation, state: 'active', timerId, updatedAt: now });
    }
    await appendTimeline(ctx, tx, incidentId, 'reassigned', `Reassigned to ${userId}; ${why}`, { userId, schedule: target.schedule ?? null });
  });
}

/** After acknowledging: if the policy says acknowledgements lapse, set that timer and its reminder. */
export async function scheduleAckLapse(ctx: Context, tx: Tx, incident: IncidentRecord): Promise<void> {
  const escalation = await tx.paging.escalation(incident.id);
  const policy = escalation ? ctx.config().escalationPolicies.find((p) => p.id === escalation.policyId) : undefined;
  if (!policy?.ackTimeout || incident.acknowledgedAt === null) return;
  const now = ctx.clock.now();
  const lapse = parseDuration(policy.ackTimeout);
  const payload = { incidentId: incident.id, acknowledgedAt: incident.acknowledgedAt };
  await tx.timers.schedule([{ id: ctx.newId(), kind: ACK_TIMEOUT_TIMER, dueAt: now + lapse, payload, createdAt: now }]);
  if (policy.ackReminder) {
    const before = parseDuration(policy.ackReminder);
    if (before < lapse) await tx.timers.schedule([{ id: ctx.newId(), kind: ACK_REMINDER_TIMER, dueAt: now + lapse - before, payload, createdAt: now }]);
  }
}

/** The acknowledgement a lapse timer was set for still stands (nobody re-acknowledged, nothing resolved). */
export const stillSameAck = (incident: IncidentRecord | undefined, acknowledgedAt: unknown) =>
  incident !== undefined && incident.acknowledgedAt !== null && incident.acknowledgedAt === acknowledgedAt && incident.status !== 'resolved' && incident.status !== 'closed';

/** Reminds whoever acknowledged that their acknowledgement is about to lapse. */
export async function remindAckLapse(ctx: Context, tx: Tx, runtime: PagingRuntime, payload: Record<string, unknown>): Promise<void> {
  const incident = await tx.incidents.get(String(payload.incidentId));
  if (!incident || !stillSameAck(incident, payload.acknowledgedAt)) return;
  const userId = incident.acknowledgedBy?.startsWith('user:') ? incident.acknowledgedBy.slice(5) : undefined;
  const page = (await tx.paging.pagesOf(incident.id)).filter((p) => p.userId === userId).at(-1);
  await appendTimeline(ctx, tx, incident.id, 'ack.reminder', `The acknowledgement by ${incident.acknowledgedBy} lapses soon; acknowledge again to keep it`);
  if (!userId || !page) return;
  const rule = rulesOf(ctx.config(), userId)[0];
  if (!rule) return;
  const message = pageMessage(ctx, runtime, incident, page, 0, 'escalation', `Your acknowledgement of [${incident.severity}] ${incident.title} lapses soon`);
  await enqueueMessage(ctx, tx, { channelId: rule.channel, message: { ...message, idempotencyKey: `ack-reminder:${incident.id}:${String(payload.acknowledgedAt)}` }, incidentId: incident.id, pageId: null });
}

