import { invalid } from '../../core/errors.ts';
import { ALERT_LIMITS } from '../model.ts';
import { compileAnchoredRegex, RegexSyntaxError, REGEX_LIMITS, type LinearRegex } from './regex.ts';

/** One label test, as in Alertmanager: `name="value"`, `name!="value"`, `name=~"re"`, `name!~"re"`. */
export type Matcher = { name: string; op: '=' | '!=' | '=~' | '!~'; value: string };

export const MATCHER_OPERATORS = ['=', '!=', '=~', '!~'] as const;

export const MATCHER_LIMITS = {
  /** One matcher text, or one list such as `{a="b", c=~"d"}`. */
  textLength: 16_384,
  /** Matchers in one list (a silence, a route, a catalog entry). */
  matchersPerList: 100,
  nameLength: ALERT_LIMITS.labelNameLength,
  valueLength: ALERT_LIMITS.labelValueLength,
  regexLength: REGEX_LIMITS.patternLength,
} as const;

/**
 * The compiled regex rides on the matcher object itself, under a symbol that is
 * neither enumerable nor serialised: no module-level cache, and a matcher read back
 * from JSON simply compiles again on first use.
 */
const COMPILED = Symbol('compiled regex');
type CompiledMatcher = Matcher & { [COMPILED]?: LinearRegex };

/** Go's unicode.IsSpace: ASCII white space, NEL, and the Unicode space separators. */
const isSpace = (c: string) => /^[\t\n\v\f\r \u0085\p{Z}]$/u.test(c);

/** Runes that end an unquoted name or value (Alertmanager's matcher/parse lexer). */
const isReserved = (c: string) => isSpace(c) || '{}!=~,\\"\'`'.includes(c);

// ---------------------------------------------------------------------------
// Lexer: Alertmanager's UTF-8 matcher grammar, positions counted in runes.

type TokenKind = 'open' | 'close' | 'comma' | '=' | '!=' | '=~' | '!~' | 'quoted' | 'unquoted';

interface Token {
  kind: TokenKind;
  text: string;
  /** Rune columns, as in Alertmanager's messages ("0:8: …"). */
  start: number;
  end: number;
}

class MatcherSyntaxError extends Error {}

class Lexer {
  private readonly runes: string[];
  private pos = 0;

  constructor(input: string) {
    this.runes = Array.from(input);
  }

  private span(from: number, to = this.pos): string {
    return this.runes.slice(from, to).join('');
  }

  /** The next token, or null at the end of input. */
  next(): Token | null {
    while (this.pos < this.runes.length && isSpace(this.runes[this.pos]!)) this.pos++;
    if (this.pos >= this.runes.length) return null;
    const start = this.pos;
    const c = this.runes[this.pos]!;
    const token = (kind: TokenKind): Token => ({ kind, text: this.span(start), start, end: this.pos });
    if (c === '{') return (this.pos++, token('open'));
    if (c === '}') return (this.pos++, token('close'));
    if (c === ',') return (this.pos++, token('comma'));
    if (c === '=' || c === '!') {
      this.pos++;
      const after = this.runes[this.pos];
      if (c === '=') {
        if (after === '~') this.pos++;
        return token(after === '~' ? '=~' : '=');
      }
      if (after === '=' || after === '~') {
        this.pos++;
        return token(after === '=' ? '!=' : '!~');
      }
      throw this.expected(start, "=~");
    }
    if (c === '"') {
      this.pos++;
      let escaped = false;
      while (this.pos < this.runes.length) {
        const r = this.runes[this.pos]!;
        if (escaped) escaped = false;
        else if (r === '\\') escaped = true;
        else if (r === '"') break;
        this.pos++;
      }
      if (this.pos >= this.runes.length) throw new MatcherSyntaxError(`${start}:${this.pos}: ${this.span(start)}: missing end "`);
      this.pos++;
      return token('quoted');
    }
    if (!isReserved(c)) {
      while (this.pos < this.runes.length && !isReserved(this.runes[this.pos]!)) this.pos++;
      return token('unquoted');
    }
    this.pos++;
    throw new MatcherSyntaxError(`${start}:${this.pos}: ${this.span(start)}: invalid input`);
  }

  private expected(start: number, expected: string): MatcherSyntaxError {
    if (this.pos >= this.runes.length) {
      return new MatcherSyntaxError(`${start}:${this.pos}: unexpected end of input, expected one of '${expected}'`);
    }
    return new MatcherSyntaxError(`${start}:${this.pos}: ${this.span(start, this.pos)}: expected one of '${expected}'`);
  }

  get length(): number {
    return this.runes.length;
  }
}

/**
 * Reads a double-quoted string the way Go's strconv.Unquote does (Alertmanager
 * unquotes matcher text with it): \a \b \f \n \r \t \v \\ \" \xHH \ooo \uHHHH
 * \UHHHHHHHH. \x and octal escapes are bytes, which must together form valid UTF-8.
 */
function unquote(token: Token): string {
  const body = Array.from(token.text.slice(1, -1));
  const bad = () => new MatcherSyntaxError(`${token.start}:${token.end}: ${token.text}: invalid input`);
  const out: number[] = []; // UTF-8 bytes
  const pushCodePoint = (codePoint: number) => {
    if (codePoint > 0x10ffff || (codePoint >= 0xd800 && codePoint <= 0xdfff)) throw bad();
    out.push(...new TextEncoder().encode(String.fromCodePoint(codePoint)));
  };
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '\n') throw bad();
    if (c.length === 1 && c.charCodeAt(0) >= 0xd800 && c.charCodeAt(0) <= 0xdfff) throw bad();
    if (c !== '\\') {
      pushCodePoint(c.codePointAt(0)!);
      continue;
    }
    const e = body[++i];
    const hex = (count: number) => {
      const digits = body.slice(i + 1, i + 1 + count).join('');
      if (digits.length !== count || !/^[0-9A-Fa-f]+$/.test(digits)) throw bad();
      i += count;
      return parseInt(digits, 16);
    };
    switch (e) {
      case 'a': out.push(0x07); break;
      case 'b': out.push(0x08); break;
      case 'f': out.push(0x0c); break;
      case 'n': out.push(0x0a); break;
      case 'r': out.push(0x0d); break;
      case 't': out.push(0x09); break;
      case 'v': out.push(0x0b); break;
      case '\\': out.push(0x5c); break;
      case '"': out.push(0x22); break;
      case 'x': out.push(hex(2)); break;
      case 'u': pushCodePoint(hex(4)); break;
      case 'U': pushCodePoint(hex(8)); break;
      case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': {
        const digits = body.slice(i, i + 3).join('');
        if (!/^[0-7]{3}$/.test(digits)) throw bad();
        const value = parseInt(digits, 8);
        if (value > 0xff) throw bad();
        out.push(value);
        i += 2;
        break;
      }
      default:
        throw bad();
    }
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(out));
  } catch {
    throw bad();
  }
}

function textOf(token: Token): string {
  if (token.kind === 'quoted') return unquote(token);
  // Unquoted text has no escapes; a lone surrogate cannot be valid UTF-8.
  if (/\p{Cs}/u.test(token.text)) throw new MatcherSyntaxError(`${token.start}:${token.end}: ${token.text}: invalid input`);
  return token.text;
}

const OPERATOR_KINDS: readonly TokenKind[] = ['=', '!=', '=~', '!~'];

/**
 * Alertmanager's matcher/parse state machine: an optional `{`, matchers separated by
 * commas (a trailing comma is fine), the matching `}` if there was a `{`, then the end.
 */
function parseList(input: string): Matcher[] {
  const lexer = new Lexer(input);
  let lookahead: Token | null | undefined;
  /** The next token; a lexer error is reported with what the parser expected there, as Alertmanager does. */
  const peek = (expected?: string): Token | null => {
    if (lookahead !== undefined) return lookahead;
    try {
      lookahead = lexer.next();
    } catch (error) {
      if (error instanceof MatcherSyntaxError && expected) throw new MatcherSyntaxError(`${error.message}: ${expected}`);
      throw error;
    }
    return lookahead;
  };
  const take = (expected?: string) => {
    const token = peek(expected);
    lookahead = undefined;
    return token;
  };
  const unexpected = (token: Token, what: string) => new MatcherSyntaxError(`${token.start}:${token.end}: unexpected ${token.text}: ${what}`);
  const endOfInput = (what: string) => new MatcherSyntaxError(`0:${lexer.length}: end of input: ${what}`);
  const NAME = 'expected label name';
  const OPERATOR = "expected an operator such as '=', '!=', '=~' or '!~'";
  const VALUE = 'expected label value';
  const COMMA_OR_CLOSE = 'expected a comma or close brace';
  const AFTER_COMMA = 'expected a matcher or close brace after comma';
  const CLOSE = 'expected close brace';
  const END = 'expected end of input';

  const matchers: Matcher[] = [];
  const hasOpenBrace = peek()?.kind === 'open';
  if (hasOpenBrace) take();

  const finish = (): Matcher[] => {
    const token = take(hasOpenBrace ? CLOSE : END);
    if (hasOpenBrace) {
      if (token === null) throw endOfInput(CLOSE);
      if (token.kind !== 'close') throw unexpected(token, CLOSE);
    } else if (token !== null) {
      if (token.kind === 'close') throw new MatcherSyntaxError(`0:${token.end}: }: expected opening brace`);
      throw unexpected(token, END);
    }
    const rest = take(END);
    if (rest !== null) throw new MatcherSyntaxError(`${rest.start}:${rest.end}: ${rest.text}: ${END}`);
    return matchers;
  };

  const first = peek();
  if (first === null || first.kind === 'close') return finish();
  for (;;) {
    const nameToken = take(NAME);
    if (nameToken === null) throw endOfInput(NAME);
    if (nameToken.kind !== 'quoted' && nameToken.kind !== 'unquoted') throw unexpected(nameToken, NAME);
    const name = textOf(nameToken);
    const operator = take(OPERATOR);
    if (operator === null) throw endOfInput(OPERATOR);
    if (!OPERATOR_KINDS.includes(operator.kind)) throw unexpected(operator, OPERATOR);
    const valueToken = take(VALUE);
    if (valueToken === null) throw endOfInput(VALUE);
    if (valueToken.kind !== 'quoted' && valueToken.kind !== 'unquoted') throw unexpected(valueToken, VALUE);
    matchers.push(build(name, operator.kind as Matcher['op'], textOf(valueToken)));
    if (matchers.length > MATCHER_LIMITS.matchersPerList) {
      throw new MatcherSyntaxError(`more than ${MATCHER_LIMITS.matchersPerList} matchers in one list`);
    }
    const after = peek(COMMA_OR_CLOSE);
    if (after === null || after.kind === 'close') return finish();
    if (after.kind !== 'comma') throw unexpected(after, COMMA_OR_CLOSE);
    take();
    const next = peek(AFTER_COMMA);
    if (next === null || next.kind === 'close') return finish();
    if (next.kind !== 'quoted' && next.kind !== 'unquoted') throw unexpected(next, AFTER_COMMA);
  }
}

/** Checks limits and compiles a regex once; the result carries it for `matches`. */
function build(name: string, op: Matcher['op'], value: string): Matcher {
  if (name.length === 0) throw new MatcherSyntaxError('the label name is empty');
  if (name.length > MATCHER_LIMITS.nameLength) {
    throw new MatcherSyntaxError(`the label name is ${name.length} characters long, at most ${MATCHER_LIMITS.nameLength} are allowed`);
  }
  if (value.length > MATCHER_LIMITS.valueLength) {
    throw new MatcherSyntaxError(`the value is ${value.length} characters long, at most ${MATCHER_LIMITS.valueLength} are allowed`);
  }
  const matcher: CompiledMatcher = { name, op, value };
  if (op === '=~' || op === '!~') {
    Object.defineProperty(matcher, COMPILED, { value: compileAnchoredRegex(value), enumerable: false });
  }
  return matcher;
}

function describe(input: string, error: unknown): never {
  if (error instanceof MatcherSyntaxError || error instanceof RegexSyntaxError) {
    const shown = input.length > 200 ? `${input.slice(0, 200)}…` : input;
    throw invalid(`invalid matcher ${JSON.stringify(shown)}: ${error.message}`, { input: shown, reason: error.message });
  }
  throw error;
}

function checkLength(input: string): void {
  if (input.length > MATCHER_LIMITS.textLength) {
    throw invalid(`invalid matcher: the text is ${input.length} characters long, at most ${MATCHER_LIMITS.textLength} are allowed`, {
      reason: 'too long',
    });
  }
}

/**
 * Exactly one matcher, with or without braces: `severity="critical"`, `{team=~"db|infra"}`,
 * `job=api` (unquoted), `"label with spaces"!="x"`. Throws DomainError `invalid`
 * with Alertmanager's wording and rune positions.
 */
export function parseMatcher(text: string): Matcher {
  checkLength(text);
  let list: Matcher[];
  try {
    list = parseList(text);
  } catch (error) {
    describe(text, error);
  }
  if (list.length === 1) return list[0]!;
  const reason = list.length === 0 ? 'no matchers' : `expected 1 matcher, found ${list.length}`;
  throw invalid(`invalid matcher ${JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}…` : text)}: ${reason}`, { input: text.slice(0, 200), reason });
}

/**
 * A list of matchers, all of which must hold: one text such as `{a="b", c=~"d.*"}` or
 * `a="b",c=~"d.*"`, or an array whose strings each hold one or more matchers (as in
 * Alertmanager's `matchers:` configuration). An empty text gives an empty list.
 */
export function parseMatchers(text: string | readonly string[]): Matcher[] {
  const texts = typeof text === 'string' ? [text] : text;
  const all: Matcher[] = [];
  for (const one of texts) {
    checkLength(one);
    try {
      all.push(...parseList(one));
    } catch (error) {
      describe(one, error);
    }
    if (all.length > MATCHER_LIMITS.matchersPerList) {
      throw invalid(`invalid matchers: more than ${MATCHER_LIMITS.matchersPerList} in one list`, { reason: 'too many matchers' });
    }
  }
  return all;
}

/**
 * The regex of a `=~` / `!~` matcher: the one compiled at parse time, or (for a
 * matcher read back from storage) compiled now and kept on the object when it can be.
 */
function regexOf(matcher: CompiledMatcher): LinearRegex {
  const known = matcher[COMPILED];
  if (known) return known;
  let compiled: LinearRegex;
  try {
    compiled = compileAnchoredRegex(matcher.value);
  } catch (error) {
    describe(formatMatcher(matcher), error);
  }
  if (Object.isExtensible(matcher)) Object.defineProperty(matcher, COMPILED, { value: compiled, enumerable: false });
  return compiled;
}

/** Does one label value satisfy one matcher? */
export function matchesValue(matcher: Matcher, value: string): boolean {
  switch (matcher.op) {
    case '=':
      return value === matcher.value;
    case '!=':
      return value !== matcher.value;
    case '=~':
      return regexOf(matcher).test(value);
    case '!~':
      return !regexOf(matcher).test(value);
    default:
      throw invalid(`invalid matcher: unknown operator ${JSON.stringify(String((matcher as { op: unknown }).op))}`, { reason: 'unknown operator' });
  }
}

/**
 * True when every matcher holds (an empty list matches everything). As in Alertmanager,
 * a label that is absent reads as the empty string, so `team=""` matches alerts without a
 * team and `team!~".+"` does too.
 */
export function matches(matchers: readonly Matcher[], labels: Readonly<Record<string, string>>): boolean {
  for (const matcher of matchers) {
    // Own properties only: a label set is data, "constructor" or "__proto__" are ordinary names.
    const value = Object.hasOwn(labels, matcher.name) ? labels[matcher.name] : undefined;
    if (!matchesValue(matcher, typeof value === 'string' ? value : '')) return false;
  }
  return true;
}

/** Go's strconv.Quote-compatible quoting that Alertmanager's parser (and ours) reads back. */
function quote(text: string): string {
  let out = '"';
  for (const c of text) {
    const code = c.codePointAt(0)!;
    if (c === '"') out += '\\"';
    else if (c === '\\') out += '\\\\';
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    // A lone surrogate is not UTF-8; spell it as the replacement character, as Go would.
    else if (code >= 0xd800 && code <= 0xdfff) out += '\\ufffd';
    else out += c;
  }
  return `${out}"`;
}

/**
 * The text of one matcher, which parseMatcher reads back to an equal matcher. The
 * name is bare when it can be (`severity="critical"`), quoted otherwise; the value is
 * always quoted.
 */
export function formatMatcher(matcher: Matcher): string {
  const bare = matcher.name.length > 0 && !Array.from(matcher.name).some((c) => isReserved(c) || /\p{Cs}/u.test(c));
  return `${bare ? matcher.name : quote(matcher.name)}${matcher.op}${quote(matcher.value)}`;
}

/** `{a="b",c=~"d.*"}`, as Alertmanager prints a matcher list. */
export function formatMatchers(matchers: readonly Matcher[]): string {
  return `{${matchers.map(formatMatcher).join(',')}}`;
}
