import { afterEach, describe, expect, it, vi } from 'vitest';
import { DomainError } from '../../../src/core/errors.ts';
import {
  createSchedule,
  type Override,
  type ScheduleConfig,
  type ScheduleLayer,
  type Shift,
} from '../../../src/paging/schedules/index.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const utc = (text: string) => Date.parse(text);

/** One line per shift: `2025-03-28T09:00Z tomasz (primary)`, from start to end. */
function timeline(shifts: readonly Shift[]): string[] {
  return shifts.map((shift) => {
    const why = shift.source === null ? '' : shift.source.kind === 'layer' ? ` (${shift.source.layerId})` : ` (override ${shift.source.overrideId})`;
    return `${minutes(shift.start)}–${minutes(shift.end)} ${shift.userId ?? 'nobody'}${why}`;
  });
}
const minutes = (ms: number) => new Date(ms).toISOString().slice(0, 16) + 'Z';

function schedule(timezone: string, ...layers: ScheduleLayer[]): ScheduleConfig {
  return { id: 'platform', name: 'Platform', timezone, layers };
}

const daily = (start: string, handoff: string, users: string[], extra: Partial<ScheduleLayer> = {}): ScheduleLayer => ({
  id: 'primary',
  start,
  rotation: { type: 'daily' },
  handoff,
  users,
  ...extra,
});

describe('daily rotations hand off at the same wall-clock time on both sides of a DST change', () => {
  const london = createSchedule(schedule('Europe/London', daily('2025-03-27T09:00', '09:00', ['amara', 'tomasz', 'priya'])));

  it('makes the turn across the March change 23 hours long', () => {
    expect(timeline(london.shifts(utc('2025-03-28T00:00Z'), utc('2025-04-01T00:00Z')))).toEqual([
      '2025-03-28T00:00Z–2025-03-28T09:00Z amara (primary)',
      '2025-03-28T09:00Z–2025-03-29T09:00Z tomasz (primary)',
      '2025-03-29T09:00Z–2025-03-30T08:00Z priya (primary)', // 09:00 GMT to 09:00 BST
      '2025-03-30T08:00Z–2025-03-31T08:00Z amara (primary)',
      '2025-03-31T08:00Z–2025-04-01T00:00Z tomasz (primary)',
    ]);
  });

  it('makes the turn across the October change 25 hours long', () => {
    const october = createSchedule(schedule('Europe/London', daily('2025-10-23T09:00', '09:00', ['amara', 'tomasz', 'priya'])));
    expect(timeline(october.shifts(utc('2025-10-24T00:00Z'), utc('2025-10-28T00:00Z')))).toEqual([
      '2025-10-24T00:00Z–2025-10-24T08:00Z amara (primary)',
      '2025-10-24T08:00Z–2025-10-25T08:00Z tomasz (primary)',
      '2025-10-25T08:00Z–2025-10-26T09:00Z priya (primary)', // 09:00 BST to 09:00 GMT
      '2025-10-26T09:00Z–2025-10-27T09:00Z amara (primary)',
      '2025-10-27T09:00Z–2025-10-28T00:00Z tomasz (primary)',
    ]);
  });

  it('hands off in Sydney at 09:00 before and after the April change', () => {
    const sydney = createSchedule(schedule('Australia/Sydney', daily('2025-04-04T09:00', '09:00', ['jonas', 'lucia'])));
    // 09:00 AEDT is 22:00Z the day before; clocks go back at 03:00 on 6 April, and 09:00 AEST is 23:00Z.
    expect(timeline(sydney.shifts(utc('2025-04-04T00:00Z'), utc('2025-04-07T00:00Z')))).toEqual([
      '2025-04-04T00:00Z–2025-04-04T22:00Z jonas (primary)',
      '2025-04-04T22:00Z–2025-04-05T23:00Z lucia (primary)', // 25 hours
      '2025-04-05T23:00Z–2025-04-06T23:00Z jonas (primary)',
      '2025-04-06T23:00Z–2025-04-07T00:00Z lucia (primary)',
    ]);
  });

  it('hands off at the jump when the hand-off time is skipped, and only once when it is repeated', () => {
    const night = createSchedule(schedule('Europe/London', daily('2025-03-20T01:30', '01:30', ['amara', 'tomasz'])));
    // 01:30 does not exist on 30 March: the clock jumps from 01:00 GMT to 02:00 BST at 01:00Z.
    expect(night.onCallAt(utc('2025-03-30T00:59Z')).userId).toBe('tomasz');
    expect(night.onCallAt(utc('2025-03-30T01:00Z')).userId).toBe('amara');
    // 01:30 happens twice on 26 October (00:30Z BST and 01:30Z GMT); the hand-off is at the first.
    const autumn = createSchedule(schedule('Europe/London', daily('2025-10-20T01:30', '01:30', ['amara', 'tomasz'])));
    expect(autumn.onCallAt(utc('2025-10-26T00:29Z')).userId).toBe('tomasz');
    expect(autumn.onCallAt(utc('2025-10-26T00:30Z')).userId).toBe('amara');
    expect(autumn.onCallAt(utc('2025-10-26T01:15Z')).userId).toBe('amara');
    expect(autumn.onCallAt(utc('2025-10-26T01:45Z')).userId).toBe('amara');
    expect(autumn.onCallAt(utc('2025-10-27T01:29Z')).userId).toBe('amara');
    expect(autumn.onCallAt(utc('2025-10-27T01:30Z')).userId).toBe('tomasz');
  });

  it('works in zones with half-hour offsets', () => {
    const kolkata = createSchedule(schedule('Asia/Kolkata', daily('2025-06-02T09:00', '09:00', ['priya', 'jonas'])));
    expect(kolkata.onCallAt(utc('2025-06-03T03:29Z')).userId).toBe('priya');
    expect(kolkata.onCallAt(utc('2025-06-03T03:30Z')).userId).toBe('jonas');
  });
});

describe('weekly rotations', () => {
  const weekly = (start: string, users: string[]): ScheduleLayer => ({
    id: 'weekly',
    start,
    rotation: { type: 'weekly' },
    handoff: '09:00',
    handoffDay: 'mon',
    users,
  });

  it('hand off on Mondays at 09:00 local time, across the US change', () => {
    const newYork = createSchedule(schedule('America/New_York', weekly('2025-02-24T09:00', ['amara', 'tomasz'])));
    expect(timeline(newYork.shifts(utc('2025-03-01T00:00Z'), utc('2025-03-20T00:00Z')))).toEqual([
      '2025-03-01T00:00Z–2025-03-03T14:00Z amara (weekly)', // 09:00 EST
      '2025-03-03T14:00Z–2025-03-10T13:00Z tomasz (weekly)', // 09:00 EDT after 9 March
      '2025-03-10T13:00Z–2025-03-17T13:00Z amara (weekly)',
      '2025-03-17T13:00Z–2025-03-20T00:00Z tomasz (weekly)',
    ]);
  });

  it('gives the first user the turn that holds the start, up to the first hand-off', () => {
    const midWeek = createSchedule(schedule('Europe/London', weekly('2025-02-26T12:00', ['amara', 'tomasz'])));
    expect(timeline(midWeek.shifts(utc('2025-02-26T00:00Z'), utc('2025-03-04T00:00Z')))).toEqual([
      '2025-02-26T00:00Z–2025-02-26T12:00Z nobody',
      '2025-02-26T12:00Z–2025-03-03T09:00Z amara (weekly)',
      '2025-03-03T09:00Z–2025-03-04T00:00Z tomasz (weekly)',
    ]);
  });
});

describe('custom rotations', () => {
  it('count elapsed time, so their wall-clock hand-off moves with DST', () => {
    const twelveHours = createSchedule(
      schedule('Europe/London', { id: 'shifts', start: '2025-03-29T08:00', rotation: { type: 'custom', length: '12h' }, users: ['amara', 'tomasz'] }),
    );
    expect(timeline(twelveHours.shifts(utc('2025-03-29T08:00Z'), utc('2025-03-31T08:00Z')))).toEqual([
      '2025-03-29T08:00Z–2025-03-29T20:00Z amara (shifts)',
      '2025-03-29T20:00Z–2025-03-30T08:00Z tomasz (shifts)',
      '2025-03-30T08:00Z–2025-03-30T20:00Z amara (shifts)', // 09:00–21:00 BST
      '2025-03-30T20:00Z–2025-03-31T08:00Z tomasz (shifts)',
    ]);
  });

  it('accept a start written as an instant', () => {
    const fromInstant = createSchedule(
      schedule('Europe/London', { id: 'shifts', start: '2025-03-29T09:00:00+01:00', rotation: { type: 'custom', length: '1d' }, users: ['amara', 'tomasz'] }),
    );
    expect(fromInstant.onCallAt(utc('2025-03-29T07:59Z')).userId).toBeNull();
    expect(fromInstant.onCallAt(utc('2025-03-29T08:00Z')).userId).toBe('amara');
    expect(fromInstant.onCallAt(utc('2025-03-30T08:00Z')).userId).toBe('tomasz');
  });
});

describe('restrictions and layer precedence', () => {
  const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri'] as const;
  const nights = (restrictions: ScheduleLayer['restrictions']): ScheduleLayer => ({
    id: 'nights',
    start: '2025-06-02T09:00',
    rotation: { type: 'weekly' },
    handoff: '09:00',
    handoffDay: 'mon',
    users: ['jonas', 'lucia'],
    restrictions,
  });
  const days = daily('2025-06-02T09:00', '09:00', ['amara', 'tomasz', 'priya'], {
    id: 'days',
    restrictions: [{ days: [...WEEKDAYS], start: '09:00', end: '17:00' }],
  });
  const nightsAndWeekends = nights([
    // Windows start on the day named: Sunday's night runs into Monday morning.
    { days: ['sun', ...WEEKDAYS], start: '17:00', end: '09:00' },
    { days: ['sat', 'sun'], start: '00:00', end: '24:00' },
  ]);

  it('cover the week with a daytime layer and a nights-and-weekends layer', () => {
    const split = createSchedule(schedule('Europe/London', nightsAndWeekends, days));
    expect(timeline(split.shifts(utc('2025-06-02T08:00Z'), utc('2025-06-09T08:00Z')))).toEqual([
      '2025-06-02T08:00Z–2025-06-02T16:00Z amara (days)',
      '2025-06-02T16:00Z–2025-06-03T08:00Z jonas (nights)',
      '2025-06-03T08:00Z–2025-06-03T16:00Z tomasz (days)',
      '2025-06-03T16:00Z–2025-06-04T08:00Z jonas (nights)',
      '2025-06-04T08:00Z–2025-06-04T16:00Z priya (days)',
      '2025-06-04T16:00Z–2025-06-05T08:00Z jonas (nights)',
      '2025-06-05T08:00Z–2025-06-05T16:00Z amara (days)',
      '2025-06-05T16:00Z–2025-06-06T08:00Z jonas (nights)',
      '2025-06-06T08:00Z–2025-06-06T16:00Z tomasz (days)',
      '2025-06-06T16:00Z–2025-06-09T08:00Z jonas (nights)',
    ]);
  });

  it('show a gap as nobody on call where no window applies', () => {
    const weeknightsOnly = createSchedule(schedule('Europe/London', nights([{ days: [...WEEKDAYS], start: '17:00', end: '09:00' }]), days));
    const weekend = timeline(weeknightsOnly.shifts(utc('2025-06-06T08:00Z'), utc('2025-06-09T08:00Z')));
    expect(weekend).toEqual([
      '2025-06-06T08:00Z–2025-06-06T16:00Z tomasz (days)',
      '2025-06-06T16:00Z–2025-06-07T08:00Z jonas (nights)', // Friday night ends Saturday 09:00
      '2025-06-07T08:00Z–2025-06-09T08:00Z nobody',
    ]);
    expect(weeknightsOnly.onCallAt(utc('2025-06-08T12:00Z'))).toEqual({ userId: null, source: null });
  });

  it('let a later layer win where it has someone, and the earlier one show through elsewhere', () => {
    const split = createSchedule(schedule('Europe/London', nightsAndWeekends, days));
    expect(split.onCallAt(utc('2025-06-03T12:00Z'))).toEqual({ userId: 'tomasz', source: { kind: 'layer', layerId: 'days' } });
    expect(split.onCallAt(utc('2025-06-03T20:00Z'))).toEqual({ userId: 'jonas', source: { kind: 'layer', layerId: 'nights' } });
    // The same layers the other way round: the unrestricted weekly layer now hides the daytime one.
    const allDay = createSchedule(schedule('Europe/London', days, { ...nightsAndWeekends, restrictions: undefined }));
    expect(allDay.onCallAt(utc('2025-06-03T12:00Z')).userId).toBe('jonas');
  });

  it('let the earlier layer show through before a later layer starts and after it ends', () => {
    const cover = createSchedule(
      schedule(
        'Europe/London',
        daily('2025-06-01T09:00', '09:00', ['amara'], { id: 'base' }),
        daily('2025-06-03T09:00', '09:00', ['lucia'], { id: 'holiday-cover', end: '2025-06-05T09:00' }),
      ),
    );
    expect(timeline(cover.shifts(utc('2025-06-02T00:00Z'), utc('2025-06-06T00:00Z')))).toEqual([
      '2025-06-02T00:00Z–2025-06-03T08:00Z amara (base)',
      '2025-06-03T08:00Z–2025-06-05T08:00Z lucia (holiday-cover)',
      '2025-06-05T08:00Z–2025-06-06T00:00Z amara (base)',
    ]);
  });

  it('apply a window twice in a repeated hour, and never in a skipped one', () => {
    const earlyHours = createSchedule(
      schedule('Europe/London', daily('2025-03-01T09:00', '09:00', ['amara'], { restrictions: [{ start: '01:00', end: '02:00' }] })),
    );
    expect(timeline(earlyHours.shifts(utc('2025-03-30T00:00Z'), utc('2025-03-30T03:00Z')))).toEqual(['2025-03-30T00:00Z–2025-03-30T03:00Z nobody']);
    expect(timeline(earlyHours.shifts(utc('2025-10-26T00:00Z'), utc('2025-10-26T03:00Z')))).toEqual([
      '2025-10-26T00:00Z–2025-10-26T02:00Z amara (primary)', // 01:00–02:00 BST, then 01:00–02:00 GMT
      '2025-10-26T02:00Z–2025-10-26T03:00Z nobody',
    ]);
  });
});

describe('overrides', () => {
  const rotation = createSchedule(schedule('Europe/London', daily('2025-06-02T09:00', '09:00', ['amara', 'tomasz', 'priya'])));
  const override = (id: string, userId: string, start: string, end: string, replaces?: string): Override => ({
    id,
    userId,
    start: utc(start),
    end: utc(end),
    ...(replaces ? { replaces } : {}),
  });

  it('cover part of a shift, which resumes after', () => {
    const lunch = [override('ovr-1', 'lucia', '2025-06-02T12:00Z', '2025-06-02T14:00Z')];
    expect(timeline(rotation.shifts(utc('2025-06-02T08:00Z'), utc('2025-06-03T12:00Z'), lunch))).toEqual([
      '2025-06-02T08:00Z–2025-06-02T12:00Z amara (primary)',
      '2025-06-02T12:00Z–2025-06-02T14:00Z lucia (override ovr-1)',
      '2025-06-02T14:00Z–2025-06-03T08:00Z amara (primary)',
      '2025-06-03T08:00Z–2025-06-03T12:00Z tomasz (primary)',
    ]);
    expect(rotation.onCallAt(utc('2025-06-02T13:00Z'), lunch)).toEqual({ userId: 'lucia', source: { kind: 'override', overrideId: 'ovr-1' } });
  });

  it('with replaces, apply only while that person would be on call', () => {
    const forTomasz = [override('ovr-2', 'lucia', '2025-06-02T00:00Z', '2025-06-05T00:00Z', 'tomasz')];
    expect(timeline(rotation.shifts(utc('2025-06-02T08:00Z'), utc('2025-06-05T00:00Z'), forTomasz))).toEqual([
      '2025-06-02T08:00Z–2025-06-03T08:00Z amara (primary)',
      '2025-06-03T08:00Z–2025-06-04T08:00Z lucia (override ovr-2)',
      '2025-06-04T08:00Z–2025-06-05T00:00Z priya (primary)',
    ]);
  });

  it('stack in list order: a later one wins, and its replaces sees the earlier one', () => {
    const stacked = [
      override('ovr-a', 'lucia', '2025-06-02T10:00Z', '2025-06-02T16:00Z'),
      override('ovr-b', 'jonas', '2025-06-02T12:00Z', '2025-06-02T14:00Z', 'lucia'),
      override('ovr-c', 'priya', '2025-06-02T15:00Z', '2025-06-02T17:00Z', 'amara'),
    ];
    expect(timeline(rotation.shifts(utc('2025-06-02T09:00Z'), utc('2025-06-02T18:00Z'), stacked))).toEqual([
      '2025-06-02T09:00Z–2025-06-02T10:00Z amara (primary)',
      '2025-06-02T10:00Z–2025-06-02T12:00Z lucia (override ovr-a)',
      '2025-06-02T12:00Z–2025-06-02T14:00Z jonas (override ovr-b)',
      '2025-06-02T14:00Z–2025-06-02T16:00Z lucia (override ovr-a)',
      '2025-06-02T16:00Z–2025-06-02T17:00Z priya (override ovr-c)', // amara is back at 16:00
      '2025-06-02T17:00Z–2025-06-02T18:00Z amara (primary)',
    ]);
  });

  it('fill a gap when they replace nobody in particular', () => {
    const empty = createSchedule(schedule('UTC', daily('2025-06-10T09:00', '09:00', ['amara'])));
    const early = [override('ovr-d', 'jonas', '2025-06-09T00:00Z', '2025-06-09T06:00Z')];
    expect(empty.onCallAt(utc('2025-06-09T01:00Z'), early).userId).toBe('jonas');
    expect(empty.onCallAt(utc('2025-06-09T07:00Z'), early).userId).toBeNull();
  });

  it('have no effect when they end before they start', () => {
    const backwards = [override('ovr-e', 'jonas', '2025-06-02T14:00Z', '2025-06-02T12:00Z')];
    expect(rotation.onCallAt(utc('2025-06-02T13:00Z'), backwards).userId).toBe('amara');
    expect(timeline(rotation.shifts(utc('2025-06-02T10:00Z'), utc('2025-06-02T16:00Z'), backwards))).toEqual([
      '2025-06-02T10:00Z–2025-06-02T16:00Z amara (primary)',
    ]);
  });
});

describe('nextOnCall', () => {
  const rotation = createSchedule(schedule('Europe/London', daily('2025-06-02T09:00', '09:00', ['amara', 'tomasz', 'amara', 'priya'])));

  it('names the next different person and when their shift starts', () => {
    expect(rotation.nextOnCall(utc('2025-06-02T10:00Z'))).toEqual({
      userId: 'tomasz',
      start: utc('2025-06-03T08:00Z'),
      source: { kind: 'layer', layerId: 'primary' },
    });
  });

  it('takes overrides into account', () => {
    const cover: Override[] = [{ id: 'ovr-1', userId: 'lucia', replaces: 'tomasz', start: utc('2025-06-03T08:00Z'), end: utc('2025-06-03T20:00Z') }];
    expect(rotation.nextOnCall(utc('2025-06-02T10:00Z'), cover)).toEqual({
      userId: 'lucia',
      start: utc('2025-06-03T08:00Z'),
      source: { kind: 'override', overrideId: 'ovr-1' },
    });
  });

  it('skips gaps with nobody on call', () => {
    const weekdays = createSchedule(
      schedule('Europe/London', daily('2025-06-02T09:00', '09:00', ['amara', 'tomasz'], { restrictions: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:00' }] })),
    );
    // Friday 6 June is amara's day; the weekend turns have nobody; Monday 9 June is tomasz's.
    expect(weekdays.nextOnCall(utc('2025-06-06T12:00Z'))).toMatchObject({ userId: 'tomasz', start: utc('2025-06-09T08:00Z') });
    expect(weekdays.nextOnCall(utc('2025-06-07T12:00Z'))).toMatchObject({ userId: 'tomasz', start: utc('2025-06-09T08:00Z') });
  });

  it('is null when nobody else is on call within a year', () => {
    const alone = createSchedule(schedule('UTC', daily('2025-01-01T09:00', '09:00', ['amara'])));
    expect(alone.nextOnCall(utc('2025-06-02T10:00Z'))).toBeNull();
  });
});

describe('bounds', () => {
  afterEach(() => vi.restoreAllMocks());

  it('renders 90 days of three layers hopping between hand-offs, not minute by minute', () => {
    const formatToParts = vi.spyOn(Intl.DateTimeFormat.prototype, 'formatToParts');
    const busy = createSchedule(
      schedule(
        'Europe/London',
        { id: 'weekly', start: '2025-01-06T09:00', rotation: { type: 'weekly' }, handoff: '09:00', handoffDay: 'mon', users: ['amara', 'tomasz', 'priya', 'jonas', 'lucia'] },
        daily('2025-01-06T09:00', '09:00', ['amara', 'tomasz', 'priya'], { id: 'days', restrictions: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:00' }] }),
        { id: 'nights', start: '2025-01-06T08:00', rotation: { type: 'custom', length: '12h' }, users: ['jonas', 'lucia'], restrictions: [{ start: '22:00', end: '06:00' }] },
      ),
    );
    const started = performance.now();
    const shifts = busy.shifts(utc('2025-02-01T00:00Z'), utc('2025-02-01T00:00Z') + 90 * DAY);
    const elapsed = performance.now() - started;
    expect(shifts.length).toBeGreaterThan(250);
    expect(shifts.length).toBeLessThan(600);
    // About one wall-clock reading per hand-off and per offset check; minute stepping would need 130,000.
    expect(formatToParts.mock.calls.length).toBeLessThan(2_000);
    expect(elapsed).toBeLessThan(2_000);
  });

  it('refuses to render more than two years at once', () => {
    const rotation = createSchedule(schedule('UTC', daily('2025-01-01T09:00', '09:00', ['amara'])));
    expect(() => rotation.shifts(0, 800 * DAY)).toThrow(DomainError);
    expect(rotation.shifts(10, 10)).toEqual([]);
    expect(() => rotation.onCallAt(Number.NaN)).toThrow(DomainError);
  });

  it('answers for instants decades after the layer start without walking there', () => {
    const old = createSchedule(schedule('America/New_York', daily('1990-01-01T09:00', '09:00', ['amara', 'tomasz'])));
    // 2025-06-02 is 12,936 days after 1990-01-01: an even count of hand-offs makes it amara's day.
    expect(old.onCallAt(utc('2025-06-02T14:00Z')).userId).toBe('amara');
    expect(old.onCallAt(utc('2025-06-03T14:00Z')).userId).toBe('tomasz');
  });

  it('will not build a schedule with problems, and says what they are', () => {
    const broken = schedule('Mars/Olympus_Mons', daily('2025-01-01T09:00', '09:00', []));
    try {
      createSchedule(broken);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(DomainError);
      expect((error as DomainError).code).toBe('config_invalid');
      expect(((error as DomainError).details as { path: string }[]).map((problem) => problem.path)).toEqual([
        'schedules["platform"].timezone',
        'schedules["platform"].layers[0].users',
      ]);
    }
  });
});
