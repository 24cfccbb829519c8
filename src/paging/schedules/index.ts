/**
 * On-call schedules: the `schedules:` shape of firebreak.yaml, its validation, the
 * engine that answers who is on call (now, next, over a window) with overrides laid
 * on top, and the iCalendar feed of the result. Pure domain code: overrides come
 * from the caller, time is passed in (epoch milliseconds).
 *
 * Semantics, in one place:
 * - Layer `start`/`end` without an offset, `handoff`, and restriction windows are wall
 *   clock in the schedule's time zone. A skipped wall time (spring forward) happens at
 *   the jump; a repeated one (fall back) the first time. A daily 09:00 hand-off is at
 *   09:00 local every day; the turns around a DST change are 23 or 25 hours long.
 * - users[0] has the turn that holds the layer start (a short one if the start is not
 *   at a hand-off); each hand-off after the start passes the turn to the next user.
 *   Custom rotations hand off every `length` of elapsed time after `start`.
 * - A layer has nobody before its start, from its end, and outside its restriction
 *   windows (their union; windows start on the listed days, `end` < `start` runs
 *   overnight, repeated wall hours are inside twice, skipped ones never). Restrictions
 *   mask turns; the rotation keeps turning behind them.
 * - The last layer in the list that has someone wins; overrides then apply in list
 *   order (a later one wins; `replaces` applies while that person is on call as
 *   the layers and earlier overrides have it).
 * - `shifts` tiles the window exactly, clipped to it, `userId: null` for nobody,
 *   neighbours merged when both who and why are the same.
 */
export {
  LayerDateTime,
  LayerRestriction,
  LayerRotation,
  ScheduleConfig,
  ScheduleLayer,
  WEEKDAY_NAMES,
  Weekday,
  layerIdOf,
  type WeekdayName,
} from './schema.ts';
export { scheduleProblems, scheduleStructureProblems, schedulesProblems, type ScheduleProblem } from './validate.ts';
export {
  MAX_SHIFTS_WINDOW_MS,
  NEXT_ON_CALL_HORIZON_MS,
  createSchedule,
  type NextOnCall,
  type OnCall,
  type Override,
  type Schedule,
  type Shift,
  type ShiftSource,
} from './engine.ts';
export { renderICalendar, type CalendarUser } from './ical.ts';
