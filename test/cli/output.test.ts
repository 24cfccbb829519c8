import { describe, expect, it } from 'vitest';
import {
  colorEnabled,
  createStyle,
  formatAge,
  formatLocalTime,
  formatRelative,
  formatTable,
  formatWhen,
  truncate,
} from '../../src/cli/output.ts';

describe('formatTable', () => {
  it('aligns columns by the widest cell and trims trailing spaces', () => {
    const table = formatTable(['ID', 'SEV', 'TITLE'], [
      ['a', 'P1', 'Checkout down'],
      ['bbbbbb', 'P10', 'x'],
    ]);
    expect(table).toBe(['ID      SEV  TITLE', 'a       P1   Checkout down', 'bbbbbb  P10  x'].join('\n'));
  });

  it('measures coloured cells by their visible width', () => {
    const red = createStyle(true).red;
    const table = formatTable(['STATUS', 'AGE'], [[red('declared'), '3m']]);
    expect(table).toBe(`STATUS    AGE\n${red('declared')}  3m`);
  });

  it('grows a row to fit a cell that spans several lines', () => {
    expect(formatTable(null, [['12:00', 'note', 'first\nsecond'], ['12:01', 'ack', 'x']])).toBe(
      ['12:00  note  first', '             second', '12:01  ack   x'].join('\n'),
    );
  });
});

describe('times', () => {
  it('says ages coarsely, with two units at most', () => {
    expect(formatAge(45_000)).toBe('45s');
    expect(formatAge(12 * 60_000 + 59_000)).toBe('12m');
    expect(formatAge(2 * 3_600_000)).toBe('2h');
    expect(formatAge(2 * 3_600_000 + 5 * 60_000)).toBe('2h 5m');
    expect(formatAge(3 * 86_400_000 + 4 * 3_600_000)).toBe('3d 4h');
  });

  it('says whether a time is ahead or behind', () => {
    const now = Date.parse('2024-05-01T12:00:00Z');
    expect(formatRelative(now + 12 * 60_000, now)).toBe('in 12m');
    expect(formatRelative(now - 3 * 60_000, now)).toBe('3m ago');
    expect(formatRelative(now + 400, now)).toBe('now');
  });

  it('shows a UTC instant in the requested zone', () => {
    const at = Date.parse('2024-05-01T12:03:04Z');
    expect(formatLocalTime(at, { timeZone: 'UTC' })).toBe('2024-05-01 12:03:04');
    expect(formatLocalTime(at, { timeZone: 'Asia/Tokyo' })).toBe('2024-05-01 21:03:04');
    expect(formatWhen('2024-05-01T11:57:04Z', { now: at, timeZone: 'UTC' })).toBe('2024-05-01 11:57:04 UTC (6m ago)');
    expect(formatWhen(null, { now: at })).toBe('-');
  });
});

describe('colour', () => {
  it('is used only on a terminal and never with NO_COLOR', () => {
    expect(colorEnabled({ write: () => true, isTTY: true }, {})).toBe(true);
    expect(colorEnabled({ write: () => true, isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colorEnabled({ write: () => true }, {})).toBe(false);
  });

  it('leaves text untouched when off', () => {
    expect(createStyle(false).red('x')).toBe('x');
  });
});

it('truncates long titles to one line', () => {
  expect(truncate('a\nb', 10)).toBe('a b');
  expect(truncate('abcdefghijk', 5)).toBe('abcd…');
});
