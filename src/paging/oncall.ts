import type { Config } from '../config/schema.ts';
import type { Context } from '../core/context.ts';
import { notFound } from '../core/errors.ts';
import type { OverrideRecord, Repositories } from '../store/index.ts';
import type { Override, Schedule } from './schedules/index.ts';

const toOverride = (o: OverrideRecord): Override => ({ id: o.id, userId: o.userId, replaces: o.replaces, start: o.startsAt, end: o.endsAt });

export function scheduleOf(config: Config, id: string): Schedule {
  const schedule = config.schedule(id);
  if (!schedule) throw notFound('Schedule', id);
  return schedule;
}

/** Who is on call at `at`, overrides included; `next` asks for whoever comes after them. */
export async function whoIsOnCall(
  ctx: Pick<Context, 'config'>,
  repos: Pick<Repositories, 'paging'>,
  scheduleId: string,
  at: number,
  next = false,
): Promise<{ userId: string | null; source: unknown; from: number | null }> {
  const schedule = scheduleOf(ctx.config(), scheduleId);
  // Overrides over the next year are enough to answer "now" and "next".
  const overrides = (await repos.paging.overrides(scheduleId, at - 86_400_000, at + 366 * 86_400_000)).map(toOverride);
  if (next) {
    const upcoming = schedule.nextOnCall(at, overrides);
    return upcoming ? { userId: upcoming.userId, source: upcoming.source, from: upcoming.start } : { userId: null, source: null, from: null };
  }
  const now = schedule.onCallAt(at, overrides);
  return { userId: now.userId, source: now.source, from: null };
}

export async function renderedShifts(ctx: Context, scheduleId: string, from: number, to: number) {
  const schedule = scheduleOf(ctx.config(), scheduleId);
  const overrides = (await ctx.store.repos.paging.overrides(scheduleId, from, to)).map(toOverride);
  return schedule.shifts(from, to, overrides);
}
