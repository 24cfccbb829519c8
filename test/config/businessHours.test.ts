import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_BUSINESS_HOURS,
  createBusinessCalendar,
  isBusinessTime,
  slaDueAt,
  type BusinessHours,
} from '../../src/config/index.ts';
import { DomainError } from '../../src/core/errors.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const utc = (text: string) => Date.parse(text);
const iso = (ms: number) => new Date(ms).toISOString();

const LONDON: BusinessHours = {
  timezone: 'Europe/London',
  days: ['mon', 'tue', 'wed', 'thu', 'fri'],
  start: '09:00',
  end: '17:30',
  holidays: ['2025-12-25', '2025-12-26'],
};
const NEW_YORK: BusinessHours = { ...LONDON, timezone: 'America/New_York', end: '17:00', holidays: [] };

describe('slaDueAt', () => {
  it('adds wall time for a plain duration, whatever the hours', () => {
    const start = utc('2025-06-06T20:00:00Z');
    expect(slaDueAt(start, '15m', LONDON)).toBe(start + 15 * MINUTE);
    expect(slaDueAt(start, '1h30m', LONDON)).toBe(start + 90 * MINUTE);
    expect(slaDueAt(start, '1d', LONDON)).toBe(start + 24 * HOUR);
  });

  it('rejects a target that is not a duration', () => {
    expect(() => slaDueAt(0, 'soon', LONDON)).toThrow(DomainError);
  });

  describe('next-business-day', () => {
    it('is the end of Monday for an incident on Friday evening', () => {
      // Friday 2025-06-06 19:00 BST
      expect(iso(slaDueAt(utc('2025-06-06T18:00:00Z'), 'next-business-day', LONDON))).toBe('2025-06-09T16:30:00.000Z');
    });

    it('is the end of tomorrow for an incident during the working day', () => {
      expect(iso(slaDueAt(utc('2025-06-03T08:30:00Z'), 'next-business-day', LONDON))).toBe('2025-06-04T16:30:00.000Z');
    });

    it('is the end of tomorrow even for an incident before opening time', () => {
      expect(iso(slaDueAt(utc('2025-06-03T05:00:00Z'), 'next-business-day', LONDON))).toBe('2025-06-04T16:30:00.000Z');
    });

    it('skips holidays and the weekend after them', () => {
      // Wednesday 24 December; 25 and 26 are holidays, then the weekend.
      expect(iso(slaDueAt(utc('2025-12-24T10:00:00Z'), 'next-business-day', LONDON))).toBe('2025-12-29T17:30:00.000Z');
    });

    it('uses the calendar day of the configured zone, not of UTC', () => {
      // 23:30 UTC on Thursday is already Friday 01:30 in Athens: the next business day is Monday.
      const athens: BusinessHours = { ...LONDON, timezone: 'Europe/Athens', holidays: [] };
      expect(iso(slaDueAt(utc('2025-06-05T22:30:00Z'), 'next-business-day', athens))).toBe('2025-06-09T14:30:00.000Z');
    });

    it('lands on the right hour when the clocks change over the weekend', () => {
      // Friday 28 March 2025 GMT → Monday 31 March BST.
      expect(iso(slaDueAt(utc('2025-03-28T18:00:00Z'), 'next-business-day', LONDON))).toBe('2025-03-31T16:30:00.000Z');
      // Friday 24 October 2025 BST → Monday 27 October GMT.
      expect(iso(slaDueAt(utc('2025-10-24T18:00:00Z'), 'next-business-day', LONDON))).toBe('2025-10-27T17:30:00.000Z');
    });
  });

  describe('business hours (Nbh)', () => {
    it('counts only working time, carrying over the weekend', () => {
      // Friday 16:00 BST + 4bh = 1.5h on Friday + 2.5h on Monday → Monday 11:30 BST.
      expect(iso(slaDueAt(utc('2025-06-06T15:00:00Z'), '4bh', LONDON))).toBe('2025-06-09T10:30:00.000Z');
    });

    it('starts counting at opening time for an incident declared at night', () => {
      expect(iso(slaDueAt(utc('2025-06-03T02:00:00Z'), '2bh', LONDON))).toBe('2025-06-03T10:00:00.000Z');
    });

    it('accepts fractions and ends exactly at closing time', () => {
      expect(iso(slaDueAt(utc('2025-06-03T08:00:00Z'), '8.5bh', LONDON))).toBe('2025-06-03T16:30:00.000Z');
      expect(iso(slaDueAt(utc('2025-06-03T08:00:00Z'), '0.25bh', LONDON))).toBe('2025-06-03T08:15:00.000Z');
    });

    it('skips holidays', () => {
      // Wednesday 24 December 17:00 GMT + 1bh = 0.5h on Wednesday + 0.5h on Monday 29.
      expect(iso(slaDueAt(utc('2025-12-24T17:00:00Z'), '1bh', LONDON))).toBe('2025-12-29T09:30:00.000Z');
    });

    it('keeps wall-clock hours across the London spring and autumn changes', () => {
      // Friday 28 March 16:00 GMT + 4bh → 1.5h Friday, 2.5h Monday from 09:00 BST = 11:30 BST.
      expect(iso(slaDueAt(utc('2025-03-28T16:00:00Z'), '4bh', LONDON))).toBe('2025-03-31T10:30:00.000Z');
      // Friday 24 October 16:00 BST + 4bh → Monday 11:30 GMT.
      expect(iso(slaDueAt(utc('2025-10-24T15:00:00Z'), '4bh', LONDON))).toBe('2025-10-27T11:30:00.000Z');
    });

    it('keeps wall-clock hours across the New York changes', () => {
      // Friday 7 March 2025 15:00 EST + 4bh → Monday 10 March 11:00 EDT.
      expect(iso(slaDueAt(utc('2025-03-07T20:00:00Z'), '4bh', NEW_YORK))).toBe('2025-03-10T15:00:00.000Z');
      // Friday 31 October 2025 15:00 EDT + 4bh → Monday 3 November 11:00 EST.
      expect(iso(slaDueAt(utc('2025-10-31T19:00:00Z'), '4bh', NEW_YORK))).toBe('2025-11-03T16:00:00.000Z');
    });

    it('drops the skipped hour and counts the repeated hour when working hours span the change', () => {
      const night: BusinessHours = { timezone: 'America/New_York', days: ['sun'], start: '01:00', end: '04:00', holidays: [] };
      // Sunday 9 March 2025: 01:00–02:00 EST and 03:00–04:00 EDT are the two working hours.
      const springSunday = utc('2025-03-09T05:00:00Z'); // 00:00 EST
      expect(iso(slaDueAt(springSunday, '1bh', night))).toBe('2025-03-09T07:00:00.000Z');
      expect(iso(slaDueAt(springSunday, '2bh', night))).toBe('2025-03-09T08:00:00.000Z');
      // Sunday 2 November 2025: 01:00–02:00 EDT, 01:00–02:00 EST again, then 02:00–04:00 EST.
      const autumnSunday = utc('2025-11-02T04:00:00Z'); // 00:00 EDT
      expect(iso(slaDueAt(autumnSunday, '4bh', night))).toBe('2025-11-02T09:00:00.000Z');
      expect(iso(slaDueAt(autumnSunday, '4.5bh', night))).toBe('2025-11-09T06:30:00.000Z');
    });

    it('hops over long spans quickly', () => {
      const started = performance.now();
      // 2000 business hours at 8.5h a day is about a year of working days.
      const due = slaDueAt(utc('2025-01-06T09:00:00Z'), '2000bh', LONDON);
      expect(due).toBeGreaterThan(utc('2025-12-01T00:00:00Z'));
      expect(performance.now() - started).toBeLessThan(1000);
    });

    it('gives up on a calendar without working days instead of looping', () => {
      const mondays: string[] = [];
      for (let day = utc('2025-01-06T00:00:00Z'); day < utc('2029-01-01T00:00:00Z'); day += 7 * 24 * HOUR) {
        mondays.push(iso(day).slice(0, 10));
      }
      const never: BusinessHours = { timezone: 'UTC', days: ['mon'], start: '09:00', end: '17:00', holidays: mondays };
      expect(() => slaDueAt(utc('2025-01-01T00:00:00Z'), '1bh', never)).toThrow(/no working day in the 3 years/);
      expect(() => slaDueAt(utc('2025-01-01T00:00:00Z'), 'next-business-day', never)).toThrow(DomainError);
    });

    it('refuses a target decades away', () => {
      expect(() => slaDueAt(0, '999999bh', DEFAULT_BUSINESS_HOURS)).toThrow(/more than 10 years/);
    });
  });
});

describe('isBusinessTime', () => {
  it('follows the configured zone, days, hours and holidays', () => {
    expect(isBusinessTime(utc('2025-06-03T08:00:00Z'), LONDON)).toBe(true); // 09:00 BST
    expect(isBusinessTime(utc('2025-06-03T07:59:59Z'), LONDON)).toBe(false);
    expect(isBusinessTime(utc('2025-06-03T16:29:59Z'), LONDON)).toBe(true);
    expect(isBusinessTime(utc('2025-06-03T16:30:00Z'), LONDON)).toBe(false); // closing time is not working time
    expect(isBusinessTime(utc('2025-06-07T12:00:00Z'), LONDON)).toBe(false); // Saturday
    expect(isBusinessTime(utc('2025-12-25T12:00:00Z'), LONDON)).toBe(false); // holiday
  });

  it('defaults to 09:00-17:00 UTC on weekdays', () => {
    expect(isBusinessTime(utc('2025-06-02T09:00:00Z'), DEFAULT_BUSINESS_HOURS)).toBe(true);
    expect(isBusinessTime(utc('2025-06-02T17:00:00Z'), DEFAULT_BUSINESS_HOURS)).toBe(false);
  });

  it('treats 24:00 as the end of the day', () => {
    const allDay: BusinessHours = { ...DEFAULT_BUSINESS_HOURS, start: '00:00', end: '24:00' };
    expect(isBusinessTime(utc('2025-06-02T23:59:59Z'), allDay)).toBe(true);
    expect(iso(slaDueAt(utc('2025-06-06T20:00:00Z'), '8bh', allDay))).toBe('2025-06-09T04:00:00.000Z');
  });

  it('rejects an unknown zone and inverted hours', () => {
    expect(() => createBusinessCalendar({ ...LONDON, timezone: 'Mars/Olympus' })).toThrow(DomainError);
    expect(() => createBusinessCalendar({ ...LONDON, start: '18:00', end: '09:00' })).toThrow(DomainError);
  });
});

/**
 * An independent, deliberately slow model: walk minute by minute and read each
 * minute's wall clock from Intl as text. Every zone below changes offset on a
 * whole minute, so a minute is either all business time or none of it.
 */
class MinuteModel {
  private readonly format: Intl.DateTimeFormat;
  private readonly startMinute: number;
  private readonly endMinute: number;

  constructor(private readonly hours: BusinessHours) {
    this.format = new Intl.DateTimeFormat('en-US', {
      timeZone: hours.timezone,
      weekday: 'short',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    const minutes = (text: string) => Number(text.slice(0, 2)) * 60 + Number(text.slice(3));
    this.startMinute = minutes(hours.start);
    this.endMinute = minutes(hours.end);
  }

  wall(ms: number): { date: string; business: boolean } {
    const part = Object.fromEntries(this.format.formatToParts(ms).map((p) => [p.type, p.value]));
    const date = `${part.year}-${part.month}-${part.day}`;
    const minute = Number(part.hour) * 60 + Number(part.minute);
    const workingDay = this.hours.days.includes(part.weekday!.toLowerCase()) && !this.hours.holidays.includes(date);
    return { date, business: workingDay && minute >= this.startMinute && minute < this.endMinute };
  }

  addBusinessMinutes(start: number, minutes: number): number {
    let remaining = minutes;
    let at = start;
    while (remaining > 0) {
      if (this.wall(at).business) remaining--;
      at += MINUTE;
    }
    return at;
  }

  endOfNextBusinessDay(start: number): number {
    const startDate = this.wall(start).date;
    let at = start;
    while (!(this.wall(at).business && this.wall(at).date > startDate)) at += MINUTE;
    const businessDate = this.wall(at).date;
    // Scan on while any zone could still show that date (a repeated hour may return to it).
    const stopAt = Date.parse(`${businessDate}T00:00:00Z`) + 36 * HOUR;
    let end = at + MINUTE;
    for (; at < stopAt; at += MINUTE) {
      const wall = this.wall(at);
      if (wall.business && wall.date === businessDate) end = at + MINUTE;
    }
    return end;
  }
}

const ZONES = [
  'UTC',
  'Europe/London',
  'America/New_York',
  'America/Santiago', // changes at midnight, so a day can start twice
  'Australia/Lord_Howe', // a 30-minute DST shift
  'Pacific/Chatham', // +12:45 / +13:45, changing at 02:45
  'Asia/Kathmandu', // +05:45, no DST
  'Africa/Casablanca', // leaves and re-enters its offset around Ramadan
];

/** Days on or next to which some zone above changes its clocks. */
const CHANGE_DAYS = [
  '2025-03-09', '2025-03-30', '2025-04-06', '2025-09-07', '2025-09-28', '2025-10-05', '2025-10-26', '2025-11-02',
  '2026-02-15', '2026-03-22',
].map((day) => Date.parse(`${day}T00:00:00Z`));

const startTimes = fc.oneof(
  fc.integer({ min: Date.parse('2024-01-01T00:00:00Z') / MINUTE, max: Date.parse('2027-12-31T00:00:00Z') / MINUTE }).map((m) => m * MINUTE),
  fc
    .tuple(fc.constantFrom(...CHANGE_DAYS), fc.integer({ min: -4 * 24 * 60, max: 4 * 24 * 60 }))
    .map(([day, minutes]) => day + minutes * MINUTE),
);

const quarterHour = (quarters: number) =>
  `${String(Math.floor(quarters / 4)).padStart(2, '0')}:${String((quarters % 4) * 15).padStart(2, '0')}`;

const businessHoursArbitrary = fc
  .record({
    timezone: fc.constantFrom(...ZONES),
    days: fc.uniqueArray(fc.constantFrom('mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'), { minLength: 2, maxLength: 7 }),
    startQuarter: fc.integer({ min: 0, max: 88 }),
    lengthQuarters: fc.integer({ min: 8, max: 96 }),
    holidayOffsets: fc.array(fc.integer({ min: -2, max: 20 }), { maxLength: 4 }),
  })
  .map(({ startQuarter, lengthQuarters, holidayOffsets, ...rest }) => ({
    ...rest,
    start: quarterHour(startQuarter),
    end: quarterHour(Math.min(96, startQuarter + lengthQuarters)),
    holidayOffsets,
  }));

/** Holidays are placed relative to the start, where they can matter. */
function withHolidays(hours: (typeof businessHoursArbitrary extends fc.Arbitrary<infer T> ? T : never), start: number): BusinessHours {
  const { holidayOffsets, ...rest } = hours;
  return { ...rest, holidays: holidayOffsets.map((days) => iso(start + days * 24 * HOUR).slice(0, 10)) };
}

describe('business-hours arithmetic against a minute-by-minute model', () => {
  it('Nbh matches the model for random zones, hours, holidays and start times', () => {
    fc.assert(
      fc.property(startTimes, businessHoursArbitrary, fc.integer({ min: 1, max: 32 }), (start, generated, quarters) => {
        const hours = withHolidays(generated, start);
        const minutes = quarters * 15;
        const expected = new MinuteModel(hours).addBusinessMinutes(start, minutes);
        expect(iso(slaDueAt(start, `${minutes / 60}bh`, hours))).toBe(iso(expected));
      }),
      { numRuns: 60 },
    );
  });

  it('next-business-day matches the model', () => {
    fc.assert(
      fc.property(startTimes, businessHoursArbitrary, (start, generated) => {
        const hours = withHolidays(generated, start);
        const expected = new MinuteModel(hours).endOfNextBusinessDay(start);
        expect(iso(slaDueAt(start, 'next-business-day', hours))).toBe(iso(expected));
      }),
      { numRuns: 40 },
    );
  });

  it('isBusinessTime matches the model minute for minute', () => {
    fc.assert(
      fc.property(startTimes, businessHoursArbitrary, (start, generated) => {
        const hours = withHolidays(generated, start);
        const model = new MinuteModel(hours);
        const calendar = createBusinessCalendar(hours);
        for (let at = start; at < start + 2 * 24 * HOUR; at += 17 * MINUTE) {
          expect(calendar.isBusinessTime(at), iso(at)).toBe(model.wall(at).business);
        }
      }),
      { numRuns: 40 },
    );
  });
});
