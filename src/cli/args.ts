import { isDuration, parseDuration } from '../core/duration.ts';
import type { ApiClient, Query } from './client.ts';
import type { Invocation } from './command.ts';
import { CliError, EXIT, UsageError } from './errors.ts';

/**
 * Reading option values the same way in every command: required options, times
 * (`24h` ago or ISO), limits, and following list cursors.
 */

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** A string option that must be given and not blank. */
export function required(invocation: Invocation, name: string): string {
  const value = invocation.options.string(name);
  if (value === undefined || value.trim() === '') throw new UsageError(`missing --${name}`, invocation.usage);
  return value;
}

/** A declared positional; parsing has already checked that it is there, this narrows the type. */
export function arg(invocation: Invocation, name: string): string {
  const value = invocation.args[name];
  if (value === undefined) throw new UsageError(`missing ${name}`, invocation.usage);
  return value;
}

/** An ISO date or time, or a duration meaning that long before now. */
export function parseWhen(text: string, now: number): number | undefined {
  if (isDuration(text)) return now - parseDuration(text);
  return parseIsoTime(text);
}

/** An ISO date or date-time (`2024-05-01`, `2024-05-01T14:00:00Z`); undefined for anything else. */
export function parseIsoTime(text: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}/.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : at;
}

/** `--since 24h` / `--since 2024-05-01T00:00:00Z` as an ISO time for the API. */
export function optionalTime(invocation: Invocation, name: string, now: number): string | undefined {
  const text = invocation.options.string(name);
  if (text === undefined) return undefined;
  const at = parseWhen(text, now);
  if (at === undefined) {
    throw new UsageError(`--${name} '${text}' is neither an ISO time (2024-05-01T14:00:00Z) nor a duration ago (24h, 7d)`, invocation.usage);
  }
  return new Date(at).toISOString();
}

/** `--until 2024-05-01T16:00:00Z`: an absolute time only, as an ISO time for the API. */
export function optionalIsoTime(invocation: Invocation, name: string): string | undefined {
  const text = invocation.options.string(name);
  if (text === undefined) return undefined;
  const at = parseIsoTime(text);
  if (at === undefined) throw new UsageError(`--${name} '${text}' is not an ISO time such as 2024-05-01T14:00:00Z`, invocation.usage);
  return new Date(at).toISOString();
}

/** What the server accepts as a duration: `30s`, `15m`, `2h`, `1h30m`, `1.5d`, `1w`. */
const DURATION = /^(\d+(\.\d+)?(ms|s|m|h|d|w))+$/;

export function optionalDuration(invocation: Invocation, name: string): string | undefined {
  const text = invocation.options.string(name);
  if (text === undefined) return undefined;
  if (!DURATION.test(text)) throw new UsageError(`--${name} '${text}' is not a duration; write it like 30m, 2h, 1h30m or 1d`, invocation.usage);
  return text;
}

export function optionalLimit(invocation: Invocation): number | undefined {
  const text = invocation.options.string('limit');
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new UsageError(`--limit must be a positive whole number, not '${text}'`, invocation.usage);
  return Number(text);
}

/** Follows `nextCursor` until the last page; a cursor seen twice stops with an error instead of looping. */
export async function fetchAllPages<T>(client: ApiClient, path: string, query: Query): Promise<Page<T>> {
  const items: T[] = [];
  let cursor: string | undefined;
  const seen = new Set<string>();
  for (;;) {
    const page = await client.get<Page<T>>(path, { ...query, cursor });
    items.push(...page.items);
    if (!page.nextCursor) return { items, nextCursor: null };
    if (seen.has(page.nextCursor)) {
      throw new CliError(`the server returned cursor '${page.nextCursor}' twice; stopping instead of looping`, EXIT.failure);
    }
    seen.add(page.nextCursor);
    cursor = page.nextCursor;
  }
}
