import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { formatLintJson, formatLintText, lintRunbooks } from '../runbooks/index.ts';
import { type Command, type Group, type Invocation } from './command.ts';
import { EXIT, UsageError } from './errors.ts';
import { printLine } from './io.ts';

/** `firebreak runbook check`: local, no server; reads Markdown runbooks and lints them. */

export interface RunbookFileText {
  path: string;
  text: string;
}

/**
 * The files named on the command line, as given (so the report names them the way
 * the user did); a directory stands for the `.md` files under it. A path that
 * cannot be read is a usage error, before anything is linted.
 */
export function readRunbookFiles(paths: readonly string[], invocation: Invocation): RunbookFileText[] {
  const files: RunbookFileText[] = [];
  for (const path of paths) {
    const absolute = resolve(invocation.io.cwd, path);
    let isDirectory: boolean;
    try {
      isDirectory = statSync(absolute).isDirectory();
    } catch (error) {
      throw new UsageError(`cannot read ${path}: ${reasonOf(error)}`, invocation.usage);
    }
    const names = isDirectory ? markdownUnder(absolute).map((name) => join(path, name)) : [path];
    if (isDirectory && names.length === 0) throw new UsageError(`${path} holds no .md files`, invocation.usage);
    for (const name of names) {
      try {
        files.push({ path: name, text: readFileSync(resolve(invocation.io.cwd, name), 'utf8') });
      } catch (error) {
        throw new UsageError(`cannot read ${name}: ${reasonOf(error)}`, invocation.usage);
      }
    }
  }
  return files;
}

function markdownUnder(directory: string): string[] {
  return readdirSync(directory, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.toLowerCase().endsWith('.md'))
    .sort();
}

function reasonOf(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return error instanceof Error ? error.message : String(error);
}

const check: Command = {
  kind: 'command',
  name: 'check',
  summary: 'Lint Markdown runbooks: runbooks, scenarios, steps, approvals, parameters',
  description:
    'Reads the files (a directory stands for the .md files under it) and reports what each\n' +
    'runbook holds and what to fix. Works offline: no server is needed.\n' +
    'Exits 0 when there are no errors (warnings are allowed), 6 when there are errors,\n' +
    '2 when a file cannot be read.',
  positionals: [{ name: 'PATH', many: true }],
  options: { json: { type: 'boolean', description: 'print the report as JSON' } },
  examples: ['firebreak runbook check runbooks/', 'firebreak runbook check runbooks/disk-space.md --json'],
  async run(invocation) {
    const files = readRunbookFiles(invocation.lists.PATH ?? [], invocation);
    const report = lintRunbooks(files);
    const json = invocation.options.flag('json');
    printLine(invocation.io.stdout, json ? formatLintJson(report) : formatLintText(report));
    if (!report.ok && !json) printLine(invocation.io.stderr, `error: ${report.errors} runbook error${report.errors === 1 ? '' : 's'}; see above`);
    return report.ok ? EXIT.ok : EXIT.invalid;
  },
};

export const runbookGroup: Group = {
  kind: 'group',
  name: 'runbook',
  summary: 'Check Markdown runbooks',
  children: [check],
};
