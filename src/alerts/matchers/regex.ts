/**
 * Alertmanager compiles `=~` / `!~` values with Go's `regexp` package (RE2 syntax,
 * guaranteed linear time). JavaScript's RegExp backtracks: `(a+)+$` against a long
 * label value sent by any alert source would block the event loop for minutes. So
 * matchers do not use RegExp at all: this file parses the RE2 syntax Go accepts and
 * runs it on a Pike VM (a set of NFA threads stepped once per character), whose cost
 * is at most characters × program size, whatever the pattern.
 *
 * Only a yes/no answer is needed, so captures, greediness and `(?U)` are parsed for
 * compatibility and otherwise ignored.
 */

/** Bounds that keep compiling and matching cheap; Go's own repeat limit is 1000. */
export const REGEX_LIMITS = {
  /** Longest `=~` / `!~` value accepted (code units). */
  patternLength: 1000,
  /** Go refuses `x{1001}` with "invalid repeat count". */
  repeatCount: 1000,
  /** Largest compiled program (instructions); Go refuses huge ones as "expression too large". */
  programSize: 5_000,
  /** Deepest nesting of groups; Go refuses deeper ones as "expression nests too deeply". */
  nesting: 200,
} as const;

export class RegexSyntaxError extends Error {
  /** `code` and `expr` as Go reports them, so a pattern Alertmanager refuses is refused here in the same words. */
  constructor(code: string, expr: string | null) {
    super(expr === null ? code : `error parsing regexp: ${code}: \`${expr}\``);
    this.name = 'RegexSyntaxError';
  }
}

/** A compiled, fully anchored pattern: `test` answers like Go's `MatchString` on `^(?:pattern)$`. */
export interface LinearRegex {
  readonly pattern: string;
  test(input: string): boolean;
}

// ---------------------------------------------------------------------------
// Syntax tree

type Assertion = 'beginText' | 'endText' | 'beginLine' | 'endLine' | 'wordBoundary' | 'notWordBoundary';

interface CharClass {
  /** Sorted, possibly overlapping, inclusive code point ranges. */
  ranges: Array<[number, number]>;
  /** Unicode property tests (\pL, \p{Greek}); each is a single-character test. */
  properties: Array<(codePoint: number) => boolean>;
  negated: boolean;
  foldCase: boolean;
}

type Node =
  | { kind: 'empty' }
  | { kind: 'class'; cls: CharClass }
  | { kind: 'any'; matchNewline: boolean }
  | { kind: 'assert'; assertion: Assertion }
  | { kind: 'concat'; items: Node[] }
  | { kind: 'alternate'; items: Node[] }
  | { kind: 'repeat'; item: Node; min: number; max: number };

interface Flags {
  foldCase: boolean;
  multiLine: boolean;
  dotNewline: boolean;
}

const NEWLINE = 0x0a;
const MAX_CODE_POINT = 0x10ffff;

const PERL_CLASSES: Record<string, Array<[number, number]>> = {
  d: [[0x30, 0x39]],
  s: [[0x09, 0x0a], [0x0c, 0x0d], [0x20, 0x20]],
  w: [[0x30, 0x39], [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a]],
};

const POSIX_CLASSES: Record<string, Array<[number, number]>> = {
  alnum: [[0x30, 0x39], [0x41, 0x5a], [0x61, 0x7a]],
  alpha: [[0x41, 0x5a], [0x61, 0x7a]],
  ascii: [[0x00, 0x7f]],
  blank: [[0x09, 0x09], [0x20, 0x20]],
  cntrl: [[0x00, 0x1f], [0x7f, 0x7f]],
  digit: [[0x30, 0x39]],
  graph: [[0x21, 0x7e]],
  lower: [[0x61, 0x7a]],
  print: [[0x20, 0x7e]],
  punct: [[0x21, 0x2f], [0x3a, 0x40], [0x5b, 0x60], [0x7b, 0x7e]],
  space: [[0x09, 0x0d], [0x20, 0x20]],
  upper: [[0x41, 0x5a]],
  word: [[0x30, 0x39], [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a]],
  xdigit: [[0x30, 0x39], [0x41, 0x46], [0x61, 0x66]],
};

const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
const isOctal = (c: string | undefined) => c !== undefined && c >= '0' && c <= '7';
const isHex = (c: string | undefined) => c !== undefined && /^[0-9A-Fa-f]$/.test(c);
const isAsciiAlnum = (c: string) => /^[0-9A-Za-z]$/.test(c);
const isLoneSurrogate = (c: string) => c.length === 1 && c.charCodeAt(0) >= 0xd800 && c.charCodeAt(0) <= 0xdfff;
const codeOf = (c: string) => c.codePointAt(0) ?? 0;

/**
 * Parses RE2 syntax as Go's regexp.Compile does (Perl flags): the same constructs are
 * accepted and the same ones refused, with Go's error codes.
 */
class Parser {
  private readonly chars: string[];
  private pos = 0;
  private depth = 0;
  private readonly names = new Set<string>();

  constructor(private readonly source: string) {
    this.chars = Array.from(source);
    if (this.chars.some(isLoneSurrogate)) throw new RegexSyntaxError('invalid UTF-8', source);
  }

  parse(): Node {
    const node = this.parseAlternation({ foldCase: false, multiLine: false, dotNewline: false });
    if (this.pos < this.chars.length) {
      // Only a ')' without its '(' stops the top level early.
      throw new RegexSyntaxError('unexpected )', this.source);
    }
    return node;
  }

  private peek(offset = 0): string | undefined {
    return this.chars[this.pos + offset];
  }

  private text(from: number, to = this.pos): string {
    return this.chars.slice(from, to).join('');
  }

  private parseAlternation(flags: Flags): Node {
    const branches: Node[] = [this.parseConcat(flags)];
    while (this.peek() === '|') {
      this.pos++;
      branches.push(this.parseConcat(flags));
    }
    return branches.length === 1 ? branches[0]! : { kind: 'alternate', items: branches };
  }

  /** `flags` is the group's own state: `(?i)` changes it up to the group's `)`, across `|`. */
  private parseConcat(flags: Flags): Node {
    const items: Node[] = [];
    // Where the last item began and whether it already carries a repetition operator.
    let lastStart = -1;
    let lastRepeatStart = -1;
    for (;;) {
      const c = this.peek();
      if (c === undefined || c === '|' || c === ')') break;
      const start = this.pos;
      if (c === '*' || c === '+' || c === '?' || (c === '{' && this.repeatAhead() !== null)) {
        const { min, max } = this.parseRepeatOperator();
        const operator = this.text(start);
        const last = items[items.length - 1];
        if (last === undefined || lastStart < 0) throw new RegexSyntaxError('missing argument to repetition operator', operator);
        if (lastRepeatStart >= 0) throw new RegexSyntaxError('invalid nested repetition operator', this.text(lastRepeatStart));
        items[items.length - 1] = { kind: 'repeat', item: last, min, max };
        lastRepeatStart = start;
        continue;
      }
      const atom = this.parseAtom(flags);
      if (atom === null) {
        // A flag group such as (?i): nothing to repeat after it.
        lastStart = -1;
        lastRepeatStart = -1;
        continue;
      }
      items.push(...atom);
      lastStart = start;
      lastRepeatStart = -1;
    }
    if (items.length === 0) return { kind: 'empty' };
    return items.length === 1 ? items[0]! : { kind: 'concat', items };
  }

  /** Reads `*`, `+`, `?`, `{n}`, `{n,}`, `{n,m}` and an optional lazy `?`. */
  private parseRepeatOperator(): { min: number; max: number } {
    const start = this.pos;
    const c = this.chars[this.pos++];
    let min: number;
    let max: number;
    if (c === '*') [min, max] = [0, -1];
    else if (c === '+') [min, max] = [1, -1];
    else if (c === '?') [min, max] = [0, 1];
    else {
      const repeat = this.repeatAhead(start)!;
      this.pos = repeat.end;
      [min, max] = [repeat.min, repeat.max];
      if (min > REGEX_LIMITS.repeatCount || max > REGEX_LIMITS.repeatCount || (max >= 0 && max < min)) {
        throw new RegexSyntaxError('invalid repeat count', this.text(start));
      }
    }
    if (this.peek() === '?') this.pos++;
    return { min, max };
  }

  /** `{n}`, `{n,}` or `{n,m}` at `from`, or null: then `{` is a literal, as in Go. */
  private repeatAhead(from = this.pos): { min: number; max: number; end: number } | null {
    let i = from + 1;
    const digits = () => {
      const begin = i;
      while (isDigit(this.chars[i])) i++;
      // Counts far beyond the limit must not lose precision before they are refused.
      return i === begin ? null : Math.min(Number(this.chars.slice(begin, Math.min(i, begin + 8)).join('')), Number.MAX_SAFE_INTEGER);
    };
    const min = digits();
    if (min === null) return null;
    let max = min;
    if (this.chars[i] === ',') {
      i++;
      if (this.chars[i] === '}') max = -1;
      else {
        const upper = digits();
        if (upper === null) return null;
        max = upper;
      }
    }
    if (this.chars[i] !== '}') return null;
    return { min, max, end: i + 1 };
  }

  /** One atom, as a list (\Q…\E yields several literals); null for a flag group. */
  private parseAtom(flags: Flags): Node[] | null {
    const c = this.chars[this.pos]!;
    switch (c) {
      case '(':
        return this.parseGroup(flags);
      case '[':
        return [{ kind: 'class', cls: this.parseClass(flags) }];
      case '.':
        this.pos++;
        return [{ kind: 'any', matchNewline: flags.dotNewline }];
      case '^':
        this.pos++;
        return [{ kind: 'assert', assertion: flags.multiLine ? 'beginLine' : 'beginText' }];
      case '$':
        this.pos++;
        return [{ kind: 'assert', assertion: flags.multiLine ? 'endLine' : 'endText' }];
      case '\\':
        return this.parseEscapeAtom(flags);
      default:
        this.pos++;
        return [literal(codeOf(c), flags)];
    }
  }

  private parseGroup(flags: Flags): Node[] | null {
    const start = this.pos;
    this.pos++; // (
    if (this.peek() === '?') {
      if (this.peek(1) === '<' && (this.peek(2) === '=' || this.peek(2) === '!')) {
        throw new RegexSyntaxError('invalid or unsupported Perl syntax', this.text(start, this.pos + 3));
      }
      const named = this.peek(1) === 'P' && this.peek(2) === '<' ? 3 : this.peek(1) === '<' ? 2 : 0;
      if (named > 0) {
        const end = this.chars.indexOf('>', this.pos + named);
        if (end < 0) throw new RegexSyntaxError('invalid named capture', this.text(start, this.chars.length));
        const name = this.text(this.pos + named, end);
        if (!/^\w+$/.test(name)) throw new RegexSyntaxError('invalid named capture', this.text(start, end + 1));
        if (this.names.has(name)) throw new RegexSyntaxError('duplicate capture group name', name);
        this.names.add(name);
        this.pos = end + 1;
        return [this.parseGroupBody({ ...flags })];
      }
      return this.parseFlags(flags, start);
    }
    return [this.parseGroupBody({ ...flags })];
  }

  private parseGroupBody(flags: Flags): Node {
    if (++this.depth > REGEX_LIMITS.nesting) throw new RegexSyntaxError('expression nests too deeply', this.source);
    const inner = this.parseAlternation(flags);
    if (this.peek() !== ')') throw new RegexSyntaxError('missing closing )', this.source);
    this.pos++;
    this.depth--;
    return inner;
  }

  /** `(?flags)` changes the enclosing group; `(?flags:re)` only `re`. */
  private parseFlags(flags: Flags, start: number): Node[] | null {
    this.pos++; // ?
    const next = { ...flags };
    let negate = false;
    let sawFlag = false;
    for (;;) {
      const c = this.chars[this.pos++];
      const bad = () => new RegexSyntaxError('invalid or unsupported Perl syntax', this.text(start, Math.min(this.pos, this.chars.length)));
      if (c === undefined) throw new RegexSyntaxError('missing closing )', this.source);
      if (c === 'i' || c === 'm' || c === 's' || c === 'U') {
        const on = !negate;
        if (c === 'i') next.foldCase = on;
        if (c === 'm') next.multiLine = on;
        if (c === 's') next.dotNewline = on;
        sawFlag = true;
        continue;
      }
      if (c === '-') {
        if (negate) throw bad();
        negate = true;
        sawFlag = false;
        continue;
      }
      if (c === ')' || c === ':') {
        // Go accepts "(?)" and "(?:" but refuses a '-' with no flag after it: "(?-)", "(?i-:".
        if (negate && !sawFlag) throw bad();
        if (c === ')') {
          Object.assign(flags, next);
          return null;
        }
        return [this.parseGroupBody(next)];
      }
      throw bad();
    }
  }

  private parseEscapeAtom(flags: Flags): Node[] {
    const start = this.pos;
    const c = this.peek(1);
    switch (c) {
      case 'A':
        this.pos += 2;
        return [{ kind: 'assert', assertion: 'beginText' }];
      case 'z':
        this.pos += 2;
        return [{ kind: 'assert', assertion: 'endText' }];
      case 'b':
        this.pos += 2;
        return [{ kind: 'assert', assertion: 'wordBoundary' }];
      case 'B':
        this.pos += 2;
        return [{ kind: 'assert', assertion: 'notWordBoundary' }];
      case 'Q': {
        this.pos += 2;
        const items: Node[] = [];
        while (this.pos < this.chars.length && !(this.peek() === '\\' && this.peek(1) === 'E')) {
          items.push(literal(codeOf(this.chars[this.pos++]!), flags));
        }
        if (this.pos < this.chars.length) this.pos += 2;
        return items;
      }
      default:
        break;
    }
    const perl = this.tryPerlClass(flags);
    if (perl) return [{ kind: 'class', cls: perl }];
    const property = this.tryUnicodeClass(flags);
    if (property) return [{ kind: 'class', cls: property }];
    this.pos = start;
    return [literal(this.parseEscape(), flags)];
  }

  /** `\d`, `\D`, `\s`, `\S`, `\w`, `\W` (ASCII, as in Go). */
  private tryPerlClass(flags: Flags): CharClass | null {
    if (this.peek() !== '\\') return null;
    const c = this.peek(1);
    if (c === undefined) return null;
    const ranges = PERL_CLASSES[c.toLowerCase()];
    if (!ranges || !'dswDSW'.includes(c)) return null;
    this.pos += 2;
    return { ranges, properties: [], negated: c !== c.toLowerCase(), foldCase: flags.foldCase };
  }

  /** `\pL`, `\p{Greek}`, `\p{^Greek}`, `\PL`. */
  private tryUnicodeClass(flags: Flags): CharClass | null {
    if (this.peek() !== '\\' || (this.peek(1) !== 'p' && this.peek(1) !== 'P')) return null;
    const start = this.pos;
    let negated = this.peek(1) === 'P';
    this.pos += 2;
    let name: string;
    if (this.peek() === '{') {
      const end = this.chars.indexOf('}', this.pos);
      if (end < 0) throw new RegexSyntaxError('invalid character class range', this.text(start, this.chars.length));
      name = this.text(this.pos + 1, end);
      this.pos = end + 1;
    } else {
      const letter = this.chars[this.pos++];
      if (letter === undefined) throw new RegexSyntaxError('invalid character class range', this.text(start));
      name = letter;
    }
    if (name.startsWith('^')) {
      negated = !negated;
      name = name.slice(1);
    }
    const test = unicodeProperty(name);
    if (!test) throw new RegexSyntaxError('invalid character class range', this.text(start));
    return { ranges: [], properties: [test], negated, foldCase: flags.foldCase };
  }

  /** One escaped character (after `\`), outside or inside a class; Go's parseEscape. */
  private parseEscape(): number {
    const start = this.pos;
    this.pos++; // backslash
    const c = this.chars[this.pos++];
    if (c === undefined) throw new RegexSyntaxError('trailing backslash at end of expression', '');
    const invalid = () => new RegexSyntaxError('invalid escape sequence', this.text(start));
    switch (c) {
      case '1': case '2': case '3': case '4': case '5': case '6': case '7':
        // A lone non-zero digit would be a backreference, which RE2 does not have.
        if (!isOctal(this.peek())) throw invalid();
      // falls through: \12 and \123 are octal
      case '0': {
        let value = codeOf(c) - 0x30;
        for (let i = 1; i < 3 && isOctal(this.peek()); i++) value = value * 8 + (codeOf(this.chars[this.pos++]!) - 0x30);
        return value;
      }
      case 'x': {
        if (this.peek() === '{') {
          this.pos++;
          let digits = '';
          while (isHex(this.peek())) digits += this.chars[this.pos++];
          if (this.peek() !== '}' || digits.length === 0) throw invalid();
          this.pos++;
          const value = parseInt(digits.slice(0, 8), 16);
          if (digits.length > 8 || value > MAX_CODE_POINT) throw invalid();
          return value;
        }
        if (!isHex(this.peek()) || !isHex(this.peek(1))) {
          this.pos = Math.min(this.pos + 2, this.chars.length);
          throw invalid();
        }
        const value = parseInt(this.text(this.pos, this.pos + 2), 16);
        this.pos += 2;
        return value;
      }
      case 'a': return 0x07;
      case 'f': return 0x0c;
      case 'n': return 0x0a;
      case 'r': return 0x0d;
      case 't': return 0x09;
      case 'v': return 0x0b;
      default:
        // Any escaped ASCII punctuation stands for itself.
        if (codeOf(c) < 0x80 && !isAsciiAlnum(c)) return codeOf(c);
        throw invalid();
    }
  }

  private parseClass(flags: Flags): CharClass {
    const start = this.pos;
    this.pos++; // [
    const cls: CharClass = { ranges: [], properties: [], negated: false, foldCase: flags.foldCase };
    if (this.peek() === '^') {
      cls.negated = true;
      this.pos++;
    }
    const unclosed = () => new RegexSyntaxError('missing closing ]', this.text(start, this.chars.length));
    let first = true; // ']' is a literal when it comes first
    while (this.peek() !== ']' || first) {
      first = false;
      if (this.peek() === undefined) throw unclosed();
      if (this.peek() === '[' && this.peek(1) === ':') {
        const named = this.tryPosixClass();
        if (named) {
          mergeClass(cls, named);
          continue;
        }
      }
      const nested = this.tryUnicodeClass(flags) ?? this.tryPerlClass(flags);
      if (nested) {
        mergeClass(cls, nested);
        continue;
      }
      const rangeStart = this.pos;
      const lo = this.parseClassChar(unclosed);
      let hi = lo;
      // "[a-]" is 'a' or '-': a '-' just before ']' is a literal.
      if (this.peek() === '-' && this.peek(1) !== undefined && this.peek(1) !== ']') {
        this.pos++;
        hi = this.parseClassChar(unclosed);
        if (hi < lo) throw new RegexSyntaxError('invalid character class range', this.text(rangeStart));
      }
      cls.ranges.push([lo, hi]);
    }
    this.pos++; // ]
    cls.ranges.sort((a, b) => a[0] - b[0]);
    return cls;
  }

  private parseClassChar(unclosed: () => RegexSyntaxError): number {
    const c = this.peek();
    if (c === undefined) throw unclosed();
    if (c === '\\') {
      if (this.peek(1) === undefined) throw unclosed();
      return this.parseEscape();
    }
    this.pos++;
    return codeOf(c);
  }

  /** `[:alpha:]` or `[:^alpha:]` inside a class; null when no `:]` follows (then `[` is literal). */
  private tryPosixClass(): CharClass | null {
    let end = -1;
    for (let i = this.pos + 2; i + 1 < this.chars.length; i++) {
      if (this.chars[i] === ':' && this.chars[i + 1] === ']') {
        end = i;
        break;
      }
    }
    if (end < 0) return null;
    let name = this.text(this.pos + 2, end);
    const whole = this.text(this.pos, end + 2);
    const negated = name.startsWith('^');
    if (negated) name = name.slice(1);
    const ranges = Object.hasOwn(POSIX_CLASSES, name) ? POSIX_CLASSES[name] : undefined;
    if (!ranges) throw new RegexSyntaxError('invalid character class range', whole);
    this.pos = end + 2;
    return { ranges, properties: [], negated, foldCase: false };
  }
}

function literal(codePoint: number, flags: Flags): Node {
  return { kind: 'class', cls: { ranges: [[codePoint, codePoint]], properties: [], negated: false, foldCase: flags.foldCase } };
}

/** Adds a nested class (`[\d\pL[:alpha:]]`) to the one being built. */
function mergeClass(into: CharClass, part: CharClass): void {
  if (!part.negated) {
    into.ranges.push(...part.ranges);
    into.properties.push(...part.properties);
    return;
  }
  const inside = makeClassTest({ ...part, negated: false, foldCase: false });
  into.properties.push((codePoint) => !inside(codePoint));
}

/** Go's \p names: general categories (L, Lu, …), scripts (Greek, Han, …) and Any. */
function unicodeProperty(name: string): ((codePoint: number) => boolean) | null {
  if (name === 'Any') return () => true;
  if (!/^[A-Za-z_]{1,40}$/.test(name)) return null;
  const expression = /^[A-Z][a-z]?$/.test(name) ? `^\\p{gc=${name}}$` : `^\\p{sc=${name}}$`;
  let property: RegExp;
  try {
    // A single-character test of a fixed property: no backtracking is possible.
    property = new RegExp(expression, 'u');
  } catch {
    return null;
  }
  return (codePoint) => property.test(String.fromCodePoint(codePoint));
}

// ---------------------------------------------------------------------------
// Character tests

/** The code points that `(?i)` treats as the same letter (simple case folding). */
function caseVariants(codePoint: number): number[] {
  const text = String.fromCodePoint(codePoint);
  const single = (s: string) => (s.length > 0 && String.fromCodePoint(codeOf(s)) === s ? codeOf(s) : null);
  const lower = single(text.toLowerCase());
  const upper = single(text.toUpperCase());
  const variants = new Set<number>([codePoint]);
  for (const v of [lower, upper]) if (v !== null) variants.add(v);
  // ſ → S → s, and similar three-way orbits.
  for (const v of [...variants]) {
    const t = String.fromCodePoint(v);
    for (const w of [single(t.toLowerCase()), single(t.toUpperCase())]) if (w !== null) variants.add(w);
  }
  return [...variants];
}

/** Code points whose case variants one pattern may add to its `(?i)` classes up front. */
const FOLD_EXPANSION_LIMIT = 8192;

function makeClassTest(cls: CharClass, foldBudget: { left: number } = { left: FOLD_EXPANSION_LIMIT }): (codePoint: number) => boolean {
  const { properties } = cls;
  let ranges = cls.ranges;
  if (cls.foldCase) {
    // Folding both the class (here) and the input (below) covers three-way orbits
    // such as s/S/ſ and k/K/K (Kelvin) without a Unicode folding table. Large ranges
    // rely on folding the input alone, which is exact for all but those orbits.
    const extra: Array<[number, number]> = [];
    for (const [lo, hi] of ranges) {
      if (hi - lo >= foldBudget.left) continue;
      foldBudget.left -= hi - lo + 1;
      for (let c = lo; c <= hi; c++) for (const v of caseVariants(c)) if (v !== c) extra.push([v, v]);
    }
    ranges = [...ranges, ...extra].sort((a, b) => a[0] - b[0]);
  }
  const contains = (codePoint: number) => {
    for (const [lo, hi] of ranges) {
      if (codePoint < lo) break;
      if (codePoint <= hi) return true;
    }
    return properties.some((test) => test(codePoint));
  };
  const member = cls.foldCase ? (codePoint: number) => caseVariants(codePoint).some(contains) : contains;
  const test = cls.negated ? (codePoint: number) => !member(codePoint) : member;
  return memoize(test);
}

/** Non-ASCII answers remembered per class; bounded, so a stream of odd inputs cannot grow it. */
const MEMO_ENTRIES = 1024;

/**
 * A class test runs once per live thread per input character: answer ASCII from a
 * table and remember recent other code points, instead of re-walking ranges and
 * re-folding case every time.
 */
function memoize(test: (codePoint: number) => boolean): (codePoint: number) => boolean {
  const ascii = new Uint8Array(128);
  for (let c = 0; c < 128; c++) ascii[c] = test(c) ? 1 : 0;
  const recent = new Map<number, boolean>();
  return (codePoint) => {
    if (codePoint < 128) return ascii[codePoint] === 1;
    let answer = recent.get(codePoint);
    if (answer === undefined) {
      answer = test(codePoint);
      if (recent.size >= MEMO_ENTRIES) recent.clear();
      recent.set(codePoint, answer);
    }
    return answer;
  };
}

const isWordChar = (codePoint: number) =>
  (codePoint >= 0x30 && codePoint <= 0x39) || (codePoint >= 0x41 && codePoint <= 0x5a) || codePoint === 0x5f || (codePoint >= 0x61 && codePoint <= 0x7a);

// ---------------------------------------------------------------------------
// Program

type Instruction =
  | { op: 'char'; test: (codePoint: number) => boolean; next: number }
  | { op: 'split'; a: number; b: number }
  | { op: 'jump'; to: number }
  | { op: 'assert'; assertion: Assertion; next: number }
  | { op: 'match' };

/** Instructions `node` compiles to, counting every repeated copy (at least one each). */
function programSize(node: Node): number {
  switch (node.kind) {
    case 'empty':
      return 0;
    case 'class':
    case 'any':
    case 'assert':
      return 1;
    case 'concat':
      return node.items.reduce((sum, item) => sum + programSize(item), 0);
    case 'alternate':
      return node.items.reduce((sum, item) => sum + programSize(item), 0) + 2 * (node.items.length - 1);
    case 'repeat': {
      const each = Math.max(1, programSize(node.item)) + 1;
      const copies = node.max < 0 ? Math.max(1, node.min) : Math.max(1, node.max);
      return each * copies + 1;
    }
  }
}

class Compiler {
  readonly program: Instruction[] = [];
  /** `x{1000}` emits x's class a thousand times: build its test once. */
  private readonly classTests = new Map<CharClass, (codePoint: number) => boolean>();
  private readonly foldBudget = { left: FOLD_EXPANSION_LIMIT };

  private classTest(cls: CharClass): (codePoint: number) => boolean {
    let test = this.classTests.get(cls);
    if (!test) {
      test = makeClassTest(cls, this.foldBudget);
      this.classTests.set(cls, test);
    }
    return test;
  }

  private emit(instruction: Instruction): number {
    this.program.push(instruction);
    return this.program.length - 1;
  }

  /** Emits `node`; every instruction's continuation is the next one emitted after it. */
  compile(node: Node): void {
    const here = () => this.program.length;
    switch (node.kind) {
      case 'empty':
        return;
      case 'class': {
        this.emit({ op: 'char', test: this.classTest(node.cls), next: here() + 1 });
        return;
      }
      case 'any': {
        const test = node.matchNewline ? () => true : (codePoint: number) => codePoint !== NEWLINE;
        this.emit({ op: 'char', test, next: here() + 1 });
        return;
      }
      case 'assert':
        this.emit({ op: 'assert', assertion: node.assertion, next: here() + 1 });
        return;
      case 'concat':
        for (const item of node.items) this.compile(item);
        return;
      case 'alternate': {
        const jumps: number[] = [];
        node.items.forEach((item, index) => {
          if (index < node.items.length - 1) {
            const split = this.emit({ op: 'split', a: here() + 1, b: -1 });
            this.compile(item);
            jumps.push(this.emit({ op: 'jump', to: -1 }));
            (this.program[split] as { b: number }).b = here();
          } else {
            this.compile(item);
          }
        });
        for (const jump of jumps) (this.program[jump] as { to: number }).to = here();
        return;
      }
      case 'repeat': {
        const { item, min, max } = node;
        if (max < 0) {
          for (let i = 0; i < min - 1; i++) this.compile(item);
          if (min === 0) {
            // L: split(body, out); body; jump L
            const loop = this.emit({ op: 'split', a: here() + 1, b: -1 });
            this.compile(item);
            this.emit({ op: 'jump', to: loop });
            (this.program[loop] as { b: number }).b = here();
          } else {
            // L: body; split(L, out)
            const loop = here();
            this.compile(item);
            this.emit({ op: 'split', a: loop, b: here() + 1 });
          }
          return;
        }
        for (let i = 0; i < min; i++) this.compile(item);
        // Each optional copy may be skipped straight to the end.
        const exits: number[] = [];
        for (let i = min; i < max; i++) {
          exits.push(this.emit({ op: 'split', a: here() + 1, b: -1 }));
          this.compile(item);
        }
        for (const exit of exits) (this.program[exit] as { b: number }).b = here();
        return;
      }
    }
  }

  finish(): Instruction[] {
    this.emit({ op: 'match' });
    return this.program;
  }
}

// ---------------------------------------------------------------------------
// Pike VM

class PikeRegex implements LinearRegex {
  private readonly marks: Uint32Array;
  private generation = 0;
  private current: Int32Array;
  private following: Int32Array;
  private readonly stack: Int32Array;

  /**
   * @param anchored the program can only match from position 0 (it starts with `^`),
   *   so no thread needs to start later and an empty thread list means "no match".
   */
  constructor(
    readonly pattern: string,
    private readonly program: Instruction[],
    private readonly anchored: boolean,
  ) {
    this.marks = new Uint32Array(program.length);
    this.current = new Int32Array(program.length);
    this.following = new Int32Array(program.length);
    // Each instruction is expanded at most once per step and pushes at most two.
    this.stack = new Int32Array(program.length * 2 + 2);
  }

  /** Go's MatchString: is there a match anywhere? The `^(?:…)$` wrapper makes that "the whole value". */
  test(input: string): boolean {
    const codePoints = toCodePoints(input);
    let generation = this.nextGeneration();
    let size = this.addThread(this.current, 0, 0, codePoints, 0, generation);
    for (let position = 0; position < codePoints.length; position++) {
      if (size < 0) return true;
      if (size === 0 && this.anchored) return false;
      const codePoint = codePoints[position]!;
      generation = this.nextGeneration();
      let nextSize = 0;
      for (let i = 0; i < size && nextSize >= 0; i++) {
        const instruction = this.program[this.current[i]!]!;
        if (instruction.op === 'char' && instruction.test(codePoint)) {
          nextSize = this.addThread(this.following, nextSize, instruction.next, codePoints, position + 1, generation);
        }
      }
      // Unanchored search: a new thread may start at every position.
      if (nextSize >= 0 && !this.anchored) nextSize = this.addThread(this.following, nextSize, 0, codePoints, position + 1, generation);
      [this.current, this.following] = [this.following, this.current];
      size = nextSize;
    }
    return size < 0;
  }

  private nextGeneration(): number {
    if (this.generation >= 0xfffffff0) {
      this.marks.fill(0);
      this.generation = 0;
    }
    return ++this.generation;
  }

  /**
   * Adds `start` and everything reachable from it without consuming a character.
   * Returns the new list size, or -1 when a match instruction is reached.
   */
  private addThread(list: Int32Array, size: number, start: number, codePoints: number[], position: number, generation: number): number {
    const stack = this.stack;
    let top = 0;
    stack[top++] = start;
    while (top > 0) {
      const pc = stack[--top]!;
      if (this.marks[pc] === generation) continue;
      this.marks[pc] = generation;
      const instruction = this.program[pc]!;
      switch (instruction.op) {
        case 'match':
          return -1;
        case 'jump':
          stack[top++] = instruction.to;
          break;
        case 'split':
          stack[top++] = instruction.b;
          stack[top++] = instruction.a;
          break;
        case 'assert':
          if (holds(instruction.assertion, codePoints, position)) stack[top++] = instruction.next;
          break;
        case 'char':
          list[size++] = pc;
          break;
      }
    }
    return size;
  }
}

function holds(assertion: Assertion, codePoints: number[], position: number): boolean {
  const before = position > 0 ? codePoints[position - 1] : undefined;
  const after = position < codePoints.length ? codePoints[position] : undefined;
  switch (assertion) {
    case 'beginText':
      return position === 0;
    case 'endText':
      return position === codePoints.length;
    case 'beginLine':
      return before === undefined || before === NEWLINE;
    case 'endLine':
      return after === undefined || after === NEWLINE;
    case 'wordBoundary':
    case 'notWordBoundary': {
      const boundary = (before !== undefined && isWordChar(before)) !== (after !== undefined && isWordChar(after));
      return assertion === 'wordBoundary' ? boundary : !boundary;
    }
  }
}

/** Code points of `input`; a lone surrogate reads as U+FFFD, as Go reads an invalid byte. */
function toCodePoints(input: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < input.length; i++) {
    const code = input.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < input.length) {
      const low = input.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        out.push((code - 0xd800) * 0x400 + (low - 0xdc00) + 0x10000);
        i++;
        continue;
      }
    }
    out.push(code >= 0xd800 && code <= 0xdfff ? 0xfffd : code);
  }
  return out;
}

/**
 * Compiles an Alertmanager `=~` value the way Alertmanager does: as the Go regexp
 * `^(?:value)$`. Throws RegexSyntaxError with Go's error code for anything Go refuses,
 * and for values longer than REGEX_LIMITS.patternLength or programs larger than
 * REGEX_LIMITS.programSize.
 */
export function compileAnchoredRegex(value: string): LinearRegex {
  if (value.length > REGEX_LIMITS.patternLength) {
    throw new RegexSyntaxError(`the regex is ${value.length} characters long, at most ${REGEX_LIMITS.patternLength} are allowed`, null);
  }
  // The same string concatenation as Alertmanager, quirks included: `a)|(b` is valid there too.
  const wrapped = `^(?:${value})$`;
  const tree = new Parser(wrapped).parse();
  if (programSize(tree) > REGEX_LIMITS.programSize) throw new RegexSyntaxError('expression too large', value);
  const compiler = new Compiler();
  compiler.compile(tree);
  const first = tree.kind === 'concat' ? tree.items[0] : tree;
  const anchored = first?.kind === 'assert' && first.assertion === 'beginText';
  return new PikeRegex(value, compiler.finish(), anchored);
}
