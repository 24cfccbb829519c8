import { parseArgs } from 'node:util';
import { UsageError } from './errors.ts';
import { formatTable, indent } from './output.ts';
import type { Io } from './io.ts';

/**
 * The command tree: groups (`incident`) hold commands (`incident list`). Each
 * command declares its options and positionals once; parsing, validation and
 * the help text all come from that declaration, so they cannot drift apart.
 */

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly multiple?: boolean;
  /** Placeholder shown in help, e.g. `SEV`. */
  readonly value?: string;
  readonly description: string;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

export interface PositionalSpec {
  readonly name: string;
  readonly optional?: boolean;
  /** Takes every remaining word, joined by spaces, so a message needs no quotes. */
  readonly rest?: boolean;
  /** Takes every remaining word as a list (`invocation.lists`), e.g. several matchers. */
  readonly many?: boolean;
}

export interface Invocation {
  readonly io: Io;
  /** The command's usage text, for usage errors found while running. */
  readonly usage: string;
  readonly args: Readonly<Record<string, string | undefined>>;
  /** The words of `many` positionals; empty when none were given. */
  readonly lists: Readonly<Record<string, readonly string[]>>;
  readonly options: Options;
}

export interface Command {
  readonly kind: 'command';
  readonly name: string;
  readonly summary: string;
  readonly description?: string;
  readonly positionals?: readonly PositionalSpec[];
  readonly options: OptionSpecs;
  readonly examples?: readonly string[];
  run(invocation: Invocation): Promise<number>;
}

export interface Group {
  readonly kind: 'group';
  readonly name: string;
  readonly summary: string;
  readonly children: readonly (Command | Group)[];
  /** Extra sections printed after the command list (environment, exit codes). */
  readonly footer?: string;
}

const HELP_OPTION: OptionSpec = { type: 'boolean', short: 'h', description: 'show this help' };

export const JSON_OPTION: OptionSpecs = {
  json: { type: 'boolean', description: 'print the raw JSON response' },
};

/** Options of every command that talks to a server. */
export const REMOTE_OPTIONS: OptionSpecs = {
  server: { type: 'string', value: 'URL', description: 'Firebreak server (env FIREBREAK_URL, default http://127.0.0.1:8080)' },
  token: { type: 'string', value: 'TOKEN', description: 'API token (env FIREBREAK_TOKEN)' },
  ...JSON_OPTION,
};

/** Typed access to parsed option values. */
export class Options {
  private readonly values: Readonly<Record<string, unknown>>;

  constructor(values: Readonly<Record<string, unknown>>) {
    this.values = values;
  }

  string(name: string): string | undefined {
    const value = this.values[name];
    return typeof value === 'string' ? value : undefined;
  }

  strings(name: string): string[] {
    const value = this.values[name];
    return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
  }

  flag(name: string): boolean {
    return this.values[name] === true;
  }

  has(name: string): boolean {
    return this.values[name] !== undefined;
  }
}

export const wantsHelp = (argv: readonly string[]): boolean => {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).some((arg) => arg === '--help' || arg === '-h');
};

export function parseInvocation(command: Command, path: readonly string[], argv: readonly string[], io: Io): Invocation {
  const usage = commandUsage(command, path);
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: [...argv],
      options: toParseArgsOptions(command.options),
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(describeParseError(error), usage);
  }
  const { args, lists } = bindPositionals(command.positionals ?? [], parsed.positionals, usage);
  return { io, usage, args, lists, options: new Options(parsed.values) };
}

function toParseArgsOptions(specs: OptionSpecs) {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const [name, spec] of Object.entries(specs)) {
    options[name] = { type: spec.type, ...(spec.short ? { short: spec.short } : {}), ...(spec.multiple ? { multiple: true } : {}) };
  }
  return options;
}

/** node:util's messages are long and mention its own API; say it the user's way. */
function describeParseError(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  const option = /'(-[^' ]+)/.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option) return `unknown option ${option}`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option && /argument missing/.test(message)) {
    return `option ${option} needs a value`;
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option) return `option ${option} does not take a value`;
  return message;
}

function bindPositionals(
  specs: readonly PositionalSpec[],
  given: readonly string[],
  usage: string,
): { args: Record<string, string | undefined>; lists: Record<string, string[]> } {
  const args: Record<string, string | undefined> = {};
  const lists: Record<string, string[]> = {};
  let index = 0;
  for (const spec of specs) {
    if (spec.many) {
      const words = given.slice(index);
      if (words.length === 0 && !spec.optional) throw new UsageError(`missing ${spec.name}`, usage);
      lists[spec.name] = words;
      args[spec.name] = words.length > 0 ? words.join(' ') : undefined;
      index = given.length;
      continue;
    }
    const value = spec.rest ? (given.length > index ? given.slice(index).join(' ') : undefined) : given[index];
    index = spec.rest ? given.length : index + 1;
    if (value === undefined && !spec.optional) throw new UsageError(`missing ${spec.name}`, usage);
    args[spec.name] = value;
  }
  const extra = given[index];
  if (extra !== undefined) throw new UsageError(`unexpected argument '${extra}'`, usage);
  return { args, lists };
}

function positionalUsage(spec: PositionalSpec): string {
  const name = spec.rest || spec.many ? `${spec.name}...` : spec.name;
  return spec.optional ? `[${name}]` : name;
}

export function commandUsage(command: Command, path: readonly string[]): string {
  const positionals = (command.positionals ?? []).map(positionalUsage).join(' ');
  const lines = [`Usage: ${[...path, positionals, '[options]'].filter(Boolean).join(' ')}`, '', command.summary];
  if (command.description) lines.push('', command.description);
  lines.push('', 'Options:', indent(formatTable(null, optionRows({ ...command.options, help: HELP_OPTION }))));
  if (command.examples && command.examples.length > 0) lines.push('', 'Examples:', ...command.examples.map((example) => `  ${example}`));
  return lines.join('\n');
}

function optionRows(specs: OptionSpecs): string[][] {
  return Object.entries(specs).map(([name, spec]) => {
    const flag = `${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.type === 'string' ? ` ${spec.value ?? 'VALUE'}` : ''}`;
    return [flag, spec.multiple ? `${spec.description} (repeatable)` : spec.description];
  });
}

export function groupUsage(group: Group, path: readonly string[]): string {
  const rows = group.children.map((child) => [child.name, child.summary]);
  const lines = [`Usage: ${path.join(' ')} <command> [options]`, '', group.summary, '', 'Commands:', indent(formatTable(null, rows))];
  if (group.footer) lines.push('', group.footer);
  lines.push('', `Run '${path.join(' ')} <command> --help' for the options of a command.`);
  return lines.join('\n');
}
