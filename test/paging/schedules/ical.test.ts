import { describe, expect, it } from 'vitest';
import { createSchedule, renderICalendar, type Shift } from '../../../src/paging/schedules/index.ts';

const utc = (text: string) => Date.parse(text);
const NOW = utc('2025-06-01T12:00:00Z');

const SHIFTS: Shift[] = [
  { userId: 'amara', start: utc('2025-06-02T08:00Z'), end: utc('2025-06-03T08:00Z'), source: { kind: 'layer', layerId: 'primary' } },
  { userId: null, start: utc('2025-06-03T08:00Z'), end: utc('2025-06-03T12:00Z'), source: null },
  { userId: 'lucia', start: utc('2025-06-03T12:00Z'), end: utc('2025-06-03T14:30Z'), source: { kind: 'override', overrideId: 'ovr-1' } },
];
const USERS = new Map([
  ['amara', { name: 'Amara Okafor', email: 'amara@example.com' }],
  ['lucia', { name: 'Lucía Fernández-Østergaard; SRE, Platform \\ Ops' }],
]);

/** RFC 5545 §3.1: a CRLF followed by one space or tab is removed when reading. */
const unfold = (text: string) => text.replace(/\r\n[ \t]/g, '');

describe('renderICalendar', () => {
  it('renders one VEVENT per shift with someone on call, escaped, folded, with CRLF line ends', () => {
    const text = renderICalendar({ id: 'platform', name: 'Platform, EU' }, SHIFTS, USERS, NOW);
    expect(text).toBe(
      [
        'BEGIN:VCALENDAR',
        'VERSION:2.0',
        'PRODID:-//Firebreak//On-call schedules//EN',
        'CALSCALE:GREGORIAN',
        'METHOD:PUBLISH',
        'NAME:Platform\\, EU',
        'X-WR-CALNAME:Platform\\, EU',
        'REFRESH-INTERVAL;VALUE=DURATION:PT1H',
        'X-PUBLISHED-TTL:PT1H',
        'BEGIN:VEVENT',
        'UID:platform-20250602T080000Z-amara@firebreak',
        'DTSTAMP:20250601T120000Z',
        'DTSTART:20250602T080000Z',
        'DTEND:20250603T080000Z',
        'SUMMARY:On call: Amara Okafor',
        'DESCRIPTION:Amara Okafor is on call for Platform\\, EU (layer primary).\\nCon',
        ' tact: amara@example.com',
        'TRANSP:TRANSPARENT',
        'END:VEVENT',
        'BEGIN:VEVENT',
        'UID:platform-20250603T120000Z-lucia@firebreak',
        'DTSTAMP:20250601T120000Z',
        'DTSTART:20250603T120000Z',
        'DTEND:20250603T143000Z',
        'SUMMARY:On call: Lucía Fernández-Østergaard\\; SRE\\, Platform \\\\ Ops',
        'DESCRIPTION:Lucía Fernández-Østergaard\\; SRE\\, Platform \\\\ Ops is on cal',
        ' l for Platform\\, EU (override ovr-1).',
        'TRANSP:TRANSPARENT',
        'END:VEVENT',
        'END:VCALENDAR',
        '',
      ].join('\r\n'),
    );
  });

  it('keeps every line within 75 octets without splitting a UTF-8 character', () => {
    const users = new Map([['lucia', { name: `Łukasz 🚒 ${'Ø'.repeat(60)} 🚒🚒🚒 the end`, email: 'lucia@example.com' }]]);
    const shifts: Shift[] = [{ userId: 'lucia', start: SHIFTS[2]!.start, end: SHIFTS[2]!.end, source: { kind: 'layer', layerId: 'primary' } }];
    const text = renderICalendar({ id: 'platform', name: 'Platform' }, shifts, users, NOW);
    const lines = text.split('\r\n');
    expect(lines.pop()).toBe('');
    for (const line of lines) {
      const bytes = Buffer.from(line, 'utf8');
      expect(bytes.length).toBeLessThanOrEqual(75);
      expect(line).not.toMatch(/[\r\n\uFFFD]/);
      expect(bytes.toString('utf8')).toBe(line);
    }
    expect(unfold(text)).toContain(`SUMMARY:On call: Łukasz 🚒 ${'Ø'.repeat(60)} 🚒🚒🚒 the end\r\n`);
  });

  it('turns line breaks in names into \\n and drops other control characters', () => {
    const users = new Map([['amara', { name: 'Amara\r\nOkafor\u0007' }]]);
    const text = renderICalendar({ id: 'platform', name: 'Platform' }, [SHIFTS[0]!], users, NOW);
    expect(unfold(text)).toContain('SUMMARY:On call: Amara\\nOkafor\r\n');
  });

  it('uses the user id when the user is unknown, and renders an empty calendar for no shifts', () => {
    expect(unfold(renderICalendar({ id: 'platform', name: 'Platform' }, [SHIFTS[0]!], new Map(), NOW))).toContain('SUMMARY:On call: amara\r\n');
    const empty = renderICalendar({ id: 'platform', name: 'Platform' }, [], new Map(), NOW);
    expect(empty).not.toContain('BEGIN:VEVENT');
    expect(empty.endsWith('END:VCALENDAR\r\n')).toBe(true);
  });

  it('gives a shift the same UID each time the feed is rendered', () => {
    const schedule = createSchedule({
      id: 'platform',
      name: 'Platform',
      timezone: 'Europe/London',
      layers: [{ id: 'primary', start: '2025-05-01T09:00', rotation: { type: 'daily' }, handoff: '09:00', users: ['amara', 'tomasz'] }],
    });
    const uids = (from: string, to: string, now: number) =>
      unfold(renderICalendar(schedule, schedule.shifts(utc(from), utc(to)), USERS, now))
        .split('\r\n')
        .filter((line) => line.startsWith('UID:'));
    const today = uids('2025-06-01T00:00Z', '2025-06-10T00:00Z', NOW);
    const tomorrow = uids('2025-06-02T00:00Z', '2025-06-11T00:00Z', NOW + 86_400_000);
    // Whole shifts keep their UID; the shift cut by the start of each window is the one that does not.
    expect(today[0]).toBe('UID:platform-20250601T000000Z-amara@firebreak');
    expect(tomorrow[0]).toBe('UID:platform-20250602T000000Z-tomasz@firebreak');
    expect(tomorrow.slice(1, -1)).toEqual(today.slice(2));
    expect(today.slice(2)).toHaveLength(8);
    expect(new Set(today).size).toBe(today.length);
  });
});
