/**
 * Parameters: the values a person (or an alert) supplies to a runbook. They reach a
 * command only as environment variables. Placeholders in the text are rewritten into
 * quoted references to those variables; a value is never spliced into command text.
 */
import { invalid } from '../core/errors.ts';
import type { RunbookStep } from './model.ts';
import type { QuoteContext } from './shell.ts';

/**
 * Variables the shell or the login environment provides, and variables that change how
 * a process starts (a value for `LD_PRELOAD` or `BASH_ENV` would be code). References to
 * these are never parameters, and a parameter is never delivered under one of these names.
 */
const WELL_KNOWN = [
  'HOME', 'PATH', 'PWD', 'OLDPWD', 'USER', 'LOGNAME', 'SHELL', 'HOSTNAME', 'HOSTTYPE', 'OSTYPE', 'MACHTYPE',
  'UID', 'EUID', 'GROUPS', 'PPID', 'RANDOM', 'SRANDOM', 'SECONDS', 'LINENO', 'EPOCHSECONDS', 'EPOCHREALTIME',
  'BASHPID', 'BASH', 'BASH_VERSION', 'BASH_VERSINFO', 'BASH_SOURCE', 'BASH_REMATCH', 'BASH_LINENO',
  'BASH_COMMAND', 'BASH_SUBSHELL', 'BASH_ARGV', 'BASH_ARGC', 'FUNCNAME', 'PIPESTATUS', 'IFS', 'PS1', 'PS2',
  'PS3', 'PS4', 'TERM', 'LANG', 'LANGUAGE', 'LC_ALL', 'LC_CTYPE', 'LC_MESSAGES', 'LC_COLLATE', 'LC_NUMERIC',
  'LC_TIME', 'TZ', 'TMPDIR', 'TMP', 'TEMP', 'EDITOR', 'VISUAL', 'PAGER', 'DISPLAY', 'REPLY', 'OPTARG',
  'OPTIND', 'OPTERR', 'COLUMNS', 'LINES', 'SHLVL', 'MAIL', 'HISTFILE', 'HISTSIZE', 'HOSTFILE', 'COMP_WORDS',
  'SSH_AUTH_SOCK', 'SSH_CONNECTION', 'SSH_CLIENT', 'SSH_TTY', 'XDG_RUNTIME_DIR', 'XDG_CONFIG_HOME',
  'XDG_DATA_HOME', 'XDG_CACHE_HOME', 'COLORTERM', 'NO_COLOR', '_',
];
const PROCESS_CONTROL = [
  'LD_PRELOAD', 'LD_LIBRARY_PATH', 'LD_AUDIT', 'BASH_ENV', 'ENV', 'BASHOPTS', 'SHELLOPTS', 'PROMPT_COMMAND',
  'CDPATH', 'GLOBIGNORE', 'BASH_XTRACEFD', 'NODE_OPTIONS', 'PYTHONSTARTUP', 'PERL5OPT', 'DYLD_INSERT_LIBRARIES',
];
const RESERVED = new Set([...WELL_KNOWN, ...PROCESS_CONTROL]);

/** True for a name Firebreak never accepts as a parameter (see WELL_KNOWN and PROCESS_CONTROL). */
export function isReservedEnvName(name: string): boolean {
  return RESERVED.has(name) || name.startsWith('BASH_FUNC_') || name.startsWith('LC_');
}

/** `<message_id>`, `<message-id>`, `<messageId>` → `MESSAGE_ID`; reserved names get a `PARAM_` prefix. */
export function envNameOf(placeholder: string): string {
  const name = placeholder
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toUpperCase();
  const safe = /^[A-Z_]/.test(name) ? name : `_${name}`;
  return isReservedEnvName(safe) ? `PARAM_${safe}` : safe;
}

/**
 * The reference that replaces a placeholder in its quoting context. The shell expands a
 * variable's value after parsing, so the value can never become syntax.
 *   unquoted: `"${NAME}"`   inside "…": `${NAME}`   inside '…': `'"${NAME}"'` (close, reference, reopen)
 *   unquoted heredoc body: `${NAME}` (the body is data for the program that reads it)
 * Inside a quoted heredoc (`<<'EOF'`) or a comment nothing expands, so nothing is rewritten.
 */
export function referenceFor(name: string, context: QuoteContext): string | null {
  switch (context) {
    case 'unquoted':
      return `"\${${name}}"`;
    case 'double':
    case 'heredoc':
      return `\${${name}}`;
    case 'single':
      return `'"\${${name}}"'`;
    default:
      return null;
  }
}

export interface PreparedCommand {
  /** Always the step's `renderedCommand`: it does not depend on the values. */
  command: string;
  /** One entry per parameter of the step that has a value. */
  env: Record<string, string>;
  /** Required parameters of the step without a value. */
  missing: string[];
}

/**
 * Pairs a step's command with the environment that carries the parameter values. Values
 * for names the step does not declare are ignored; values may hold anything except a NUL
 * byte, which no environment variable can carry.
 */
export function prepareStepCommand(
  step: RunbookStep,
  parameters: ReadonlyArray<{ name: string; required: boolean }>,
  values: Readonly<Record<string, string>>,
): PreparedCommand {
  const env: Record<string, string> = {};
  const missing: string[] = [];
  for (const name of step.parameters) {
    const value = Object.hasOwn(values, name) ? values[name] : undefined;
    if (value === undefined) {
      if (parameters.find((parameter) => parameter.name === name)?.required !== false) missing.push(name);
      continue;
    }
    if (typeof value !== 'string') throw invalid(`Parameter ${name} must be text`, { parameter: name });
    if (value.includes('\0')) throw invalid(`Parameter ${name} must not contain a NUL byte`, { parameter: name });
    env[name] = value;
  }
  return { command: step.renderedCommand, env, missing };
}
