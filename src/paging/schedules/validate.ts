import { clockTimeToMs } from '../../config/businessHours.ts';
import { closestName } from '../../config/problems.ts';
import { DAY_MS, ZoneClock, isValidTimeZone } from '../../config/timeZone.ts';
import { isDuration, parseDuration } from '../../core/duration.ts';
import { MIN_CUSTOM_LENGTH_MS } from './layer.ts';
import { layerIdOf, type LayerRestriction, type ScheduleConfig, type ScheduleLayer } from './schema.ts';
import { instantOf, parseLayerDateTime } from './wallClock.ts';

/** One thing wrong with a schedule in firebreak.yaml: where (a YAML path), what, and how to fix it. */
export interface ScheduleProblem {
  path: string;
  message: string;
  fix: string;
}

/**
 * What the schema cannot say about a schedule that passed it. `path` is where the
 * schedule sits in the file (`schedules[0]`); problems carry paths below it.
 * Overlapping restrictions are not a problem: a layer applies in the union of its
 * windows. A user listed twice in a rotation is not one either: that is how a
 * rotation gives someone more turns.
 */
export function scheduleProblems(schedule: ScheduleConfig, knownUserIds: ReadonlySet<string>, path: string): ScheduleProblem[] {
  return [...scheduleStructureProblems(schedule, path), ...unknownUserProblems(schedule, knownUserIds, path)];
}

/** The problems of every schedule, and schedule ids used twice. */
export function schedulesProblems(
  schedules: readonly ScheduleConfig[],
  knownUserIds: ReadonlySet<string>,
  path = 'schedules',
): ScheduleProblem[] {
  const problems: ScheduleProblem[] = [];
  const firstUse = new Map<string, number>();
  schedules.forEach((schedule, index) => {
    const at = `${path}[${index}]`;
    const earlier = firstUse.get(schedule.id);
    if (earlier === undefined) firstUse.set(schedule.id, index);
    else {
      problems.push({
        path: `${at}.id`,
        message: `duplicate schedule id "${schedule.id}" (already used by ${path}[${earlier}])`,
        fix: 'give each schedule its own id, or merge their layers into one schedule',
      });
    }
    problems.push(...scheduleProblems(schedule, knownUserIds, at));
  });
  return problems;
}

/** Everything `createSchedule` needs to hold; users are checked against the config elsewhere. */
export function scheduleStructureProblems(schedule: ScheduleConfig, path: string): ScheduleProblem[] {
  const problems: ScheduleProblem[] = [];
  const zone = checkTimeZone(schedule.timezone, `${path}.timezone`, problems);
  if (schedule.layers.length === 0) {
    problems.push({
      path: `${path}.layers`,
      message: 'the schedule has no layers, so nobody is ever on call',
      fix: 'add a layer with a rotation and its users, or remove the schedule',
    });
  }
  const firstUse = new Map<string, number>();
  schedule.layers.forEach((layer, index) => {
    const at = `${path}.layers[${index}]`;
    const id = layerIdOf(layer, index);
    const earlier = firstUse.get(id);
    if (earlier === undefined) firstUse.set(id, index);
    else {
      problems.push({
        path: layer.id === undefined ? at : `${at}.id`,
        message: `duplicate layer id "${id}" (already used by layers[${earlier}]${layer.id === undefined ? ', layers without an id are called layer-1, layer-2, … by position' : ''})`,
        fix: 'give each layer of the schedule its own id',
      });
    }
    checkLayer(layer, at, zone, problems);
  });
  return problems;
}

function unknownUserProblems(schedule: ScheduleConfig, knownUserIds: ReadonlySet<string>, path: string): ScheduleProblem[] {
  const known = [...knownUserIds];
  const problems: ScheduleProblem[] = [];
  schedule.layers.forEach((layer, index) => {
    layer.users.forEach((user, position) => {
      if (knownUserIds.has(user)) return;
      const guess = closestName(user, known);
      problems.push({
        path: `${path}.layers[${index}].users[${position}]`,
        message: `user "${user}" does not exist`,
        fix: `${guess ? `did you mean "${guess}"? Otherwise ` : ''}add a user with id "${user}" under users:, or remove them from the rotation`,
      });
    });
  });
  return problems;
}

function checkTimeZone(timeZone: string, path: string, problems: ScheduleProblem[]): ZoneClock | undefined {
  if (isValidTimeZone(timeZone)) return new ZoneClock(timeZone);
  const guess = closestName(timeZone, Intl.supportedValuesOf('timeZone'));
  problems.push({
    path,
    message: `"${timeZone}" is not a known IANA time zone`,
    fix: `${guess ? `did you mean "${guess}"? ` : ''}use an IANA name such as Europe/London, America/New_York or UTC`,
  });
  return undefined;
}

function checkLayer(layer: ScheduleLayer, path: string, zone: ZoneClock | undefined, problems: ScheduleProblem[]): void {
  if (layer.users.length === 0) {
    problems.push({
      path: `${path}.users`,
      message: 'the rotation has no users, so this layer never has anyone on call',
      fix: 'list the user ids who take turns, in order, or remove the layer',
    });
  }
  const start = parseLayerDateTime(layer.start);
  if (!start) {
    problems.push({
      path: `${path}.start`,
      message: `"${layer.start}" is not a date and time in the calendar`,
      fix: 'write a real date and time such as 2025-01-06T09:00 (wall clock in the schedule time zone)',
    });
  }
  if (layer.end !== undefined) {
    const end = parseLayerDateTime(layer.end);
    if (!end) {
      problems.push({
        path: `${path}.end`,
        message: `"${layer.end}" is not a date and time in the calendar`,
        fix: 'write a real date and time such as 2025-06-30T09:00 (wall clock in the schedule time zone), or remove end',
      });
    } else if (start && zone && instantOf(end, zone) <= instantOf(start, zone)) {
      problems.push({
        path: `${path}.end`,
        message: `the layer ends (${layer.end}) before it starts (${layer.start})`,
        fix: 'set end later than start, or remove end to keep the layer going',
      });
    }
  }
  checkRotation(layer, path, problems);
  (layer.restrictions ?? []).forEach((restriction, index) => checkRestriction(restriction, `${path}.restrictions[${index}]`, problems));
}

function checkRotation(layer: ScheduleLayer, path: string, problems: ScheduleProblem[]): void {
  const { type, length } = layer.rotation;
  if (type === 'custom') {
    if (length === undefined) {
      problems.push({
        path: `${path}.rotation`,
        message: 'a custom rotation needs a length',
        fix: 'add length: such as 12h, 3d or 2w (elapsed time from the layer start), or use type: daily or weekly',
      });
    } else if (!isDuration(length) || parseDuration(length) < MIN_CUSTOM_LENGTH_MS) {
      problems.push({
        path: `${path}.rotation.length`,
        message: `a turn of ${length} is too short`,
        fix: 'make each turn at least 1h long, such as 12h, 3d or 2w',
      });
    }
    if (layer.handoff !== undefined) {
      const parsedStart = parseLayerDateTime(layer.start);
      // A custom rotation hands off every `length` after its start; a handoff time can only repeat what start says.
      if (!(parsedStart?.kind === 'wall' && clockTimeToMs(layer.handoff) === parsedStart.wall % DAY_MS)) {
        problems.push({
          path: `${path}.handoff`,
          message: 'a custom rotation hands off every length from its start, not at a time of day',
          fix: 'remove handoff, and set start to the date and time of the first hand-off',
        });
      }
    }
    if (layer.handoffDay !== undefined) {
      problems.push({
        path: `${path}.handoffDay`,
        message: 'handoffDay only applies to weekly rotations',
        fix: 'remove handoffDay, or use rotation type: weekly',
      });
    }
    return;
  }
  if (length !== undefined) {
    problems.push({
      path: `${path}.rotation.length`,
      message: `a ${type} rotation has a fixed length; length only applies to custom rotations`,
      fix: `remove length, or use type: custom for turns of ${length}`,
    });
  }
  if (layer.handoff === undefined) {
    problems.push({
      path: `${path}.handoff`,
      message: `a ${type} rotation needs the time of day at which it hands off`,
      fix: 'add handoff: such as "09:00" (wall clock in the schedule time zone)',
    });
  }
  if (type === 'weekly' && layer.handoffDay === undefined) {
    problems.push({
      path: `${path}.handoffDay`,
      message: 'a weekly rotation needs the day on which it hands off',
      fix: 'add handoffDay: such as mon',
    });
  }
  if (type === 'daily' && layer.handoffDay !== undefined) {
    problems.push({
      path: `${path}.handoffDay`,
      message: 'handoffDay only applies to weekly rotations',
      fix: 'remove handoffDay, or use rotation type: weekly',
    });
  }
}

function checkRestriction(restriction: LayerRestriction, path: string, problems: ScheduleProblem[]): void {
  if (clockTimeToMs(restriction.start) === clockTimeToMs(restriction.end)) {
    problems.push({
      path: `${path}.end`,
      message: `the window starts and ends at ${restriction.start}, so it is unclear whether it is empty or the whole day`,
      fix: 'for whole days write start: "00:00" and end: "24:00"; for an overnight window let end be earlier than start',
    });
  }
  if (restriction.days === undefined) return;
  if (restriction.days.length === 0) {
    problems.push({
      path: `${path}.days`,
      message: 'the window applies on no day, so it never applies',
      fix: 'list the days on which the window starts, or remove days: for every day',
    });
  }
  const seen = new Set<string>();
  restriction.days.forEach((day, index) => {
    if (seen.has(day)) problems.push({ path: `${path}.days[${index}]`, message: `"${day}" is listed twice`, fix: 'list each day once' });
    seen.add(day);
  });
}
