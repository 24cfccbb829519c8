import { invalid } from '../core/errors.ts';

/** An ISO time from a query or body field, as epoch ms; absent gives `fallback`, unreadable is a 400 naming the field. */
export function parseTimeField(value: string | undefined, field: string): number | undefined;
export function parseTimeField(value: string | undefined, field: string, fallback: number): number;
export function parseTimeField(value: string | undefined, field: string, fallback?: number): number | undefined {
  if (value === undefined) return fallback;
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw invalid(`${field} is not a time`, { field });
  return ms;
}
