import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import {
  formatMatcher,
  formatMatchers,
  matcherError,
  MatcherString,
  matches,
  parseMatcher,
  parseMatchers,
  type Matcher,
} from '../../../src/alerts/matchers/index.ts';
import { DomainError } from '../../../src/core/errors.ts';

const m = (name: string, op: Matcher['op'], value: string): Matcher => ({ name, op, value });

function reasonOf(parse: () => unknown): string {
  try {
    parse();
  } catch (error) {
    if (error instanceof DomainError) return (error.details as { reason: string }).reason;
    throw error;
  }
  throw new Error('expected a refusal');
}

// The cases of prometheus/alertmanager matcher/parse/parse_test.go (TestMatchers), with
// Alertmanager's answers: the same input must give the same matchers or the same error.
const ACCEPTED: Array<[string, Matcher[]]> = [
  ['', []],
  ['{}', []],
  ['{foo=bar}', [m('foo', '=', 'bar')]],
  ['{foo=bar,}', [m('foo', '=', 'bar')]],
  ['{foo!=bar}', [m('foo', '!=', 'bar')]],
  ['{foo=~[a-z]+}', [m('foo', '=~', '[a-z]+')]],
  ['{foo!~[a-z]+}', [m('foo', '!~', '[a-z]+')]],
  ['{foo=🙂}', [m('foo', '=', '🙂')]],
  ['{foo=🙂bar}', [m('foo', '=', '🙂bar')]],
  ['foo=bar', [m('foo', '=', 'bar')]],
  ['foo=bar,', [m('foo', '=', 'bar')]],
  ['foo!=bar', [m('foo', '!=', 'bar')]],
  ['foo=~[a-z]+', [m('foo', '=~', '[a-z]+')]],
  ['foo!~[a-z]+', [m('foo', '!~', '[a-z]+')]],
  ['{"foo"="bar"}', [m('foo', '=', 'bar')]],
  ['{"foo"="bar",}', [m('foo', '=', 'bar')]],
  ['{"foo"!="bar"}', [m('foo', '!=', 'bar')]],
  ['{"foo"=~"[a-z]+"}', [m('foo', '=~', '[a-z]+')]],
  ['{"foo"=~"\\\\d+"}', [m('foo', '=~', '\\d+')]],
  ['{"foo"!~"[a-z]+"}', [m('foo', '!~', '[a-z]+')]],
  ['{"foo"="🙂"}', [m('foo', '=', '🙂')]],
  ['{"foo"="\\xf0\\x9f\\x99\\x82"}', [m('foo', '=', '🙂')]],
  ['{"foo"="\\U0001f642"}', [m('foo', '=', '🙂')]],
  ['{"foo"="🙂bar"}', [m('foo', '=', '🙂bar')]],
  ['{"foo"="bar\\n"}', [m('foo', '=', 'bar\n')]],
  ['{"foo"="bar\\t"}', [m('foo', '=', 'bar\t')]],
  ['{"foo"="\\"bar\\""}', [m('foo', '=', '"bar"')]],
  ['{"foo"="bar\\\\"}', [m('foo', '=', 'bar\\')]],
  ['"foo"="bar"', [m('foo', '=', 'bar')]],
  ['"foo"="bar",', [m('foo', '=', 'bar')]],
  ['{foo=bar,bar!=baz}', [m('foo', '=', 'bar'), m('bar', '!=', 'baz')]],
  ['{foo="bar",bar!="baz"}', [m('foo', '=', 'bar'), m('bar', '!=', 'baz')]],
  ['foo=bar,bar!=baz', [m('foo', '=', 'bar'), m('bar', '!=', 'baz')]],
  ['foo="bar",bar!="baz"', [m('foo', '=', 'bar'), m('bar', '!=', 'baz')]],
  // Beyond Alertmanager's table: white space between tokens, octal escapes, a name with spaces.
  ['{ a = "b" , c =~ "d.*" }', [m('a', '=', 'b'), m('c', '=~', 'd.*')]],
  ['"a\\101"="\\u00e9"', [m('aA', '=', 'é')]],
  ['{"service name"!="web api"}', [m('service name', '!=', 'web api')]],
];

const REFUSED: Array<[string, string]> = [
  [',', '0:1: unexpected ,: expected label name'],
  ['{,}', '1:2: unexpected ,: expected label name'],
  ['{', '0:1: end of input: expected close brace'],
  ['}', '0:1: }: expected opening brace'],
  ['foo=bar}', '0:8: }: expected opening brace'],
  ['{foo=bar', '0:8: end of input: expected close brace'],
  ['{foo=:"bar"}', '6:11: unexpected "bar": expected a comma or close brace'],
  ['{foo="bar\\w"}', '5:12: "bar\\w": invalid input'],
  ['{"foo"=~"\\d+"}', '8:13: "\\d+": invalid input'],
  ['{foo=bar\\n}', '8:9: \\: invalid input: expected a comma or close brace'],
  ['{"foo"="\\xf0\\x9f"}', '7:17: "\\xf0\\x9f": invalid input'],
  // Beyond Alertmanager's table, in the same style.
  ['foo=', '0:4: end of input: expected label value'],
  ['foo', "0:3: end of input: expected an operator such as '=', '!=', '=~' or '!~'"],
  ['foo!', "3:4: unexpected end of input, expected one of '=~': expected an operator such as '=', '!=', '=~' or '!~'"],
  ['foo="bar', '4:8: "bar: missing end ": expected label value'],
  ["foo='bar'", "4:5: ': invalid input: expected label value"],
  ['a=b c=d', '4:5: unexpected c: expected a comma or close brace'],
  ['""="x"', 'the label name is empty'],
  ['a=~"(x"', 'error parsing regexp: missing closing ): `^(?:(x)$`'],
  ['a=~"x{1001}"', 'error parsing regexp: invalid repeat count: `{1001}`'],
];

describe('parseMatchers', () => {
  it.each(ACCEPTED)('reads %j as Alertmanager does', (input, expected) => {
    expect(parseMatchers(input)).toEqual(expected);
  });

  it.each(REFUSED)('refuses %j with Alertmanager’s message', (input, reason) => {
    expect(reasonOf(() => parseMatchers(input))).toBe(reason);
  });

  it('says which text was wrong in the error message', () => {
    expect(() => parseMatchers('{foo=bar')).toThrow('invalid matcher "{foo=bar": 0:8: end of input: expected close brace');
  });

  it('reads a list of texts, each holding one or more matchers', () => {
    expect(parseMatchers(['severity="critical"', 'team=~"db|infra", env!="dev"'])).toEqual([
      m('severity', '=', 'critical'),
      m('team', '=~', 'db|infra'),
      m('env', '!=', 'dev'),
    ]);
  });

  it('refuses over-long names, values, regexes and lists', () => {
    expect(reasonOf(() => parseMatchers(`${'n'.repeat(257)}="x"`))).toBe('the label name is 257 characters long, at most 256 are allowed');
    expect(reasonOf(() => parseMatchers(`a="${'v'.repeat(8193)}"`))).toBe('the value is 8193 characters long, at most 8192 are allowed');
    expect(reasonOf(() => parseMatchers(`a=~"${'v'.repeat(1001)}"`))).toBe('the regex is 1001 characters long, at most 1000 are allowed');
    expect(reasonOf(() => parseMatchers(Array.from({ length: 101 }, (_, i) => `l${i}="x"`).join(',')))).toBe('more than 100 matchers in one list');
    expect(reasonOf(() => parseMatchers(Array.from({ length: 101 }, (_, i) => `l${i}="x"`)))).toBe('too many matchers');
    expect(reasonOf(() => parseMatchers('a'.repeat(20_000)))).toBe('too long');
  });
});

describe('parseMatcher', () => {
  it('reads exactly one matcher, with or without braces', () => {
    expect(parseMatcher('{foo=bar}')).toEqual(m('foo', '=', 'bar'));
    expect(parseMatcher('severity=~"critical|page"')).toEqual(m('severity', '=~', 'critical|page'));
  });

  it('refuses none or several, as Alertmanager does', () => {
    expect(reasonOf(() => parseMatcher(''))).toBe('no matchers');
    expect(reasonOf(() => parseMatcher('{}'))).toBe('no matchers');
    expect(reasonOf(() => parseMatcher('foo=bar,bar=baz'))).toBe('expected 1 matcher, found 2');
    expect(reasonOf(() => parseMatcher('foo="\\xf0\\x9f"'))).toBe('4:14: "\\xf0\\x9f": invalid input');
  });

  it('gives plain data: equal to a literal, and JSON without the compiled regex', () => {
    const parsed = parseMatcher('team=~"db|infra"');
    expect(JSON.parse(JSON.stringify(parsed))).toEqual(m('team', '=~', 'db|infra'));
    expect(Object.keys(parsed)).toEqual(['name', 'op', 'value']);
  });
});

describe('matches', () => {
  const labels = { alertname: 'DiskFull', severity: 'critical', team: 'db' };

  it('needs every matcher to hold', () => {
    expect(matches(parseMatchers('{severity="critical", team=~"db|infra"}'), labels)).toBe(true);
    expect(matches(parseMatchers('{severity="critical", team!~"db|infra"}'), labels)).toBe(false);
    expect(matches([], labels)).toBe(true);
  });

  it('anchors regexes at both ends', () => {
    expect(matches(parseMatchers('alertname=~"Disk"'), labels)).toBe(false);
    expect(matches(parseMatchers('alertname=~"Disk.*"'), labels)).toBe(true);
    expect(matches(parseMatchers('alertname=~"Disk|Full"'), labels)).toBe(false);
  });

  it('reads a missing label as the empty string', () => {
    expect(matches(parseMatchers('env=""'), labels)).toBe(true);
    expect(matches(parseMatchers('env!~".+"'), labels)).toBe(true);
    expect(matches(parseMatchers('env!="prod"'), labels)).toBe(true);
    expect(matches(parseMatchers('env=~".*"'), {})).toBe(true);
    expect(matches(parseMatchers('env="prod"'), {})).toBe(false);
  });

  it('reads only the label set’s own entries', () => {
    expect(matches(parseMatchers('constructor=""'), labels)).toBe(true);
    expect(matches(parseMatchers('toString=~".+"'), labels)).toBe(false);
    expect(matches(parseMatchers('__proto__="x"'), JSON.parse('{"__proto__":"x"}'))).toBe(true);
  });

  it('works on matchers read back from storage, and refuses a stored regex that does not compile', () => {
    const stored = JSON.parse('[{"name":"team","op":"=~","value":"db|infra"}]') as Matcher[];
    expect(matches(stored, labels)).toBe(true);
    expect(matches(stored, { team: 'web' })).toBe(false);
    expect(() => matches([m('team', '=~', '(')], labels)).toThrow(DomainError);
    expect(() => matches([Object.freeze(m('team', '=~', 'd.'))], labels)).not.toThrow();
  });
});

describe('formatMatcher', () => {
  it('writes a bare name when it can and always quotes the value', () => {
    expect(formatMatcher(m('severity', '=', 'critical'))).toBe('severity="critical"');
    expect(formatMatcher(m('service name', '!~', 'a"b\\c\nd'))).toBe('"service name"!~"a\\"b\\\\c\\nd"');
    expect(formatMatcher(m('a', '=', '\u0001\u007f'))).toBe('a="\\x01\\x7f"');
    expect(formatMatchers([m('a', '=', 'b'), m('c', '=~', 'd.*')])).toBe('{a="b",c=~"d.*"}');
  });
});

describe('MatcherString', () => {
  it('accepts one matcher and refuses what cannot be one', () => {
    for (const text of ['severity="critical"', 'team!=db', '"a b"=~"x|y"', ' a = "" ']) expect(Value.Check(MatcherString, text), text).toBe(true);
    for (const text of ['', 'a=', 'a="b', '{a="b"}', 'a=b,c=d', 'a="b" c']) expect(Value.Check(MatcherString, text), text).toBe(false);
  });

  it('leaves escapes and regexes to matcherError', () => {
    expect(Value.Check(MatcherString, 'a=~"("')).toBe(true);
    expect(matcherError('a=~"("')).toBe('invalid matcher "a=~\\"(\\"": error parsing regexp: missing closing ): `^(?:()$`');
    expect(matcherError('a=~"(x)"')).toBeNull();
  });
});
