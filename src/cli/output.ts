import type { Io, OutputStream } from './io.ts';

/** ANSI styling that is a no-op when colour is off. */
export interface Style {
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
}

const ESC = '\u001b';
const ANSI = new RegExp(`${ESC}\\[[0-9;]*m`, 'g');

export function createStyle(enabled: boolean): Style {
  const wrap = (open: number, close: number) => (text: string) => (enabled ? `${ESC}[${open}m${text}${ESC}[${close}m` : text);
  return { bold: wrap(1, 22), dim: wrap(2, 22), red: wrap(31, 39), green: wrap(32, 39), yellow: wrap(33, 39), cyan: wrap(36, 39) };
}

/** Colour only for a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function colorEnabled(stream: OutputStream, env: Io['env']): boolean {
  return stream.isTTY === true && (env.NO_COLOR === undefined || env.NO_COLOR === '') && env.TERM !== 'dumb';
}

export const styleFor = (io: Io): Style => createStyle(colorEnabled(io.stdout, io.env));

export const visibleLength = (text: string): number => text.replace(ANSI, '').length;

/**
 * Aligned columns separated by two spaces. A cell may span several lines; the
 * row grows to fit it. Trailing spaces are trimmed so that output diffs cleanly.
 */
export function formatTable(headers: readonly string[] | null, rows: readonly (readonly string[])[]): string {
  const all = headers ? [headers, ...rows] : rows;
  const split = all.map((row) => row.map((cell) => cell.split('\n')));
  const widths: number[] = [];
  for (const row of split) {
    row.forEach((lines, column) => {
      widths[column] = Math.max(widths[column] ?? 0, ...lines.map(visibleLength));
    });
  }
  const out: string[] = [];
  for (const row of split) {
    const height = Math.max(1, ...row.map((lines) => lines.length));
    for (let line = 0; line < height; line += 1) {
      const cells = row.map((lines, column) => pad(lines[line] ?? '', widths[column] ?? 0));
      out.push(cells.join('  ').trimEnd());
    }
  }
  return out.join('\n');
}

const pad = (text: string, width: number): string => text + ' '.repeat(Math.max(0, width - visibleLength(text)));

export function truncate(text: string, max: number): string {
  const oneLine = text.replace(/\s*\n\s*/g, ' ');
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max - 1)}…`;
}

/** A coarse, readable length of time: `45s`, `12m`, `2h 5m`, `3d 4h`. */
export function formatAge(ms: number): string {
  const seconds = Math.floor(Math.abs(ms) / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 === 0 ? `${hours}h` : `${hours}h ${minutes % 60}m`;
  const days = Math.floor(hours / 24);
  return hours % 24 === 0 ? `${days}d` : `${days}d ${hours % 24}h`;
}

/** `in 12m`, `3m ago`, or `now` within a second. */
export function formatRelative(at: number, now: number): string {
  const diff = at - now;
  if (Math.abs(diff) < 1000) return 'now';
  return diff > 0 ? `in ${formatAge(diff)}` : `${formatAge(diff)} ago`;
}

/** `2024-05-01 14:03:12`, in the given zone (default: this machine's), optionally with the zone's name. */
export function formatLocalTime(at: number, options: { timeZone?: string; zoneName?: boolean } = {}): string {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: options.timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
    ...(options.zoneName ? { timeZoneName: 'short' as const } : {}),
  }).formatToParts(new Date(at));
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  const text = `${part('year')}-${part('month')}-${part('day')} ${part('hour')}:${part('minute')}:${part('second')}`;
  return options.zoneName ? `${text} ${part('timeZoneName')}` : text;
}

export interface TimeContext {
  readonly now: number;
  readonly timeZone?: string;
}

/** `2024-05-01 14:03:12 CEST (3m ago)`; `-` for a missing or unreadable time. */
export function formatWhen(iso: string | null | undefined, time: TimeContext): string {
  const at = parseTime(iso);
  if (at === undefined) return '-';
  return `${formatLocalTime(at, { timeZone: time.timeZone, zoneName: true })} (${formatRelative(at, time.now)})`;
}

export function parseTime(iso: string | null | undefined): number | undefined {
  if (!iso) return undefined;
  const at = Date.parse(iso);
  return Number.isNaN(at) ? undefined : at;
}

export const formatJson = (value: unknown): string => JSON.stringify(value, null, 2);

export const indent = (text: string, by = '  '): string =>
  text
    .split('\n')
    .map((line) => (line === '' ? line : by + line))
    .join('\n');

/** Control characters, and the bidirectional controls that reorder what a terminal shows. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text from outside (alert labels, annotations, summaries) shown safely in a
 * terminal: control characters, escape sequences and bidi overrides appear as
 * `\u001b`-style escapes instead of acting on the terminal or splitting a row.
 */
export const printable = (text: string): string =>
  text.replace(UNPRINTABLE, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\t') return '\\t';
    if (c === '\r') return '\\r';
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });

/** Quotes a word for a POSIX shell, for copy-and-paste examples. */
export const shellQuote = (text: string): string => (/^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`);
