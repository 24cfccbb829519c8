import { alertProblems } from './alertProblems.ts';
import { pagingProblems } from './pagingProblems.ts';
import { clockTimeToMs } from './businessHours.ts';
import { closestName } from './problems.ts';
import type { SchemaProblem } from './schemaProblems.ts';
import { isValidTimeZone } from './timeZone.ts';

/**
 * What a schema cannot say: ids are unique, references point at something that
 * exists, time zones are real. These run even when the schema found problems, on
 * whatever parts are well-formed, so that one run reports everything there is to fix.
 */
export function referenceProblems(document: unknown): SchemaProblem[] {
  const root = asRecord(document);
  if (!root) return [];
  const problems: SchemaProblem[] = [];
  const userIds = collectUniqueIds(root, 'users', 'user', problems);
  const teamIds = collectUniqueIds(root, 'teams', 'team', problems);
  collectUniqueIds(root, 'roles', 'role', problems);
  collectUniqueIds(root, 'services', 'service', problems);
  checkSeverityLevels(root, problems);
  checkTeamMembers(root, userIds, problems);
  checkServiceTeams(root, teamIds, problems);
  checkUserTimeZones(root, problems);
  checkBusinessHours(root, problems);
  problems.push(...alertProblems(root));
  problems.push(...pagingProblems(root, process.env));
  return problems;
}

type Entry = { index: number; item: Record<string, unknown> };

function entriesOf(value: unknown): Entry[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item, index) => {
    const record = asRecord(item);
    return record ? [{ index, item: record }] : [];
  });
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function collectUniqueIds(root: Record<string, unknown>, list: string, noun: string, problems: SchemaProblem[]): string[] {
  return uniqueIds(entriesOf(root[list]), [list], noun, problems, false);
}

/**
 * Reports every id after the first use of it. Severity ids compare without case
 * because alert labels write them both ways (`p1`, `P1`).
 */
function uniqueIds(
  entries: Entry[],
  listPath: (string | number)[],
  noun: string,
  problems: SchemaProblem[],
  ignoreCase: boolean,
): string[] {
  const firstUse = new Map<string, number>();
  for (const { index, item } of entries) {
    if (typeof item.id !== 'string') continue;
    const key = ignoreCase ? item.id.toLowerCase() : item.id;
    const earlier = firstUse.get(key);
    if (earlier === undefined) {
      firstUse.set(key, index);
      continue;
    }
    problems.push({
      at: [...listPath, index, 'id'],
      message: `duplicate ${noun} id "${item.id}" (already used by ${listPath.join('.')}[${earlier}])`,
      fix: `give each ${noun} its own id${ignoreCase ? ' (ids are compared ignoring case)' : ''}, or merge the two entries`,
    });
  }
  return entries.map(({ item }) => item.id).filter((id): id is string => typeof id === 'string');
}

function checkSeverityLevels(root: Record<string, unknown>, problems: SchemaProblem[]): void {
  const severities = asRecord(root.severities);
  if (!severities) return;
  uniqueIds(entriesOf(severities.levels), ['severities', 'levels'], 'severity', problems, true);
}

function checkTeamMembers(root: Record<string, unknown>, userIds: string[], problems: SchemaProblem[]): void {
  const known = new Set(userIds);
  for (const { index, item } of entriesOf(root.teams)) {
    if (!Array.isArray(item.members)) continue;
    const seen = new Set<string>();
    item.members.forEach((member: unknown, position) => {
      if (typeof member !== 'string') return;
      const at = ['teams', index, 'members', position];
      if (seen.has(member)) {
        problems.push({ at, message: `user "${member}" is listed twice in this team`, fix: 'remove the second entry' });
      } else if (!known.has(member)) {
        const guess = closestName(member, userIds);
        problems.push({
          at,
          message: `user "${member}" does not exist`,
          fix: `${guess ? `did you mean "${guess}"? Otherwise ` : ''}add a user with id "${member}" under users:, or remove it from the team`,
        });
      }
      seen.add(member);
    });
  }
}

function checkServiceTeams(root: Record<string, unknown>, teamIds: string[], problems: SchemaProblem[]): void {
  const known = new Set(teamIds);
  for (const { index, item } of entriesOf(root.services)) {
    if (typeof item.team !== 'string' || known.has(item.team)) continue;
    const guess = closestName(item.team, teamIds);
    problems.push({
      at: ['services', index, 'team'],
      message: `team "${item.team}" does not exist`,
      fix: `${guess ? `did you mean "${guess}"? Otherwise ` : ''}add a team with id "${item.team}" under teams:, or remove team: from the service${
        teamIds.length > 0 ? ` (known teams: ${teamIds.join(', ')})` : ''
      }`,
    });
  }
}

function checkUserTimeZones(root: Record<string, unknown>, problems: SchemaProblem[]): void {
  for (const { index, item } of entriesOf(root.users)) {
    if (typeof item.timezone === 'string') checkTimeZone(item.timezone, ['users', index, 'timezone'], problems);
  }
}

function checkTimeZone(timeZone: string, at: (string | number)[], problems: SchemaProblem[]): void {
  if (isValidTimeZone(timeZone)) return;
  const guess = closestName(timeZone, Intl.supportedValuesOf('timeZone'));
  problems.push({
    at,
    message: `"${timeZone}" is not a known IANA time zone`,
    fix: `${guess ? `did you mean "${guess}"? ` : ''}use an IANA name such as Europe/London, America/New_York or UTC`,
  });
}

const CLOCK_TIME = /^(?:(?:[01]\d|2[0-3]):[0-5]\d|24:00)$/;

function checkBusinessHours(root: Record<string, unknown>, problems: SchemaProblem[]): void {
  const hours = asRecord(root.businessHours);
  if (!hours) return;
  if (typeof hours.timezone === 'string') checkTimeZone(hours.timezone, ['businessHours', 'timezone'], problems);
  const { start, end } = hours;
  if (typeof start === 'string' && typeof end === 'string' && CLOCK_TIME.test(start) && CLOCK_TIME.test(end)) {
    if (clockTimeToMs(end) <= clockTimeToMs(start)) {
      problems.push({
        at: ['businessHours', 'end'],
        message: `working hours end (${end}) is not after they start (${start})`,
        fix: 'set end later than start; working hours cannot cross midnight (use 24:00 to run until midnight)',
      });
    }
  }
  if (Array.isArray(hours.days)) {
    const seen = new Set<unknown>();
    hours.days.forEach((day: unknown, index) => {
      if (seen.has(day)) problems.push({ at: ['businessHours', 'days', index], message: `"${String(day)}" is listed twice`, fix: 'list each working day once' });
      seen.add(day);
    });
  }
  if (Array.isArray(hours.holidays)) {
    hours.holidays.forEach((holiday: unknown, index) => {
      if (typeof holiday !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(holiday)) return;
      if (!isCalendarDate(holiday)) {
        problems.push({ at: ['businessHours', 'holidays', index], message: `"${holiday}" is not a date in the calendar`, fix: 'write a real date as YYYY-MM-DD' });
      }
    });
  }
}

function isCalendarDate(text: string): boolean {
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
}
