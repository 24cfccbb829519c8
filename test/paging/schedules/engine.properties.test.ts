/**
 * The engine against the slow reference model (reference.ts) on random schedules
 * in zones with and without DST, with odd offsets (+05:30, +05:45, −03:30) and a
 * half-hour DST shift (Lord Howe), over windows that straddle a DST change.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createSchedule,
  scheduleProblems,
  type OnCall,
  type Override,
  type LayerRestriction,
  type ScheduleConfig,
  type ScheduleLayer,
  type WeekdayName,
} from '../../../src/paging/schedules/index.ts';
import { GRID, referenceTimeline } from './reference.ts';

const DAY = 86_400_000;
const USERS = ['amara', 'tomasz', 'priya', 'jonas', 'lucia'];
const WEEKDAYS: WeekdayName[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const ZONES = [
  'Europe/London',
  'America/New_York',
  'Australia/Sydney',
  'Asia/Kolkata',
  'Australia/Lord_Howe',
  'America/St_Johns',
  'Asia/Kathmandu',
  'UTC',
];
/** The days on which each zone changed its clocks in 2025; zones without DST get days of other zones' changes. */
const CHANGES: Record<string, string[]> = {
  'Europe/London': ['2025-03-30', '2025-10-26'],
  'America/New_York': ['2025-03-09', '2025-11-02'],
  'Australia/Sydney': ['2025-04-06', '2025-10-05'],
  'Australia/Lord_Howe': ['2025-04-06', '2025-10-05'],
  'America/St_Johns': ['2025-03-09', '2025-11-02'],
};
const ANY_DAYS = ['2025-03-09', '2025-03-30', '2025-04-06', '2025-07-15', '2025-10-05', '2025-10-26', '2025-11-02'];
const midnightUtc = (day: string) => Date.parse(`${day}T00:00:00Z`);
/** Mostly a window around one of the zone's own clock changes, where the bugs live. */
const anchorFor = (zone: string): fc.Arbitrary<number> =>
  fc.oneof(
    { arbitrary: fc.constantFrom(...(CHANGES[zone] ?? ANY_DAYS)), weight: 4 },
    { arbitrary: fc.constantFrom(...ANY_DAYS), weight: 1 },
  ).map(midnightUtc);
/** The window under test is anchor ± 7 days; layers start up to 20 days before the anchor. */
const WINDOW_DAYS = 7;
const QUARTERS_PER_DAY = 96;

const quarterHour = fc.integer({ min: 0, max: QUARTERS_PER_DAY - 1 }).map(clockOf);
/** Hand-offs in the night hours in which clocks change are the interesting ones. */
const handoffTime = fc.oneof(
  { arbitrary: quarterHour, weight: 2 },
  { arbitrary: fc.integer({ min: 0, max: 4 * 4 - 1 }).map(clockOf), weight: 1 },
  // 01:00–02:45 holds every skipped and repeated hour of these zones.
  { arbitrary: fc.integer({ min: 4, max: 11 }).map(clockOf), weight: 2 },
);
/** Clocks change on Sundays in all these zones. */
const handoffDay = fc.oneof({ arbitrary: fc.constantFrom(...WEEKDAYS), weight: 1 }, { arbitrary: fc.constant<WeekdayName>('sun'), weight: 1 });

function clockOf(quarter: number): string {
  return `${String(Math.floor(quarter / 4)).padStart(2, '0')}:${String((quarter % 4) * 15).padStart(2, '0')}`;
}

const restriction: fc.Arbitrary<LayerRestriction> = fc
  .record({
    days: fc.option(fc.uniqueArray(fc.constantFrom(...WEEKDAYS), { minLength: 1, maxLength: 7 }), { nil: undefined }),
    start: fc.oneof(quarterHour, handoffTime),
    end: fc.oneof(quarterHour, fc.constant('24:00')),
  })
  .filter((window) => window.start !== window.end)
  .map(({ days, ...window }) => (days === undefined ? window : { days, ...window }));

type Rotation = Pick<ScheduleLayer, 'rotation' | 'handoff' | 'handoffDay'>;
const rotation: fc.Arbitrary<Rotation> = fc.oneof(
  handoffTime.map((handoff): Rotation => ({ rotation: { type: 'daily' }, handoff })),
  fc.tuple(handoffTime, handoffDay).map(([handoff, handoffDay]): Rotation => ({ rotation: { type: 'weekly' }, handoff, handoffDay })),
  fc.constantFrom('1h', '1h45m', '4h', '8h', '12h', '1d', '36h', '2d', '3d', '1w').map((length): Rotation => ({ rotation: { type: 'custom', length } })),
);

/** How a layer's start (and end) is written: wall clock in the schedule zone, UTC, or with an offset. */
const dateTimeStyle = fc.constantFrom('wall', 'wall', 'wall', 'Z', '+05:30', '-04:00');

function writeDateTime(style: string, quarters: number, anchor: number): string {
  const base = anchor - 20 * DAY + quarters * GRID;
  if (style === 'wall') return new Date(base).toISOString().slice(0, 16);
  if (style === 'Z') return `${new Date(base).toISOString().slice(0, 19)}Z`;
  const sign = style.startsWith('-') ? -1 : 1;
  const offset = sign * (Number(style.slice(1, 3)) * 60 + Number(style.slice(4, 6))) * 60_000;
  return `${new Date(base + offset).toISOString().slice(0, 19)}${style}`;
}

const layer = (anchor: number): fc.Arbitrary<ScheduleLayer> =>
  fc
    .record({
      id: fc.option(fc.constantFrom('primary', 'secondary', 'nights'), { nil: undefined }),
      style: dateTimeStyle,
      startQuarters: fc.integer({ min: 0, max: 25 * QUARTERS_PER_DAY }),
      lengthQuarters: fc.option(fc.integer({ min: QUARTERS_PER_DAY, max: 30 * QUARTERS_PER_DAY }), { nil: undefined }),
      rotation,
      users: fc.array(fc.constantFrom(...USERS), { minLength: 1, maxLength: 4 }),
      restrictions: fc.option(fc.array(restriction, { minLength: 0, maxLength: 3 }), { nil: undefined }),
    })
    .map(({ id, style, startQuarters, lengthQuarters, rotation, users, restrictions }) => {
      const built: ScheduleLayer = { start: writeDateTime(style, startQuarters, anchor), ...rotation, users };
      if (id !== undefined) built.id = id;
      if (lengthQuarters !== undefined) built.end = writeDateTime(style, startQuarters + lengthQuarters, anchor);
      if (restrictions !== undefined) built.restrictions = restrictions;
      return built;
    });

interface Case {
  schedule: ScheduleConfig;
  overrides: Override[];
  from: number;
  to: number;
}

const scenario: fc.Arbitrary<Case> = fc
  .constantFrom(...ZONES)
  .chain((timezone) => anchorFor(timezone).map((anchor) => ({ timezone, anchor })))
  .chain(({ timezone, anchor }) =>
    fc.record({
      schedule: fc
        .array(layer(anchor), { minLength: 1, maxLength: 3 })
        .map((layers): ScheduleConfig => ({ id: 'platform', name: 'Platform', timezone, layers })),
      overrides: fc
        .array(
          fc.record({
            // Clustered around the clock change, so that they overlap each other and the odd hours.
            startQuarters: fc.integer({ min: -3 * QUARTERS_PER_DAY, max: 3 * QUARTERS_PER_DAY }),
            lengthQuarters: fc.integer({ min: 1, max: 2 * QUARTERS_PER_DAY }),
            userId: fc.constantFrom(...USERS),
            replaces: fc.option(fc.constantFrom(...USERS), { nil: undefined }),
          }),
          { maxLength: 5 },
        )
        .map((list) =>
          list.map(({ startQuarters, lengthQuarters, userId, replaces }, index): Override => {
            const start = anchor + startQuarters * GRID;
            return { id: `override-${index}`, userId, start, end: start + lengthQuarters * GRID, ...(replaces ? { replaces } : {}) };
          }),
        ),
      from: fc.constant(anchor - WINDOW_DAYS * DAY),
      to: fc.constant(anchor + WINDOW_DAYS * DAY),
    }),
  )
  // Layer ids drawn twice, or an end that falls before the start in another zone, are config errors, not schedules.
  .filter(({ schedule }) => scheduleProblems(schedule, new Set(USERS), 'schedules[0]').length === 0);

/** An instant anywhere in the window, not only on the grid. */
const instantIn = (c: Case, fraction: number) => c.from + Math.floor(fraction * (c.to - c.from - 1));
const fraction = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });
const fractions = fc.array(fraction, { minLength: 1, maxLength: 25 });

const describeOnCall = (onCall: OnCall) => ({ userId: onCall.userId, source: onCall.source });

describe('the engine agrees with the reference model', () => {
  it('on who is on call at any instant', () => {
    fc.assert(
      fc.property(scenario, fractions, (c, points) => {
        const schedule = createSchedule(c.schedule);
        const reference = referenceTimeline(c.schedule, c.overrides, c.from, c.to);
        // Every grid cell, where the reference is exact, and instants between them.
        const cells = Array.from({ length: (c.to - c.from) / GRID }, (_, index) => c.from + index * GRID);
        for (const at of [...cells, ...points.map((point) => instantIn(c, point))]) {
          expect(describeOnCall(schedule.onCallAt(at, c.overrides)), new Date(at).toISOString()).toEqual(reference.at(at));
        }
      }),
      { numRuns: 100 },
    );
  });

  it('on the rendered shifts, which tile the window and match onCallAt inside each shift', () => {
    fc.assert(
      fc.property(scenario, fc.option(fc.tuple(fraction, fraction)), (c, ends) => {
        // The whole window a fair share of the time, so that every odd hour in it is checked.
        const [from, to] = ends ? [instantIn(c, Math.min(...ends)), instantIn(c, Math.max(...ends)) + 1] : [c.from, c.to];
        const schedule = createSchedule(c.schedule);
        const reference = referenceTimeline(c.schedule, c.overrides, c.from, c.to);
        const shifts = schedule.shifts(from, to, c.overrides);
        expect(shifts[0]!.start).toBe(from);
        expect(shifts[shifts.length - 1]!.end).toBe(to);
        shifts.forEach((shift, index) => {
          expect(shift.end).toBeGreaterThan(shift.start);
          const next = shifts[index + 1];
          if (next) {
            expect(next.start).toBe(shift.end);
            // Merged: neighbours differ in who or why.
            expect(describeOnCall(next)).not.toEqual(describeOnCall(shift));
          }
          const expected = describeOnCall(shift);
          for (const at of [shift.start, Math.floor((shift.start + shift.end) / 2), shift.end - 1]) {
            expect(describeOnCall(schedule.onCallAt(at, c.overrides))).toEqual(expected);
          }
          // Every grid cell the shift touches is, in the reference, that shift.
          for (let cell = shift.start - ((shift.start - c.from) % GRID); cell < shift.end; cell += GRID) {
            expect(reference.at(Math.max(cell, shift.start)), new Date(cell).toISOString()).toEqual(expected);
          }
        });
      }),
      { numRuns: 100 },
    );
  });

  it('on who is on call next', () => {
    fc.assert(
      fc.property(scenario, fractions, (c, points) => {
        const schedule = createSchedule(c.schedule);
        const reference = referenceTimeline(c.schedule, c.overrides, c.from, c.to);
        for (const point of points.slice(0, 5)) {
          const at = instantIn(c, point);
          const current = reference.at(at).userId;
          let expected: { userId: string; start: number; source: unknown } | undefined;
          for (let cell = at - ((at - c.from) % GRID) + GRID; cell < c.to && !expected; cell += GRID) {
            const onCall = reference.at(cell);
            if (onCall.userId !== null && onCall.userId !== current) expected = { userId: onCall.userId, start: cell, source: onCall.source };
          }
          const next = schedule.nextOnCall(at, c.overrides);
          if (expected) expect(next).toEqual(expected);
          // Beyond the reference window: at least the answer must lie past it.
          else if (next) expect(next.start).toBeGreaterThanOrEqual(c.to);
        }
      }),
      { numRuns: 100 },
    );
  });
});
