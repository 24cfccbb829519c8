import { describe, expect, it } from 'vitest';
import { compileAnchoredRegex, parseMatcher, matches, REGEX_LIMITS } from '../../../src/alerts/matchers/index.ts';

const test = (pattern: string, input: string) => compileAnchoredRegex(pattern).test(input);

function errorOf(pattern: string): string {
  try {
    compileAnchoredRegex(pattern);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`expected ${pattern} to be refused`);
}

// What Go's regexp answers for `^(?:pattern)$`, the way Alertmanager compiles `=~` values.
const ANSWERS: Array<[string, string, boolean]> = [
  ['critical|page', 'critical', true],
  ['critical|page', 'criticalpage', false],
  ['crit', 'critical', false],
  ['', '', true],
  ['a|', '', true],
  ['.*', '', true],
  ['.', '\n', false],
  ['(?s).', '\n', true],
  ['.', '😀', true],
  ['..', '😀', false],
  ['[^a]', '\n', true],
  ['a{2,3}', 'aaa', true],
  ['a{2,3}', 'aaaa', false],
  ['a{2}', 'aa', true],
  ['a{2,}', 'aaaaaaa', true],
  ['a{0}b', 'b', true],
  ['a{', 'a{', true],
  ['a{,2}', 'a{,2}', true],
  ['x{1,2', 'x{1,2', true],
  ['\\d+', '2024', true],
  ['\\d+', '٣', false],
  ['\\w+', 'snake_case9', true],
  ['\\w', 'é', false],
  ['\\s', '\u00a0', false],
  ['\\S+', 'abc', true],
  ['[[:alpha:]]+', 'abcXYZ', true],
  ['[[:^digit:]]+', 'abc', true],
  ['[[:digit:][:upper:]]+', '9Z', true],
  ['[\\d\\-x]+', '1-x', true],
  ['[]a]+', ']a]', true],
  ['[^]a]', 'b', true],
  ['[a-]+', 'a-', true],
  ['\\pL+', 'héllo', true],
  ['\\p{Greek}+', 'αβγ', true],
  ['\\p{Greek}', 'a', false],
  ['\\PL', '1', true],
  ['\\p{^L}', 'a', false],
  ['(?i)critical', 'CRITICAL', true],
  ['(?i:crit)ICAL', 'CritICAL', true],
  ['(?i:crit)ICAL', 'Critical', false],
  ['(?i)[a-c]+', 'AbC', true],
  ['(?i)[^k]', 'K', false],
  ['(?i)k', '\u212a', true],
  ['(?i)ſ', 'S', true],
  ['a(?i)b|c', 'C', true],
  ['(?m)^a$', 'a', true],
  ['\\Aab\\z', 'ab', true],
  ['\\bfoo\\b', 'foo', true],
  ['a\\Bb', 'ab', true],
  ['\\Qa.b*\\E', 'a.b*', true],
  ['\\Qa.b*\\E', 'axb', false],
  ['\\x41\\x{1F642}', 'A🙂', true],
  ['\\101\\0', 'A\u0000', true],
  ['\\.\\*\\$', '.*$', true],
  ['(?P<name>a)(?<other>b)', 'ab', true],
  ['a*?b+?c??', 'abc', true],
  // Alertmanager concatenates the value into "^(?:" + value + ")$": a stray ")|(" escapes the anchors there too.
  ['a)|(b', 'ax', true],
  ['a)|(b', 'xb', true],
  ['a)|(b', 'xx', false],
];

// Go's error for each, as Alertmanager reports an invalid `=~` value.
const REFUSALS: Array<[string, string]> = [
  ['(?=x)', 'error parsing regexp: invalid or unsupported Perl syntax: `(?=`'],
  ['(?!x)', 'error parsing regexp: invalid or unsupported Perl syntax: `(?!`'],
  ['(?<=x)', 'error parsing regexp: invalid or unsupported Perl syntax: `(?<=`'],
  ['(a)\\1', 'error parsing regexp: invalid escape sequence: `\\1`'],
  ['\\8', 'error parsing regexp: invalid escape sequence: `\\8`'],
  ['\\e', 'error parsing regexp: invalid escape sequence: `\\e`'],
  ['\\Z', 'error parsing regexp: invalid escape sequence: `\\Z`'],
  ['a**', 'error parsing regexp: invalid nested repetition operator: `**`'],
  ['a+*', 'error parsing regexp: invalid nested repetition operator: `+*`'],
  ['a{2}{3}', 'error parsing regexp: invalid nested repetition operator: `{2}{3}`'],
  ['*a', 'error parsing regexp: missing argument to repetition operator: `*`'],
  ['a|+', 'error parsing regexp: missing argument to repetition operator: `+`'],
  ['x{1001}', 'error parsing regexp: invalid repeat count: `{1001}`'],
  ['x{2,1}', 'error parsing regexp: invalid repeat count: `{2,1}`'],
  ['[z-a]', 'error parsing regexp: invalid character class range: `z-a`'],
  ['[[:foo:]]', 'error parsing regexp: invalid character class range: `[:foo:]`'],
  ['\\p{Foo}', 'error parsing regexp: invalid character class range: `\\p{Foo}`'],
  ['[abc', 'error parsing regexp: missing closing ]: `[abc)$`'],
  ['(abc', 'error parsing regexp: missing closing ): `^(?:(abc)$`'],
  ['abc)', 'error parsing regexp: unexpected ): `^(?:abc))$`'],
  ['(?z)', 'error parsing regexp: invalid or unsupported Perl syntax: `(?z`'],
  ['(?i-)', 'error parsing regexp: invalid or unsupported Perl syntax: `(?i-)`'],
  ['(?P<>a)', 'error parsing regexp: invalid named capture: `(?P<>`'],
  ['(?P<n>a)(?P<n>b)', 'error parsing regexp: duplicate capture group name: `n`'],
  ['\\x{110000}', 'error parsing regexp: invalid escape sequence: `\\x{110000}`'],
  ['((a{100}){100}){100}', 'error parsing regexp: expression too large: `((a{100}){100}){100}`'],
  ['a'.repeat(REGEX_LIMITS.patternLength + 1), 'the regex is 1001 characters long, at most 1000 are allowed'],
  ['('.repeat(300) + ')'.repeat(300), `error parsing regexp: expression nests too deeply: \`^(?:${'('.repeat(300)}${')'.repeat(300)})$\``],
];

describe('compileAnchoredRegex', () => {
  it.each(ANSWERS)('%j against %j is %s, as in Go', (pattern, input, expected) => {
    expect(test(pattern, input)).toBe(expected);
  });

  it.each(REFUSALS)('refuses %j with Go’s error', (pattern, message) => {
    expect(errorOf(pattern)).toBe(message);
  });

  it('reads a lone surrogate in the input as U+FFFD, as Go reads an invalid byte', () => {
    expect(test('.', '\ud800')).toBe(true);
    expect(test('\\x{FFFD}', '\udc00')).toBe(true);
  });

  it('stays linear on patterns that make backtracking engines explode', () => {
    const value = 'a'.repeat(8192);
    const hostile = ['(a+)+', '(a|a)*b', '(a*)*b', '(.*)*x', '(a|aa)+$b', '.*.*.*.*.*x', '((a+)+)+b', '(?:a?){30}a{30}', '(x+x+)+y'];
    const started = performance.now();
    for (const pattern of hostile) compileAnchoredRegex(pattern).test(`${value}!`);
    // A backtracking engine needs centuries for some of these; linear time is milliseconds each.
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('guards silences and routes against hostile label values', () => {
    const matchers = [parseMatcher('instance=~"(a+)+$"')];
    const started = performance.now();
    expect(matches(matchers, { instance: `${'a'.repeat(8192)}b` })).toBe(false);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
