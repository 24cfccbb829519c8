import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { describe, it } from 'vitest';

/**
 * Real monitoring peers for end-to-end tests and benchmarks: Debian's
 * `prometheus-alertmanager` and `prometheus`, each started on a free loopback
 * port with a temporary data directory and a generated YAML config.
 *
 * No process outlives the test run. Every peer is started through a tiny
 * `sh` watchdog that holds a pipe from this process and SIGKILLs the peer
 * when the pipe closes, so even a test worker that dies by SIGKILL takes its
 * peers with it; the `exec` keeps the peer's pid that of the child, so
 * signals and /proc/PID/status reach the peer itself. An exit hook and
 * `stopAllPeers()` (for afterAll) stop the rest.
 */

export type PeerName = 'alertmanager' | 'prometheus';

const BINARY_CANDIDATES: Record<PeerName, { env: string; paths: string[]; names: string[] }> = {
  alertmanager: { env: 'FIREBREAK_ALERTMANAGER_BIN', paths: ['/usr/bin/prometheus-alertmanager'], names: ['prometheus-alertmanager', 'alertmanager'] },
  prometheus: { env: 'FIREBREAK_PROMETHEUS_BIN', paths: ['/usr/bin/prometheus'], names: ['prometheus'] },
};

export const executable = (path: string) => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** The peer's binary: `$FIREBREAK_ALERTMANAGER_BIN` / `$FIREBREAK_PROMETHEUS_BIN`, Debian's path, or the PATH; null when absent. */
export function peerBinary(name: PeerName): string | null {
  const candidates = BINARY_CANDIDATES[name];
  const override = process.env[candidates.env];
  if (override) return executable(override) ? override : null;
  for (const path of candidates.paths) if (executable(path)) return path;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    for (const binary of candidates.names) if (dir && executable(join(dir, binary))) return join(dir, binary);
  }
  return null;
}

export const onCi = () => process.env.CI === 'true' || process.env.CI === '1';

/**
 * A describe block that needs real peers. A missing binary skips it with a
 * warning locally; with CI=true it is a failing test, never a silent skip.
 */
export function describeWithPeers(name: string, peers: PeerName[], body: () => void): void {
  const missing = peers.filter((peer) => peerBinary(peer) === null);
  const why = `missing ${missing.map((peer) => `${peer} (${BINARY_CANDIDATES[peer].paths.join(', ')} or $${BINARY_CANDIDATES[peer].env})`).join(' and ')}`;
  describeNeeding(name, missing.length === 0 ? null : { what: missing.join(' and '), why }, body);
}

/** Runs the block when nothing is missing; otherwise a skip with a warning locally, a failing test on CI. */
export function describeNeeding(name: string, missing: { what: string; why: string } | null, body: () => void): void {
  if (missing === null) {
    describe(name, body);
    return;
  }
  if (onCi()) {
    describe(name, () => {
      it(`needs ${missing.what}`, () => {
        throw new Error(`${missing.why}: on CI these end-to-end tests must run`);
      });
    });
    return;
  }
  console.warn(`SKIPPED "${name}": ${missing.why} (set CI=true to make this a failure)`);
  describe.skip(name, body);
}

// ---------------------------------------------------------------------------
// Processes

export interface PeerProcess {
  name: PeerName;
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  pid: number;
  /** The temporary directory with the config and the data; removed by stop(). */
  dir: string;
  child: ChildProcess;
  /** SIGTERM, then SIGKILL after `graceMs`; removes the directory. Safe to call twice. */
  stop(graceMs?: number): Promise<void>;
  /** Peak resident set size so far (VmHWM) in KiB, while the process runs. */
  peakRssKb(): number | undefined;
  /** The last lines the peer wrote, for failure messages. */
  recentOutput(): string;
}

const live = new Set<PeerProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const peer of live) {
      peer.child.kill('SIGKILL');
      rmSync(peer.dir, { recursive: true, force: true });
    }
  });
}

/** Stops every peer this process started and has not stopped yet (for afterAll). */
export async function stopAllPeers(): Promise<void> {
  await Promise.all([...live].map((peer) => peer.stop()));
}

/** A port free on 127.0.0.1 right now (the peer binds it a moment later; start() retries on a clash). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * The watchdog: a background subshell reads one line from the pipe of this
 * process. A line means "stopped on purpose, exit"; end of file means this
 * process died, so it SIGKILLs the peer ($$ is the pid the peer took by exec)
 * and removes its temporary directory.
 */
const WATCHDOG = [
  '(if ! read -r _line <&3; then',
  '  kill -9 $$; sleep 1;',
  '  case "$FIREBREAK_PEER_DIR" in */firebreak-alertmanager-*|*/firebreak-prometheus-*) rm -rf -- "$FIREBREAK_PEER_DIR";; esac;',
  'fi) >/dev/null 2>&1 &',
  'exec "$@" 3<&-',
].join('\n');

/** Readable number of KiB from /proc/PID/status, e.g. VmHWM or VmRSS. */
export function procStatusKb(pid: number, field: 'VmHWM' | 'VmRSS'): number | undefined {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

interface LaunchSpec {
  name: PeerName;
  dir: string;
  port: number;
  args: string[];
}

async function launch(spec: LaunchSpec, readyTimeoutMs: number): Promise<PeerProcess> {
  installExitHook();
  const binary = peerBinary(spec.name);
  if (binary === null) throw new Error(`${spec.name} is not installed (looked for ${BINARY_CANDIDATES[spec.name].paths.join(', ')} and $${BINARY_CANDIDATES[spec.name].env})`);
  // fd 3 is the watchdog's pipe; the peer itself gets neither it nor stdin.
  const child = spawn('/bin/sh', ['-c', WATCHDOG, spec.name, binary, ...spec.args], {
    cwd: spec.dir,
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    env: { ...process.env, FIREBREAK_PEER_DIR: spec.dir },
  });
  const lifeline = child.stdio[3] as NodeJS.WritableStream & { destroyed?: boolean };
  lifeline.on('error', () => {}); // the watchdog may be gone already
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });

  const tail: string[] = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    let buffered = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buffered += chunk;
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        tail.push(buffered.slice(0, newline));
        if (tail.length > 60) tail.shift();
        buffered = buffered.slice(newline + 1);
        newline = buffered.indexOf('\n');
      }
    });
  }
  const recentOutput = () => tail.join('\n');
  const url = `http://127.0.0.1:${spec.port}`;
  let stopped: Promise<void> | null = null;

  const peer: PeerProcess = {
    name: spec.name,
    url,
    port: spec.port,
    pid: child.pid!,
    dir: spec.dir,
    child,
    peakRssKb: () => procStatusKb(child.pid!, 'VmHWM'),
    recentOutput,
    stop: (graceMs = 5_000) => {
      stopped ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
          await exited;
          clearTimeout(timer);
        }
        // Release the watchdog without letting it kill anything.
        if (!lifeline.destroyed) lifeline.end('stop\n');
        live.delete(peer);
        rmSync(spec.dir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
  live.add(peer);

  const deadline = Date.now() + readyTimeoutMs;
  let gone: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  void exited.then((result) => {
    gone = result;
  });
  for (;;) {
    if (gone !== null) {
      const { code, signal } = gone;
      await peer.stop();
      throw Object.assign(new Error(`${spec.name} exited before it was ready (code ${code}, signal ${signal})\n${recentOutput()}`), {
        addressInUse: /address already in use/i.test(recentOutput()),
      });
    }
    try {
      const response = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1_000) });
      await response.arrayBuffer();
      if (response.status === 200) return peer;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await peer.stop(0);
      throw new Error(`${spec.name} was not ready on ${url} within ${readyTimeoutMs} ms\n${recentOutput()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Picks a port, starts, and tries again with another port if someone took it in between. */
async function launchOnFreePort(name: PeerName, prepare: (dir: string, port: number) => string[], readyTimeoutMs: number): Promise<PeerProcess> {
  for (let attempt = 1; ; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), `firebreak-${name}-`));
    const port = await freePort();
    try {
      return await launch({ name, dir, port, args: prepare(dir, port) }, readyTimeoutMs);
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      if (attempt >= 3 || !(error as { addressInUse?: boolean }).addressInUse) throw error;
    }
  }
}

/** YAML is a superset of JSON: generated configs are written as JSON, so no value needs quoting rules. */
const yaml = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

// ---------------------------------------------------------------------------
// Alertmanager

export interface AlertmanagerOptions {
  /** The webhook receiver's URL; without one the route ends in a receiver with no integrations. */
  webhookUrl?: string;
  /** Default ['alertname']; ['...'] makes every alert its own group. */
  groupBy?: string[];
  groupWait?: string;
  groupInterval?: string;
  repeatInterval?: string;
  sendResolved?: boolean;
  /** Per webhook; 0 (the default) means all. */
  maxAlerts?: number;
  readyTimeoutMs?: number;
}

export type Alertmanager = PeerProcess & {
  /** POST /api/v2/alerts; throws unless Alertmanager answers 200. */
  postAlerts(alerts: AlertmanagerApiAlert[]): Promise<void>;
  /** GET /api/v2/alerts (active, silenced, inhibited; not resolved). */
  alerts(): Promise<Array<{ labels: Record<string, string>; fingerprint: string; status: { state: string } }>>;
};

/** An alert as Alertmanager's API v2 takes it (postableAlert). */
export interface AlertmanagerApiAlert {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt?: string;
  endsAt?: string;
  generatorURL?: string;
}

export function alertmanagerConfig(options: AlertmanagerOptions): string {
  const receiver = options.webhookUrl
    ? {
        name: 'firebreak',
        webhook_configs: [{ url: options.webhookUrl, send_resolved: options.sendResolved ?? true, max_alerts: options.maxAlerts ?? 0 }],
      }
    : { name: 'firebreak' };
  return yaml({
    route: {
      receiver: 'firebreak',
      group_by: options.groupBy ?? ['alertname'],
      group_wait: options.groupWait ?? '1s',
      group_interval: options.groupInterval ?? '1s',
      repeat_interval: options.repeatInterval ?? '1h',
    },
    receivers: [receiver],
  });
}

export async function startAlertmanager(options: AlertmanagerOptions = {}): Promise<Alertmanager> {
  const peer = await launchOnFreePort(
    'alertmanager',
    (dir, port) => {
      const configFile = join(dir, 'alertmanager.yml');
      writeFileSync(configFile, alertmanagerConfig(options));
      return [
        `--config.file=${configFile}`,
        `--storage.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        `--web.external-url=http://127.0.0.1:${port}`,
        // Empty: no cluster, no gossip, nothing listening but the API.
        '--cluster.listen-address=',
        '--log.level=warn',
      ];
    },
    options.readyTimeoutMs ?? 30_000,
  );
  return Object.assign(peer, {
    postAlerts: async (alerts: AlertmanagerApiAlert[]) => {
      const response = await fetch(`${peer.url}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(alerts) });
      const text = await response.text();
      if (response.status !== 200) throw new Error(`Alertmanager refused the alerts: ${response.status} ${text}`);
    },
    alerts: async () => {
      const response = await fetch(`${peer.url}/api/v2/alerts`);
      if (response.status !== 200) throw new Error(`GET /api/v2/alerts: ${response.status} ${await response.text()}`);
      return (await response.json()) as Array<{ labels: Record<string, string>; fingerprint: string; status: { state: string } }>;
    },
  });
}

// ---------------------------------------------------------------------------
// Prometheus

export interface PrometheusRule {
  alert: string;
  /** PromQL, e.g. `vector(1) > 0` for an alert that always fires. */
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface PrometheusOptions {
  /** Where to send alerts: Alertmanager's base URL (http://127.0.0.1:PORT). */
  alertmanagerUrl: string;
  rules: PrometheusRule[];
  /** Default 1s. */
  evaluationInterval?: string;
  readyTimeoutMs?: number;
}

export function prometheusConfig(options: PrometheusOptions, ruleFile: string): string {
  const target = new URL(options.alertmanagerUrl).host;
  return yaml({
    global: { scrape_interval: '15s', evaluation_interval: options.evaluationInterval ?? '1s' },
    rule_files: [ruleFile],
    alerting: { alertmanagers: [{ api_version: 'v2', static_configs: [{ targets: [target] }] }] },
    scrape_configs: [],
  });
}

export async function startPrometheus(options: PrometheusOptions): Promise<PeerProcess> {
  return launchOnFreePort(
    'prometheus',
    (dir, port) => {
      const ruleFile = join(dir, 'rules.yml');
      writeFileSync(
        ruleFile,
        yaml({
          groups: [
            {
              name: 'firebreak-e2e',
              interval: options.evaluationInterval ?? '1s',
              rules: options.rules.map((rule) => ({ ...rule, for: rule.for ?? '0s' })),
            },
          ],
        }),
      );
      const configFile = join(dir, 'prometheus.yml');
      writeFileSync(configFile, prometheusConfig(options, ruleFile));
      return [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        `--web.external-url=http://127.0.0.1:${port}`,
        // Prometheus discovers the Alertmanager a few seconds after start and drops
        // what fired before; resending every second delivers it soon after.
        '--rules.alert.resend-delay=1s',
        '--log.level=warn',
      ];
    },
    options.readyTimeoutMs ?? 30_000,
  );
}
