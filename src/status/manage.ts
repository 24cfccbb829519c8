import { actorLabel } from '../core/actor.ts';
import type { Context } from '../core/context.ts';
import { invalid, notFound } from '../core/errors.ts';
import type { ComponentOverrideRecord, MaintenanceRecord, Tx } from '../store/index.ts';
import { maintenanceStatus, type ComponentStatus, type MaintenanceStatus } from './model.ts';
import type { ScheduleMaintenanceInput, SetComponentInput } from './schemas.ts';

/** Every instance's cached status page listens for this (other instances through LISTEN/NOTIFY). */
export const STATUS_CHANGED_EVENT = 'status.changed';

const MAX_MAINTENANCE_MS = 31 * 86_400_000;

export interface ComponentSetting {
  service: string;
  /** The status set by hand, or null when it follows the incidents. */
  override: ComponentStatus | null;
  updatedAt: number | null;
  updatedBy: string | null;
}

export interface Maintenance extends MaintenanceRecord {
  status: MaintenanceStatus;
}

async function announce(ctx: Context, tx: Tx, data: Record<string, unknown>): Promise<void> {
  await ctx.events.record(tx, { at: ctx.clock.now(), type: STATUS_CHANGED_EVENT, incidentId: null, data });
}

function requireService(ctx: Context, id: string): void {
  if (!ctx.config().service(id)) {
    throw notFound('Service', id);
  }
}

/** Sets a component's status by hand, or (null) lets it follow open public incidents again. */
export async function setComponentStatus(ctx: Context, service: string, input: SetComponentInput): Promise<ComponentSetting> {
  requireService(ctx, service);
  const now = ctx.clock.now();
  return ctx.store.transaction(async (tx) => {
    if (input.status === null) {
      await tx.status.clearOverride(service);
      await announce(ctx, tx, { component: service, override: null });
      return { service, override: null, updatedAt: null, updatedBy: null };
    }
    const record: ComponentOverrideRecord = { serviceId: service, status: input.status, updatedAt: now, updatedBy: actorLabel(ctx.actor) };
    await tx.status.setOverride(record);
    await announce(ctx, tx, { component: service, override: input.status });
    return { service, override: input.status, updatedAt: now, updatedBy: record.updatedBy };
  });
}

export async function scheduleMaintenance(ctx: Context, input: ScheduleMaintenanceInput): Promise<Maintenance> {
  const now = ctx.clock.now();
  const scheduledFor = Date.parse(input.scheduledFor);
  const scheduledUntil = Date.parse(input.scheduledUntil);
  if (!Number.isFinite(scheduledFor)) throw invalid(`"${input.scheduledFor}" is not a time`, { field: 'scheduledFor' });
  if (!Number.isFinite(scheduledUntil)) throw invalid(`"${input.scheduledUntil}" is not a time`, { field: 'scheduledUntil' });
  if (scheduledUntil <= scheduledFor) throw invalid('scheduledUntil must come after scheduledFor', { field: 'scheduledUntil' });
  if (scheduledUntil - scheduledFor > MAX_MAINTENANCE_MS) throw invalid('A maintenance lasts at most 31 days', { field: 'scheduledUntil' });
  const unknown = input.components.filter((id) => !ctx.config().service(id));
  if (unknown.length > 0) {
    throw invalid(`Unknown service${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`, { field: 'components', unknown });
  }
  const record: MaintenanceRecord = {
    id: ctx.newId(),
    title: input.title,
    body: input.body ?? '',
    components: input.components,
    scheduledFor,
    scheduledUntil,
    createdAt: now,
    createdBy: actorLabel(ctx.actor),
    deletedAt: null,
  };
  await ctx.store.transaction(async (tx) => {
    await tx.status.insertMaintenance(record);
    await announce(ctx, tx, { maintenance: record.id });
  });
  return { ...record, status: maintenanceStatus(now, record) };
}

/** Those not yet over, soonest first; with `all`, also the 100 most recent past ones. */
export async function listMaintenances(ctx: Context, options: { all?: boolean } = {}): Promise<Maintenance[]> {
  const now = ctx.clock.now();
  const rows = await ctx.store.repos.status.maintenances({ now, pastLimit: options.all ? 100 : 0 });
  return rows.map((m) => ({ ...m, status: maintenanceStatus(now, m) }));
}

/** Takes a maintenance off the status page (announced by mistake, or called off). */
export async function cancelMaintenance(ctx: Context, id: string): Promise<void> {
  await ctx.store.transaction(async (tx) => {
    if (!(await tx.status.deleteMaintenance(id, ctx.clock.now()))) throw notFound('Maintenance', id);
    await announce(ctx, tx, { maintenance: id, deleted: true });
  });
}

export async function componentSettings(ctx: Context): Promise<ComponentSetting[]> {
  const overrides = new Map((await ctx.store.repos.status.overrides()).map((o) => [o.serviceId, o]));
  return ctx.config().services.map((service) => {
    const o = overrides.get(service.id);
    return {
      service: service.id,
      override: (o?.status as ComponentStatus | undefined) ?? null,
      updatedAt: o?.updatedAt ?? null,
      updatedBy: o?.updatedBy ?? null,
    };
  });
}
