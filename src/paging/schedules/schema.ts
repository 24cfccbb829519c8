import { Type, type Static } from '@sinclair/typebox';

/**
 * On-call schedules as firebreak.yaml writes them (`schedules:` holds a list of
 * ScheduleConfig). A schedule is a stack of layers:
 *
 * - Each layer is a rotation: `users` take turns in list order, the first one from
 *   `start`, handing over at each hand-off (daily or weekly at a wall-clock time in
 *   the schedule's time zone, or every `length` of elapsed time for a custom rotation).
 * - `restrictions` limit a layer to windows of the week (in the schedule's time zone);
 *   outside them the layer has nobody. The rotation keeps turning while it is
 *   restricted: restrictions mask turns, they do not pause them.
 * - Layers later in the list take precedence: where a later layer has someone on
 *   call, that person is on call; where it has nobody, the layers above it show
 *   through (as in PagerDuty, where the bottom layer wins).
 * - Overrides (runtime state, not config) take precedence over every layer.
 *
 * Times of day and dates without an offset are wall-clock times in the schedule's
 * `timezone`. A wall-clock time the clock skips (spring forward) happens when the
 * clock jumps; one that occurs twice (fall back) happens the first time.
 */

const Id = Type.String({ pattern: '^[a-z0-9][a-z0-9_.-]{0,62}$', description: 'lower-case letters, digits, - _ .' });

export const WEEKDAY_NAMES = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export const Weekday = Type.Union(
  WEEKDAY_NAMES.map((day) => Type.Literal(day)),
  { description: 'a day of the week: mon, tue, wed, thu, fri, sat or sun' },
);

const ClockTime = Type.String({ pattern: '^(?:[01]\\d|2[0-3]):[0-5]\\d$', description: 'HH:MM, 24-hour, such as 09:00' });
/** A window may run until midnight, so that an evening can be written 18:00–24:00. */
const ClockTimeOrMidnight = Type.String({
  pattern: '^(?:(?:[01]\\d|2[0-3]):[0-5]\\d|24:00)$',
  description: 'HH:MM, 24-hour, such as 17:30; 24:00 for midnight',
});

/**
 * `2025-01-06T09:00` is a wall-clock time in the schedule's time zone (the usual
 * form); with `Z` or an offset (`2025-01-06T09:00:00+01:00`) it is that instant.
 */
export const LayerDateTime = Type.String({
  pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(?::\\d{2})?(?:Z|[+-]\\d{2}:\\d{2})?$',
  description: 'a date and time such as 2025-01-06T09:00 (in the schedule time zone), or with Z or an offset for an exact instant',
});

/** `12h`, `3d`, `1w`, `1h30m`: elapsed time, whatever the wall clock does. */
const RotationLength = Type.String({
  pattern: '^(?:\\d+(?:\\.\\d+)?(?:ms|s|m|h|d|w))+$',
  description: 'a duration such as 12h, 3d or 1w',
});

export const LayerRotation = Type.Object(
  {
    type: Type.Union([Type.Literal('daily'), Type.Literal('weekly'), Type.Literal('custom')], {
      description: 'daily or weekly (hand off at `handoff`, on `handoffDay` for weekly), or custom (every `length` from `start`)',
    }),
    length: Type.Optional(RotationLength),
  },
  { additionalProperties: false },
);

/**
 * A window of the week during which a layer applies. `end` before `start` runs
 * overnight into the next day (`18:00`–`09:00`); `days` are the days on which the
 * window starts (no `days` means every day). Several restrictions add up.
 */
export const LayerRestriction = Type.Object(
  {
    days: Type.Optional(Type.Array(Weekday, { description: 'days on which the window starts; every day when absent' })),
    start: ClockTime,
    end: ClockTimeOrMidnight,
  },
  { additionalProperties: false },
);

export const ScheduleLayer = Type.Object(
  {
    id: Type.Optional(Id),
    name: Type.Optional(Type.String({ minLength: 1 })),
    start: LayerDateTime,
    end: Type.Optional(LayerDateTime),
    rotation: LayerRotation,
    handoff: Type.Optional(ClockTime),
    handoffDay: Type.Optional(Weekday),
    users: Type.Array(Id, { description: 'user ids in the order they take turns; a user may appear more than once' }),
    restrictions: Type.Optional(Type.Array(LayerRestriction)),
  },
  { additionalProperties: false },
);

export const ScheduleConfig = Type.Object(
  {
    id: Id,
    name: Type.String({ minLength: 1 }),
    description: Type.Optional(Type.String()),
    timezone: Type.String({ description: 'an IANA time zone such as Europe/London' }),
    layers: Type.Array(ScheduleLayer, { description: 'later layers take precedence where they have someone on call' }),
  },
  { additionalProperties: false },
);

export type WeekdayName = Static<typeof Weekday>;
export type LayerRotation = Static<typeof LayerRotation>;
export type LayerRestriction = Static<typeof LayerRestriction>;
export type ScheduleLayer = Static<typeof ScheduleLayer>;
export type ScheduleConfig = Static<typeof ScheduleConfig>;

/** A layer without an id is called `layer-1`, `layer-2`, … by its position (1-based). */
export const layerIdOf = (layer: ScheduleLayer, index: number): string => layer.id ?? `layer-${index + 1}`;
