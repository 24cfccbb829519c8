import { DomainError } from '../core/errors.ts';

/** One thing wrong with firebreak.yaml, said so that the reader can fix it without the docs. */
export interface ConfigProblem {
  /** Where, as a YAML path such as `services[2].team`; empty for the file as a whole. */
  path: string;
  message: string;
  fix: string;
  /** 1-based line in the file, when the problem can be pinned to one. */
  line?: number;
  column?: number;
}

/** A path into the parsed document: property names and array indexes. */
export type ConfigPath = readonly (string | number)[];

export function formatPath(path: ConfigPath): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(segment)) text += text === '' ? segment : `.${segment}`;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text;
}

/** TypeBox reports JSON pointers (`/services/2/team`); arrays are the only places with numeric keys we care about. */
export function pointerToPath(pointer: string, document: unknown): (string | number)[] {
  const path: (string | number)[] = [];
  let node = document;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const segment = Array.isArray(node) && /^\d+$/.test(key) ? Number(key) : key;
    path.push(segment);
    node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
  }
  return path;
}

export function configInvalid(problems: ConfigProblem[]): DomainError {
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  return new DomainError('config_invalid', `firebreak.yaml is invalid: ${count}`, problems);
}

export function configProblemsOf(error: unknown): ConfigProblem[] {
  if (!(error instanceof DomainError) || error.code !== 'config_invalid' || !Array.isArray(error.details)) return [];
  return error.details as ConfigProblem[];
}

/** One line per problem, for a terminal: `services[2].team (line 14): … (fix: …)`. */
export function formatConfigProblems(error: unknown): string {
  const problems = configProblemsOf(error);
  if (problems.length === 0) return error instanceof Error ? error.message : String(error);
  return problems
    .map((problem) => {
      const line = problem.line === undefined ? '' : `line ${problem.line}`;
      // Syntax errors have no path and already name their line in the message.
      const where = problem.path === '' ? '' : line === '' ? problem.path : `${problem.path} (${line})`;
      return `${where === '' ? '' : `${where}: `}${problem.message} (fix: ${problem.fix})`;
    })
    .join('\n');
}

/** The closest known name to a misspelt one, if it is close enough to be a likely typo. */
export function closestName(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const candidate of known) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}

export const quoteList = (names: readonly string[]): string => names.join(', ');
