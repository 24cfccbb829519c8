import { actorLabel } from '../core/actor.ts';
import type { Context } from '../core/context.ts';
import { invalid } from '../core/errors.ts';
import type { IncidentRecord, Tx } from '../store/index.ts';
import { startClocks } from './clocks.ts';
import type { DeclareInput } from './schemas.ts';
import { appendTimeline } from './timeline.ts';
import { requireRole, requireServices, requireSeverity, requireUser } from './validate.ts';

export const COMMANDER_ROLE = 'commander';
/** Who posts the stakeholder updates; without one, the commander does. */
export const COMMUNICATIONS_ROLE = 'communications';

export async function declareIncident(ctx: Context, input: DeclareInput): Promise<IncidentRecord> {
  return ctx.store.transaction((tx) => declareIncidentIn(ctx, tx, input));
}

/** Declares inside a transaction the caller owns, e.g. alert ingest opening an incident in its batch. */
export async function declareIncidentIn(ctx: Context, tx: Tx, input: DeclareInput): Promise<IncidentRecord> {
  const config = ctx.config();
  const severity = requireSeverity(config, input.severity);
  const services = requireServices(config, input.services ?? []);
  const roles: Record<string, string> = {};
  if (input.commander !== undefined) {
    if (!config.role(COMMANDER_ROLE)) throw invalid(`The configuration has no "${COMMANDER_ROLE}" role`, { field: 'commander' });
    requireRole(config, COMMANDER_ROLE);
    roles[COMMANDER_ROLE] = requireUser(config, input.commander, 'commander');
  }
  const now = ctx.clock.now();
  const incident: IncidentRecord = {
    id: ctx.newId(),
    title: input.title,
    summary: input.summary ?? '',
    severity: severity.id,
    status: 'investigating',
    services,
    roles,
    declaredAt: now,
    declaredBy: actorLabel(ctx.actor),
    acknowledgedAt: null,
    acknowledgedBy: null,
    identifiedAt: null,
    mitigatedAt: null,
    resolvedAt: null,
    closedAt: null,
    lastUpdateAt: null,
    updatedAt: now,
    version: 1,
  };
  await tx.incidents.insert(incident);
    await appendTimeline(ctx, tx, incident.id, 'declared', `Declared ${severity.id} (${severity.name}): ${incident.title}`, {
      severity: severity.id,
      services,
      roles,
    });
    await startClocks(ctx, tx, incident, severity);
    await ctx.events.record(tx, {
      at: now,
      type: 'incident.declared',
      incidentId: incident.id,
      data: { id: incident.id, title: incident.title, severity: severity.id, services },
    });
  await ctx.hooks.declared?.(ctx, tx, incident);
  return incident;
}
