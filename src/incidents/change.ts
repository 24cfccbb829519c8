import type { SlaClockKind } from '../config/schema.ts';
import type { Context } from '../core/context.ts';
import type { IncidentRecord, Tx } from '../store/index.ts';
import { cancelClocks, meetClocks, recomputeClocks, restartCadence } from './clocks.ts';
import { assertTransition, stage, type IncidentStatus } from './lifecycle.ts';
import { mutateIncident, mutateIncidentIn } from './mutate.ts';
import type { ChangeInput } from './schemas.ts';
import { appendTimeline } from './timeline.ts';
import { requireServices, requireSeverity } from './validate.ts';

/** Edits title, summary, services, severity and status; each change is its own timeline entry. */
export async function changeIncident(ctx: Context, id: string, input: ChangeInput): Promise<IncidentRecord> {
  return mutateIncident(ctx, id, input.version, async (current, tx) => {
    let next = current;
    if (input.title !== undefined && input.title !== next.title) {
      await appendTimeline(ctx, tx, id, 'title', `Title changed to "${input.title}"`, { from: next.title, to: input.title });
      next = { ...next, title: input.title };
    }
    if (input.summary !== undefined && input.summary !== next.summary) {
      await appendTimeline(ctx, tx, id, 'summary', 'Summary edited', { from: next.summary, to: input.summary });
      next = { ...next, summary: input.summary };
    }
    if (input.services !== undefined && !sameSet(input.services, next.services)) {
      const services = requireServices(ctx.config(), input.services);
      await appendTimeline(ctx, tx, id, 'services', `Affected services: ${services.join(', ') || 'none'}`, {
        from: next.services,
        to: services,
      });
      next = { ...next, services };
    }
    if (input.severity !== undefined && input.severity !== next.severity) {
      next = await changeSeverity(ctx, tx, next, input.severity);
    }
    if (input.status !== undefined && input.status !== next.status) {
      next = await changeStatus(ctx, tx, next, input.status);
    }
    return next;
  });
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x));

async function changeSeverity(ctx: Context, tx: Tx, current: IncidentRecord, severityId: string): Promise<IncidentRecord> {
  const severity = requireSeverity(ctx.config(), severityId);
  const next = { ...current, severity: severity.id };
  const changes = await recomputeClocks(ctx, tx, next, severity);
  const suffix = changes.length > 0 ? `; SLA clocks: ${changes.join('; ')}` : '';
  await appendTimeline(ctx, tx, current.id, 'severity', `Severity changed from ${current.severity} to ${severity.id}${suffix}`, {
    from: current.severity,
    to: severity.id,
    clocks: changes,
  });
  return next;
}

/** Moves the status inside the caller's transaction (alerts resolving or firing again). */
export async function changeStatusIn(ctx: Context, tx: Tx, id: string, status: IncidentStatus): Promise<IncidentRecord> {
  return mutateIncidentIn(ctx, tx, id, undefined, async (current) =>
    current.status === status ? current : changeStatus(ctx, tx, current, status),
  );
}

async function changeStatus(ctx: Context, tx: Tx, current: IncidentRecord, status: IncidentStatus): Promise<IncidentRecord> {
  assertTransition(current.status, status);
  const now = ctx.clock.now();
  const reopening = current.status === 'resolved' && status === 'investigating';
  let next: IncidentRecord = { ...current, status };
  if (reopening) {
    next = { ...next, resolvedAt: null };
  } else {
    // A later stage implies the earlier ones: note when each was first reached.
    if (stage(status) >= stage('identified') && next.identifiedAt === null) next = { ...next, identifiedAt: now };
    if (stage(status) >= stage('mitigating') && next.mitigatedAt === null) next = { ...next, mitigatedAt: now };
    if (status === 'resolved') next = { ...next, resolvedAt: now };
    if (status === 'closed') next = { ...next, closedAt: now, resolvedAt: next.resolvedAt ?? now };
  }
  await appendTimeline(
    ctx,
    tx,
    current.id,
    reopening ? 'reopened' : 'status',
    reopening ? 'Reopened: investigating again' : `Status changed from ${current.status} to ${status}`,
    { from: current.status, to: status },
  );
  const met: SlaClockKind[] = [];
  if (stage(status) >= stage('identified')) met.push('investigationStarted');
  if (stage(status) >= stage('mitigating')) met.push('mitigationStarted');
  if (stage(status) >= stage('resolved')) met.push('initialResponse');
  if (!reopening) await meetClocks(ctx, tx, next, met, now);
  if (stage(status) >= stage('resolved')) {
    // Once resolved there is nobody left to notify on a cadence.
    await cancelClocks(tx, current.id, ['stakeholderNotification', 'updateCadence']);
  }
  if (reopening) {
    const severity = ctx.config().severity(next.severity);
    if (severity) await restartCadence(ctx, tx, next, severity, now);
    await ctx.hooks.reopened?.(ctx, tx, next);
  } else if (stage(status) >= stage('resolved') && stage(current.status) < stage('resolved')) {
    await ctx.hooks.resolved?.(ctx, tx, next);
  }
  return next;
}
