import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DomainError } from '../core/errors.ts';
import type { Config } from '../config/schema.ts';
import { JSON_OPTION, REMOTE_OPTIONS, type Command, type Group } from './command.ts';
import { EXIT } from './errors.ts';
import { printLine, type Io } from './io.ts';
import { formatJson, indent } from './output.ts';
import { connect, nonEmpty, respond } from './remote.ts';

/** The example shipped with the package, so that `firebreak serve` runs anywhere. */
export const EXAMPLE_CONFIG_PATH = fileURLToPath(new URL('../../examples/firebreak.yaml', import.meta.url));

/** --config, else FIREBREAK_CONFIG, else ./firebreak.yaml if present, else the packaged example. */
export function resolveConfigPath(io: Io, explicit: string | undefined): string {
  const chosen = explicit ?? nonEmpty(io.env.FIREBREAK_CONFIG);
  if (chosen !== undefined) return resolve(io.cwd, chosen);
  const local = resolve(io.cwd, 'firebreak.yaml');
  return existsSync(local) ? local : EXAMPLE_CONFIG_PATH;
}

/** --data-dir, else FIREBREAK_DATA_DIR, else ./data; relative to the working directory. */
export function resolveDataDir(io: Io, explicit: string | undefined): string {
  return resolve(io.cwd, explicit ?? nonEmpty(io.env.FIREBREAK_DATA_DIR) ?? 'data');
}

export const isConfigInvalid = (error: unknown): error is DomainError => error instanceof DomainError && error.code === 'config_invalid';

/** `error: firebreak.yaml is invalid: 2 problems`, the file, and one indented line per problem. */
export async function printConfigProblems(io: Io, path: string, error: DomainError): Promise<number> {
  const { formatConfigProblems } = await import('../config/index.ts');
  printLine(io.stderr, `error: ${error.message}`);
  printLine(io.stderr, `  file: ${path}`);
  printLine(io.stderr, indent(formatConfigProblems(error)));
  return EXIT.config;
}

export function describeConfig(config: Config): string {
  const count = (n: number, noun: string, plural = `${noun}s`) => `${n} ${n === 1 ? noun : plural}`;
  return [
    count(config.severities.length, 'severity', 'severities'),
    count(config.services.length, 'service'),
    count(config.teams.length, 'team'),
    count(config.users.length, 'user'),
    count(config.roles.length, 'role'),
  ].join(', ');
}

const check: Command = {
  kind: 'command',
  name: 'check',
  summary: 'Validate a config file without starting the server',
  description: 'FILE defaults to FIREBREAK_CONFIG, then ./firebreak.yaml, then the packaged example.',
  positionals: [{ name: 'FILE', optional: true }],
  options: { ...JSON_OPTION },
  async run(invocation) {
    const { io, options } = invocation;
    const path = resolveConfigPath(io, invocation.args.FILE);
    const { loadConfigFile } = await import('../config/index.ts');
    let config: Config;
    try {
      config = await loadConfigFile(path, io.now());
    } catch (error) {
      if (!isConfigInvalid(error)) throw error;
      if (!options.flag('json')) return printConfigProblems(io, path, error);
      printLine(io.stdout, formatJson({ ok: false, path, message: error.message, problems: error.details }));
      return EXIT.config;
    }
    const summary = {
      ok: true,
      path,
      severities: config.severities.map((level) => level.id),
      services: config.services.length,
      teams: config.teams.length,
      users: config.users.length,
      roles: config.roles.length,
    };
    return respond(invocation, summary, () => `ok: ${path}: ${describeConfig(config)}`);
  },
};

const reload: Command = {
  kind: 'command',
  name: 'reload',
  summary: 'Ask the server to re-read its config file (it keeps the old one if the new one is invalid)',
  options: { ...REMOTE_OPTIONS },
  async run(invocation) {
    const result = await connect(invocation).post<{ changed: boolean; source: { path: string | null } }>('/config/reload');
    const from = result.source.path ? ` from ${result.source.path}` : '';
    return respond(invocation, result, () => `Config reloaded${from}: ${result.changed ? 'changed' : 'unchanged'}.`);
  },
};

export const configGroup: Group = {
  kind: 'group',
  name: 'config',
  summary: 'Check a config file, or reload the running server',
  children: [check, reload],
};
