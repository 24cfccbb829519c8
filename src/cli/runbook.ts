import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { formatLintJson, formatLintText, lintRunbooks } from '../runbooks/index.ts';
import { arg } from './args.ts';
import { segment } from './client.ts';
import { REMOTE_OPTIONS, type Command, type Group, type Invocation } from './command.ts';
import { EXIT, UsageError } from './errors.ts';
import { printLine } from './io.ts';
import { connect, respond } from './remote.ts';
import { renderDryRun, renderRun, renderRunbook, renderRunbookList, type DryRun, type Run, type RunbookDetail, type RunbookSummary } from './runbook-view.ts';

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

const list: Command = {
  kind: 'command',
  name: 'list',
  summary: 'The runbooks the server has (runbooks.paths)',
  options: { ...REMOTE_OPTIONS },
  async run(invocation) {
    const page = await connect(invocation).get<{ items: RunbookSummary[] }>('/runbooks');
    return respond(invocation, page, () => renderRunbookList(page.items));
  },
};

const show: Command = {
  kind: 'command',
  name: 'show',
  summary: 'A runbook: scenarios, steps with their commands, approvals, parameters',
  positionals: [{ name: 'RUNBOOK' }],
  options: { ...REMOTE_OPTIONS },
  examples: ['firebreak runbook show dlq-overflow'],
  async run(invocation) {
    const { runbook } = await connect(invocation).get<{ runbook: RunbookDetail }>(`/runbooks/${segment(arg(invocation, 'RUNBOOK'))}`);
    return respond(invocation, runbook, () => renderRunbook(runbook));
  },
};

/** `NAME=VALUE` words into parameter values; the value may hold anything, `=` included. */
export function paramsOf(words: readonly string[], invocation: Invocation): Record<string, string> {
  const params: Record<string, string> = {};
  for (const word of words) {
    const eq = word.indexOf('=');
    if (eq <= 0) throw new UsageError(`--param takes NAME=VALUE, not '${word}'`, invocation.usage);
    params[word.slice(0, eq)] = word.slice(eq + 1);
  }
  return params;
}

const run: Command = {
  kind: 'command',
  name: 'run',
  summary: 'Start a run of a runbook (or show what it would do with --dry-run)',
  description:
    'Creates the run; its steps then start one by one (firebreak runbook step RUN STEP start),\n' +
    'wait for approval where the runbook or the severity says so, and run on a runner.\n' +
    'Parameter values reach commands only as environment variables.',
  positionals: [{ name: 'RUNBOOK' }],
  options: {
    scenario: { type: 'string', value: 'ID', description: 'only this scenario (A, scenario-a …) besides the common steps' },
    incident: { type: 'string', value: 'ID', description: 'run it for this incident: its timeline records every step' },
    param: { type: 'string', value: 'NAME=VALUE', multiple: true, description: 'a parameter value' },
    'dry-run': { type: 'boolean', description: 'show each step\'s command, environment, runner and approval; run nothing' },
    ...REMOTE_OPTIONS,
  },
  examples: [
    'firebreak runbook run dlq-overflow --incident 01HXYZ --param MESSAGE_ID=42 --dry-run',
    'firebreak runbook run disk-space-critical --scenario 3a',
  ],
  async run(invocation) {
    const { options } = invocation;
    const body = {
      runbook: arg(invocation, 'RUNBOOK'),
      scenario: options.string('scenario'),
      incident: options.string('incident'),
      params: paramsOf(options.strings('param'), invocation),
      dryRun: options.flag('dry-run') || undefined,
    };
    const client = connect(invocation);
    if (body.dryRun) {
      const plan = await client.post<DryRun>('/runs', body);
      return respond(invocation, plan, () => renderDryRun(plan));
    }
    const { run: created } = await client.post<{ run: Run }>('/runs', body);
    return respond(invocation, created, () => renderRun(created));
  },
};

const STEP_ACTIONS = ['start', 'approve', 'reject', 'skip', 'retry', 'cancel', 'answer', 'complete'] as const;

const step: Command = {
  kind: 'command',
  name: 'step',
  summary: 'Act on a step of a run: start, approve, reject, skip, retry, cancel, answer, complete',
  positionals: [{ name: 'RUN' }, { name: 'STEP' }, { name: 'ACTION' }],
  options: {
    comment: { type: 'string', value: 'TEXT', description: 'why; shown on the timeline' },
    param: { type: 'string', value: 'NAME=VALUE', multiple: true, description: 'a parameter value (start, retry)' },
    decision: { type: 'string', value: 'ID', description: 'the decision to answer (answer)' },
    yes: { type: 'boolean', description: 'answer yes (answer)' },
    no: { type: 'boolean', description: 'answer no (answer)' },
    failed: { type: 'boolean', description: 'a step done by hand did not work (complete)' },
    ...REMOTE_OPTIONS,
  },
  examples: ['firebreak runbook step 01HRUN scenario-a-1 start', 'firebreak runbook step 01HRUN scenario-a-1 approve --comment "checked the replay count"'],
  async run(invocation) {
    const { options } = invocation;
    const action = arg(invocation, 'ACTION');
    if (!(STEP_ACTIONS as readonly string[]).includes(action)) {
      throw new UsageError(`ACTION is one of ${STEP_ACTIONS.join(', ')}, not '${action}'`, invocation.usage);
    }
    if (action === 'answer' && options.flag('yes') === options.flag('no')) throw new UsageError('answer needs --yes or --no, and --decision ID', invocation.usage);
    const body = {
      comment: options.string('comment'),
      params: action === 'start' || action === 'retry' ? paramsOf(options.strings('param'), invocation) : undefined,
      decision: options.string('decision'),
      answer: action === 'answer' ? (options.flag('yes') ? 'yes' : 'no') : undefined,
      outcome: action === 'complete' ? (options.flag('failed') ? 'failed' : 'succeeded') : undefined,
    };
    const path = `/runs/${segment(arg(invocation, 'RUN'))}/steps/${segment(arg(invocation, 'STEP'))}/${action}`;
    const { run: updated } = await connect(invocation).post<{ run: Run }>(path, body);
    return respond(invocation, updated, () => renderRun(updated, arg(invocation, 'STEP')));
  },
};

const status: Command = {
  kind: 'command',
  name: 'status',
  summary: 'A run: each step, its state, approvals and output',
  positionals: [{ name: 'RUN' }],
  options: { ...REMOTE_OPTIONS },
  async run(invocation) {
    const { run: found } = await connect(invocation).get<{ run: Run }>(`/runs/${segment(arg(invocation, 'RUN'))}`);
    return respond(invocation, found, () => renderRun(found));
  },
};

export const runbookGroup: Group = {
  kind: 'group',
  name: 'runbook',
  summary: 'Check, list, show and run Markdown runbooks',
  children: [check, list, show, run, step, status],
};
