import { createHash } from 'node:crypto';
import { invalid, type DomainError } from '../../core/errors.ts';
import { ALERT_LIMITS } from '../model.ts';

/** One thing wrong with a posted payload, located by a path such as `alerts[3].labels`. */
export interface Problem {
  field: string;
  message: string;
}

/** Enough to fix a payload; a hostile one with a million mistakes gets no million-line answer. */
const MAX_REPORTED_PROBLEMS = 50;

/** Collects every problem of a payload, so the sender hears about all of them at once. */
export class Problems {
  readonly list: Problem[] = [];
  private total = 0;

  add(field: string, message: string): void {
    this.total++;
    if (this.list.length < MAX_REPORTED_PROBLEMS) this.list.push({ field, message });
  }

  get count(): number {
    return this.total;
  }

  /** `invalid Alertmanager webhook: alerts[0].labels must be an object of strings (and 2 more problems)`. */
  error(source: string): DomainError {
    const [first] = this.list;
    const more = this.total > 1 ? ` (and ${this.total - 1} more problem${this.total > 2 ? 's' : ''})` : '';
    const details: Problem[] = this.total > this.list.length
      ? [...this.list, { field: 'body', message: `has ${this.total - this.list.length} more problems not listed` }]
      : this.list;
    return invalid(`invalid ${source}: ${first ? `${first.field} ${first.message}` : 'unknown problem'}${more}`, details);
  }

  throwIfAny(source: string): void {
    if (this.total > 0) throw this.error(source);
  }
}

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An own property only: `constructor`, `__proto__` and friends are never read from a prototype. */
export function own(object: JsonObject, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

/** `alerts[3].labels` + `team` → `alerts[3].labels.team`; odd names are quoted: `labels["a.b"]`. */
export function child(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  const shown = key.length > 64 ? `${key.slice(0, 64)}…` : key;
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) return path === '' ? key : `${path}.${key}`;
  return `${path}[${JSON.stringify(shown)}]`;
}

export function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return 'text';
  return `a ${typeof value}`;
}

/** Cuts at a code point boundary and marks the cut with an ellipsis; the result is at most `max` long. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
}

export interface MapLimits {
  entries: number;
  nameLength: number;
  valueLength: number;
  /** Cut over-long values (marked with …) instead of refusing them. */
  truncateValues?: boolean;
}

export const LABEL_LIMITS: MapLimits = {
  entries: ALERT_LIMITS.labelsPerAlert,
  nameLength: ALERT_LIMITS.labelNameLength,
  valueLength: ALERT_LIMITS.labelValueLength,
};

/**
 * Annotations are prose (descriptions, runbook text) that monitoring may make
 * long; refusing the webhook would lose the alert, so a long one is cut instead.
 * Labels are identity and stay strict.
 */
export const ANNOTATION_LIMITS: MapLimits = { ...LABEL_LIMITS, truncateValues: true };

/**
 * Reads a string→string map (labels, annotations). Anything else is a problem at
 * `field`: not an object, too many entries, an empty or over-long name, a value that
 * is not a string or is too long. A label called `__proto__` stays an ordinary label
 * (an own property), as with Object.fromEntries.
 */
export function readStringMap(value: unknown, field: string, problems: Problems, limits: MapLimits = LABEL_LIMITS): Record<string, string> {
  if (!isObject(value)) {
    problems.add(field, value === undefined ? 'is missing' : `must be an object of strings, not ${describeJson(value)}`);
    return {};
  }
  const names = Object.keys(value);
  if (names.length > limits.entries) {
    problems.add(field, `has ${names.length} entries; at most ${limits.entries} are accepted`);
    return {};
  }
  const map: Record<string, string> = {};
  for (const name of names) {
    const entry = value[name];
    if (name.length === 0) problems.add(field, 'has an entry with an empty name');
    else if (name.length > limits.nameLength) {
      problems.add(field, `has a name of ${name.length} characters; at most ${limits.nameLength} are accepted`);
    } else if (typeof entry !== 'string') problems.add(child(field, name), `must be a string, not ${describeJson(entry)}`);
    else if (entry.length > limits.valueLength && limits.truncateValues) setOwn(map, name, truncate(entry, limits.valueLength));
    else if (entry.length > limits.valueLength) {
      problems.add(child(field, name), `is ${entry.length} characters long; at most ${limits.valueLength} are accepted`);
    } else setOwn(map, name, entry);
  }
  return map;
}

/** map[name] = value as an own property, also for `__proto__` (which plain assignment would take as the prototype). */
function setOwn(map: Record<string, string>, name: string, value: string): void {
  if (name === '__proto__') Object.defineProperty(map, name, { value, enumerable: true, writable: true, configurable: true });
  else map[name] = value;
}

/** An optional string field: absent or null gives null, another type is a problem. */
export function readOptionalString(object: JsonObject, key: string, field: string, problems: Problems, maxLength: number): string | null {
  const value = own(object, key);
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') {
    problems.add(field, `must be a string, not ${describeJson(value)}`);
    return null;
  }
  if (value.length > maxLength) {
    problems.add(field, `is ${value.length} characters long; at most ${maxLength} are accepted`);
    return null;
  }
  return value;
}

// ---------------------------------------------------------------------------
// Time

// RFC 3339 as Go writes it (up to nanoseconds), plus ISO 8601's "+0000" offsets that
// PagerDuty's own examples use. No local times: an offset or Z is required.
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,30}))?(?:([Zz])|([+-])(\d{2}):?(\d{2}))$/;

/** Days since 1970-01-01 of a proleptic Gregorian date; plain arithmetic, no Date quirks for year 1. */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

const daysInMonth = (year: number, month: number) =>
  month === 2 ? (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;

/** Go's zero time.Time, which Alertmanager and Grafana send for "no end yet". */
const GO_ZERO_TIME = daysFromCivil(1, 1, 1) * 86_400_000;

/**
 * Epoch milliseconds of an RFC 3339 timestamp; `null` for Go's zero time
 * (0001-01-01T00:00:00Z, meaning unset); `undefined` when the text is not a valid time.
 */
export function parseTimestamp(text: string): number | null | undefined {
  // Senders repeat the same times (every firing alert's zero endsAt, an alert's startsAt on each resend).
  const cached = timestamps.get(text);
  if (cached !== undefined) return cached === INVALID ? undefined : cached;
  const parsed = parseTimestampText(text);
  if (text.length <= 64) {
    if (timestamps.size >= MEMO_SIZE) timestamps.clear();
    timestamps.set(text, parsed === undefined ? INVALID : parsed);
  }
  return parsed;
}

/** Small memos of pure functions of short texts, emptied when full (hostile senders can only make them miss). */
const MEMO_SIZE = 4096;
const INVALID = Symbol('invalid');
const timestamps = new Map<string, number | null | typeof INVALID>();

function parseTimestampText(text: string): number | null | undefined {
  const m = TIMESTAMP.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetMinutes = 0;
  if (m[9] !== undefined) {
    const offsetHours = Number(m[10]);
    const offsetMins = Number(m[11]);
    if (offsetHours > 23 || offsetMins > 59) return undefined;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  const millis = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3));
  const epoch = daysFromCivil(year, month, day) * 86_400_000 + ((hour * 60 + minute) * 60 + second) * 1000 + millis - offsetMinutes * 60_000;
  return epoch === GO_ZERO_TIME ? null : epoch;
}

/** Reads an optional RFC 3339 field; a wrong type or format is a problem. */
export function readTimestamp(object: JsonObject, key: string, field: string, problems: Problems): number | null {
  const value = own(object, key);
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string') {
    problems.add(field, `must be an RFC 3339 time such as "2024-05-01T12:00:00Z", not ${describeJson(value)}`);
    return null;
  }
  const parsed = parseTimestamp(value);
  if (parsed === undefined) {
    problems.add(field, `must be an RFC 3339 time such as "2024-05-01T12:00:00Z", not ${JSON.stringify(truncate(value, 40))}`);
    return null;
  }
  return parsed;
}

// ---------------------------------------------------------------------------
// Links, sizes, hashes

/**
 * The URL if it is an absolute http(s) URL, else null. Alert sources send relative
 * paths, empty strings and sometimes worse (`javascript:`); a responder's browser
 * must only ever be handed a web link. Such values are dropped, never refused: a
 * page must not be lost over a link.
 */
export function safeUrl(value: string | null): string | null {
  if (value === null || value.length === 0 || value.length > 8192) return null;
  let web = webUrls.get(value);
  if (web === undefined) {
    try {
      const url = new URL(value);
      web = url.protocol === 'http:' || url.protocol === 'https:';
    } catch {
      web = false;
    }
    if (value.length <= 2048) {
      if (webUrls.size >= MEMO_SIZE) webUrls.clear();
      webUrls.set(value, web);
    }
  }
  return web ? value : null;
}

/** URL → whether it is an absolute http(s) URL; generatorURLs repeat per rule. */
const webUrls = new Map<string, boolean>();

/** Deepest nesting accepted in free-form details; JSON.stringify must never overflow the stack. */
const MAX_DEPTH = 64;

/**
 * The length of `value` as JSON, counted without serialising it, or Infinity as soon
 * as it exceeds `limit` or nests deeper than 64 levels. Cheap on hostile input: it
 * stops at the limit.
 */
export function jsonSize(value: unknown, limit: number): number {
  let size = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (depth > MAX_DEPTH) return Infinity;
    if (current === null || current === undefined) size += 4;
    else if (typeof current === 'string') size += current.length + 2;
    else if (typeof current === 'number') size += Number.isFinite(current) ? String(current).length : 4;
    else if (typeof current === 'boolean') size += 5;
    else if (Array.isArray(current)) {
      size += 2 + current.length;
      if (size > limit) return Infinity;
      for (const item of current) stack.push([item, depth + 1]);
    } else if (typeof current === 'object') {
      const keys = Object.keys(current);
      size += 2 + keys.length;
      for (const key of keys) {
        size += key.length + 3;
        if (size > limit) return Infinity;
        stack.push([(current as JsonObject)[key], depth + 1]);
      }
    } else return Infinity; // functions, symbols, bigints: not JSON
    if (size > limit) return Infinity;
  }
  return size;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** A stable identity for a label set: the same labels in any order give the same key. */
export function labelSetKey(labels: Record<string, string>): string {
  const sorted = Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return sha256Hex(JSON.stringify(sorted));
}
