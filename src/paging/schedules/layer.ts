import { clockTimeToMs } from '../../config/businessHours.ts';
import { DAY_MS, type ZoneClock, dayNumberOf } from '../../config/timeZone.ts';
import { parseDuration } from '../../core/duration.ts';
import { invalid } from '../../core/errors.ts';
import { layerIdOf, type LayerRestriction, type ScheduleLayer } from './schema.ts';
import { earliestInstantAtOrAfter, instantOf, parseLayerDateTime, weekdayIndex, weekdayIndexOf } from './wallClock.ts';

/** Someone on call in one layer, from `start` (inclusive) to `end` (exclusive). */
export interface LayerPiece {
  start: number;
  end: number;
  userId: string;
}

/**
 * Hand-offs are numbered: hand-off `index` happens at `handoffAt(index)`, strictly
 * later for each larger index. Turns run from one hand-off to the next.
 */
interface Rotation {
  /** The largest index whose hand-off happens at or before `at`. */
  indexAt(at: number): number;
  handoffAt(index: number): number;
}

/** Hand-offs at one wall-clock time every `period` of wall time (a day or a week). */
class WallClockRotation implements Rotation {
  constructor(
    private readonly zone: ZoneClock,
    private readonly period: number,
    /** The wall clock of hand-off 0, between 1970-01-01T00:00 and one period later. */
    private readonly phase: number,
  ) {}

  handoffAt(index: number): number {
    return earliestInstantAtOrAfter(this.zone, index * this.period + this.phase);
  }

  indexAt(at: number): number {
    // The wall clock of `at` has reached this hand-off's wall time, so the hand-off has
    // happened; after the clock falls back, the next one may have happened too.
    let index = Math.floor((this.zone.wallAt(at) - this.phase) / this.period);
    for (let step = 0; step < 3 && this.handoffAt(index + 1) <= at; step++) index++;
    return index;
  }
}

/** Hand-offs every `length` of elapsed time from the layer start. */
class ElapsedTimeRotation implements Rotation {
  constructor(
    private readonly origin: number,
    private readonly length: number,
  ) {}

  handoffAt(index: number): number {
    return this.origin + index * this.length;
  }

  indexAt(at: number): number {
    return Math.floor((at - this.origin) / this.length);
  }
}

/** A window of the week in wall-clock time; `end` is past `DAY_MS` when it runs overnight. */
interface Window {
  /** Mon = 0 … Sun = 6; null for every day. */
  days: ReadonlySet<number> | null;
  start: number;
  end: number;
}

/** Layers with turns shorter than this would page someone new every few minutes. */
export const MIN_CUSTOM_LENGTH_MS = 3_600_000;
/** Spans between offset checks stay within a week: no zone changes its offset twice in one. */
const MAX_HOP_MS = 7 * DAY_MS;

/**
 * One layer of a schedule, ready to answer who it has on call. Built from a layer
 * that validate.ts found no problems with; anything else throws.
 */
export class Layer {
  readonly id: string;
  private readonly users: readonly string[];
  private readonly start: number;
  private readonly end: number;
  private readonly rotation: Rotation;
  /** The index of the last hand-off at or before the start: the first turn belongs to users[0]. */
  private readonly firstIndex: number;
  private readonly windows: readonly Window[] | null;

  constructor(
    layer: ScheduleLayer,
    position: number,
    private readonly zone: ZoneClock,
  ) {
    this.id = layerIdOf(layer, position);
    if (layer.users.length === 0) throw invalid(`layer ${this.id} has no users`);
    this.users = layer.users;
    const start = parseLayerDateTime(layer.start);
    if (!start) throw invalid(`layer ${this.id} start "${layer.start}" is not a date and time`);
    this.start = instantOf(start, zone);
    const end = layer.end === undefined ? undefined : parseLayerDateTime(layer.end);
    if (layer.end !== undefined && !end) throw invalid(`layer ${this.id} end "${layer.end}" is not a date and time`);
    this.end = end ? instantOf(end, zone) : Number.POSITIVE_INFINITY;
    this.rotation = rotationOf(layer, this.id, this.start, zone);
    this.firstIndex = this.rotation.indexAt(this.start);
    // An empty list restricts nothing, like an absent one.
    this.windows = layer.restrictions && layer.restrictions.length > 0 ? layer.restrictions.map(windowOf) : null;
  }

  userAt(at: number): string | null {
    if (at < this.start || at >= this.end) return null;
    if (this.windows && !this.inWindow(this.zone.wallAt(at))) return null;
    return this.userOfTurn(this.rotation.indexAt(at));
  }

  /** Who this layer has on call within [from, to), in order, without gaps filled. */
  pieces(from: number, to: number, limit: number): LayerPiece[] {
    const turns = this.turns(Math.max(from, this.start), Math.min(to, this.end), limit);
    if (!this.windows || turns.length === 0) return turns;
    return intersect(turns, this.windowIntervals(turns[0]!.start, turns[turns.length - 1]!.end, limit));
  }

  private userOfTurn(index: number): string {
    const turn = index - this.firstIndex;
    return this.users[((turn % this.users.length) + this.users.length) % this.users.length]!;
  }

  private turns(from: number, to: number, limit: number): LayerPiece[] {
    const turns: LayerPiece[] = [];
    let index = from < to ? this.rotation.indexAt(from) : 0;
    for (let cursor = from; cursor < to; index++) {
      if (turns.length >= limit) throw tooManyShifts(this.id);
      const end = Math.min(this.rotation.handoffAt(index + 1), to);
      turns.push({ start: cursor, end, userId: this.userOfTurn(index) });
      cursor = end;
    }
    return turns;
  }

  /** A wall clock is in a window when its day and time of day are, or when yesterday's overnight window reaches it. */
  private inWindow(wall: number): boolean {
    const day = dayNumberOf(wall);
    const timeOfDay = wall - day * DAY_MS;
    return this.windows!.some(
      (window) =>
        (timeOfDay >= window.start && timeOfDay < window.end && appliesOn(window, day)) ||
        (timeOfDay + DAY_MS >= window.start && timeOfDay + DAY_MS < window.end && appliesOn(window, day - 1)),
    );
  }

  /**
   * The instants within [from, to) whose wall clock lies in a window, as sorted,
   * disjoint intervals. While the UTC offset is constant, the wall clock moves with
   * real time, so each window maps to one interval; the work is done between offset
   * changes. A repeated hour is in a window twice, a skipped hour never.
   */
  private windowIntervals(from: number, to: number, limit: number): { start: number; end: number }[] {
    const intervals: { start: number; end: number }[] = [];
    let cursor = from;
    let offset = this.zone.offsetAt(cursor);
    while (cursor < to) {
      const change = this.zone.nextOffsetChange(cursor, Math.min(to, cursor + MAX_HOP_MS), offset);
      const wallFrom = cursor + offset;
      const wallTo = change.at + offset;
      for (let day = dayNumberOf(wallFrom) - 1; day * DAY_MS < wallTo; day++) {
        for (const window of this.windows!) {
          if (!appliesOn(window, day)) continue;
          const start = Math.max(day * DAY_MS + window.start, wallFrom);
          const end = Math.min(day * DAY_MS + window.end, wallTo);
          if (start < end) intervals.push({ start: start - offset, end: end - offset });
        }
      }
      if (intervals.length > 4 * limit) throw tooManyShifts(this.id);
      cursor = change.at;
      offset = change.offset;
    }
    intervals.sort((a, b) => a.start - b.start);
    const merged: { start: number; end: number }[] = [];
    for (const interval of intervals) {
      const last = merged[merged.length - 1];
      if (last && interval.start <= last.end) last.end = Math.max(last.end, interval.end);
      else merged.push({ ...interval });
    }
    return merged;
  }
}

function rotationOf(layer: ScheduleLayer, id: string, start: number, zone: ZoneClock): Rotation {
  const { type } = layer.rotation;
  if (type === 'custom') {
    const length = parseDuration(layer.rotation.length ?? '');
    if (!(length >= MIN_CUSTOM_LENGTH_MS)) throw invalid(`layer ${id} has a custom rotation shorter than 1h`);
    return new ElapsedTimeRotation(start, length);
  }
  if (layer.handoff === undefined) throw invalid(`layer ${id} has a ${type} rotation without a handoff time`);
  const handoff = clockTimeToMs(layer.handoff);
  if (type === 'daily') return new WallClockRotation(zone, DAY_MS, handoff);
  if (layer.handoffDay === undefined) throw invalid(`layer ${id} has a weekly rotation without a handoffDay`);
  // Day number 0 is a Thursday (index 3); the first handoffDay on or after it anchors the weeks.
  const firstDay = (((weekdayIndex(layer.handoffDay) - 3) % 7) + 7) % 7;
  return new WallClockRotation(zone, 7 * DAY_MS, firstDay * DAY_MS + handoff);
}

function windowOf(restriction: LayerRestriction): Window {
  const start = clockTimeToMs(restriction.start);
  const end = clockTimeToMs(restriction.end);
  return {
    days: restriction.days === undefined ? null : new Set(restriction.days.map(weekdayIndex)),
    start,
    end: end > start ? end : end + DAY_MS,
  };
}

const appliesOn = (window: Window, day: number): boolean => window.days === null || window.days.has(weekdayIndexOf(day));

/** Both lists sorted and disjoint; the result keeps each turn's user where a window allows it. */
function intersect(turns: LayerPiece[], windows: { start: number; end: number }[]): LayerPiece[] {
  const pieces: LayerPiece[] = [];
  let w = 0;
  for (const turn of turns) {
    while (w < windows.length && windows[w]!.end <= turn.start) w++;
    for (let i = w; i < windows.length && windows[i]!.start < turn.end; i++) {
      const start = Math.max(turn.start, windows[i]!.start);
      const end = Math.min(turn.end, windows[i]!.end);
      if (start < end) pieces.push({ start, end, userId: turn.userId });
    }
  }
  return pieces;
}

const tooManyShifts = (layerId: string) =>
  invalid(`layer ${layerId} changes hands too often in this window to list its shifts; ask for a shorter window`, { layerId });
