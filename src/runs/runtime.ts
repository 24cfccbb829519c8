import { rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Services } from '../core/context.ts';
import { systemActor } from '../core/actor.ts';
import { withActor } from '../core/context.ts';
import type { Config } from '../config/schema.ts';
import { RunnerAgent } from '../runner/index.ts';
import { sweepLapsedSteps, leaseMsOf } from './dispatch.ts';
import { RunnerHub } from './hub.ts';
import { LocalTransport } from './local-transport.ts';

export interface RunsRuntimeOptions {
  /**
   * Where the embedded runner keeps the steps it is running, so that after a crash it
   * stops their leftovers and reports them `unknown` at once. Null: a temporary folder
   * of this process (another instance's steps are left to the lease).
   */
  localRunnerStateDir: string | null;
  instanceId: string;
}

/**
 * The moving parts of runs in one server process: the hub that long-poll claims wait
 * in, and the sweep that turns steps of silent runners into `unknown`.
 */
export class RunsRuntime {
  readonly hub: RunnerHub;
  private sweeper: NodeJS.Timeout | null = null;
  private sweeping: Promise<unknown> = Promise.resolve();
  private local: RunnerAgent | null = null;
  private temporaryStateDir: string | null = null;

  constructor(
    private readonly services: Services,
    private readonly options: RunsRuntimeOptions,
  ) {
    this.hub = new RunnerHub(services.events);
  }

  /** The embedded runner, as `runbooks.localRunner` configured it at start (a reload does not restart it). */
  async startLocalRunner(): Promise<void> {
    const config = this.services.config();
    const settings = config.runbookSettings.localRunner ?? { enabled: true, labels: { local: '' }, concurrency: 2 };
    if (!settings.enabled || config.runbooks.runbooks.length === 0) return;
    const base = config.source.path === null ? process.cwd() : dirname(resolve(config.source.path));
    let stateDir = this.options.localRunnerStateDir;
    if (stateDir === null) {
      stateDir = join(process.env.TMPDIR ?? '/tmp', `firebreak-local-runner-${this.options.instanceId}`);
      this.temporaryStateDir = stateDir;
    }
    this.local = new RunnerAgent({
      transport: new LocalTransport(this.services, this.hub),
      identity: { name: `local@${hostname()}`, labels: { ...settings.labels } },
      workdir: settings.workdir === undefined ? process.cwd() : resolve(base, settings.workdir),
      stateDir,
      concurrency: settings.concurrency,
      logger: this.services.logger.child({ component: 'local-runner' }),
      env: stepBaseEnv(config, process.env),
      // The embedded runner answers at once; no need to wait long between looks.
      flushIntervalMs: 50,
    });
    await this.local.start();
  }

  start(): void {
    // Every instance sweeps; each change is a compare-and-set, so they never clash.
    const every = Math.max(500, Math.min(5000, Math.floor(leaseMsOf(withActor(this.services, systemActor())) / 3)));
    this.sweeper = setInterval(() => {
      this.sweeping = this.sweep().catch((error: unknown) => this.services.logger.error({ err: error }, 'runner lease sweep failed'));
    }, every);
    this.sweeper.unref();
  }

  /** Marks the steps of runners silent past their lease `unknown`; returns how many. */
  sweep(): Promise<number> {
    return sweepLapsedSteps(withActor(this.services, systemActor('runner-lease')));
  }

  async stop(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
    // Claims waiting in the hub end first, so the embedded runner's loops can finish.
    this.hub.stop();
    // Steps of the embedded runner cannot outlive the server: stop them and say so.
    await this.local?.stop({ kill: true });
    this.local = null;
    await this.sweeping;
    if (this.temporaryStateDir !== null) rmSync(this.temporaryStateDir, { recursive: true, force: true });
  }
}

/**
 * What the embedded runner's steps inherit: the server's environment without what
 * belongs to the server itself (its database URL, FIREBREAK_… settings and tokens, and
 * every variable the config names for a secret, such as `urlEnv` or `passwordEnv`).
 * Variables in `runbooks.secrets` stay: steps need them, and their values are masked.
 */
export function stepBaseEnv(config: Config, env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const serverOwned = new Set(['DATABASE_URL']);
  const collect = (value: unknown, key: string | null): void => {
    if (typeof value === 'string' && key !== null && key.endsWith('Env')) serverOwned.add(value);
    else if (Array.isArray(value)) value.forEach((item) => collect(item, null));
    else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) collect(v, k);
  };
  collect(config.file, null);
  for (const name of config.runbookSettings.secrets) serverOwned.delete(name);
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || serverOwned.has(name) || name.startsWith('FIREBREAK_')) continue;
    kept[name] = value;
  }
  return kept;
}
