/**
 * What the commands of a step do, as far as a runbook needs to know before running them:
 * waits (`sleep N`), commands that never end by themselves, and destructive commands.
 * Lines are 0-based within the analysed text; the caller adds the step's offset.
 */
import type { DestructiveCommand, NeverEndingCommand, StepWait } from './model.ts';
import type { ShellCommand, ShellScan } from './shell.ts';

export interface CommandFacts {
  waits: StepWait[];
  waitOnly: boolean;
  neverEnding: NeverEndingCommand[];
  destructive: DestructiveCommand[];
}

/** Words that only run the rest of the command line: `sudo rm …` is `rm …`. */
const WRAPPERS = new Set(['sudo', 'env', 'nohup', 'time', 'exec', 'command', 'builtin', 'nice', 'ionice', 'doas']);
const WRAPPER_OPTIONS_WITH_ARGUMENT = new Set(['-u', '-g', '-n', '-c', '-C', '-p', '-h', '-U']);
const WAIT_COMPANIONS = new Set(['sleep', 'echo', 'printf', 'true', ':']);
const SLEEP_UNITS: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 };

interface Invocation {
  words: string[];
  /** `timeout 60 tail -f …`: bounded by the wrapper. */
  bounded: boolean;
}

function invocationOf(command: ShellCommand): Invocation {
  const words = command.words.map((word) => word.text);
  let bounded = false;
  let k = 0;
  while (k < words.length) {
    const word = words[k]!;
    const base = word.split('/').pop() ?? word;
    if (base === 'timeout') {
      bounded = true;
      k += 1;
      while (k < words.length && words[k]!.startsWith('-')) k += words[k] === '-s' || words[k] === '-k' ? 2 : 1;
      k += 1; // the duration
      continue;
    }
    if (!WRAPPERS.has(base)) break;
    k += 1;
    while (k < words.length) {
      const next = words[k]!;
      if (WRAPPER_OPTIONS_WITH_ARGUMENT.has(next)) k += 2;
      else if (next.startsWith('-') || /^[A-Za-z_][A-Za-z0-9_]*=/.test(next)) k += 1;
      else break;
    }
  }
  return { words: words.slice(k), bounded };
}

function commandName(words: string[]): string {
  const first = words[0] ?? '';
  return (first.split('/').pop() ?? first).toLowerCase();
}

/** `-f`, `-F`, `-tf`, `--follow`, `--follow=name`. */
function isFollowFlag(word: string): boolean {
  if (word === '--follow' || (word.startsWith('--follow=') && word !== '--follow=false')) return true;
  return /^-[A-Za-z]*[fF][A-Za-z]*$/.test(word) && !word.startsWith('--');
}

function neverEndingKind(words: string[]): { terminal: boolean } | null {
  const name = commandName(words);
  const lower = words.map((word) => word.toLowerCase());
  const args = words.slice(1);
  switch (name) {
    case 'watch':
    case 'htop':
      return { terminal: true };
    case 'top':
      return args.some((arg) => arg === '-n' || /^-[A-Za-z]*n\d*$/.test(arg)) ? null : { terminal: true };
    case 'tail':
    case 'journalctl':
      return args.some(isFollowFlag) ? { terminal: false } : null;
    case 'ping':
      return args.some((arg) => /^-[A-Za-z]*[cw]/.test(arg)) ? null : { terminal: false };
    case 'sleep':
      return args.includes('infinity') ? { terminal: false } : null;
    default:
      break;
  }
  const logs = lower.indexOf('logs');
  if (logs > 0 && ['docker', 'docker-compose', 'podman', 'kubectl', 'oc', 'nerdctl'].includes(name)) {
    if (words.slice(logs + 1).some(isFollowFlag)) return { terminal: false };
  }
  if (name === 'docker' || name === 'podman') {
    const stats = lower[1] === 'stats' || (lower[1] === 'container' && lower[2] === 'stats');
    if (stats && !lower.includes('--no-stream')) return { terminal: false };
  }
  if (name === 'kubectl' && lower.some((word) => word === '-w' || word === '--watch' || word === '--watch=true')) {
    return { terminal: false };
  }
  return null;
}

function sleepSeconds(words: string[]): number | null {
  if (commandName(words) !== 'sleep' || words.length < 2) return null;
  let total = 0;
  for (const arg of words.slice(1)) {
    const match = /^(\d+(?:\.\d+)?)([smhd]?)$/.exec(arg);
    if (match === null) return null;
    total += Number(match[1]) * SLEEP_UNITS[match[2]!]!;
  }
  return total;
}

function destructiveRule(words: string[]): string | null {
  const name = commandName(words);
  const lower = words.map((word) => word.toLowerCase());
  const args = lower.slice(1);
  if (name === 'rm') {
    const short = args.filter((arg) => /^-[a-z]+$/i.test(arg)).join('');
    const recursive = /[rR]/.test(short) || args.includes('--recursive');
    const force = short.includes('f') || args.includes('--force');
    if (recursive && force) return 'rm -rf';
  }
  if ((name === 'docker' || name === 'podman') && args.includes('prune')) {
    return args.includes('system') ? 'docker system prune' : 'docker prune';
  }
  const compose = name === 'docker-compose' || ((name === 'docker' || name === 'podman') && args.includes('compose'));
  if (compose && args.includes('down') && (args.includes('-v') || args.includes('--volumes'))) {
    return 'docker compose down -v';
  }
  if (name === 'kubectl' && args.find((arg) => !arg.startsWith('-')) === 'delete') return 'kubectl delete';
  if (name === 'systemctl' && args.includes('stop')) return 'systemctl stop';
  if (name === 'truncate') return 'truncate';
  if (name === 'find' && (args.includes('-delete') || (args.includes('-exec') && args.includes('rm')))) {
    return 'find -delete';
  }
  if (name.startsWith('mkfs')) return 'mkfs';
  if (name === 'dd' && args.some((arg) => arg.startsWith('of=/dev/'))) return 'dd to a device';
  if (lower.includes('redis-cli') && (lower.includes('flushdb') || lower.includes('flushall'))) {
    return 'redis FLUSHDB/FLUSHALL';
  }
  if (name === 'curl') {
    const method = args.findIndex((arg) => arg === '-x' || arg === '--request');
    const inline = args.find((arg) => arg === '-xdelete' || arg === '--request=delete');
    if (inline !== undefined || (method >= 0 && args[method + 1] === 'delete')) return 'HTTP DELETE';
  }
  if ((name === 'http' || name === 'https') && args[0] === 'delete') return 'HTTP DELETE';
  return null;
}

/** Blanks out SQL comments, keeping every other character where it was. */
function blankSqlComments(sql: string): string {
  const blank = (comment: string) => comment.replace(/[^\n]/g, ' ');
  return sql.replace(/--[^\n]*/g, blank).replace(/\/\*[\s\S]*?\*\//g, blank);
}

/** Destructive statements in SQL text: DROP, TRUNCATE, DELETE without WHERE, session kills. */
export function destructiveSql(sql: string): Array<{ rule: string; index: number }> {
  const text = blankSqlComments(sql);
  const found: Array<{ rule: string; index: number }> = [];
  const drop =
    /\bdrop\s+(?:table|database|schema|index|view|materialized\s+view|sequence|function|type|extension|role|user|owned|trigger|column|constraint)\b/gi;
  for (const match of text.matchAll(drop)) found.push({ rule: 'DROP', index: match.index });
  for (const match of text.matchAll(/\btruncate\s+(?:table\s+)?(?:only\s+)?["\w]/gi)) {
    if (/^truncate\s+(?:table\s+)?(?:only\s+)?-/i.test(match[0])) continue;
    found.push({ rule: 'TRUNCATE', index: match.index });
  }
  // Statement by statement, so that text without semicolons stays linear.
  let offset = 0;
  for (const statement of text.split(';')) {
    let lastWhere = -1;
    for (const match of statement.matchAll(/\bwhere\b/gi)) lastWhere = match.index;
    for (const match of statement.matchAll(/\bdelete\s+from\b/gi)) {
      if (lastWhere < match.index) found.push({ rule: 'DELETE without WHERE', index: offset + match.index });
    }
    offset += statement.length + 1;
  }
  for (const match of text.matchAll(/\bpg_terminate_backend\s*\(/gi)) {
    found.push({ rule: 'pg_terminate_backend', index: match.index });
  }
  return found;
}

/** Line (0-based) of an index, by binary search over the line starts. */
function lineFinder(text: string): (index: number) => number {
  const starts = [0];
  for (let k = text.indexOf('\n'); k !== -1; k = text.indexOf('\n', k + 1)) starts.push(k + 1);
  return (index) => {
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (starts[middle]! <= index) low = middle;
      else high = middle - 1;
    }
    return low;
  };
}

function statementAt(text: string, index: number): string {
  const end = text.indexOf(';', index);
  return text.slice(index, end === -1 ? Math.min(text.length, index + 200) : Math.min(end, index + 200));
}

function excerpt(text: string): string {
  const flat = text.replace(/\\\n\s*/g, ' ').replace(/\s+/g, ' ').trim();
  return flat.length > 120 ? `${flat.slice(0, 117)}...` : flat;
}

export function analyseShell(text: string, scan: ShellScan): CommandFacts {
  const facts: CommandFacts = { waits: [], waitOnly: false, neverEnding: [], destructive: [] };
  const invocations = scan.commands.map(invocationOf);
  invocations.forEach((invocation, index) => {
    const command = scan.commands[index]!;
    const raw = excerpt(text.slice(command.start, command.end));
    const seconds = sleepSeconds(invocation.words);
    if (seconds !== null) facts.waits.push({ seconds, line: command.line, nested: command.depth > 0 });
    const endless = invocation.bounded ? null : neverEndingKind(invocation.words);
    if (endless !== null && !pipedIntoHead(scan.commands, invocations, index)) {
      facts.neverEnding.push({ command: raw, line: command.line, terminal: endless.terminal });
    }
    const rule = destructiveRule(invocation.words);
    if (rule !== null) facts.destructive.push({ rule, text: raw, line: command.line });
    for (const sql of destructiveSql(invocation.words.slice(1).join(' '))) {
      facts.destructive.push({ rule: sql.rule, text: raw, line: command.line });
    }
  });
  for (const heredoc of scan.heredocs) {
    const lineOf = lineFinder(heredoc.body);
    for (const sql of destructiveSql(heredoc.body)) {
      facts.destructive.push({ rule: sql.rule, text: excerpt(statementAt(heredoc.body, sql.index)), line: heredoc.line + lineOf(sql.index) });
    }
  }
  const names = invocations.map((invocation) => commandName(invocation.words));
  facts.waitOnly = facts.waits.length > 0 && names.every((name) => WAIT_COMPANIONS.has(name));
  return facts;
}

function pipedIntoHead(commands: ShellCommand[], invocations: Invocation[], index: number): boolean {
  for (let k = index; k < commands.length - 1 && commands[k]!.terminator === '|'; k += 1) {
    if (commandName(invocations[k + 1]!.words) === 'head') return true;
  }
  return false;
}

/** Facts of a SQL, PromQL or HTTP step, which have no shell grammar. */
export function analysePlain(kind: 'sql' | 'promql' | 'http', text: string): CommandFacts {
  const facts: CommandFacts = { waits: [], waitOnly: false, neverEnding: [], destructive: [] };
  if (kind === 'sql') {
    const lineOf = lineFinder(text);
    for (const sql of destructiveSql(text)) {
      facts.destructive.push({ rule: sql.rule, text: excerpt(statementAt(text, sql.index)), line: lineOf(sql.index) });
    }
  }
  if (kind === 'http') {
    const lines = text.split('\n');
    lines.forEach((line, index) => {
      if (/^\s*DELETE\s+\S/i.test(line)) facts.destructive.push({ rule: 'HTTP DELETE', text: excerpt(line), line: index });
    });
  }
  return facts;
}
