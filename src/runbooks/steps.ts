/**
 * From one code fence to its steps. A fence whose top-level comments number its commands
 * (`# 1. Check …`, `# STEP 2: …`, `-- 3. …` in SQL) becomes one step per number; a
 * comment only counts as a number where nothing is open (no quote, heredoc, backslash
 * continuation, if/for/while/case or { } block), so heredocs and continuations stay whole.
 * Otherwise the fence is one step. A fence with a `name` attribute is always one step,
 * as a Runme cell is.
 */
import type { FenceAttributes } from './attributes.ts';
import { analysePlain, analyseShell, type CommandFacts } from './commands.ts';
import {
  DEFAULT_NEVER_ENDING_TIMEOUT_MS,
  type Approval,
  type DiagnosticSeverity,
  type StepKind,
  type TimeoutSource,
} from './model.ts';
import { envNameOf, isReservedEnvName, referenceFor } from './parameters.ts';
import { scanShell, type ShellScan } from './shell.ts';

export interface FenceInput {
  text: string;
  /** The kind the fence language or its attributes give. */
  kind: StepKind;
  language: string | null;
  attributes: FenceAttributes | null;
  /** Markdown line (1-based) of the fence's first content line. */
  firstLine: number;
  /** Paragraphs and blockquotes just before the fence. */
  prose: string[];
}

export interface DraftDecision {
  question: string;
  text: string;
  condition: string;
  action: string | null;
  gatesStep: boolean;
  line: number;
}

export interface DraftParameterUse {
  name: string;
  placeholder: string;
  line: number;
  required: boolean;
  defaultValue: string | null;
}

export interface DraftProblem {
  severity: DiagnosticSeverity;
  code: string;
  message: string;
  line: number;
}

export interface StepDraft {
  number: number | null;
  title: string;
  kind: StepKind;
  command: string;
  renderedCommand: string;
  line: number;
  endLine: number;
  approval: Approval;
  timeoutMs: number | null;
  timeoutSource: TimeoutSource | null;
  interactive: boolean;
  runner: string | null;
  facts: CommandFacts;
  expectedOutput: string | null;
  parameters: DraftParameterUse[];
  decisions: DraftDecision[];
  problems: DraftProblem[];
}

interface Segment {
  start: number;
  end: number;
  number: number | null;
  title: string | null;
  /** Fence line of the numbered comment. */
  titleLine: number | null;
}

const NUMBERED = /^(?:step\s+)?(\d{1,3})\s*[.):](?:\s+(.*))?$/i;
const OUTPUT_HEADER = /^(?:(?:expected|example|sample)\s+output\b|output\s*:)/i;
const APPROVAL =
  /\b(?:get|gets|obtain|need|needs|require|requires|requiring|with)\s+(?:[\w-]+\s+){0,3}?approval\b|\bapproval\s+(?:is\s+)?(?:required|needed|first)\b|\bmust\s+be\s+approved\b/i;
const NO_APPROVAL = /\b(?:no|not|without|never)\s+(?:[\w-]+\s+){0,2}?approval\b|\bapproval\s+(?:is\s+)?not\s+(?:required|needed)\b/i;
const LEADING_CONDITION = /^(?:only\s+)?(?:if|when|once|in\s+case)\s+/i;
const INNER_IF = /^(.+?)\s+if\s+(.+)$/i;
const NOT_A_DECISION_BEFORE_IF = /\b(?:check|checks|see|verify|test|determine|confirm|know|ask|find\s+out|whether|tell)\s*$/i;

export function approvalIn(text: string): string | null {
  if (!APPROVAL.test(text) || NO_APPROVAL.test(text)) return null;
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 240 ? `${flat.slice(0, 237)}...` : flat;
}

/** `If still open after 5 minutes, check external API status` → `Still open after 5 minutes?` */
export function decisionIn(text: string): Omit<DraftDecision, 'gatesStep' | 'line'> | null {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat === '' || /^(?:e\.g\.|example\b|for example\b)/i.test(flat)) return null;
  const leading = LEADING_CONDITION.exec(flat);
  if (leading !== null) {
    const rest = flat.slice(leading[0].length);
    const [condition, action] = splitAtClause(rest);
    const cleaned = condition.replace(/[.:!]+$/, '').trim();
    if (cleaned === '') return null;
    return {
      question: `${cleaned[0]!.toUpperCase()}${cleaned.slice(1)}${cleaned.endsWith('?') ? '' : '?'}`,
      text: flat,
      condition: cleaned,
      action,
    };
  }
  const inner = INNER_IF.exec(flat);
  if (inner !== null && !NOT_A_DECISION_BEFORE_IF.test(inner[1]!)) {
    const sentence = flat.replace(/[.:!]+$/, '');
    return {
      question: sentence.endsWith('?') ? sentence : `${sentence}?`,
      text: flat,
      condition: inner[2]!.replace(/[.:!]+$/, '').trim(),
      action: inner[1]!.trim(),
    };
  }
  return null;
}

/** Splits `X, Y` / `X then Y` at the first comma outside parentheses. */
function splitAtClause(text: string): [string, string | null] {
  let nesting = 0;
  for (let k = 0; k < text.length; k += 1) {
    const c = text[k];
    if (c === '(' || c === '[') nesting += 1;
    if (c === ')' || c === ']') nesting = Math.max(0, nesting - 1);
    if (c === ',' && nesting === 0) {
      const action = text.slice(k + 1).replace(/^\s*then\s+/i, '').trim();
      return [text.slice(0, k), action === '' ? null : action];
    }
  }
  const then = /^(.+?)\s+then\s+(.+)$/i.exec(text);
  if (then !== null) return [then[1]!, then[2]!.trim()];
  return [text, null];
}

function commentPrefix(kind: StepKind): RegExp {
  if (kind === 'sql') return /^\s*--\s?/;
  if (kind === 'http') return /^\s*(?:#|\/\/)\s?/;
  return /^\s*#\s?/;
}

/** Lines (0-based) where a numbered step may start, for kinds without shell grammar. */
function plainBoundaries(lines: string[], kind: StepKind): boolean[] {
  let inString = false;
  return lines.map((line) => {
    const safe = !inString;
    if (kind === 'sql') {
      const quotes = (line.replace(/--.*$/, '').match(/'/g) ?? []).length;
      if (quotes % 2 === 1) inString = !inString;
    }
    return safe;
  });
}

export function stepsFromFence(input: FenceInput): StepDraft[] {
  const lines = input.text.split('\n');
  const shellLike = input.kind === 'shell' || input.kind === 'manual';
  const fenceScan = shellLike ? scanShell(input.text) : null;
  const prefix = commentPrefix(input.kind);
  const topLevel = fenceScan
    ? fenceScan.lines.map((line) => line.topLevel)
    : plainBoundaries(lines, input.kind);

  const numbered: Segment[] = [];
  if (input.attributes?.name == null) {
    lines.forEach((line, index) => {
      if (!topLevel[index] || !prefix.test(line)) return;
      if (fenceScan && fenceScan.lines[index]?.role !== 'code') return;
      const match = NUMBERED.exec(line.replace(prefix, '').trim());
      if (match === null) return;
      numbered.push({
        start: index,
        end: lines.length,
        number: Number(match[1]),
        title: match[2]?.trim() || null,
        titleLine: index,
      });
    });
  }
  numbered.forEach((segment, index) => {
    segment.end = numbered[index + 1]?.start ?? lines.length;
  });

  const segments: Segment[] = [];
  let preamble: string[] = [];
  if (numbered.length === 0) {
    segments.push({ start: 0, end: lines.length, number: null, title: null, titleLine: null });
  } else {
    const first = numbered[0]!;
    const before = lines.slice(0, first.start);
    const hasCode = shellLike
      ? codeIn(fenceScan!, 0, first.start)
      : before.some((line) => line.trim() !== '' && !prefix.test(line));
    if (hasCode) segments.push({ start: 0, end: first.start, number: null, title: null, titleLine: null });
    else {
      preamble = before.filter((line) => prefix.test(line)).map((line) => line.replace(prefix, '').trim());
      first.start = 0;
    }
    segments.push(...numbered);
  }

  const fenceApproval =
    input.prose.map(approvalIn).find((reason) => reason !== null) ??
    preamble.map(approvalIn).find((reason) => reason !== null) ??
    null;

  const drafts: StepDraft[] = [];
  for (const segment of segments) {
    let { start, end } = segment;
    while (start < end && lines[start]!.trim() === '') start += 1;
    while (end > start && lines[end - 1]!.trim() === '') end -= 1;
    if (start >= end) continue;
    const text = lines.slice(start, end).join('\n');
    const titleLine = segment.titleLine === null ? null : segment.titleLine - start;
    const placed = { ...segment, titleLine };
    drafts.push(
      shellLike
        ? shellStep(input, placed, text, start, fenceScan!, fenceApproval)
        : plainStep(input, placed, text, start, prefix, fenceApproval),
    );
  }
  if (fenceScan?.unclosedQuote) {
    drafts[drafts.length - 1]?.problems.push({
      severity: 'warning',
      code: 'unclosed-quote',
      message: 'A quote or $( is never closed in this fence',
      line: input.firstLine + lines.length - 1,
    });
  }
  return drafts;
}

/** Each assigned name with the first line that assigns it. */
function firstAssignments(scan: ShellScan): Map<string, number> {
  const first = new Map<string, number>();
  for (const assignment of scan.assignments) {
    if (!first.has(assignment.name)) first.set(assignment.name, assignment.line);
  }
  return first;
}

function codeIn(scan: ShellScan, from: number, to: number): boolean {
  const inRange = (line: number) => line >= from && line < to;
  return scan.commands.some((c) => inRange(c.line)) || scan.assignments.some((a) => inRange(a.line));
}

interface CommentLine {
  text: string;
  raw: string;
  line: number;
}

/** Splits comment lines into expected-output blocks and the rest. */
function readComments(comments: CommentLine[]): { output: string | null; remarks: CommentLine[] } {
  const output: string[] = [];
  const remarks: CommentLine[] = [];
  let collecting = false;
  let lastLine = -2;
  for (const comment of comments) {
    if (collecting && comment.line === lastLine + 1) {
      output.push(comment.raw);
      lastLine = comment.line;
      continue;
    }
    collecting = false;
    if (OUTPUT_HEADER.test(comment.text)) {
      collecting = true;
      lastLine = comment.line;
      if (output.length > 0) output.push('');
      continue;
    }
    remarks.push(comment);
  }
  return { output: output.length > 0 ? output.join('\n') : null, remarks };
}

function firstCodeLine(text: string, prefix: RegExp): string | null {
  const line = text.split('\n').find((candidate) => candidate.trim() !== '' && !prefix.test(candidate));
  if (line === undefined) return null;
  const flat = line.trim().replace(/\s*\\$/, '');
  return flat.length > 80 ? `${flat.slice(0, 77)}...` : flat;
}

interface Common {
  kind: StepKind;
  title: string;
  approval: Approval;
  decisions: DraftDecision[];
  expectedOutput: string | null;
}

function common(
  input: FenceInput,
  segment: Segment,
  text: string,
  base: number,
  comments: CommentLine[],
  hasCode: boolean,
  fenceApproval: string | null,
  prefix: RegExp,
): Common {
  const { output, remarks } = readComments(comments);
  const titleComment = segment.titleLine !== null ? remarks.find((remark) => remark.line === segment.titleLine) : undefined;
  const title =
    input.attributes?.title ??
    segment.title ??
    (segment.number !== null ? `Step ${segment.number}` : null) ??
    remarks.find((remark) => remark.text !== '')?.text ??
    firstCodeLine(text, prefix) ??
    input.attributes?.name ??
    'Step';

  const decisions: DraftDecision[] = [];
  const remarkTexts = remarks.map((remark) => (remark === titleComment ? (segment.title ?? '') : remark.text));
  remarks.forEach((remark, index) => {
    const decision = decisionIn(remarkTexts[index]!);
    if (decision !== null) decisions.push({ ...decision, gatesStep: remark === titleComment, line: base + remark.line });
  });

  const inferred = fenceApproval ?? remarkTexts.map(approvalIn).find((reason) => reason !== null) ?? null;
  let approval: Approval = { required: inferred !== null, reason: inferred ?? '' };
  const attribute = input.attributes?.approval ?? null;
  if (attribute === true) approval = { required: true, reason: 'Fence attribute "approval": "required"' };
  if (attribute === false) {
    approval = {
      required: false,
      reason: inferred === null ? '' : `Fence attribute "approval": "none" overrides: ${inferred}`,
    };
  }
  const kind = input.attributes?.kind ?? (hasCode ? input.kind : 'manual');
  return { kind, title, approval, decisions, expectedOutput: output };
}

function limits(input: FenceInput, facts: CommandFacts) {
  const attributeTimeout = input.attributes?.timeoutMs ?? null;
  const timeoutMs = attributeTimeout ?? (facts.neverEnding.length > 0 ? DEFAULT_NEVER_ENDING_TIMEOUT_MS : null);
  const timeoutSource: TimeoutSource | null =
    attributeTimeout !== null ? 'attribute' : timeoutMs !== null ? 'never-ending-default' : null;
  const interactive = input.attributes?.interactive ?? facts.neverEnding.some((command) => command.terminal);
  return { timeoutMs, timeoutSource, interactive, runner: input.attributes?.runner ?? null };
}

function shellStep(
  input: FenceInput,
  segment: Segment,
  text: string,
  start: number,
  fenceScan: ShellScan,
  fenceApproval: string | null,
): StepDraft {
  const base = input.firstLine + start;
  const scan = scanShell(text);
  const textLines = text.split('\n');
  const comments: CommentLine[] = scan.comments
    .filter((comment) => comment.ownLine)
    .map((comment) => ({
      text: comment.text,
      raw: (textLines[comment.line] ?? '').replace(/^\s*#\s?/, ''),
      line: comment.line,
    }));
  const hasCode = scan.commands.length > 0 || scan.assignments.length > 0;
  const facts = analyseShell(text, scan);
  const shared = common(input, segment, text, base, comments, hasCode, fenceApproval, /^\s*#/);
  const problems: DraftProblem[] = [];

  const parameters: DraftParameterUse[] = [];
  const firstHere = firstAssignments(scan);
  const firstInFence = firstAssignments(fenceScan);
  for (const variable of scan.variables) {
    if (isReservedEnvName(variable.name)) continue;
    const fenceLine = start + variable.line;
    if ((firstHere.get(variable.name) ?? Infinity) <= variable.line) continue;
    if ((firstInFence.get(variable.name) ?? Infinity) < start) {
      problems.push({
        severity: 'warning',
        code: 'variable-crosses-steps',
        message: `$${variable.name} is set in an earlier step of this fence, but each step runs in its own shell`,
        line: input.firstLine + fenceLine,
      });
      continue;
    }
    if (scan.lines[variable.line]?.role === 'heredoc') {
      problems.push({
        severity: 'warning',
        code: 'parameter-in-heredoc',
        message: `$${variable.name} expands inside a here-document, so its value becomes part of the program's input (for SQL: pass it with psql -v and :'name' instead)`,
        line: base + variable.line,
      });
    }
    parameters.push({
      name: variable.name,
      placeholder: variable.raw,
      line: base + variable.line,
      required: !variable.optional,
      defaultValue: variable.defaultValue,
    });
  }

  const replacements: Array<{ start: number; end: number; text: string }> = [];
  for (const placeholder of scan.placeholders) {
    if (placeholder.context === 'comment') continue;
    if (placeholder.context === 'heredoc-literal') {
      problems.push({
        severity: 'warning',
        code: 'placeholder-in-quoted-heredoc',
        message: `${placeholder.raw} sits in a quoted here-document (<<'EOF'), where nothing expands: it cannot be filled in`,
        line: base + placeholder.line,
      });
      continue;
    }
    const name = envNameOf(placeholder.name);
    if (placeholder.context === 'heredoc') {
      problems.push({
        severity: 'warning',
        code: 'parameter-in-heredoc',
        message: `${placeholder.raw} is inside a here-document, so its value becomes part of the program's input (for SQL: pass it with psql -v and :'name' instead)`,
        line: base + placeholder.line,
      });
    }
    replacements.push({ start: placeholder.start, end: placeholder.end, text: referenceFor(name, placeholder.context)! });
    parameters.push({ name, placeholder: placeholder.raw, line: base + placeholder.line, required: true, defaultValue: null });
  }
  let renderedCommand = text;
  for (const replacement of replacements.sort((a, b) => b.start - a.start)) {
    renderedCommand = renderedCommand.slice(0, replacement.start) + replacement.text + renderedCommand.slice(replacement.end);
  }

  for (const heredoc of scan.heredocs) {
    if (heredoc.closed) continue;
    problems.push({
      severity: 'warning',
      code: 'unclosed-heredoc',
      message: `The here-document ending in ${heredoc.delimiter} is never closed: it runs to the end of the step`,
      line: base + heredoc.line - 1,
    });
  }

  return {
    number: segment.number,
    ...shared,
    command: text,
    renderedCommand: shared.kind === 'manual' ? text : renderedCommand,
    line: base,
    endLine: base + textLines.length - 1,
    ...limits(input, facts),
    facts: shift(facts, base),
    parameters: shared.kind === 'manual' ? [] : parameters,
    problems,
  };
}

function plainStep(
  input: FenceInput,
  segment: Segment,
  text: string,
  start: number,
  prefix: RegExp,
  fenceApproval: string | null,
): StepDraft {
  const base = input.firstLine + start;
  const textLines = text.split('\n');
  const comments: CommentLine[] = [];
  textLines.forEach((line, index) => {
    if (prefix.test(line)) comments.push({ text: line.replace(prefix, '').trim(), raw: line.replace(prefix, ''), line: index });
  });
  const hasCode = textLines.some((line) => line.trim() !== '' && !prefix.test(line));
  const facts = analysePlain(input.kind as 'sql' | 'promql' | 'http', text);
  const shared = common(input, segment, text, base, comments, hasCode, fenceApproval, prefix);

  const parameters: DraftParameterUse[] = [];
  const rendered = textLines.map((line, index) => {
    if (prefix.test(line)) return line;
    for (const match of line.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g)) {
      const name = match[1] ?? match[3]!;
      if (isReservedEnvName(name)) continue;
      const defaultValue = match[2] ?? null;
      parameters.push({ name, placeholder: match[0], line: base + index, required: defaultValue === null, defaultValue });
    }
    return line.replace(/<([A-Za-z][A-Za-z0-9_-]{0,63})>/g, (raw: string, placeholder: string) => {
      if (new RegExp(`</${placeholder}>`).test(text)) return raw;
      const name = envNameOf(placeholder);
      parameters.push({ name, placeholder: raw, line: base + index, required: true, defaultValue: null });
      return `\${${name}}`;
    });
  });

  return {
    number: segment.number,
    ...shared,
    command: text,
    renderedCommand: shared.kind === 'manual' ? text : rendered.join('\n'),
    line: base,
    endLine: base + textLines.length - 1,
    ...limits(input, facts),
    facts: shift(facts, base),
    parameters: shared.kind === 'manual' ? [] : parameters,
    problems: [],
  };
}

function shift(facts: CommandFacts, base: number): CommandFacts {
  return {
    waits: facts.waits.map((wait) => ({ ...wait, line: wait.line + base })),
    waitOnly: facts.waitOnly,
    neverEnding: facts.neverEnding.map((command) => ({ ...command, line: command.line + base })),
    destructive: facts.destructive.map((command) => ({ ...command, line: command.line + base })),
  };
}
