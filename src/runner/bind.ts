import { isReservedEnvName } from '../runbooks/index.ts';

/**
 * Filling `${NAME}` references in sql, promql and http steps. The parser rewrote their
 * placeholders into such references (runbooks/README.md), and values come from the
 * environment, which holds untrusted text (alert labels, what a person typed). Here a
 * value never becomes code: SQL gets it as a psql variable read from the environment,
 * PromQL and HTTP get it escaped for exactly the place it stands in, and where no escape
 * makes it safe the step fails instead.
 */

export class BindError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BindError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

interface Reference {
  raw: string;
  name: string;
  end: number;
  braced: boolean;
  /** `${NAME:-x}` (null for none); `colon` tells `:-` (unset or empty) from `-` (unset). */
  defaultValue: string | null;
  colon: boolean;
}

/** The reference starting at `text[start]` (a `$`), if one does. */
function referenceAt(text: string, start: number): Reference | null {
  if (text[start] !== '$') return null;
  const braced = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)-([^}]*))?\}/.exec(text.slice(start, start + 4096));
  if (braced) {
    return {
      raw: braced[0],
      name: braced[1]!,
      end: start + braced[0].length,
      braced: true,
      defaultValue: braced[3] ?? null,
      colon: braced[2] === ':',
    };
  }
  const bare = /^\$([A-Za-z_][A-Za-z0-9_]*)/.exec(text.slice(start, start + 256));
  if (!bare) return null;
  return { raw: bare[0], name: bare[1]!, end: start + bare[0].length, braced: false, defaultValue: null, colon: false };
}

/**
 * The value a reference stands for, or undefined to leave its text alone. A bare `$NAME`
 * counts only for a variable that is set and is not one the shell owns: in SQL `$tag$`
 * opens a dollar-quoted string, in PromQL text `$var` may be a Grafana variable.
 */
function valueOf(reference: Reference, env: Env, text: string): string | undefined {
  const value = env[reference.name];
  if (!reference.braced) {
    if (value === undefined || isReservedEnvName(reference.name) || text[reference.end] === '$') return undefined;
    return value;
  }
  if (reference.defaultValue !== null && (value === undefined || (reference.colon && value === ''))) return reference.defaultValue;
  return value ?? '';
}

/** Splits text into literal parts and filled references. */
function pieces(text: string, env: Env): Array<{ text: string } | { value: string; reference: Reference }> {
  const parts: Array<{ text: string } | { value: string; reference: Reference }> = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    const reference = text[i] === '$' ? referenceAt(text, i) : null;
    const value = reference === null ? undefined : valueOf(reference, env, text);
    if (reference !== null && value !== undefined) {
      if (literal !== '') parts.push({ text: literal });
      literal = '';
      parts.push({ value, reference });
      i = reference.end;
    } else {
      literal += text[i];
      i += 1;
    }
  }
  if (literal !== '') parts.push({ text: literal });
  return parts;
}

// ---------------------------------------------------------------------------------------
// SQL

export interface BoundSql {
  /** What the SQL client reads on stdin. */
  script: string;
  /** Variables the script reads with \getenv. */
  env: Record<string, string>;
}

/**
 * Rewrites references into psql variables (`:'fb_param_1'`, a quoted literal) that
 * psql reads from the environment with `\getenv` (psql 15 or later). A reference inside a
 * string literal splits it into a concatenation; one that is a whole quoted identifier
 * becomes `:"fb_param_1"`. References in comments stay as they are; in a dollar-quoted
 * body or inside part of an identifier no binding is possible, and the step fails.
 */
export function bindSql(text: string, env: Env): BoundSql {
  const variables = new Map<string, { name: string; value: string }>();
  const variable = (reference: Reference, value: string): string => {
    const key = reference.raw;
    let known = variables.get(key);
    if (known === undefined) {
      known = { name: `fb_param_${variables.size + 1}`, value };
      variables.set(key, known);
    }
    return known.name;
  };
  let out = '';
  let i = 0;
  while (i < text.length) {
    const char = text[i]!;
    const next = text[i + 1];
    if (char === '-' && next === '-') {
      const end = lineEnd(text, i);
      out += text.slice(i, end);
      i = end;
    } else if (char === '/' && next === '*') {
      const end = blockCommentEnd(text, i);
      out += text.slice(i, end);
      i = end;
    } else if (char === "'") {
      const escapes = /[Ee]/.test(text[i - 1] ?? '') && !/[A-Za-z0-9_$]/.test(text[i - 2] ?? '');
      const end = stringEnd(text, i, escapes);
      const body = text.slice(i + 1, end - (text[end - 1] === "'" && end - 1 > i ? 1 : 0));
      const parts = pieces(body, env);
      if (parts.every((part) => 'text' in part)) {
        out += text.slice(i, end);
      } else {
        // E'…' keeps its prefix on every piece; the E itself was already copied.
        const prefix = escapes ? 'E' : '';
        out = escapes ? out.slice(0, -1) : out;
        const joined = parts.map((part) => ('text' in part ? `${prefix}'${part.text}'` : `:'${variable(part.reference, part.value)}'`));
        out += `(${joined.join(' || ')})`;
      }
      i = end;
    } else if (char === '"') {
      const end = identifierEnd(text, i);
      const body = text.slice(i + 1, end - 1);
      const parts = pieces(body, env);
      if (parts.every((part) => 'text' in part)) {
        out += text.slice(i, end);
      } else if (parts.length === 1 && 'value' in parts[0]!) {
        out += `:"${variable(parts[0].reference, parts[0].value)}"`;
      } else {
        throw new BindError(`cannot fill a parameter inside part of the quoted identifier "${body}"; quote the whole identifier`);
      }
      i = end;
    } else if (char === '$') {
      const tag = /^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/.exec(text.slice(i, i + 256))?.[0];
      const reference = tag === undefined ? referenceAt(text, i) : null;
      const value = reference === null ? undefined : valueOf(reference, env, text);
      if (tag !== undefined) {
        const close = text.indexOf(tag, i + tag.length);
        const end = close === -1 ? text.length : close + tag.length;
        const body = text.slice(i + tag.length, close === -1 ? text.length : close);
        if (/\$\{[A-Za-z_][A-Za-z0-9_]*(?::?-[^}]*)?\}/.test(body)) {
          throw new BindError(`cannot fill a parameter inside the dollar-quoted body ${tag}…${tag}`);
        }
        out += text.slice(i, end);
        i = end;
      } else if (reference !== null && value !== undefined) {
        out += `:'${variable(reference, value)}'`;
        i = reference.end;
      } else {
        out += char;
        i += 1;
      }
    } else {
      out += char;
      i += 1;
    }
  }
  const preamble = [...variables.values()].map(({ name }) => `\\getenv ${name} ${envNameOfVariable(name)}\n`).join('');
  const bound: Record<string, string> = {};
  for (const { name, value } of variables.values()) bound[envNameOfVariable(name)] = value;
  return { script: preamble + out, env: bound };
}

const envNameOfVariable = (name: string): string => `FIREBREAK_SQL_${name.slice(3).toUpperCase()}`;

function lineEnd(text: string, from: number): number {
  const end = text.indexOf('\n', from);
  return end === -1 ? text.length : end;
}

/** PostgreSQL block comments nest. */
function blockCommentEnd(text: string, from: number): number {
  let depth = 0;
  let i = from;
  while (i < text.length) {
    if (text.startsWith('/*', i)) {
      depth += 1;
      i += 2;
    } else if (text.startsWith('*/', i)) {
      depth -= 1;
      i += 2;
      if (depth === 0) return i;
    } else {
      i += 1;
    }
  }
  return text.length;
}

/** Index after the closing quote of the literal opening at `from` ('' is a quote; E'' also knows \'). */
function stringEnd(text: string, from: number, backslashEscapes: boolean): number {
  let i = from + 1;
  while (i < text.length) {
    const char = text[i];
    if (backslashEscapes && char === '\\') {
      i += 2;
    } else if (char === "'") {
      if (text[i + 1] === "'") i += 2;
      else return i + 1;
    } else {
      i += 1;
    }
  }
  return text.length;
}

function identifierEnd(text: string, from: number): number {
  let i = from + 1;
  while (i < text.length) {
    if (text[i] === '"') {
      if (text[i + 1] === '"') i += 2;
      else return i + 1;
    } else {
      i += 1;
    }
  }
  return text.length;
}

// ---------------------------------------------------------------------------------------
// PromQL

/** Numbers, durations (5m, 1h30m, 250ms) and names: what can stand outside quotes without changing the query's shape. */
const PROMQL_BARE_VALUE = /^(?:-?\d+(?:\.\d+)?(?:e[+-]?\d+)?|(?:\d+(?:ms|[smhdwy]))+|[A-Za-z_:][A-Za-z0-9_:]*)$/;

/** A value inside "…" or '…': PromQL strings take Go escapes, and no raw newline. */
function escapePromqlString(value: string, quote: string): string {
  return value.replace(/[\\"'\n\r]/g, (char) => {
    if (char === '\n') return '\\n';
    if (char === '\r') return '\\r';
    if (char === '\\') return '\\\\';
    return char === quote ? `\\${char}` : char;
  });
}

/**
 * Fills references in a PromQL query: inside a string the value is escaped for that
 * string; outside one it must be a number, a duration or a name, else the step fails
 * rather than let a value add selectors or operators.
 */
export function bindPromql(text: string, env: Env): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const char = text[i]!;
    if (char === '#') {
      const end = lineEnd(text, i);
      out += text.slice(i, end);
      i = end;
    } else if (char === '"' || char === "'" || char === '`') {
      const end = promqlStringEnd(text, i, char);
      const closed = text[end - 1] === char && end - 1 > i;
      const body = text.slice(i + 1, closed ? end - 1 : end);
      const filled = pieces(body, env)
        .map((part) => {
          if ('text' in part) return part.text;
          if (char !== '`') return escapePromqlString(part.value, char);
          if (part.value.includes('`')) throw new BindError(`the value of ${part.reference.name} holds a backtick and cannot go into a \`raw\` PromQL string`);
          return part.value;
        })
        .join('');
      out += `${char}${filled}${closed ? char : ''}`;
      i = end;
    } else if (char === '$') {
      const reference = referenceAt(text, i);
      const value = reference === null ? undefined : valueOf(reference, env, text);
      if (reference !== null && value !== undefined) {
        if (!PROMQL_BARE_VALUE.test(value)) {
          throw new BindError(
            `the value of ${reference.name} (${JSON.stringify(value.slice(0, 80))}) is not a number, duration or name, so it cannot stand outside quotes in a PromQL query; put ${reference.raw} inside "…"`,
          );
        }
        out += value;
        i = reference.end;
      } else {
        out += char;
        i += 1;
      }
    } else {
      out += char;
      i += 1;
    }
  }
  return out;
}

function promqlStringEnd(text: string, from: number, quote: string): number {
  let i = from + 1;
  while (i < text.length) {
    const char = text[i];
    if (char === '\\' && quote !== '`') i += 2;
    else if (char === quote) return i + 1;
    else i += 1;
  }
  return text.length;
}

// ---------------------------------------------------------------------------------------
// HTTP

export interface HttpRequestSpec {
  method: string;
  url: string;
  headers: Array<[string, string]>;
  body: string | null;
}

const COMMENT = /^\s*(?:#|\/\/)/;

/**
 * Reads an http step: `METHOD URL` (or just a URL), `Name: value` header lines, a blank
 * line and the body. A value placed in the URL is URL-encoded, except one that makes up
 * the start of the URL, which must itself be an http(s) URL (a base address); in a header
 * it may hold no line break; in a JSON or form body it is escaped for that format.
 */
export function parseHttpRequest(text: string, env: Env): HttpRequestSpec {
  const lines = text.split(/\r?\n/);
  let index = 0;
  while (index < lines.length && (lines[index]!.trim() === '' || COMMENT.test(lines[index]!))) index += 1;
  const requestLine = lines[index]?.trim();
  if (requestLine === undefined) throw new BindError('the http step has no request line (METHOD URL)');
  index += 1;
  const words = requestLine.split(/\s+/);
  const [method, target] = words.length === 1 ? ['GET', words[0]!] : [words[0]!.toUpperCase(), words[1]!];
  if (!/^[A-Z]+$/.test(method)) throw new BindError(`"${method}" is not an HTTP method; start the step with a line like GET https://…`);

  const headers: Array<[string, string]> = [];
  for (; index < lines.length; index += 1) {
    const line = lines[index]!;
    if (line.trim() === '') {
      index += 1;
      break;
    }
    if (COMMENT.test(line)) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new BindError(`"${line.trim()}" is not a header line (Name: value); separate the body with a blank line`);
    const name = line.slice(0, colon).trim();
    const value = pieces(line.slice(colon + 1).trim(), env)
      .map((part) => {
        if ('text' in part) return part.text;
        if (/[\r\n\0]/.test(part.value)) throw new BindError(`the value of ${part.reference.name} holds a line break and cannot go into the ${name} header`);
        return part.value;
      })
      .join('');
    headers.push([name, value]);
  }

  const rawBody = lines.slice(index).join('\n').replace(/\s+$/, '');
  const contentType = headers.find(([name]) => name.toLowerCase() === 'content-type')?.[1].toLowerCase() ?? '';
  const body =
    rawBody === ''
      ? null
      : pieces(rawBody, env)
          .map((part) => {
            if ('text' in part) return part.text;
            if (/[/+]json\b/.test(contentType)) return JSON.stringify(part.value).slice(1, -1);
            if (contentType.startsWith('application/x-www-form-urlencoded')) return encodeURIComponent(part.value);
            return part.value;
          })
          .join('');

  const targetParts = pieces(target, env);
  const url = targetParts
    .map((part, position) => {
      if ('text' in part) return part.text;
      if (position === 0 && /^https?:\/\/\S+$/i.test(part.value)) {
        const rest = targetParts[1];
        return rest !== undefined && 'text' in rest && rest.text.startsWith('/') ? part.value.replace(/\/+$/, '') : part.value;
      }
      return encodeURIComponent(part.value);
    })
    .join('');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new BindError(`"${url}" is not a URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new BindError(`"${url}" is not an http:// or https:// URL`);
  return { method, url: parsed.href, headers, body };
}
