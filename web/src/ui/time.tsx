import { createContext, useContext, useSyncExternalStore, type ReactNode } from 'react';

/**
 * One timer per period for the whole page, however many times and countdowns it
 * shows (a long timeline has thousands): each component subscribes to the
 * period it needs and re-renders when that period ticks.
 */
export class Ticker {
  private readonly periods = new Map<number, { now: number; listeners: Set<() => void>; timer: ReturnType<typeof setInterval> }>();
  private readonly unsubscribed = new Map<number, number>();

  subscribe(ms: number, listener: () => void): () => void {
    let period = this.periods.get(ms);
    if (!period) {
      const created = { now: this.now(ms), listeners: new Set<() => void>(), timer: setInterval(() => {
        created.now = Date.now();
        for (const notify of created.listeners) notify();
      }, ms) };
      period = created;
      this.periods.set(ms, created);
    }
    period.listeners.add(listener);
    return () => {
      period.listeners.delete(listener);
      if (period.listeners.size === 0) {
        clearInterval(period.timer);
        this.periods.delete(ms);
      }
    };
  }

  /** Stable within a period (React reads it more than once per render), fresh after it. */
  now(ms: number): number {
    const period = this.periods.get(ms);
    if (period) return period.now;
    let seen = this.unsubscribed.get(ms);
    if (seen === undefined || Date.now() - seen >= ms) {
      seen = Date.now();
      this.unsubscribed.set(ms, seen);
    }
    return seen;
  }
}

const TickerContext = createContext<Ticker | null>(null);

export function TickerProvider({ ticker, children }: { ticker: Ticker; children: ReactNode }) {
  return <TickerContext.Provider value={ticker}>{children}</TickerContext.Provider>;
}

/** The time now, renewed every `ms`, so relative times and countdowns stay true. */
export function useNow(ms = 1000): number {
  const ticker = useContext(TickerContext);
  if (!ticker) throw new Error('useNow outside a TickerProvider');
  return useSyncExternalStore(
    (listener) => ticker.subscribe(ms, listener),
    () => ticker.now(ms),
  );
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
