/**
 * Matchers against an independent reference: formatting reads back to the same
 * matcher, and matching agrees with a plain implementation that uses JavaScript's
 * RegExp on the part of the regex language where RE2 and JavaScript mean the same.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatMatcher, formatMatchers, matches, parseMatcher, parseMatchers, type Matcher } from '../../../src/alerts/matchers/index.ts';
import { DomainError } from '../../../src/core/errors.ts';

const RUNS = { numRuns: 500 };

/** Valid UTF-16 only: a lone surrogate cannot be written as UTF-8 and is refused by design. */
const text = (options: { minLength?: number; maxLength: number }) =>
  fc.oneof(
    fc.string({ unit: 'grapheme', ...options }),
    fc.string({ unit: 'binary', ...options }).filter((s) => !/\p{Cs}/u.test(s)),
    fc.array(fc.constantFrom('"', '\\', '\n', '\t', ',', '{', '}', '=', '!', '~', "'", '`', ' ', '\u0085', '\u00a0', 'a', 'é', '😀', '\u0000', '\u007f'), {
      minLength: options.minLength ?? 0,
      maxLength: options.maxLength,
    }).map((parts) => parts.join('')),
  );

/**
 * Regexes built from constructs that RE2 and JavaScript (with the u flag) read alike
 * on this alphabet, each with a generator of strings it matches, so that both
 * answers are common (JavaScript's \\s and . differ from RE2's outside the alphabet).
 */
const ALPHABET = ['a', 'b', 'c', '-', '1', '_', '.', ' ', '\n', 'é', '😀'];
const ATOMS: Array<[string, string[]]> = [
  ['a', ['a']],
  ['b', ['b']],
  ['c', ['c']],
  ['-', ['-']],
  ['1', ['1']],
  ['é', ['é']],
  ['😀', ['😀']],
  ['.', ALPHABET.filter((c) => c !== '\n')],
  ['[ab]', ['a', 'b']],
  ['[^a]', ALPHABET.filter((c) => c !== 'a')],
  ['[a-c1]', ['a', 'b', 'c', '1']],
  ['\\d', ['1']],
  ['\\w', ['a', 'b', 'c', '1', '_']],
  ['\\s', [' ', '\n']],
  ['\\.', ['.']],
  ['[😀é]', ['😀', 'é']],
];
const QUANTIFIERS: Array<[string, number, number]> = [['*', 0, 2], ['+', 1, 2], ['?', 0, 1], ['{2}', 2, 2], ['{0,2}', 0, 2], ['{1,}', 1, 3], ['*?', 0, 2]];

type Re =
  | { kind: 'atom'; pattern: string; chars: string[] }
  | { kind: 'group'; capture: boolean; inner: Re }
  | { kind: 'repeat'; inner: Re; quantifier: string; min: number; max: number }
  | { kind: 'concat'; items: Re[] }
  | { kind: 'alternate'; items: Re[] };

const tree: fc.Arbitrary<Re> = fc.letrec<{ re: Re; atom: Re }>((tie) => ({
  atom: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(...ATOMS).map(([pattern, chars]): Re => ({ kind: 'atom', pattern, chars })),
    fc.tuple(fc.boolean(), tie('re')).map(([capture, inner]): Re => ({ kind: 'group', capture, inner })),
  ),
  re: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant<Re>({ kind: 'concat', items: [] }),
    tie('atom'),
    fc.tuple(tie('atom'), fc.constantFrom(...QUANTIFIERS)).map(([inner, [quantifier, min, max]]): Re => ({ kind: 'repeat', inner, quantifier, min, max })),
    fc.array(tie('atom'), { minLength: 2, maxLength: 4 }).map((items): Re => ({ kind: 'concat', items })),
    fc.array(tie('re'), { minLength: 2, maxLength: 3 }).map((items): Re => ({ kind: 'alternate', items })),
  ),
})).re;

function print(re: Re): string {
  switch (re.kind) {
    case 'atom':
      return re.pattern;
    case 'group':
      return `(${re.capture ? '' : '?:'}${print(re.inner)})`;
    case 'repeat':
      return print(re.inner) + re.quantifier;
    case 'concat':
      return re.items.map(print).join('');
    case 'alternate':
      return re.items.map(print).join('|');
  }
}

/** Strings that `re` matches. */
function witness(re: Re): fc.Arbitrary<string> {
  switch (re.kind) {
    case 'atom':
      return fc.constantFrom(...re.chars);
    case 'group':
      return witness(re.inner);
    case 'repeat':
      return fc.array(witness(re.inner), { minLength: re.min, maxLength: re.max }).map((parts) => parts.join(''));
    case 'concat':
      return re.items.length === 0 ? fc.constant('') : fc.tuple(...re.items.map(witness)).map((parts) => parts.join(''));
    case 'alternate':
      return fc.oneof(...re.items.map(witness));
  }
}

const regex = tree.map(print).filter((re) => re.length <= 200);
const input = fc.array(fc.constantFrom(...ALPHABET), { maxLength: 10 }).map((parts) => parts.join(''));

function referenceMatches(list: Matcher[], labels: Record<string, string>): boolean {
  return list.every(({ name, op, value }) => {
    const actual = Object.prototype.hasOwnProperty.call(labels, name) ? labels[name]! : '';
    if (op === '=') return actual === value;
    if (op === '!=') return actual !== value;
    const found = new RegExp(`^(?:${value})$`, 'u').test(actual);
    return op === '=~' ? found : !found;
  });
}

const labelName = fc.constantFrom('alertname', 'severity', 'team', 'instance');
const equalityMatcher = fc.record({ name: labelName, op: fc.constantFrom('=' as const, '!=' as const), value: input });
const regexMatcher = fc.record({ name: labelName, op: fc.constantFrom('=~' as const, '!~' as const), value: regex });
const labels = fc.dictionary(labelName, input, { maxKeys: 4 });
/** One regex matcher and labels whose value for it is, half of the time, a string it matches. */
const regexCase = fc
  .tuple(labelName, fc.constantFrom('=~' as const, '!~' as const), tree.filter((re) => print(re).length <= 200))
  .chain(([name, op, re]) =>
    fc.tuple(fc.constant<Matcher>({ name, op, value: print(re) }), fc.oneof(witness(re), input), labels).map(([matcher, value, rest]) => ({
      matcher,
      labels: { ...rest, [name]: value },
    })),
  );

describe('matchers, by property', () => {
  it('formatMatcher reads back to the same matcher, whatever the name and value', () => {
    fc.assert(
      fc.property(text({ minLength: 1, maxLength: 40 }), fc.constantFrom('=' as const, '!=' as const), text({ maxLength: 60 }), (name, op, value) => {
        const matcher = { name, op, value };
        expect(parseMatcher(formatMatcher(matcher))).toEqual(matcher);
      }),
      RUNS,
    );
  });

  it('formatMatchers reads back to the same list, regexes included', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(equalityMatcher, regexMatcher), { maxLength: 5 }), (list) => {
        expect(parseMatchers(formatMatchers(list))).toEqual(list);
      }),
      RUNS,
    );
  });

  it('matching agrees with the reference implementation', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(equalityMatcher, regexMatcher), { minLength: 1, maxLength: 3 }), labels, (list, labelSet) => {
        const parsed = parseMatchers(formatMatchers(list));
        expect(matches(parsed, labelSet)).toBe(referenceMatches(list, labelSet));
        // Matchers read back from storage (plain objects) answer the same.
        expect(matches(JSON.parse(JSON.stringify(list)) as Matcher[], labelSet)).toBe(referenceMatches(list, labelSet));
      }),
      { numRuns: 2000 },
    );
  });

  it('each regex agrees with the reference, on values it matches and values it does not', () => {
    let matched = 0;
    fc.assert(
      fc.property(regexCase, ({ matcher, labels: labelSet }) => {
        const answer = matches(parseMatchers(formatMatcher(matcher)), labelSet);
        expect(answer).toBe(referenceMatches([matcher], labelSet));
        if (answer === (matcher.op === '=~')) matched++;
      }),
      { numRuns: 3000 },
    );
    // Both answers must be well represented for the agreement to mean anything.
    expect(matched).toBeGreaterThan(600);
    expect(matched).toBeLessThan(2400);
  });

  it('refuses any text only with a DomainError', () => {
    fc.assert(
      fc.property(fc.oneof(text({ maxLength: 60 }), fc.string({ unit: 'binary', maxLength: 60 })), (input) => {
        try {
          const list = parseMatchers(input);
          for (const matcher of list) expect(typeof matches([matcher], { [matcher.name]: input })).toBe('boolean');
        } catch (error) {
          expect(error).toBeInstanceOf(DomainError);
          expect((error as DomainError).code).toBe('invalid');
        }
      }),
      RUNS,
    );
  });
});
