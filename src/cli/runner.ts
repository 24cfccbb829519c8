import { readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { createLogger, isLogLevel } from '../observability/index.ts';
import type { Command, Invocation } from './command.ts';
import { CliError, EXIT, UsageError } from './errors.ts';
import { printLine, type Io } from './io.ts';
import { nonEmpty } from './remote.ts';

const TOKEN_ENV = 'FIREBREAK_RUNNER_TOKEN';
const LABEL_KEY = /^[a-z0-9_.-]+$/;
const MAX_CONCURRENCY = 64;

export interface RunnerSettings {
  serverUrl: string;
  token: string;
  /** Where the token came from: a --token shows in `ps`. */
  tokenFromOption: boolean;
  name: string;
  labels: Record<string, string>;
  workdir: string;
  stateDir: string | undefined;
  concurrency: number;
  logLevel: string;
}

/**
 * `env=prod,host=db1` (the option may repeat) → labels; a bare key means the value "".
 * Keys are lower case so that selectors match however a runbook spells them.
 */
export function parseLabels(values: readonly string[], usage: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const item of values.flatMap((value) => value.split(','))) {
    const pair = item.trim();
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    const key = (equals === -1 ? pair : pair.slice(0, equals)).trim();
    const value = equals === -1 ? '' : pair.slice(equals + 1).trim();
    if (!LABEL_KEY.test(key)) {
      throw new UsageError(`label key '${key}' may hold only a-z, 0-9, '_', '.' and '-' (write labels like env=prod,host=db1)`, usage);
    }
    if (/[\p{Cc}]/u.test(value)) throw new UsageError(`the value of label '${key}' holds a control character`, usage);
    if (Object.hasOwn(labels, key)) throw new UsageError(`label '${key}' is given twice`, usage);
    labels[key] = value;
  }
  return labels;
}

/** Flags first, then the environment, then defaults. */
export function runnerSettings({ io, options, usage }: Invocation): RunnerSettings {
  const server = options.string('server') ?? nonEmpty(io.env.FIREBREAK_URL);
  if (server === undefined) throw new UsageError('missing --server URL (or FIREBREAK_URL)', usage);
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new UsageError(`'${server}' is not a URL; pass the server like --server https://firebreak.example.com`, usage);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`'${server}' is not an http:// or https:// URL`, usage);

  const tokenOption = options.string('token');
  const token = tokenOption ?? nonEmpty(io.env[TOKEN_ENV]);
  if (token === undefined || token.trim() === '') throw new UsageError(`missing runner token: set ${TOKEN_ENV} (or pass --token)`, usage);

  const concurrencyText = options.string('concurrency') ?? '1';
  const concurrency = Number(concurrencyText);
  if (!/^\d+$/.test(concurrencyText) || concurrency < 1 || concurrency > MAX_CONCURRENCY) {
    throw new UsageError(`--concurrency must be a whole number from 1 to ${MAX_CONCURRENCY}, not '${concurrencyText}'`, usage);
  }

  const logLevel = nonEmpty(io.env.LOG_LEVEL) ?? 'info';
  if (!isLogLevel(logLevel)) throw new UsageError(`LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, not '${logLevel}'`, usage);

  const name = options.string('name') ?? hostname();
  if (name.trim() === '') throw new UsageError('--name must not be empty', usage);
  const stateDir = options.string('state-dir');
  return {
    serverUrl: server,
    token,
    tokenFromOption: tokenOption !== undefined,
    name,
    labels: parseLabels(options.strings('labels'), usage),
    workdir: resolve(io.cwd, options.string('workdir') ?? '.'),
    stateDir: stateDir === undefined ? undefined : resolve(io.cwd, stateDir),
    concurrency,
    logLevel,
  };
}

export const runnerCommand: Command = {
  kind: 'command',
  name: 'runner',
  summary: 'Run a runner agent: carry out runbook steps on this machine',
  description: [
    'The agent connects out to the server (no inbound port), claims the steps whose runner labels it',
    'matches, runs them in --workdir and streams their output, masked, back to the server.',
    `Environment: ${TOKEN_ENV} (the runner token; better than --token, which shows in ps), FIREBREAK_URL,`,
    'LOG_LEVEL, FIREBREAK_SQL_CLIENT (the command sql steps pipe into; default psql -X -v ON_ERROR_STOP=1),',
    'PROMETHEUS_URL (for promql steps; default http://127.0.0.1:9090). Steps see this environment, except the token.',
    'Signals: SIGTERM/SIGINT stop claiming and wait for running steps; a second one stops the running steps;',
    'a third one ends the agent at once (an unfinished step is reported when the agent starts again).',
  ].join('\n'),
  options: {
    server: { type: 'string', value: 'URL', description: 'Firebreak server (env FIREBREAK_URL)' },
    token: { type: 'string', value: 'TOKEN', description: `runner token (prefer env ${TOKEN_ENV})` },
    labels: { type: 'string', value: 'K=V,...', multiple: true, description: 'labels that runbook steps select runners by, e.g. env=prod,host=db1' },
    name: { type: 'string', value: 'NAME', description: 'name shown in runs (default the host name)' },
    workdir: { type: 'string', value: 'DIR', description: 'working directory of the steps (default the current directory)' },
    'state-dir': { type: 'string', value: 'DIR', description: 'where the agent keeps its id and steps in progress (default ~/.local/state/firebreak-runner)' },
    concurrency: { type: 'string', value: 'N', description: 'steps run at once (default 1)' },
  },
  examples: [
    `${TOKEN_ENV}=fbk_… firebreak runner --server https://firebreak.example.com --labels env=prod,host=db1`,
    'firebreak runner --server http://127.0.0.1:8080 --labels env=staging --workdir /srv/ops --concurrency 2',
  ],
  async run(invocation) {
    const { io } = invocation;
    const settings = runnerSettings(invocation);
    const workdir = statSync(settings.workdir, { throwIfNoEntry: false });
    if (!workdir?.isDirectory()) {
      throw new CliError(`working directory ${settings.workdir} does not exist`, EXIT.config, { hints: ['create it, or pass another with --workdir DIR'] });
    }
    if (settings.tokenFromOption) printLine(io.stderr, `warning: --token shows in the process list; set ${TOKEN_ENV} instead`);
    // Loaded on demand so that other commands never load the agent.
    const { HttpRunnerTransport, RunnerAgent, StateDirectoryLockedError } = await import('../runner/index.ts');
    const logger = createLogger(settings.logLevel, { write: (line: string) => void io.stderr.write(line) });
    // Steps must not see the runner's credential.
    const env = Object.fromEntries(Object.entries(io.env).filter(([name]) => name !== TOKEN_ENV));
    const agent = new RunnerAgent({
      transport: new HttpRunnerTransport({ serverUrl: settings.serverUrl, token: settings.token, fetch: io.fetch }),
      identity: { name: settings.name, labels: settings.labels, version: packageVersion() },
      workdir: settings.workdir,
      ...(settings.stateDir === undefined ? {} : { stateDir: settings.stateDir }),
      concurrency: settings.concurrency,
      logger,
      env,
      secretValues: [settings.token],
    });
    try {
      await agent.start();
    } catch (error) {
      if (error instanceof StateDirectoryLockedError) throw new CliError(error.message, EXIT.config);
      throw error;
    }
    const labels = Object.entries(settings.labels).map(([key, value]) => (value === '' ? key : `${key}=${value}`)).join(',') || '(none)';
    printLine(io.stdout, `Runner ${settings.name} (${agent.runner?.id}) is waiting for steps from ${settings.serverUrl}; labels ${labels}`);
    return untilStopped(io, agent);
  },
};

interface StoppableAgent {
  stop(options?: { kill?: boolean }): Promise<void>;
  readonly stopped: Promise<{ fatal: Error | null }>;
}

/**
 * Resolves with the exit code once the agent has stopped: 0 after SIGTERM/SIGINT, 5 when
 * the server refused the token. The handlers go after the second signal, so that a third
 * falls through to Node's default and ends an agent that still waits for the server.
 */
function untilStopped(io: Io, agent: StoppableAgent): Promise<number> {
  return new Promise((resolveExit) => {
    let received = 0;
    const detach = () => {
      io.signals.off('SIGTERM', onTerm);
      io.signals.off('SIGINT', onInt);
    };
    const onSignal = (signal: NodeJS.Signals) => {
      received += 1;
      if (received === 1) {
        printLine(io.stderr, `${signal} received: claiming no more steps, waiting for the running ones (send it again to stop them)`);
        void agent.stop();
      } else {
        printLine(io.stderr, `${signal} received again: stopping the running steps`);
        detach();
        void agent.stop({ kill: true });
      }
    };
    const onTerm = () => onSignal('SIGTERM');
    const onInt = () => onSignal('SIGINT');
    io.signals.on('SIGTERM', onTerm);
    io.signals.on('SIGINT', onInt);
    void agent.stopped.then(({ fatal }) => {
      detach();
      if (fatal !== null) printLine(io.stderr, `error: ${fatal.message}\nhint: check the runner token (${TOKEN_ENV}) and that its role may run steps`);
      resolveExit(fatal === null ? EXIT.ok : EXIT.auth);
    });
  });
}

function packageVersion(): string | undefined {
  try {
    const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
    return (JSON.parse(text) as { version?: string }).version;
  } catch {
    return undefined;
  }
}
