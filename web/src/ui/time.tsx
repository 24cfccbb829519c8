import { useEffect, useState } from 'react';

/** Re-renders every `ms` so relative times and countdowns stay true. */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}

const localFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const timeOnly = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const utcFormat = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'long', timeZone: 'UTC' });

export const formatLocal = (iso: string): string => localFormat.format(new Date(iso));
export const formatUtc = (iso: string): string => utcFormat.format(new Date(iso));

/** `2h 5m`, `45s`, `3d 4h`: the two largest units, as a responder reads a clock. */
export function formatDuration(ms: number): string {
  let rest = Math.max(0, Math.round(Math.abs(ms) / 1000));
  const parts: string[] = [];
  for (const [unit, size] of [['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    const count = Math.floor(rest / size);
    if (count > 0 || (unit === 's' && parts.length === 0)) parts.push(`${count}${unit}`);
    rest -= count * size;
    if (parts.length === 2) break;
  }
  return parts.join(' ');
}

export function formatRelative(iso: string, now: number): string {
  const delta = new Date(iso).getTime() - now;
  if (Math.abs(delta) < 45_000) return 'just now';
  return delta < 0 ? `${formatDuration(-delta)} ago` : `in ${formatDuration(delta)}`;
}

/** A time in the viewer's own time zone, with UTC on hover (and for screen readers). */
export function Time({ at, relative = false, clock = false }: { at: string | null; relative?: boolean; clock?: boolean }) {
  const now = useNow(relative ? 15_000 : 600_000);
  if (at === null) return <span className="muted">—</span>;
  const date = new Date(at);
  // A time of day alone is enough for today; older ones need their date.
  const today = date.toDateString() === new Date(now).toDateString();
  const text = relative ? formatRelative(at, now) : clock && today ? timeOnly.format(date) : localFormat.format(date);
  return (
    <time dateTime={at} title={`${localFormat.format(date)} · ${formatUtc(at)}`}>
      {text}
    </time>
  );
}

/** `YYYY-MM-DDTHH:mm` in the viewer's zone, as <input type="datetime-local"> wants it. */
export function toLocalInput(ms: number): string {
  const date = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
