import { readFileSync } from 'node:fs';
import { alertGroup } from './alert.ts';
import { commandUsage, groupUsage, parseInvocation, wantsHelp, type Command, type Group } from './command.ts';
import { configGroup } from './config.ts';
import { EXIT, EXIT_CODE_HELP, reportError, UsageError } from './errors.ts';
import { incidentGroup } from './incident.ts';
import { integrationGroup } from './integration.ts';
import { createIo, printLine, type Io } from './io.ts';
import { formatTable, indent } from './output.ts';
import { serveCommand } from './serve.ts';
import { oncallCommand, outboxGroup, scheduleGroup } from './paging.ts';
import { reportCommand } from './report.ts';
import { runbookGroup } from './runbook.ts';
import { runnerCommand } from './runner.ts';
import { maintenanceGroup, silenceGroup } from './silence.ts';
import { tokenGroup } from './token.ts';
import { userGroup } from './user.ts';

const FOOTER = [
  'Client commands talk to a server: --server URL (env FIREBREAK_URL, default http://127.0.0.1:8080)',
  'and --token TOKEN (env FIREBREAK_TOKEN). Add --json to print the raw JSON response.',
  '',
  'Exit codes:',
  indent(formatTable(null, EXIT_CODE_HELP.map(([code, meaning]) => [code, meaning]))),
].join('\n');

export const root: Group = {
  kind: 'group',
  name: 'firebreak',
  summary: 'Firebreak: incident response that follows your playbook.',
  children: [
    serveCommand,
    incidentGroup,
    alertGroup,
    silenceGroup,
    maintenanceGroup,
    oncallCommand,
    scheduleGroup,
    runbookGroup,
    runnerCommand,
    reportCommand,
    outboxGroup,
    integrationGroup,
    tokenGroup,
    userGroup,
    configGroup,
  ],
  footer: FOOTER,
};

/** Options that may come before the command (`firebreak --server URL incident list`). */
const LEADING_VALUE_OPTIONS = new Set(['--server', '--token']);
const LEADING_FLAGS = new Set(['--json']);

/** Runs the command line and returns the exit code; never throws. */
export async function main(argv: readonly string[], overrides: Partial<Io> = {}): Promise<number> {
  const io = createIo(overrides);
  try {
    return await dispatch(argv, io);
  } catch (error) {
    return reportError(error, io);
  }
}

async function dispatch(argv: readonly string[], io: Io): Promise<number> {
  if (argv[0] === '--version' || argv[0] === '-V') {
    printLine(io.stdout, packageVersion());
    return EXIT.ok;
  }
  if (argv[0] === 'help') return dispatch([...argv.slice(1), '--help'], io);
  const { leading, rest } = splitLeadingOptions(argv);
  let node: Command | Group = root;
  const path = ['firebreak'];
  let index = 0;
  while (node.kind === 'group') {
    const word = rest[index];
    if (word === undefined || word.startsWith('-')) return groupHelp(node, path, io, word);
    const child: Command | Group | undefined = node.children.find((candidate) => candidate.name === word);
    if (!child) throw new UsageError(`unknown command '${word}'${path.length > 1 ? ` for '${path.join(' ')}'` : ''}`, groupUsage(node, path));
    node = child;
    path.push(word);
    index += 1;
  }
  const args = [...leading, ...rest.slice(index)];
  if (wantsHelp(args)) {
    printLine(io.stdout, commandUsage(node, path));
    return EXIT.ok;
  }
  return node.run(parseInvocation(node, path, args, io));
}

/** A group reached without a command: help when asked for, else a usage error. */
function groupHelp(group: Group, path: readonly string[], io: Io, word: string | undefined): number {
  const usage = groupUsage(group, path);
  if (word === '--help' || word === '-h') {
    printLine(io.stdout, usage);
    return EXIT.ok;
  }
  throw new UsageError(word === undefined ? 'missing command' : `unknown option ${word}; options go after the command`, usage);
}

function splitLeadingOptions(argv: readonly string[]): { leading: string[]; rest: string[] } {
  const leading: string[] = [];
  let index = 0;
  while (index < argv.length) {
    const arg = argv[index] ?? '';
    const name = arg.split('=')[0] ?? arg;
    if (LEADING_FLAGS.has(arg) || (LEADING_VALUE_OPTIONS.has(name) && arg.includes('='))) {
      leading.push(arg);
      index += 1;
    } else if (LEADING_VALUE_OPTIONS.has(arg) && index + 1 < argv.length) {
      leading.push(arg, argv[index + 1] ?? '');
      index += 2;
    } else {
      break;
    }
  }
  return { leading, rest: argv.slice(index) };
}

function packageVersion(): string {
  const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version?: string }).version ?? 'unknown';
}
