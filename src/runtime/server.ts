import { randomBytes } from 'node:crypto';
import { availableParallelism, hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureAdminToken } from '../auth/index.ts';
import { ConfigHolder, loadConfigFile } from '../config/index.ts';
import { systemClock, type Clock } from '../core/clock.ts';
import { combineHooks, type Services } from '../core/context.ts';
import { createIdGenerator } from '../core/ids.ts';
import { Events } from '../events/index.ts';
import { createApp, type App } from '../http/app.ts';
import { WebhookParser } from '../http/webhooks/index.ts';
import { AlertPipeline } from '../alerts/index.ts';
import { incidentTimerHandlers } from '../incidents/index.ts';
import { Deliverer } from '../notify/deliverer.ts';
import { AckLinks, pagingHooks, pagingTimerHandlers, type PagingRuntime } from '../paging/index.ts';
import { Metrics, createLogger, type Logger } from '../observability/index.ts';
import { RunsRuntime } from '../runs/runtime.ts';
import { postIncidentHooks, postIncidentTimerHandlers } from '../postincident/index.ts';
import { statusHooks } from '../status/index.ts';
import { Store } from '../store/index.ts';
import { Scheduler } from '../timers/index.ts';

export interface ServeOptions {
  configPath: string;
  dataDir?: string;
  databaseUrl?: string;
  port?: number;
  host?: string;
  bootstrapToken?: string;
  logLevel?: string;
  logger?: Logger;
  clock?: Clock;
  /** Tests and benchmarks tune how often the scheduler looks for due timers. */
  timerPollMs?: number;
  timerBatchSize?: number;
  /** Run no timer scheduler in this process (an API-only instance). */
  timers?: boolean;
  /** Believe X-Forwarded-For/-Proto from these proxies. */
  trustProxy?: boolean | number | string[];
  /** The built web UI; defaults to the package's web/dist, null serves none. */
  uiDir?: string | null;
  /** How often a live event stream checks that its caller may still read it. */
  streamCheckMs?: number;
}

/** Where `npm run build:web` writes the UI, beside the sources. */
export const DEFAULT_UI_DIR = fileURLToPath(new URL('../../web/dist/', import.meta.url));

export interface RunningServer {
  url: string;
  port: number;
  /** Set when this start created an admin token nobody has seen yet. */
  adminToken: string | null;
  instanceId: string;
  app: App;
  services: Services;
  reloadConfig: ConfigHolder['reload'];
  /** Fires the timers due now, at once; for tests that move a manual clock. */
  fireDueTimers(): Promise<number>;
  /** Sends what the outbox holds now, at once; for tests. */
  deliverNow(): Promise<number>;
  paging: PagingRuntime;
  runs: RunsRuntime;
  /** Reads alert webhooks; `start()` readies its threads ahead of the first large body. */
  webhooks: WebhookParser;
  /** Where alerts go once read (dedup, grouping into incidents). */
  alerts: AlertPipeline;
  close(): Promise<void>;
}

/**
 * Loads and validates the configuration first (an invalid file stops the start
 * with every problem listed), then opens and migrates the store, then serves.
 */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger(options.logLevel ?? 'info');
  const loadConfig = () => loadConfigFile(options.configPath, clock.now());
  const config = new ConfigHolder(await loadConfig(), loadConfig);

  const store = await Store.open({
    databaseUrl: options.databaseUrl,
    dataDir: options.dataDir,
    onConnectionError: (error) => logger.warn({ err: error }, 'a database connection failed; it will be replaced'),
  });
  const instanceId = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const events = new Events(store, instanceId);
  const services: Services = {
    store,
    clock,
    newId: createIdGenerator(clock),
    config: () => config.current(),
    events,
    logger,
    hooks: {},
    wake: { outbox: () => deliverer.wake(), timers: () => scheduler.wake() },
  };
  const metrics = new Metrics(store, clock);
  // Every instance signs and checks acknowledge links with the same key, kept in the database.
  const linkKey = await store.repos.paging.settingOrCreate('ack_link_key', () => randomBytes(32).toString('base64url'), clock.now());
  let listeningUrl = '';
  const paging: PagingRuntime = {
    links: new AckLinks(linkKey),
    publicUrl: () => config.current().publicUrl ?? listeningUrl,
  };
  Object.assign(services.hooks, combineHooks(pagingHooks(paging), postIncidentHooks, statusHooks));
  const deliverer = new Deliverer({
    services,
    observer: {
      onDelivered: (channel, kind, ms) => {
        metrics.notificationsDelivered.inc({ channel, kind });
        metrics.notificationLatency.observe({ channel }, ms / 1000);
      },
      onRetry: (channel) => metrics.notificationRetries.inc({ channel }),
      onDead: (channel) => metrics.deadLetters.inc({ channel }),
      onBreaker: (channel, open) => metrics.circuitOpen.set({ channel }, open ? 1 : 0),
    },
  });
  const scheduler = new Scheduler({
    services,
    handlers: { ...incidentTimerHandlers, ...pagingTimerHandlers(paging), ...postIncidentTimerHandlers },
    instanceId,
    pollMs: options.timerPollMs,
    batchSize: options.timerBatchSize,
    workers: store.dialect === 'postgres' ? 4 : 1,
    onFired: ({ kind, lateMs, ok }) => {
      metrics.timersFired.inc({ kind, result: ok ? 'ok' : 'retry' });
      metrics.timerLateness.observe({ kind }, Math.max(0, lateMs) / 1000);
    },
  });

  const alerts = new AlertPipeline(services, {
    onOutcome: (integration, result, count) => metrics.alertsReceived.inc({ integration: integration.kind, result }, count),
    onBatch: (_jobs, _alerts, ms) => metrics.alertBatchSeconds.observe(ms / 1000),
  });

  const webhooks = new WebhookParser({
    threads: Math.min(4, Math.max(2, availableParallelism() - 1)),
    openAlerts: alerts.openAlerts(),
    onThreadError: (error) => logger.warn({ err: error }, 'a webhook parser thread failed; another starts in its place'),
  });

  const runs = new RunsRuntime(services, {
    instanceId,
    // One SQLite server per data folder, so its embedded runner can clean up after a crash there.
    localRunnerStateDir: store.dialect === 'sqlite' && options.dataDir !== undefined ? join(options.dataDir, 'local-runner') : null,
  });
  let app: App | undefined;
  try {
    const adminToken = await ensureAdminToken(store, clock, options.bootstrapToken);
    await events.start();
    app = await createApp({
      services,
      alerts,
      webhooks,
      metrics,
      reloadConfig: () => config.reload(),
      wakeTimers: () => scheduler.wake(),
      paging,
      runs,
      trustProxy: options.trustProxy,
      uiDir: options.uiDir === undefined ? DEFAULT_UI_DIR : options.uiDir,
      streamCheckMs: options.streamCheckMs,
    });
    await app.listen({ port: options.port ?? 8080, host: options.host ?? '127.0.0.1' });
    if (options.timers !== false) {
      scheduler.start();
      deliverer.start();
      runs.start();
      await runs.startLocalRunner();
    }
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : (options.port ?? 8080);
    const host = options.host ?? '127.0.0.1';
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    listeningUrl = url;
    logger.info({ url, database: store.describe, config: options.configPath, instanceId }, 'Firebreak is serving');
    const running = app;
    let closing: Promise<void> | null = null;
    return {
      url,
      port,
      adminToken,
      instanceId,
      app: running,
      services,
      reloadConfig: () => config.reload(),
      paging,
      runs,
      webhooks,
      alerts,
      deliverNow: () => deliverer.flush(),
      fireDueTimers: async () => {
        let total = 0;
        for (let fired = await scheduler.tick(); fired > 0; fired = await scheduler.tick()) total += fired;
        return total;
      },
      close: () => {
        // In-flight requests finish (Fastify waits for them) before the store closes.
        closing ??= (async () => {
          const step = async (what: string, work: () => Promise<void>) => {
            await work();
            logger.debug(`shutdown: ${what}`);
          };
          await step('timers stopped', () => scheduler.stop());
          await step('runner claims ended', () => runs.stop());
          await step('HTTP requests finished', () => running.close());
          await step('webhook parser threads stopped', () => webhooks.close());
          await step('alert batches committed', () => alerts.drain());
          await step('deliveries stopped', () => deliverer.stop());
          await step('live events stopped', () => events.stop());
          await step('database closed', () => store.close());
        })();
        return closing;
      },
    };
  } catch (error) {
    await scheduler.stop();
    await deliverer.stop();
    await runs.stop();
    await app?.close();
    await webhooks.close();
    await events.stop();
    await store.close();
    throw error;
  }
}
