import { DAY_MS, HOUR_MS, MINUTE_MS, type ZoneClock } from '../../config/timeZone.ts';
import { WEEKDAY_NAMES, type WeekdayName } from './schema.ts';

/**
 * The few wall-clock questions a rotation asks. A wall clock is kept as milliseconds
 * read as if UTC (as in config/timeZone.ts), so a local day number is
 * `Math.floor(wall / DAY_MS)`.
 */

/** Mon = 0 … Sun = 6 for a day number; day 0 (1970-01-01) was a Thursday. */
export const weekdayIndexOf = (day: number): number => (((day + 3) % 7) + 7) % 7;

export const weekdayIndex = (name: WeekdayName): number => WEEKDAY_NAMES.indexOf(name);

/**
 * The earliest instant whose wall clock reads `wall` or later. A wall-clock time the
 * clock skips maps to the jump itself; one the clock shows twice maps to its first
 * showing. This is what makes a 09:00 hand-off happen once a day, every day.
 */
export function earliestInstantAtOrAfter(zone: ZoneClock, wall: number): number {
  // UTC offsets lie within ±14 hours, so the instant is within a day of `wall` read as UTC,
  // and no zone changes its offset twice within two days.
  const before = wall - DAY_MS;
  const after = wall + DAY_MS;
  const offsetBefore = zone.offsetAt(before);
  const offsetAfter = zone.offsetAt(after);
  if (offsetBefore === offsetAfter) return wall - offsetBefore;
  const change = zone.nextOffsetChange(before, after, offsetBefore).at;
  if (wall - offsetBefore < change) return wall - offsetBefore;
  // In a gap the wall time never shows, and the jump is the first instant past it.
  return Math.max(change, wall - offsetAfter);
}

export type LayerDateTimeValue = { kind: 'wall'; wall: number } | { kind: 'instant'; at: number };

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?(Z|[+-]\d{2}:\d{2})?$/;

/** `2025-01-06T09:00` (wall clock) or `…Z` / `…+01:00` (an instant); undefined when not a real date and time. */
export function parseLayerDateTime(text: string): LayerDateTimeValue | undefined {
  const match = DATE_TIME.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute] = [1, 2, 3, 4, 5].map((group) => Number(match[group]));
  const second = Number(match[6] ?? '0');
  if (month! < 1 || month! > 12 || day! < 1 || hour! > 23 || minute! > 59 || second > 59) return undefined;
  const date = new Date(0);
  date.setUTCFullYear(year!, month! - 1, day!);
  if (date.getUTCDate() !== day) return undefined;
  const wall = date.getTime() + hour! * HOUR_MS + minute! * MINUTE_MS + second * 1000;
  const zone = match[7];
  if (zone === undefined) return { kind: 'wall', wall };
  if (zone === 'Z') return { kind: 'instant', at: wall };
  const offsetHours = Number(zone.slice(1, 3));
  const offsetMinutes = Number(zone.slice(4, 6));
  if (offsetHours > 23 || offsetMinutes > 59) return undefined;
  const offset = (zone[0] === '-' ? -1 : 1) * (offsetHours * HOUR_MS + offsetMinutes * MINUTE_MS);
  return { kind: 'instant', at: wall - offset };
}

export function instantOf(value: LayerDateTimeValue, zone: ZoneClock): number {
  return value.kind === 'instant' ? value.at : earliestInstantAtOrAfter(zone, value.wall);
}
