/**
 * A deliberately slow, independent model of the schedule semantics, for property
 * tests. It walks time on a 15-minute grid, reads each instant's wall clock from its
 * own Intl formatter and applies the rules as a person would state them:
 *
 * - a daily/weekly hand-off happens at the first instant whose wall clock reaches
 *   the hand-off time (so a skipped time hands off at the jump, a repeated one once);
 * - a custom rotation hands off every `length` of elapsed time after its start;
 * - the first turn (from the layer start) is users[0], each hand-off after the start
 *   passes the turn on;
 * - a layer has its user only while the wall clock is inside one of its windows;
 * - the last layer with someone wins; overrides are then laid on in list order.
 *
 * It only works for schedules whose every time (starts, ends, hand-offs, windows,
 * lengths, overrides, UTC offsets and their changes) falls on the grid, which the
 * generators guarantee.
 */
import type { OnCall, Override, ScheduleConfig } from '../../../src/paging/schedules/index.ts';

export const GRID = 15 * 60_000;
const DAY = 86_400_000;
const WEEKDAYS_FROM_SUNDAY = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

export function wallClockReader(timeZone: string): (at: number) => number {
  const format = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
  const cache = new Map<number, number>();
  return (at) => {
    let wall = cache.get(at);
    if (wall === undefined) {
      const part: Record<string, number> = {};
      for (const { type, value } of format.formatToParts(at)) if (type !== 'literal') part[type] = Number(value);
      wall = Date.UTC(part.year!, part.month! - 1, part.day!, part.hour!, part.minute!, part.second!) + (at % 1000);
      cache.set(at, wall);
    }
    return wall;
  };
}

const weekdayOfWall = (wall: number): string => WEEKDAYS_FROM_SUNDAY[new Date(wall).getUTCDay()]!;
const minutesOf = (clock: string): number => Number(clock.slice(0, 2)) * 60 + Number(clock.slice(3, 5));

/** The instant a layer date-time names: an explicit offset as written, a wall clock by scanning for its first showing. */
function instantOf(text: string, wallAt: (at: number) => number): number {
  if (/(?:Z|[+-]\d\d:\d\d)$/.test(text)) return Date.parse(text);
  const wall = Date.parse(`${text}Z`);
  for (let at = wall - 16 * 3_600_000; at <= wall + 16 * 3_600_000; at += GRID) if (wallAt(at) >= wall) return at;
  throw new Error(`no instant found for ${text}`);
}

function inWindows(restrictions: NonNullable<ScheduleConfig['layers'][number]['restrictions']>, wall: number): boolean {
  const minute = Math.floor((wall % DAY) / 60_000);
  const today = weekdayOfWall(wall);
  const yesterday = weekdayOfWall(wall - DAY);
  return restrictions.some((window) => {
    const startsOn = (day: string) => window.days === undefined || (window.days as string[]).includes(day);
    const start = minutesOf(window.start);
    const end = minutesOf(window.end);
    if (start < end) return startsOn(today) && minute >= start && minute < end;
    return (startsOn(today) && minute >= start) || (startsOn(yesterday) && minute < end);
  });
}

export interface ReferenceTimeline {
  /** Who is on call on the grid cell holding `at`. */
  at(at: number): OnCall;
  readonly from: number;
  readonly to: number;
}

/** Evaluates the schedule on every grid cell of [from, to); `from` and `to` must be on the grid. */
export function referenceTimeline(schedule: ScheduleConfig, overrides: readonly Override[], from: number, to: number): ReferenceTimeline {
  const wallAt = wallClockReader(schedule.timezone);
  const layers = schedule.layers.map((layer, index) => ({
    layer,
    id: layer.id ?? `layer-${index + 1}`,
    start: instantOf(layer.start, wallAt),
    end: layer.end === undefined ? Infinity : instantOf(layer.end, wallAt),
    lengthMs: layer.rotation.type === 'custom' ? lengthOf(layer.rotation.length!) : 0,
  }));
  const walkFrom = Math.min(from, ...layers.map((layer) => layer.start)) - 2 * DAY;
  const state = layers.map((layer) => ({ nextHandoffWall: firstHandoffWallAfter(layer.layer, wallAt(walkFrom)), turns: 0 }));
  const cells: OnCall[] = [];
  for (let at = walkFrom; at < to; at += GRID) {
    const wall = wallAt(at);
    let onCall: OnCall = { userId: null, source: null };
    layers.forEach((layer, index) => {
      const counter = state[index]!;
      if (layer.layer.rotation.type === 'custom') {
        if (at > layer.start && (at - layer.start) % layer.lengthMs === 0) counter.turns++;
      } else {
        const period = layer.layer.rotation.type === 'daily' ? DAY : 7 * DAY;
        while (wall >= counter.nextHandoffWall) {
          if (at > layer.start) counter.turns++;
          counter.nextHandoffWall += period;
        }
      }
      if (at < layer.start || at >= layer.end) return;
      const restrictions = layer.layer.restrictions;
      if (restrictions && restrictions.length > 0 && !inWindows(restrictions, wall)) return;
      const users = layer.layer.users;
      onCall = { userId: users[counter.turns % users.length]!, source: { kind: 'layer', layerId: layer.id } };
    });
    for (const override of overrides) {
      if (at < override.start || at >= override.end) continue;
      if (override.replaces != null && override.replaces !== onCall.userId) continue;
      onCall = { userId: override.userId, source: { kind: 'override', overrideId: override.id } };
    }
    if (at >= from) cells.push(onCall);
  }
  return {
    from,
    to,
    at(at) {
      if (at < from || at >= to) throw new Error(`reference asked about ${new Date(at).toISOString()}, outside its window`);
      return cells[Math.floor((at - from) / GRID)]!;
    },
  };
}

function firstHandoffWallAfter(layer: ScheduleConfig['layers'][number], wall: number): number {
  if (layer.rotation.type === 'custom') return Infinity;
  const handoff = minutesOf(layer.handoff!) * 60_000;
  for (let day = Math.floor(wall / DAY); ; day++) {
    const candidate = day * DAY + handoff;
    if (candidate <= wall) continue;
    if (layer.rotation.type === 'daily' || weekdayOfWall(day * DAY) === layer.handoffDay) return candidate;
  }
}

function lengthOf(text: string): number {
  const units: Record<string, number> = { m: 60_000, h: 3_600_000, d: DAY, w: 7 * DAY };
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+)([mhdw])/g)) total += Number(amount) * units[unit!]!;
  return total;
}
