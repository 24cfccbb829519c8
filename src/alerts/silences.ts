import { Type, type Static } from '@sinclair/typebox';
import { actorLabel } from '../core/actor.ts';
import type { Context } from '../core/context.ts';
import { parseDuration } from '../core/duration.ts';
import { DomainError, invalid, notFound } from '../core/errors.ts';
import type { AlertRecord, MaintenanceWindowRecord, SilenceRecord } from '../store/index.ts';
import { matches, parseMatchers, type Matcher } from './matchers/index.ts';
import { repeatsWritten } from './pipeline.ts';

export const CreateSilenceInput = Type.Object(
  {
    matchers: Type.Array(Type.String({ minLength: 1, maxLength: 2000 }), { minItems: 1, maxItems: 50 }),
    startsAt: Type.Optional(Type.String({ format: 'date-time' })),
    endsAt: Type.Optional(Type.String({ format: 'date-time' })),
    duration: Type.Optional(Type.String({ pattern: '^(\\d+(\\.\\d+)?(ms|s|m|h|d|w))+$', description: 'instead of endsAt, e.g. 2h' })),
    comment: Type.String({ minLength: 1, maxLength: 2000 }),
  },
  { additionalProperties: false },
);
export type CreateSilenceInput = Static<typeof CreateSilenceInput>;

export const CreateMaintenanceInput = Type.Object(
  {
    service: Type.String({ minLength: 1, maxLength: 63 }),
    startsAt: Type.Optional(Type.String({ format: 'date-time' })),
    endsAt: Type.Optional(Type.String({ format: 'date-time' })),
    duration: Type.Optional(Type.String({ pattern: '^(\\d+(\\.\\d+)?(ms|s|m|h|d|w))+$' })),
    comment: Type.String({ minLength: 1, maxLength: 2000 }),
  },
  { additionalProperties: false },
);
export type CreateMaintenanceInput = Static<typeof CreateMaintenanceInput>;

const MAX_SPAN_MS = 366 * 86_400_000;

function windowOf(now: number, input: { startsAt?: string; endsAt?: string; duration?: string }): { startsAt: number; endsAt: number } {
  const startsAt = input.startsAt !== undefined ? Date.parse(input.startsAt) : now;
  if ((input.endsAt === undefined) === (input.duration === undefined)) {
    throw invalid('Give exactly one of "endsAt" or "duration"', { fields: ['endsAt', 'duration'] });
  }
  const endsAt = input.endsAt !== undefined ? Date.parse(input.endsAt) : startsAt + parseDuration(input.duration!);
  if (!Number.isFinite(startsAt) || !Number.isFinite(endsAt)) throw invalid('startsAt and endsAt must be times', { fields: ['startsAt', 'endsAt'] });
  if (endsAt <= startsAt) throw invalid('The end must come after the start', { field: 'endsAt' });
  if (endsAt <= now) throw invalid('The end is already in the past', { field: 'endsAt' });
  if (endsAt - startsAt > MAX_SPAN_MS) throw invalid('A silence or window lasts at most a year', { field: 'endsAt' });
  return { startsAt, endsAt };
}

function silenceMatchers(texts: readonly string[]): Matcher[] {
  let matchers;
  try {
    matchers = parseMatchers(texts);
  } catch (error) {
    throw invalid(`Invalid matcher: ${(error as Error).message}`, { field: 'matchers' });
  }
  // Matchers that all match a missing label would silence every alert there is.
  if (matchers.every((m) => matches([m], {}))) {
    throw invalid('These matchers would silence every alert; name at least one label value', { field: 'matchers' });
  }
  return matchers;
}

export const PreviewSilenceInput = Type.Object(
  { matchers: Type.Array(Type.String({ minLength: 1, maxLength: 2000 }), { minItems: 1, maxItems: 50 }) },
  { additionalProperties: false },
);
export type PreviewSilenceInput = Static<typeof PreviewSilenceInput>;

/** Alerts not yet resolved that would be examined at most, newest first, when previewing. */
const PREVIEW_SCAN = 5000;

/**
 * The alerts a silence with these matchers would cover right now (those not yet
 * resolved), as the ingest path would match them; nothing is stored.
 */
export async function previewSilence(ctx: Context, input: PreviewSilenceInput): Promise<{ matching: AlertRecord[]; scanned: number; complete: boolean }> {
  const matchers = silenceMatchers(input.matchers);
  await repeatsWritten(ctx.store);
  const open = await ctx.store.repos.alerts.list({ statuses: ['firing', 'acknowledged'], limit: PREVIEW_SCAN + 1 });
  const scanned = open.slice(0, PREVIEW_SCAN);
  return { matching: scanned.filter((alert) => matches(matchers, alert.labels)), scanned: scanned.length, complete: open.length <= PREVIEW_SCAN };
}

/** Silenced alerts are still stored and shown; they open nothing while the silence lasts. */
export async function createSilence(ctx: Context, input: CreateSilenceInput): Promise<SilenceRecord> {
  const matchers = silenceMatchers(input.matchers);
  const silence: SilenceRecord = {
    id: ctx.newId(),
    matchers: matchers.map(({ name, op, value }) => ({ name, op, value })),
    ...windowOf(ctx.clock.now(), input),
    createdBy: actorLabel(ctx.actor),
    comment: input.comment,
    createdAt: ctx.clock.now(),
    expiredAt: null,
  };
  await ctx.store.repos.silences.insert(silence);
  return silence;
}

export async function expireSilence(ctx: Context, id: string): Promise<SilenceRecord> {
  const silence = await ctx.store.repos.silences.get(id);
  if (!silence) throw notFound('Silence', id);
  const now = ctx.clock.now();
  if (silence.expiredAt !== null || silence.endsAt <= now) {
    throw new DomainError('conflict', `Silence ${id} has already ended`, { endsAt: new Date(Math.min(silence.endsAt, silence.expiredAt ?? Infinity)).toISOString() });
  }
  await ctx.store.repos.silences.expire(id, now);
  return { ...silence, expiredAt: now };
}

export async function listSilences(ctx: Context, includeExpired: boolean): Promise<SilenceRecord[]> {
  return ctx.store.repos.silences.list({ includeExpired, at: ctx.clock.now(), limit: 1000 });
}

export async function createMaintenanceWindow(ctx: Context, input: CreateMaintenanceInput): Promise<MaintenanceWindowRecord> {
  if (!ctx.config().service(input.service)) {
    throw invalid(`Unknown service "${input.service}"`, { field: 'service', allowed: ctx.config().services.map((s) => s.id) });
  }
  const window: MaintenanceWindowRecord = {
    id: ctx.newId(),
    service: input.service,
    ...windowOf(ctx.clock.now(), input),
    createdBy: actorLabel(ctx.actor),
    comment: input.comment,
    createdAt: ctx.clock.now(),
    cancelledAt: null,
  };
  await ctx.store.repos.silences.insertWindow(window);
  return window;
}

export async function cancelMaintenanceWindow(ctx: Context, id: string): Promise<MaintenanceWindowRecord> {
  const window = await ctx.store.repos.silences.getWindow(id);
  if (!window) throw notFound('Maintenance window', id);
  if (window.cancelledAt !== null) throw new DomainError('conflict', `Maintenance window ${id} was already cancelled`, null);
  await ctx.store.repos.silences.cancelWindow(id, ctx.clock.now());
  return { ...window, cancelledAt: ctx.clock.now() };
}

export async function listMaintenanceWindows(ctx: Context, includePast: boolean): Promise<MaintenanceWindowRecord[]> {
  return ctx.store.repos.silences.listWindows({ includePast, at: ctx.clock.now(), limit: 1000 });
}
