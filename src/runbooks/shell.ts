/**
 * A small reader of bash text: enough of the grammar to find where one command ends
 * and the next begins (quotes, `$(…)`, heredocs, backslash continuations, compound
 * commands), which variables a command expands, which `<placeholder>`s sit in which
 * quoting context, and what the comments say. It never executes or evaluates anything
 * and never throws: text that is not valid shell is read as far as it makes sense.
 */

/** Where a `<placeholder>` sits, which decides how it can be rewritten safely. */
export type QuoteContext = 'unquoted' | 'double' | 'single' | 'heredoc' | 'heredoc-literal' | 'comment';

export interface ShellWord {
  /** The word with its quotes removed (approximately: expansions stay as written). */
  text: string;
  start: number;
  end: number;
}

export interface ShellCommand {
  words: ShellWord[];
  /** 0-based line of the text where the command starts. */
  line: number;
  /** Nesting in if/for/while/case/{ } at the command's start: 0 is top level. */
  depth: number;
  start: number;
  end: number;
  /** What ended it: `|`, `&&`, `||`, `;`, `&`, a newline or the end of the text (''). */
  terminator: string;
}

export interface VariableUse {
  name: string;
  /** As written: `$VAR`, `${VAR:-x}`. */
  raw: string;
  line: number;
  start: number;
  /** `${VAR:-x}` / `${VAR:+x}` / `${VAR:=x}`: the command works without a value. */
  optional: boolean;
  defaultValue: string | null;
}

export interface PlaceholderUse {
  /** As written between the angle brackets. */
  name: string;
  raw: string;
  line: number;
  start: number;
  end: number;
  context: QuoteContext;
}

export interface Assignment {
  name: string;
  line: number;
  start: number;
}

export interface ShellComment {
  text: string;
  line: number;
  start: number;
  /** Nothing but blanks before it on its line. */
  ownLine: boolean;
  depth: number;
}

export interface Heredoc {
  delimiter: string;
  /** An unquoted delimiter: `$VAR` and `$(…)` in the body expand. */
  expands: boolean;
  body: string;
  /** 0-based line of the first body line. */
  line: number;
  closed: boolean;
  command: number;
}

export interface ShellLine {
  /** Nothing open at the start of this line: no quote, heredoc, continuation or compound command. */
  topLevel: boolean;
  role: 'code' | 'heredoc' | 'heredoc-end';
  /** The previous line ended with a backslash. */
  continuation: boolean;
  depth: number;
}

export interface ShellScan {
  lines: ShellLine[];
  commands: ShellCommand[];
  variables: VariableUse[];
  placeholders: PlaceholderUse[];
  assignments: Assignment[];
  comments: ShellComment[];
  heredocs: Heredoc[];
  /** A quote or `$(` still open at the end of the text. */
  unclosedQuote: boolean;
}

type Frame = 'root' | 'double' | 'single' | 'ansi' | 'subst' | 'backtick';

const OPENERS = new Set(['if', 'case', 'for', 'while', 'until', 'select', '{']);
const CLOSERS = new Set(['fi', 'esac', 'done', '}']);
/** Reserved words after which the next word is again in command position. */
const KEEP_COMMAND_POSITION = new Set(['if', 'then', 'else', 'elif', 'do', 'while', 'until', '!', 'time', '{']);
const DECLARERS = new Set(['export', 'local', 'declare', 'readonly', 'typeset']);
const READ_OPTIONS_WITH_ARGUMENT = new Set(['-p', '-t', '-d', '-n', '-N', '-u', '-i']);
const PLACEHOLDER = /^<([A-Za-z][A-Za-z0-9_-]{0,63})>/;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*/;
const OPERATOR_CHARS = new Set([';', '&', '|', '(', ')', '<', '>']);

export function scanShell(text: string): ShellScan {
  return new ShellReader(text).read();
}

class ShellReader {
  private readonly text: string;
  private readonly markupTags: Set<string>;
  private readonly result: ShellScan = {
    lines: [],
    commands: [],
    variables: [],
    placeholders: [],
    assignments: [],
    comments: [],
    heredocs: [],
    unclosedQuote: false,
  };
  private stack: Frame[] = ['root'];
  private substParens: number[] = [];
  private line = 0;
  private depth = 0;
  private continued = false;
  private commandPosition = true;
  private mode: 'none' | 'declare' | 'read' | 'loop-variable' = 'none';
  private skipNextWord = false;
  private word: { start: number; text: string } | null = null;
  private words: ShellWord[] = [];
  private commandStart = 0;
  private commandDepth = 0;
  private commandLine = 0;
  private pending: Array<{ delimiter: string; expands: boolean; stripTabs: boolean; command: number }> = [];

  constructor(text: string) {
    this.text = text;
    this.markupTags = new Set([...text.matchAll(/<\/([A-Za-z][A-Za-z0-9_-]*)>/g)].map((m) => m[1]!));
  }

  read(): ShellScan {
    const text = this.text;
    this.startLine('code');
    let i = 0;
    while (i < text.length) {
      i = this.step(i);
    }
    this.endWord(text.length);
    this.endCommand(text.length, '');
    for (const heredoc of this.pending) {
      this.result.heredocs.push({
        delimiter: heredoc.delimiter,
        expands: heredoc.expands,
        body: '',
        line: this.line + 1,
        closed: false,
        command: heredoc.command,
      });
    }
    this.result.unclosedQuote = this.stack.length > 1;
    return this.result;
  }

  private get frame(): Frame {
    return this.stack[this.stack.length - 1]!;
  }

  private startLine(role: ShellLine['role']): void {
    this.result.lines.push({
      role,
      continuation: this.continued,
      depth: this.depth,
      topLevel: role === 'code' && this.stack.length === 1 && !this.continued && this.depth === 0,
    });
  }

  /** Reads from `i` and returns where to continue. */
  private step(i: number): number {
    const text = this.text;
    const c = text[i]!;
    const frame = this.frame;

    if (c === '\n') return this.newline(i);

    if (frame === 'single') {
      if (c === "'") this.stack.pop();
      else this.placeholderAt(i, 'single');
      this.addToWord(i, c === "'" ? '' : c);
      return i + 1;
    }
    if (frame === 'ansi') {
      if (c === '\\') {
        this.addToWord(i, text.slice(i, i + 2));
        return i + 2;
      }
      if (c === "'") this.stack.pop();
      this.addToWord(i, c === "'" ? '' : c);
      return i + 1;
    }
    if (frame === 'double') {
      if (c === '\\') {
        const next = text[i + 1];
        if (next === '\n') {
          this.continued = true;
          return this.newline(i + 1, true);
        }
        this.addToWord(i, next !== undefined && '$`"\\'.includes(next) ? next : `\\${next ?? ''}`);
        return i + 2;
      }
      if (c === '"') {
        this.stack.pop();
        return i + 1;
      }
      if (c === '$') return this.dollar(i);
      if (c === '`') {
        this.stack.push('backtick');
        this.addToWord(i, c);
        return i + 1;
      }
      const placed = this.placeholderAt(i, 'double');
      if (placed > i) return placed;
      this.addToWord(i, c);
      return i + 1;
    }

    // root, subst and backtick share most of the grammar.
    if (c === '\\') {
      const next = text[i + 1];
      if (next === '\n') {
        this.continued = true;
        return this.newline(i + 1, true);
      }
      this.addToWord(i, next ?? '');
      return i + 2;
    }
    if (c === "'") {
      this.stack.push('single');
      this.addToWord(i, '');
      return i + 1;
    }
    if (c === '"') {
      this.stack.push('double');
      this.addToWord(i, '');
      return i + 1;
    }
    if (c === '$') return this.dollar(i);
    if (c === '`') {
      if (frame === 'backtick') this.stack.pop();
      else this.stack.push('backtick');
      this.addToWord(i, c);
      return i + 1;
    }
    if (frame === 'subst') {
      const top = this.substParens.length - 1;
      if (c === '(') this.substParens[top] = (this.substParens[top] ?? 0) + 1;
      if (c === ')') {
        this.substParens[top] = (this.substParens[top] ?? 0) - 1;
        if ((this.substParens[top] ?? 0) <= 0) {
          this.substParens.pop();
          this.stack.pop();
        }
      }
      const placed = c === '<' ? this.placeholderAt(i, 'unquoted') : i;
      if (placed > i) return placed;
      this.addToWord(i, c);
      return i + 1;
    }
    if (frame === 'backtick') {
      const placed = c === '<' ? this.placeholderAt(i, 'unquoted') : i;
      if (placed > i) return placed;
      this.addToWord(i, c);
      return i + 1;
    }

    // root
    if (c === ' ' || c === '\t' || c === '\r') {
      this.endWord(i);
      return i + 1;
    }
    if (c === '#' && this.word === null) return this.comment(i);
    if (c === '<') {
      const placed = this.placeholderAt(i, 'unquoted');
      if (placed > i) return placed;
      if (text[i + 1] === '(') {
        this.addToWord(i, '<(');
        this.stack.push('subst');
        this.substParens.push(1);
        return i + 2;
      }
      if (text[i + 1] === '<') return this.heredocOperator(i);
    }
    if (c === '>' && text[i + 1] === '(') {
      this.addToWord(i, '>(');
      this.stack.push('subst');
      this.substParens.push(1);
      return i + 2;
    }
    if (OPERATOR_CHARS.has(c)) return this.operator(i);
    this.addToWord(i, c);
    return i + 1;
  }

  private newline(i: number, isContinuation = false): number {
    if (!isContinuation) {
      if (this.frame === 'root') {
        this.endWord(i);
        this.endCommand(i, '\n');
      } else if (this.word !== null) {
        // A quoted string or `$(…)` that spans lines keeps its word going.
        this.word.text += '\n';
      }
      this.continued = false;
    }
    this.line += 1;
    let next = i + 1;
    if (!isContinuation && this.frame === 'root' && this.pending.length > 0) next = this.heredocBodies(next);
    if (next <= this.text.length) this.startLine('code');
    return next;
  }

  private heredocBodies(from: number): number {
    const text = this.text;
    let pos = from;
    for (const heredoc of this.pending) {
      const bodyLine = this.line;
      const body: string[] = [];
      let closed = false;
      while (pos < text.length) {
        const end = text.indexOf('\n', pos);
        const lineEnd = end === -1 ? text.length : end;
        const lineText = text.slice(pos, lineEnd);
        const candidate = heredoc.stripTabs ? lineText.replace(/^\t+/, '') : lineText;
        if (candidate.trim() === heredoc.delimiter) {
          this.startLine('heredoc-end');
          closed = true;
        } else {
          this.startLine('heredoc');
          this.bodyLine(lineText, pos, heredoc.expands);
          body.push(lineText);
        }
        pos = lineEnd + 1;
        this.line += 1;
        if (closed) break;
      }
      this.result.heredocs.push({
        delimiter: heredoc.delimiter,
        expands: heredoc.expands,
        body: body.join('\n'),
        line: bodyLine,
        closed,
        command: heredoc.command,
      });
    }
    this.pending = [];
    return pos;
  }

  private bodyLine(lineText: string, offset: number, expands: boolean): void {
    for (const match of lineText.matchAll(/<([A-Za-z][A-Za-z0-9_-]{0,63})>/g)) {
      if (this.markupTags.has(match[1]!)) continue;
      this.result.placeholders.push({
        name: match[1]!,
        raw: match[0],
        line: this.line,
        start: offset + match.index,
        end: offset + match.index + match[0].length,
        context: expands ? 'heredoc' : 'heredoc-literal',
      });
    }
    if (!expands) return;
    for (let k = 0; k < lineText.length; k += 1) {
      if (lineText[k] === '\\') {
        k += 1;
        continue;
      }
      if (lineText[k] === '$') {
        const used = this.variableAt(lineText, k, offset);
        if (used > k) k = used - 1;
      }
    }
  }

  private comment(i: number): number {
    const end = this.text.indexOf('\n', i);
    const stop = end === -1 ? this.text.length : end;
    const lineStart = this.text.lastIndexOf('\n', i - 1) + 1;
    const ownLine = this.text.slice(lineStart, i).trim() === '' && this.result.lines[this.line]?.continuation !== true;
    this.result.comments.push({
      text: this.text.slice(i + 1, stop).trim(),
      line: this.line,
      start: i,
      ownLine,
      depth: this.depth,
    });
    for (const match of this.text.slice(i, stop).matchAll(/<([A-Za-z][A-Za-z0-9_-]{0,63})>/g)) {
      this.result.placeholders.push({
        name: match[1]!,
        raw: match[0],
        line: this.line,
        start: i + match.index,
        end: i + match.index + match[0].length,
        context: 'comment',
      });
    }
    return stop;
  }

  /** `$…` in root, subst, backtick or double-quote context. */
  private dollar(i: number): number {
    const text = this.text;
    const next = text[i + 1];
    if (next === '(') {
      this.addToWord(i, '$(');
      this.stack.push('subst');
      this.substParens.push(1);
      return i + 2;
    }
    if (next === "'" && this.frame !== 'double') {
      this.addToWord(i, '');
      this.stack.push('ansi');
      return i + 2;
    }
    const end = this.variableAt(text, i, 0);
    this.addToWord(i, text.slice(i, Math.max(end, i + 1)));
    return Math.max(end, i + 1);
  }

  /** Records the variable expanded at `text[k] === '$'`; returns the index after it. */
  private variableAt(text: string, k: number, offset: number): number {
    const next = text[k + 1];
    if (next === '{') {
      let nesting = 1;
      let j = k + 2;
      while (j < text.length && nesting > 0 && text[j] !== '\n') {
        if (text[j] === '{') nesting += 1;
        if (text[j] === '}') nesting -= 1;
        j += 1;
      }
      const inner = text.slice(k + 2, nesting === 0 ? j - 1 : j);
      const body = inner.startsWith('#') ? inner.slice(1) : inner;
      const name = IDENTIFIER.exec(body)?.[0];
      if (name !== undefined && !inner.startsWith('!')) {
        const rest = body.slice(name.length);
        const operator = /^(:?[-=+?])/.exec(rest)?.[1] ?? null;
        const optional = operator !== null && !operator.endsWith('?');
        const isDefault = operator !== null && /[-=]$/.test(operator);
        this.result.variables.push({
          name,
          raw: text.slice(k, j),
          line: this.line,
          start: offset + k,
          optional,
          defaultValue: isDefault ? rest.slice(operator!.length) : null,
        });
        if (operator !== null) {
          for (const nested of rest.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)) {
            this.result.variables.push({
              name: nested[1]!,
              raw: nested[0],
              line: this.line,
              start: offset + k,
              optional: false,
              defaultValue: null,
            });
          }
        }
      }
      return j;
    }
    const name = IDENTIFIER.exec(text.slice(k + 1, k + 200))?.[0];
    if (name === undefined) return k + (next !== undefined && /[?$!#@*\-0-9_]/.test(next) ? 2 : 1);
    this.result.variables.push({
      name,
      raw: `$${name}`,
      line: this.line,
      start: offset + k,
      optional: false,
      defaultValue: null,
    });
    return k + 1 + name.length;
  }

  /** Records a `<placeholder>` at `i` if there is one and returns the index after it (else `i`). */
  private placeholderAt(i: number, context: QuoteContext): number {
    if (this.text[i] !== '<') return i;
    const match = PLACEHOLDER.exec(this.text.slice(i, i + 80));
    if (match === null || this.markupTags.has(match[1]!)) return i;
    const end = i + match[0].length;
    this.result.placeholders.push({ name: match[1]!, raw: match[0], line: this.line, start: i, end, context });
    if (context !== 'single') this.addToWord(i, match[0]);
    return context === 'single' ? i : end;
  }

  private heredocOperator(i: number): number {
    const text = this.text;
    this.endWord(i);
    if (text[i + 2] === '<') return i + 3; // here-string
    let j = i + 2;
    let stripTabs = false;
    if (text[j] === '-') {
      stripTabs = true;
      j += 1;
    }
    while (text[j] === ' ' || text[j] === '\t') j += 1;
    let delimiter = '';
    let quoted = false;
    let quote: string | null = null;
    while (j < text.length && text[j] !== '\n') {
      const ch = text[j]!;
      if (quote !== null) {
        if (ch === quote) quote = null;
        else delimiter += ch;
      } else if (ch === "'" || ch === '"') {
        quote = ch;
        quoted = true;
      } else if (ch === '\\') {
        quoted = true;
        delimiter += text[j + 1] ?? '';
        j += 1;
      } else if (/[\s;&|<>()]/.test(ch)) {
        break;
      } else {
        delimiter += ch;
      }
      j += 1;
    }
    if (delimiter !== '') {
      this.pending.push({ delimiter, expands: !quoted, stripTabs, command: this.result.commands.length });
    }
    return j;
  }

  private operator(i: number): number {
    const text = this.text;
    const c = text[i]!;
    this.endWord(i);
    if (c === '>' || c === '<') {
      // Redirections: `2>&1`, `>>`, `<&0` belong to the command and do not end it.
      let j = i + 1;
      while (text[j] === '>' || text[j] === '&' || text[j] === '|') j += 1;
      return j;
    }
    if (c === '&' && text[i + 1] === '>') return i + 2;
    let j = i + 1;
    while (j < text.length && (text[j] === c || (c === '|' && text[j] === '&'))) j += 1;
    this.endCommand(i, text.slice(i, j));
    this.commandPosition = true;
    this.mode = 'none';
    return j;
  }

  private addToWord(i: number, chars: string): void {
    if (this.word === null) {
      this.word = { start: i, text: '' };
      if (this.words.length === 0 && this.frame === 'root') {
        this.commandStart = i;
        this.commandDepth = this.depth;
        this.commandLine = this.line;
      }
    }
    this.word.text += chars;
  }

  private endWord(i: number): void {
    if (this.word === null || this.stack.length > 1) return;
    const word = this.word;
    this.word = null;
    const value = word.text;
    if (this.words.length === 0 && this.commandPosition) {
      if (this.reservedWord(value)) return;
      const assignment = /^([A-Za-z_][A-Za-z0-9_]*)(\[[^\]]*\])?\+?=/.exec(value);
      if (assignment !== null) {
        this.assign(assignment[1]!, word.start);
        return;
      }
    }
    if (this.mode === 'loop-variable') {
      if (IDENTIFIER.exec(value)?.[0] === value) this.assign(value, word.start);
      this.mode = 'none';
    } else if (this.mode === 'declare') {
      const name = /^([A-Za-z_][A-Za-z0-9_]*)(=|$)/.exec(value)?.[1];
      if (name !== undefined) this.assign(name, word.start);
    } else if (this.mode === 'read') {
      if (this.skipNextWord) this.skipNextWord = false;
      else if (READ_OPTIONS_WITH_ARGUMENT.has(value)) this.skipNextWord = true;
      else if (IDENTIFIER.exec(value)?.[0] === value) this.assign(value, word.start);
    }
    if (this.words.length === 0) {
      if (DECLARERS.has(value)) this.mode = 'declare';
      if (value === 'read') this.mode = 'read';
    }
    this.words.push({ text: value, start: word.start, end: i });
    this.commandPosition = false;
  }

  /** Handles a reserved word in command position; returns true when it is not part of a simple command. */
  private reservedWord(value: string): boolean {
    if (OPENERS.has(value)) this.depth += 1;
    if (CLOSERS.has(value)) this.depth = Math.max(0, this.depth - 1);
    if (value === 'for' || value === 'select') {
      this.mode = 'loop-variable';
      this.commandPosition = false;
      return true;
    }
    if (value === 'case') {
      this.commandPosition = false;
      return true;
    }
    if (KEEP_COMMAND_POSITION.has(value)) {
      this.commandPosition = true;
      return true;
    }
    if (CLOSERS.has(value)) {
      this.commandPosition = false;
      return true;
    }
    return false;
  }

  private assign(name: string, start: number): void {
    this.result.assignments.push({ name, line: this.line, start });
  }

  private endCommand(i: number, terminator: string): void {
    if (this.words.length > 0) {
      this.result.commands.push({
        terminator,
        words: this.words,
        line: this.commandLine,
        depth: this.commandDepth,
        start: this.commandStart,
        end: i,
      });
    }
    this.words = [];
    this.mode = 'none';
    this.skipNextWord = false;
    this.commandPosition = true;
  }
}
