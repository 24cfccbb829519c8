/**
 * Wall-clock arithmetic in one IANA time zone. Intl carries the time zone database
 * of the runtime, so Firebreak needs no copy of its own; all we ask of it is the
 * wall clock of an instant, from which the UTC offset follows.
 */

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

export function isValidTimeZone(timeZone: string): boolean {
  if (timeZone.trim() === '') return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** Days since 1970-01-01 of a wall clock read as if it were UTC. */
export const dayNumberOf = (wallMs: number): number => Math.floor(wallMs / DAY_MS);

/** `2025-12-25` for a day number. */
export const isoDateOf = (dayNumber: number): string => new Date(dayNumber * DAY_MS).toISOString().slice(0, 10);

export class ZoneClock {
  readonly timeZone: string;
  private readonly wallClock: Intl.DateTimeFormat;

  /** Throws RangeError for a time zone Intl does not know; callers validate first. */
  constructor(timeZone: string) {
    this.timeZone = timeZone;
    this.wallClock = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  /**
   * What to add to the UTC instant `ms` to get its wall clock (read as if UTC).
   * Intl resolves whole seconds, so the offset is constant within each second.
   */
  offsetAt(ms: number): number {
    const second = Math.floor(ms / 1000) * 1000;
    const fields: Record<string, number> = {};
    for (const part of this.wallClock.formatToParts(second)) {
      if (part.type !== 'literal') fields[part.type] = Number(part.value);
    }
    const wall = new Date(0);
    wall.setUTCFullYear(fields.year!, fields.month! - 1, fields.day!);
    wall.setUTCHours(fields.hour!, fields.minute!, fields.second!, 0);
    return wall.getTime() - second;
  }

  /** The wall clock of `ms`, as milliseconds read as if UTC. */
  wallAt(ms: number): number {
    return ms + this.offsetAt(ms);
  }

  /**
   * The first instant in (from, to] whose offset differs from `offset` (the offset at
   * `from`), or `to` when the offset at `to` is unchanged. Checking only the end is
   * safe for spans of days: no zone changes its offset twice within a week.
   */
  nextOffsetChange(from: number, to: number, offset: number): { at: number; offset: number } {
    const offsetAtEnd = this.offsetAt(to);
    if (offsetAtEnd === offset) return { at: to, offset };
    // Binary search over whole seconds: `low` keeps the old offset, `high` has a new one.
    let low = Math.floor(from / 1000);
    let high = Math.floor(to / 1000);
    let highOffset = offsetAtEnd;
    while (high - low > 1) {
      const middle = Math.floor((low + high) / 2);
      const middleOffset = this.offsetAt(middle * 1000);
      if (middleOffset === offset) low = middle;
      else [high, highOffset] = [middle, middleOffset];
    }
    return { at: high * 1000, offset: highOffset };
  }
}
