import { configInvalid } from '../../config/problems.ts';
import { DAY_MS, ZoneClock } from '../../config/timeZone.ts';
import { invalid } from '../../core/errors.ts';
import { Layer, type LayerPiece } from './layer.ts';
import type { ScheduleConfig } from './schema.ts';
import { scheduleStructureProblems } from './validate.ts';

/** Why someone is on call: an override, or their turn in a layer. */
export type ShiftSource = { kind: 'override'; overrideId: string } | { kind: 'layer'; layerId: string };

export type OnCall = { userId: string; source: ShiftSource } | { userId: null; source: null };

/** One stretch of the final timeline, from `start` (inclusive) to `end` (exclusive), epoch milliseconds. */
export type Shift = OnCall & { start: number; end: number };

/**
 * Someone covering part of a schedule, from `start` (inclusive) to `end` (exclusive).
 * Without `replaces` the override holds the whole window; with it, only while
 * `replaces` would otherwise be on call. Overrides later in the list are laid on
 * top of earlier ones, so the later one wins where they overlap, and its
 * `replaces` sees who the earlier ones put on call. An override whose end is not
 * after its start has no effect.
 */
export interface Override {
  id: string;
  userId: string;
  replaces?: string | null;
  start: number;
  end: number;
}

export interface NextOnCall {
  userId: string;
  /** When their shift starts. */
  start: number;
  source: ShiftSource;
}

export interface Schedule {
  readonly id: string;
  readonly name: string;
  readonly timezone: string;
  readonly config: ScheduleConfig;
  /** Who is on call at the instant `at`, and why. */
  onCallAt(at: number, overrides?: readonly Override[]): OnCall;
  /**
   * The final timeline of [from, to): contiguous shifts covering the whole window,
   * the first starting at `from` and the last ending at `to` (both clipped to the
   * window), with `userId: null` where nobody is on call. Neighbouring shifts always
   * differ in who or why: a user whose turns follow each other in one layer has one shift.
   */
  shifts(from: number, to: number, overrides?: readonly Override[]): Shift[];
  /**
   * The next person after `at` who is not the one on call at `at`, and when their
   * shift starts; gaps with nobody on call are skipped. Null when there is nobody
   * else within a year.
   */
  nextOnCall(at: number, overrides?: readonly Override[]): NextOnCall | null;
}

/** Longest window `shifts` renders in one call; the API pages through longer ones. */
export const MAX_SHIFTS_WINDOW_MS = 732 * DAY_MS;
/** How far `nextOnCall` looks ahead before saying there is nobody else. */
export const NEXT_ON_CALL_HORIZON_MS = 366 * DAY_MS;
/** A guard against configurations that change hands absurdly often, per layer and window. */
const MAX_PIECES_PER_LAYER = 100_000;
const NEXT_ON_CALL_CHUNK_MS = 28 * DAY_MS;

const NOBODY: OnCall = { userId: null, source: null };

/**
 * Builds the engine of one schedule. The schedule must be one that
 * `scheduleProblems` has no structural complaint about (users it does not know are
 * not its concern); otherwise this throws a `config_invalid` DomainError listing them.
 */
export function createSchedule(config: ScheduleConfig): Schedule {
  const problems = scheduleStructureProblems(config, `schedules[${JSON.stringify(config.id)}]`);
  if (problems.length > 0) throw configInvalid(problems);
  const zone = new ZoneClock(config.timezone);
  const layers = config.layers.map((layer, position) => new Layer(layer, position, zone));
  const layerSources = layers.map((layer): ShiftSource => ({ kind: 'layer', layerId: layer.id }));

  const layersAt = (at: number): OnCall => {
    for (let position = layers.length - 1; position >= 0; position--) {
      const userId = layers[position]!.userAt(at);
      if (userId !== null) return { userId, source: layerSources[position]! };
    }
    return NOBODY;
  };

  const onCallAt = (at: number, overrides: readonly Override[] = []): OnCall => {
    checkInstant(at, 'at');
    return withOverrides(layersAt(at), at, overrides);
  };

  const shifts = (from: number, to: number, overrides: readonly Override[] = []): Shift[] => {
    checkInstant(from, 'from');
    checkInstant(to, 'to');
    if (to <= from) return [];
    if (to - from > MAX_SHIFTS_WINDOW_MS) {
      throw invalid('ask for at most 732 days of shifts at a time', { from, to });
    }
    const pieces = layers.map((layer) => layer.pieces(from, to, MAX_PIECES_PER_LAYER));
    const active = overrides.filter((override) => override.start < to && override.end > from && override.end > override.start);
    const cuts = new Set<number>([from, to]);
    for (const list of pieces) for (const piece of list) cuts.add(piece.start).add(piece.end);
    for (const override of active) cuts.add(Math.max(from, override.start)).add(Math.min(to, override.end));
    const points = [...cuts].sort((a, b) => a - b);

    const next = layers.map(() => 0);
    const pieceAt = (position: number, at: number): LayerPiece | undefined => {
      const list = pieces[position]!;
      let index = next[position]!;
      while (index < list.length && list[index]!.end <= at) index++;
      next[position] = index;
      const piece = list[index];
      return piece && piece.start <= at ? piece : undefined;
    };

    const timeline: Shift[] = [];
    for (let i = 0; i + 1 < points.length; i++) {
      const start = points[i]!;
      const end = points[i + 1]!;
      let base = NOBODY;
      for (let position = layers.length - 1; position >= 0; position--) {
        const piece = pieceAt(position, start);
        if (piece) {
          base = { userId: piece.userId, source: layerSources[position]! };
          break;
        }
      }
      const onCall = withOverrides(base, start, active);
      const last = timeline[timeline.length - 1];
      if (last && sameOnCall(last, onCall)) last.end = end;
      else timeline.push({ ...onCall, start, end } as Shift);
    }
    return timeline;
  };

  const nextOnCall = (at: number, overrides: readonly Override[] = []): NextOnCall | null => {
    const current = onCallAt(at, overrides).userId;
    for (let from = at; from < at + NEXT_ON_CALL_HORIZON_MS; from += NEXT_ON_CALL_CHUNK_MS) {
      const to = Math.min(from + NEXT_ON_CALL_CHUNK_MS, at + NEXT_ON_CALL_HORIZON_MS);
      // A shift cut by the start of a chunk cannot be the answer: it would have been found in the chunk before.
      for (const shift of shifts(from, to, overrides)) {
        if (shift.userId !== null && shift.userId !== current) return { userId: shift.userId, start: shift.start, source: shift.source };
      }
    }
    return null;
  };

  return { id: config.id, name: config.name, timezone: config.timezone, config, onCallAt, shifts, nextOnCall };
}

function withOverrides(base: OnCall, at: number, overrides: readonly Override[]): OnCall {
  let onCall = base;
  for (const override of overrides) {
    if (at < override.start || at >= override.end) continue;
    if (override.replaces !== undefined && override.replaces !== null && override.replaces !== onCall.userId) continue;
    onCall = { userId: override.userId, source: { kind: 'override', overrideId: override.id } };
  }
  return onCall;
}

function sameOnCall(a: OnCall, b: OnCall): boolean {
  if (a.userId !== b.userId) return false;
  if (a.source === null || b.source === null) return a.source === b.source;
  if (a.source.kind === 'layer') return b.source.kind === 'layer' && a.source.layerId === b.source.layerId;
  return b.source.kind === 'override' && a.source.overrideId === b.source.overrideId;
}

/** Intl refuses dates beyond ±8.64e15 ms; anything that far out is a bug in the caller. */
function checkInstant(value: number, name: string): void {
  if (!Number.isFinite(value) || Math.abs(value) > 8.6e15) throw invalid(`${name} must be an instant in epoch milliseconds`, { [name]: value });
}
