import type { RunningServer } from '../runtime/index.ts';
import type { Command, Invocation } from './command.ts';
import { isConfigInvalid, printConfigProblems, resolveConfigPath, resolveDataDir } from './config.ts';
import { reportError, UsageError } from './errors.ts';
import { printLine, type Io } from './io.ts';
import { nonEmpty } from './remote.ts';

const DEFAULT_PORT = 8080;
const DEFAULT_HOST = '127.0.0.1';

export interface ServeSettings {
  configPath: string;
  dataDir: string;
  port: number;
  host: string;
  databaseUrl: string | undefined;
  bootstrapToken: string | undefined;
  logLevel: string | undefined;
  trustProxy: boolean | number | string[];
}

/**
 * FIREBREAK_TRUST_PROXY: `true` (any proxy), a hop count, or a comma-separated
 * list of proxy addresses and CIDRs whose X-Forwarded-For and -Proto to believe.
 */
export function parseTrustProxy(text: string | undefined, usage: string): boolean | number | string[] {
  if (text === undefined || text === 'false' || text === '0') return false;
  if (text === 'true') return true;
  if (/^\d{1,2}$/.test(text)) return Number(text);
  const entries = text.split(',').map((entry) => entry.trim()).filter(Boolean);
  const address = /^(?:[0-9.]+|[0-9a-fA-F:]+)(?:\/\d{1,3})?$|^(?:loopback|linklocal|uniquelocal)$/;
  const wrong = entries.find((entry) => !address.test(entry));
  if (entries.length === 0 || wrong !== undefined) {
    throw new UsageError(`FIREBREAK_TRUST_PROXY must be true, false, a hop count or proxy addresses/CIDRs separated by commas, not '${wrong ?? text}'`, usage);
  }
  return entries;
}

/** Flags first, then the environment, then defaults. */
export function serveSettings({ io, options, usage }: Invocation): ServeSettings {
  const portText = options.string('port') ?? nonEmpty(io.env.PORT) ?? String(DEFAULT_PORT);
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65_535) throw new UsageError(`port must be a number from 0 to 65535, not '${portText}'`, usage);
  return {
    configPath: resolveConfigPath(io, options.string('config')),
    dataDir: resolveDataDir(io, options.string('data-dir')),
    port,
    host: options.string('host') ?? nonEmpty(io.env.HOST) ?? DEFAULT_HOST,
    databaseUrl: nonEmpty(io.env.DATABASE_URL),
    bootstrapToken: nonEmpty(io.env.FIREBREAK_BOOTSTRAP_TOKEN),
    logLevel: nonEmpty(io.env.LOG_LEVEL),
    trustProxy: parseTrustProxy(nonEmpty(io.env.FIREBREAK_TRUST_PROXY), usage),
  };
}

export const serveCommand: Command = {
  kind: 'command',
  name: 'serve',
  summary: 'Run the Firebreak server',
  description: [
    'Environment: FIREBREAK_CONFIG, FIREBREAK_DATA_DIR, PORT, HOST (fallbacks for the options),',
    'DATABASE_URL (postgres://… selects PostgreSQL instead of SQLite in the data directory),',
    'FIREBREAK_BOOTSTRAP_TOKEN (an admin API token created at start if absent), LOG_LEVEL,',
    'FIREBREAK_TRUST_PROXY (behind a reverse proxy: true, a hop count, or proxy addresses/CIDRs).',
    'Signals: SIGTERM/SIGINT stop gracefully (a second one stops at once); SIGHUP reloads the config.',
  ].join('\n'),
  options: {
    config: { type: 'string', value: 'FILE', description: 'config file (default ./firebreak.yaml, else the packaged example)' },
    'data-dir': { type: 'string', value: 'DIR', description: 'where the SQLite database lives (default ./data)' },
    port: { type: 'string', value: 'N', description: `port to listen on (default ${DEFAULT_PORT}; 0 picks a free one)` },
    host: { type: 'string', value: 'HOST', description: `address to listen on (default ${DEFAULT_HOST})` },
  },
  async run(invocation) {
    const { io } = invocation;
    const settings = serveSettings(invocation);
    // Loaded on demand so that client commands start fast and never load the server.
    const { startServer } = await import('../runtime/index.ts');
    let server: RunningServer;
    try {
      server = await startServer(settings);
    } catch (error) {
      if (isConfigInvalid(error)) return printConfigProblems(io, settings.configPath, error);
      throw error;
    }
    printLine(io.stdout, `Firebreak is serving ${server.url}`);
    if (server.adminToken) printLine(io.stdout, `Admin token (shown once): ${server.adminToken}`);
    if ((await server.services.store.repos.accounts.list()).length === 0) {
      printLine(io.stdout, 'Nobody can sign in to the web UI yet: create an administrator with');
      printLine(io.stdout, `  npx firebreak user create USERNAME --role admin${settings.databaseUrl ? '' : ` --data-dir ${settings.dataDir}`}`);
    }
    return untilStopped(io, server, settings.configPath);
  },
};

/**
 * Resolves with the exit code once SIGTERM or SIGINT has closed the server.
 * The handlers are removed at the first stop signal, so a second Ctrl-C
 * falls through to Node's default and ends a shutdown that hangs.
 */
function untilStopped(io: Io, server: RunningServer, configPath: string): Promise<number> {
  return new Promise((resolve) => {
    let reloads = Promise.resolve();
    const onHangup = () => {
      reloads = reloads.then(() => reloadAndReport(io, server, configPath));
    };
    const stop = (signal: NodeJS.Signals) => {
      io.signals.off('SIGTERM', onTerm);
      io.signals.off('SIGINT', onInt);
      io.signals.off('SIGHUP', onHangup);
      printLine(io.stderr, `${signal} received, shutting down`);
      server.close().then(
        () => resolve(0),
        (error: unknown) => resolve(reportError(error, io)),
      );
    };
    const onTerm = () => stop('SIGTERM');
    const onInt = () => stop('SIGINT');
    io.signals.on('SIGTERM', onTerm);
    io.signals.on('SIGINT', onInt);
    io.signals.on('SIGHUP', onHangup);
  });
}

async function reloadAndReport(io: Io, server: RunningServer, configPath: string): Promise<void> {
  try {
    const outcome = await server.reloadConfig();
    if (outcome.ok) {
      printLine(io.stderr, `SIGHUP: reloaded ${configPath} (${outcome.changed ? 'changed' : 'unchanged'})`);
      return;
    }
    await printConfigProblems(io, configPath, outcome.error);
    printLine(io.stderr, 'SIGHUP: kept the previous config');
  } catch (error) {
    // The server keeps running on its old config whatever went wrong; say what it was.
    reportError(error, io);
  }
}
