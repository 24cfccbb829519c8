import { DomainError, invalid } from '../core/errors.ts';
import { parseDuration } from '../core/duration.ts';
import { deepFreeze } from './freeze.ts';
import type { BusinessHours } from './schema.ts';
import { DAY_MS, HOUR_MS, MINUTE_MS, ZoneClock, dayNumberOf, isValidTimeZone, isoDateOf } from './timeZone.ts';

/**
 * SLA deadlines that respect working hours. A business instant is one whose wall
 * clock, in the configured zone, falls on a working weekday that is not a holiday,
 * at or after `start` and before `end`. That definition is taken literally across
 * DST: a skipped hour is simply absent, a repeated hour counts twice.
 */

export const DEFAULT_BUSINESS_HOURS: BusinessHours = deepFreeze({
  timezone: 'UTC',
  days: ['mon', 'tue', 'wed', 'thu', 'fri'],
  start: '09:00',
  end: '17:00',
  holidays: [],
});

/** Day number 0 (1970-01-01) was a Thursday. */
const WEEKDAYS_FROM_THURSDAY = ['thu', 'fri', 'sat', 'sun', 'mon', 'tue', 'wed'] as const;

/** How far to look for the next working day before calling the calendar broken. */
const WORKING_DAY_SEARCH_DAYS = 3 * 366;
/** Deadlines further out than this are a mistake in the target, not a plan. */
const DEADLINE_HORIZON_MS = 10 * 366 * DAY_MS;
/** UTC−12:00 is the westernmost offset in use: a date lasts until 12 hours after it ended in UTC. */
const MAX_NEGATIVE_OFFSET_MS = 12 * HOUR_MS;
/** Hops between working stretches stay short so that one offset check per hop sees every DST change. */
const MAX_HOP_MS = 7 * DAY_MS;

const BUSINESS_HOURS_TARGET = /^(\d+(?:\.\d+)?)bh$/;

export interface BusinessCalendar {
  readonly hours: BusinessHours;
  isBusinessTime(ms: number): boolean;
  /** When an SLA clock started at `startMs` with `target` (15m, 8bh, next-business-day) runs out. */
  slaDueAt(startMs: number, target: string): number;
}

/** A stretch of uninterrupted business time, and the local date it belongs to. */
interface WorkingStretch {
  start: number;
  end: number;
  day: number;
}

/** Build once and reuse when computing many deadlines: building reads the zone from Intl. */
export function createBusinessCalendar(hours: BusinessHours): BusinessCalendar {
  return new WorkingCalendar(hours);
}

export function slaDueAt(startMs: number, target: string, hours: BusinessHours): number {
  return createBusinessCalendar(hours).slaDueAt(startMs, target);
}

export function isBusinessTime(ms: number, hours: BusinessHours): boolean {
  return createBusinessCalendar(hours).isBusinessTime(ms);
}

/** `09:30` → ms after midnight; `24:00` is allowed as an end. */
export function clockTimeToMs(text: string): number {
  const match = /^(\d{2}):(\d{2})$/.exec(text);
  if (!match) throw invalid(`"${text}" is not a time of day; write it as HH:MM, e.g. 09:00`, { value: text });
  return Number(match[1]) * HOUR_MS + Number(match[2]) * MINUTE_MS;
}

class WorkingCalendar implements BusinessCalendar {
  readonly hours: BusinessHours;
  private readonly zone: ZoneClock;
  private readonly dayStart: number;
  private readonly dayEnd: number;
  private readonly workingWeekdays: ReadonlySet<string>;
  private readonly holidays: ReadonlySet<string>;

  constructor(hours: BusinessHours) {
    if (!isValidTimeZone(hours.timezone)) {
      throw new DomainError('config_invalid', `businessHours.timezone "${hours.timezone}" is not an IANA time zone`);
    }
    this.hours = hours;
    this.zone = new ZoneClock(hours.timezone);
    this.dayStart = clockTimeToMs(hours.start);
    this.dayEnd = clockTimeToMs(hours.end);
    if (this.dayEnd <= this.dayStart || this.dayEnd > DAY_MS) {
      throw new DomainError('config_invalid', `businessHours must end after they start (start ${hours.start}, end ${hours.end})`);
    }
    this.workingWeekdays = new Set(hours.days);
    this.holidays = new Set(hours.holidays ?? []);
  }

  isBusinessTime(ms: number): boolean {
    const wall = this.zone.wallAt(ms);
    const day = dayNumberOf(wall);
    const timeOfDay = wall - day * DAY_MS;
    return this.isWorkingDay(day) && timeOfDay >= this.dayStart && timeOfDay < this.dayEnd;
  }

  slaDueAt(startMs: number, target: string): number {
    const trimmed = target.trim();
    if (trimmed === 'next-business-day') return this.endOfNextWorkingDay(startMs);
    const businessHours = BUSINESS_HOURS_TARGET.exec(trimmed);
    if (businessHours) return this.addBusinessTime(startMs, Math.round(Number(businessHours[1]) * HOUR_MS));
    return startMs + parseDuration(trimmed);
  }

  private addBusinessTime(startMs: number, amount: number): number {
    let remaining = amount;
    let cursor = startMs;
    while (remaining > 0) {
      const stretch = this.workingStretchFrom(cursor, startMs);
      const length = stretch.end - stretch.start;
      if (length >= remaining) return stretch.start + remaining;
      remaining -= length;
      cursor = stretch.end;
    }
    return startMs;
  }

  private endOfNextWorkingDay(startMs: number): number {
    const startDay = dayNumberOf(this.zone.wallAt(startMs));
    let stretch = this.workingStretchFrom(startMs, startMs);
    while (stretch.day <= startDay) stretch = this.workingStretchFrom(stretch.end, startMs);
    // A DST change inside working hours splits the day into stretches, and a repeated
    // hour can even return to the day after the next one began; so take the last
    // stretch of the day among all that start while any zone could still show it.
    const businessDay = stretch.day;
    const lastMomentOfDayAnywhere = (businessDay + 1) * DAY_MS + MAX_NEGATIVE_OFFSET_MS;
    let end = stretch.end;
    for (let next = this.workingStretchFrom(end, startMs); next.start < lastMomentOfDayAnywhere; next = this.workingStretchFrom(next.end, startMs)) {
      if (next.day === businessDay) end = next.end;
    }
    return end;
  }

  /**
   * The business stretch that contains `from`, or else the next one after it. Hops
   * from working interval to working interval; wall-clock arithmetic is exact while
   * the offset stays put, and each hop checks whether it did.
   */
  private workingStretchFrom(from: number, origin: number): WorkingStretch {
    let cursor = from;
    let offset = this.zone.offsetAt(cursor);
    for (;;) {
      if (cursor - origin > DEADLINE_HORIZON_MS) {
        throw invalid('An SLA deadline lies more than 10 years ahead; shorten the target', { from: origin });
      }
      const wall = cursor + offset;
      const day = dayNumberOf(wall);
      const timeOfDay = wall - day * DAY_MS;
      if (this.isWorkingDay(day) && timeOfDay >= this.dayStart && timeOfDay < this.dayEnd) {
        const change = this.zone.nextOffsetChange(cursor, day * DAY_MS + this.dayEnd - offset, offset);
        return { start: cursor, end: change.at, day };
      }
      const nextDay = this.isWorkingDay(day) && timeOfDay < this.dayStart ? day : this.nextWorkingDayAfter(day);
      const nextStart = nextDay * DAY_MS + this.dayStart - offset;
      const change = this.zone.nextOffsetChange(cursor, Math.min(nextStart, cursor + MAX_HOP_MS), offset);
      cursor = change.at;
      offset = change.offset;
    }
  }

  private nextWorkingDayAfter(day: number): number {
    for (let candidate = day + 1; candidate <= day + WORKING_DAY_SEARCH_DAYS; candidate++) {
      if (this.isWorkingDay(candidate)) return candidate;
    }
    throw new DomainError(
      'config_invalid',
      `businessHours has no working day in the 3 years after ${isoDateOf(day)}; check businessHours.days and holidays`,
    );
  }

  private isWorkingDay(day: number): boolean {
    const weekday = WEEKDAYS_FROM_THURSDAY[((day % 7) + 7) % 7]!;
    return this.workingWeekdays.has(weekday) && !this.holidays.has(isoDateOf(day));
  }
}
