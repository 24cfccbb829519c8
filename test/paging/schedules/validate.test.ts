import { Value } from '@sinclair/typebox/value';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import {
  ScheduleConfig,
  createSchedule,
  scheduleProblems,
  schedulesProblems,
  type ScheduleLayer,
} from '../../../src/paging/schedules/index.ts';

const USERS = new Set(['amara', 'tomasz', 'priya', 'jonas', 'lucia']);

const layer = (extra: Partial<ScheduleLayer> = {}): ScheduleLayer => ({
  id: 'primary',
  start: '2025-01-06T09:00',
  rotation: { type: 'weekly' },
  handoff: '09:00',
  handoffDay: 'mon',
  users: ['amara', 'tomasz'],
  ...extra,
});
const schedule = (layers: ScheduleLayer[], extra: Partial<ScheduleConfig> = {}): ScheduleConfig => ({
  id: 'platform',
  name: 'Platform',
  timezone: 'Europe/London',
  layers,
  ...extra,
});
const problemsOf = (config: ScheduleConfig) => scheduleProblems(config, USERS, 'schedules[0]');
const pathsOf = (config: ScheduleConfig) => problemsOf(config).map((problem) => problem.path);

/** The schedule proposed for examples/firebreak.yaml. */
const EXAMPLE = `
schedules:
  - id: platform
    name: Platform on-call
    timezone: Europe/London
    layers:
      # Everyone takes a week, handing over on Monday morning.
      - id: weekly
        name: Weekly primary
        start: "2025-01-06T09:00"     # wall clock in the schedule timezone
        rotation: { type: weekly }
        handoff: "09:00"
        handoffDay: mon
        users: [amara, tomasz, priya, jonas, lucia]
      # In working hours a daily rotation takes over; the weekly person has nights and weekends.
      - id: daytime
        name: Weekday daytime
        start: "2025-01-06T09:00"
        rotation: { type: daily }
        handoff: "09:00"
        users: [priya, jonas, lucia]
        restrictions:
          - { days: [mon, tue, wed, thu, fri], start: "09:00", end: "17:30" }
`;

describe('the example schedule', () => {
  it('fits the schema, has no problems and builds', () => {
    const [config] = (parse(EXAMPLE) as { schedules: unknown[] }).schedules;
    expect([...Value.Errors(ScheduleConfig, config)]).toEqual([]);
    expect(problemsOf(config as ScheduleConfig)).toEqual([]);
    const platform = createSchedule(config as ScheduleConfig);
    // Tuesday 7 January 2025: jonas (second day of the daily rotation) in the day, amara (week 1) at night.
    expect(platform.onCallAt(Date.parse('2025-01-07T12:00Z')).userId).toBe('jonas');
    expect(platform.onCallAt(Date.parse('2025-01-07T20:00Z')).userId).toBe('amara');
  });
});

describe('scheduleProblems', () => {
  it('finds nothing wrong with a plain weekly rotation', () => {
    expect(problemsOf(schedule([layer()]))).toEqual([]);
  });

  it('reports an empty rotation', () => {
    expect(problemsOf(schedule([layer({ users: [] })]))).toEqual([
      {
        path: 'schedules[0].layers[0].users',
        message: 'the rotation has no users, so this layer never has anyone on call',
        fix: 'list the user ids who take turns, in order, or remove the layer',
      },
    ]);
  });

  it('reports users that do not exist, with a guess at the one meant', () => {
    const [problem] = problemsOf(schedule([layer({ users: ['amara', 'pryia'] })]));
    expect(problem).toMatchObject({ path: 'schedules[0].layers[0].users[1]', message: 'user "pryia" does not exist' });
    expect(problem!.fix).toContain('did you mean "priya"?');
  });

  it('reports a time zone that does not exist, with a guess', () => {
    const [problem] = problemsOf(schedule([layer()], { timezone: 'Europe/Londn' }));
    expect(problem).toMatchObject({ path: 'schedules[0].timezone', message: '"Europe/Londn" is not a known IANA time zone' });
    expect(problem!.fix).toContain('did you mean "Europe/London"?');
  });

  it('reports a schedule without layers', () => {
    expect(pathsOf(schedule([]))).toEqual(['schedules[0].layers']);
  });

  it('reports custom rotations without a usable length', () => {
    const custom = (length?: string) =>
      layer({ rotation: length === undefined ? { type: 'custom' } : { type: 'custom', length }, handoff: undefined, handoffDay: undefined });
    expect(pathsOf(schedule([custom()]))).toEqual(['schedules[0].layers[0].rotation']);
    expect(pathsOf(schedule([custom('0h')]))).toEqual(['schedules[0].layers[0].rotation.length']);
    expect(pathsOf(schedule([custom('30m')]))).toEqual(['schedules[0].layers[0].rotation.length']);
    expect(pathsOf(schedule([custom('12h')]))).toEqual([]);
  });

  it('accepts a custom rotation handoff only when it repeats the start time', () => {
    const custom = (handoff: string) => layer({ rotation: { type: 'custom', length: '12h' }, handoff, handoffDay: undefined });
    expect(pathsOf(schedule([custom('09:00')]))).toEqual([]);
    expect(pathsOf(schedule([custom('21:00')]))).toEqual(['schedules[0].layers[0].handoff']);
  });

  it('reports hand-off settings that do not fit the rotation', () => {
    expect(pathsOf(schedule([layer({ handoff: undefined })]))).toEqual(['schedules[0].layers[0].handoff']);
    expect(pathsOf(schedule([layer({ handoffDay: undefined })]))).toEqual(['schedules[0].layers[0].handoffDay']);
    expect(pathsOf(schedule([layer({ rotation: { type: 'daily' } })]))).toEqual(['schedules[0].layers[0].handoffDay']);
    expect(pathsOf(schedule([layer({ rotation: { type: 'daily', length: '1d' }, handoffDay: undefined })]))).toEqual([
      'schedules[0].layers[0].rotation.length',
    ]);
  });

  it('reports a restriction that starts when it ends, and days that are empty or repeated', () => {
    const problems = problemsOf(
      schedule([
        layer({
          restrictions: [
            { start: '09:00', end: '09:00' },
            { days: [], start: '09:00', end: '17:00' },
            { days: ['mon', 'tue', 'mon'], start: '18:00', end: '09:00' },
          ],
        }),
      ]),
    );
    expect(problems.map((problem) => problem.path)).toEqual([
      'schedules[0].layers[0].restrictions[0].end',
      'schedules[0].layers[0].restrictions[1].days',
      'schedules[0].layers[0].restrictions[2].days[2]',
    ]);
    expect(problems[0]!.fix).toContain('"00:00" and end: "24:00"');
  });

  it('accepts overlapping restrictions (they add up) and a user with several turns', () => {
    const overlapping = layer({
      users: ['amara', 'tomasz', 'amara', 'priya'],
      restrictions: [
        { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:00' },
        { days: ['wed'], start: '08:00', end: '20:00' },
        { start: '00:00', end: '24:00', days: ['sat'] },
      ],
    });
    expect(problemsOf(schedule([overlapping]))).toEqual([]);
  });

  it('reports layer ids used twice, counting the ids of layers without one', () => {
    expect(pathsOf(schedule([layer(), layer()]))).toEqual(['schedules[0].layers[1].id']);
    const [problem] = problemsOf(schedule([layer({ id: 'layer-2' }), layer({ id: undefined })]));
    expect(problem).toMatchObject({ path: 'schedules[0].layers[1]' });
    expect(problem!.message).toContain('layers without an id are called layer-1, layer-2');
  });

  it('reports starts that are not in the calendar and ends before starts', () => {
    expect(pathsOf(schedule([layer({ start: '2025-02-30T09:00' })]))).toEqual(['schedules[0].layers[0].start']);
    expect(pathsOf(schedule([layer({ start: '2025-02-03T24:30' })]))).toEqual(['schedules[0].layers[0].start']);
    expect(pathsOf(schedule([layer({ end: '2025-01-06T08:00' })]))).toEqual(['schedules[0].layers[0].end']);
    // 09:00 in London in January is 09:00Z: written as an instant, 10:00+01:00 is the same moment, 09:30Z after it.
    expect(pathsOf(schedule([layer({ end: '2025-01-06T10:00:00+01:00' })]))).toEqual(['schedules[0].layers[0].end']);
    expect(pathsOf(schedule([layer({ end: '2025-01-06T09:30:00Z' })]))).toEqual([]);
  });

  it('lists every problem of a schedule at once', () => {
    const broken = schedule([layer({ users: [], handoff: undefined }), layer({ users: ['nobody'], restrictions: [{ start: '10:00', end: '10:00' }] })], {
      timezone: 'Nowhere/Special',
    });
    expect(pathsOf(broken)).toEqual([
      'schedules[0].timezone',
      'schedules[0].layers[0].users',
      'schedules[0].layers[0].handoff',
      'schedules[0].layers[1].id',
      'schedules[0].layers[1].restrictions[0].end',
      'schedules[0].layers[1].users[0]',
    ]);
  });
});

describe('schedulesProblems', () => {
  it('reports schedule ids used twice, and the problems of each schedule', () => {
    const problems = schedulesProblems([schedule([layer()]), schedule([layer({ users: [] })])], USERS);
    expect(problems.map((problem) => problem.path)).toEqual(['schedules[1].id', 'schedules[1].layers[0].users']);
  });
});

describe('the schema', () => {
  it('rejects shapes YAML authors get wrong', () => {
    const check = (value: unknown) => Value.Check(ScheduleConfig, value);
    expect(check(schedule([layer()]))).toBe(true);
    expect(check(schedule([layer({ handoff: '9:00' })]))).toBe(false);
    expect(check(schedule([layer({ handoffDay: 'monday' as never })]))).toBe(false);
    expect(check(schedule([layer({ start: '2025-01-06' })]))).toBe(false);
    expect(check(schedule([layer({ restrictions: [{ start: '09:00', end: '24:30' }] })]))).toBe(false);
    expect(check(schedule([layer({ rotation: { type: 'custom', length: '-1h' } })]))).toBe(false);
    expect(check(schedule([layer({ rotation: { type: 'monthly' as never } })]))).toBe(false);
  });
});
