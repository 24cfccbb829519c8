import type { Shift } from './engine.ts';

/** What the calendar shows of a user. */
export interface CalendarUser {
  name: string;
  email?: string;
}

/**
 * An on-call schedule as an iCalendar feed (RFC 5545) that calendar apps can
 * subscribe to: one VEVENT per shift with someone on call, times in UTC. Each
 * event's UID is made of the schedule, the start and the user, so a shift keeps its
 * UID from one rendering to the next while those stay the same (a shift cut by the
 * start of the rendered window changes start, and UID, as the window moves: render
 * from well in the past). Shifts are transparent, so they never show as busy.
 */
export function renderICalendar(
  schedule: { id: string; name: string },
  shifts: readonly Shift[],
  users: ReadonlyMap<string, CalendarUser>,
  now: number,
): string {
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Firebreak//On-call schedules//EN',
    'CALSCALE:GREGORIAN',
    'METHOD:PUBLISH',
    `NAME:${escapeText(schedule.name)}`,
    `X-WR-CALNAME:${escapeText(schedule.name)}`,
    'REFRESH-INTERVAL;VALUE=DURATION:PT1H',
    'X-PUBLISHED-TTL:PT1H',
  ];
  const stamp = utcDateTime(now);
  for (const shift of shifts) {
    if (shift.userId === null) continue;
    const start = utcDateTime(shift.start);
    const end = utcDateTime(shift.end);
    // iCalendar counts in whole seconds; a shift shorter than that cannot be shown.
    if (start >= end) continue;
    const user = users.get(shift.userId);
    const name = user?.name ?? shift.userId;
    const why = shift.source.kind === 'override' ? `override ${shift.source.overrideId}` : `layer ${shift.source.layerId}`;
    const contact = user?.email ? `\nContact: ${user.email}` : '';
    lines.push(
      'BEGIN:VEVENT',
      `UID:${escapeText(`${schedule.id}-${start}-${shift.userId}@firebreak`)}`,
      `DTSTAMP:${stamp}`,
      `DTSTART:${start}`,
      `DTEND:${end}`,
      `SUMMARY:${escapeText(`On call: ${name}`)}`,
      `DESCRIPTION:${escapeText(`${name} is on call for ${schedule.name} (${why}).${contact}`)}`,
      'TRANSP:TRANSPARENT',
      'END:VEVENT',
    );
  }
  lines.push('END:VCALENDAR');
  return lines.map(foldLine).join('\r\n') + '\r\n';
}

/** `20250106T090000Z`: DATE-TIME in UTC, whole seconds. */
export function utcDateTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** TEXT values escape backslash, semicolon, comma and line breaks; other control characters are not allowed at all. */
export function escapeText(text: string): string {
  return text
    .replace(/\\/g, '\\\\')
    .replace(/;/g, '\\;')
    .replace(/,/g, '\\,')
    .replace(/\r\n|\r|\n/g, '\\n')
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, ''); // eslint-disable-line no-control-regex
}

const MAX_LINE_OCTETS = 75;

/**
 * Lines longer than 75 octets continue on the next line after a space (which counts
 * towards that line's 75). Folding never splits a UTF-8 character.
 */
export function foldLine(line: string): string {
  if (Buffer.byteLength(line, 'utf8') <= MAX_LINE_OCTETS) return line;
  const parts: string[] = [];
  let current = '';
  let octets = 0;
  for (const character of line) {
    const size = Buffer.byteLength(character, 'utf8');
    const limit = parts.length === 0 ? MAX_LINE_OCTETS : MAX_LINE_OCTETS - 1;
    if (octets + size > limit) {
      parts.push(current);
      current = '';
      octets = 0;
    }
    current += character;
    octets += size;
  }
  parts.push(current);
  return parts.join('\r\n ');
}
