import { withActor, type Services } from '../core/context.ts';
import { appendTimeline, isOpenStatus } from '../incidents/index.ts';
import type { IntegrationRecord, Store, Tx } from '../store/index.ts';
import type { AlertTouch } from '../store/repositories/alerts.ts';
import {
  BatchWriteFailed,
  IngestBatchState,
  NEEDS_SAVEPOINT,
  groupsFor,
  identityKey,
  ingestAlertsIn,
  type IngestOutcome,
  type IngestResult,
} from './ingest.ts';
import { integrationActor } from './integrations.ts';
import type { IncomingAlert, IncomingChange } from './model.ts';
import { OpenAlerts, type OpenAlert, type OpenAlertsFeed } from './open-alerts.ts';
import type { ReceivedAlerts } from './received.ts';
import { AlertRulesCache, type AlertRules } from './rules.ts';
import type { Context } from '../core/context.ts';

interface Job {
  integration: IntegrationRecord;
  alerts: IncomingAlert[];
  /** The alerts' dedup keys, each once. */
  dedupKeys: string[];
  /** identityKey of each of them. */
  identities: string[];
  resolve(summary: IngestSummary): void;
  reject(error: unknown): void;
}

export interface PipelineObserver {
  /** After each request: how many of its alerts had this result (once per result it had). */
  onOutcome?(integration: IntegrationRecord, result: IngestResult, count: number): void;
  onBatch?(jobs: number, alerts: number, ms: number): void;
}

const MAX_BATCH_ALERTS = 2000;
const UNIQUE_VIOLATION = /unique|23505|SQLITE_CONSTRAINT/i;
/**
 * PostgreSQL's serialization failure, deadlock, and a unique violation while
 * writing the batch's new alerts (another instance stored one meanwhile): the
 * whole transaction is worth another try.
 */
const RETRY_TRANSACTION = new Set(['40001', '40P01', '23505']);
const TRANSACTION_ATTEMPTS = 3;
/** PostgreSQL: batches committing at once (each holds a pooled connection); SQLite has one writer. */
const POSTGRES_CONCURRENT_BATCHES = 4;
/** PostgreSQL: a batch starts beside a committing one only with this many requests waiting (else they wait to go together). */
const CONCURRENT_BATCH_MIN_REQUESTS = 4;
/**
 * SQLite: how long refreshes acknowledged from memory wait before they are
 * written. Longer coalesces more repeats of each alert into one row write; it
 * is also about the most a crash can lose of them.
 */
export const REFRESH_DELAY_MS = 1_000;
/** SQLite: refreshes written per transaction, so that writing many holds up answers only briefly at a time. */
const REFRESH_CHUNK = 500;
/**
 * SQLite: a batch may wait for the senders just answered to come back, for
 * up to this share of the last batch's time and at most GATHER_MAX_MS (see
 * AlertPipeline.gathering).
 */
const GATHER_SHARE = 0.25;
const GATHER_MAX_MS = 5;

/** How many queued or committing requests carry each alert, by integration and dedup key. */
class IdentityCount {
  private readonly counts = new Map<string, Map<string, number>>();

  /** The dedup keys of one integration's alerts with a request queued or committing. */
  of(integrationId: string): ReadonlyMap<string, number> | undefined {
    return this.counts.get(integrationId);
  }

  add(integrationId: string, dedupKey: string): void {
    let keys = this.counts.get(integrationId);
    if (!keys) {
      keys = new Map();
      this.counts.set(integrationId, keys);
    }
    keys.set(dedupKey, (keys.get(dedupKey) ?? 0) + 1);
  }

  remove(integrationId: string, dedupKey: string): void {
    const keys = this.counts.get(integrationId);
    const count = keys?.get(dedupKey);
    if (!keys || count === undefined) return;
    if (count > 1) keys.set(dedupKey, count - 1);
    else {
      keys.delete(dedupKey);
      if (keys.size === 0) this.counts.delete(integrationId);
    }
  }
}

interface Refresh {
  n: number;
  at: number;
}

interface RefreshChunk {
  touches: AlertTouch[];
  /** The last chunk of a flush: once it commits, every acknowledgement up to `upTo` is stored. */
  last: boolean;
  upTo: number;
}

/**
 * Refreshes (last seen, count) of repeats answered from memory, coalesced per
 * alert until due, then written in chunks of REFRESH_CHUNK alerts, one
 * transaction each. Acknowledgements are numbered so that a reader can wait
 * for those made before it.
 */
class Refreshes {
  /** Alerts with repeats acknowledged since the last flush started (each once). */
  private acked: OpenAlert[] = [];
  /** Being written, chunk by chunk; null when no flush is under way. */
  private flushing: Map<string, Refresh> | null = null;
  private flushingUpTo = 0;
  private inFlight = false;
  /** Requests answered from memory so far, and how many of them are stored. */
  seq = 0;
  written = 0;
  failedAt = -Infinity;

  add(alert: OpenAlert, at: number): void {
    if (alert.repeats === 0) this.acked.push(alert);
    alert.repeats++;
    if (at > alert.lastSeenAt) alert.lastSeenAt = at;
  }

  get waiting(): boolean {
    return this.acked.length > 0;
  }

  get pending(): boolean {
    return this.acked.length > 0 || this.flushing !== null;
  }

  /** Makes what was acknowledged so far due (once the flush under way, if any, is done). */
  start(): void {
    if (this.flushing !== null || this.acked.length === 0) return;
    const flushing = new Map<string, Refresh>();
    for (const alert of this.acked) {
      // An alert forgotten and remembered again is two entries with one id.
      const earlier = flushing.get(alert.id);
      flushing.set(alert.id, { n: alert.repeats + (earlier?.n ?? 0), at: Math.max(alert.lastSeenAt, earlier?.at ?? 0) });
      alert.repeats = 0;
      alert.lastSeenAt = 0;
    }
    this.flushing = flushing;
    this.flushingUpTo = this.seq;
    this.acked = [];
  }

  take(): RefreshChunk | null {
    if (!this.flushing || this.inFlight) return null;
    const touches: AlertTouch[] = [];
    for (const [id, { n, at }] of this.flushing) {
      touches.push({ id, at, n, labels: null, annotations: null });
      this.flushing.delete(id);
      if (touches.length >= REFRESH_CHUNK) break;
    }
    this.inFlight = true;
    touches.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return { touches, last: this.flushing.size === 0, upTo: this.flushingUpTo };
  }

  done(chunk: RefreshChunk): void {
    this.inFlight = false;
    if (!chunk.last) return;
    this.written = Math.max(this.written, chunk.upTo);
    this.flushing = null;
  }

  /** The chunk's transaction failed: write it again later, or (shutting down) give the flush up. */
  failed(chunk: RefreshChunk, giveUp: boolean): void {
    this.inFlight = false;
    this.failedAt = performance.now();
    if (giveUp) {
      this.written = Math.max(this.written, this.flushingUpTo);
      this.flushing = null;
      return;
    }
    for (const { id, n, at } of chunk.touches) this.flushing!.set(id, { n, at });
  }
}

/** How many alerts of a request had each result (only results it had). */
export type IngestSummary = Partial<Record<IngestResult, number>>;

function summarise(outcomes: readonly IngestOutcome[]): IngestSummary {
  const counts: IngestSummary = {};
  for (const { result } of outcomes) counts[result] = (counts[result] ?? 0) + 1;
  return counts;
}

/** Each store's pipeline, so that alert reads can first wait for refreshes acknowledged from memory. */
const pipelines = new WeakMap<Store, AlertPipeline>();

/**
 * Waits until every repeat acknowledged so far from memory (see AlertPipeline)
 * is written, so that a read of alerts right after an answer sees its count and
 * last-seen time.
 */
export async function repeatsWritten(store: Store): Promise<void> {
  await pipelines.get(store)?.repeatsWritten();
}

/**
 * Alert ingest with group commit: requests that arrive while a transaction is
 * committing wait and go together in the next one, so each HTTP answer still
 * means "durably stored" while the database sees few, larger commits (and, in
 * them, one multi-row statement where there used to be one per alert). A
 * request that fails inside a batch is rolled back alone (savepoint) and
 * answered with its error; the others commit.
 *
 * Pure repeats on SQLite are answered from memory. A repeat of an alert that
 * is open and already in an incident, with the labels and annotations it has,
 * changes nothing about incidents: only the alert's last-seen time and
 * delivery count. Such a request (every alert of it a pure repeat, none of them
 * in a request still waiting to commit) is answered at once from an index of
 * open alerts, and its refresh is written REFRESH_DELAY_MS later, coalesced per
 * alert, in chunks of a few hundred alerts per transaction. A crash in between
 * loses only those refreshes (last seen and count of alerts that are stored
 * and in their incident), never an alert or its effect on incidents; Firebreak
 * resolves nothing by last-seen time, so nothing is resolved early because of
 * it (and a stored end time only ever comes with a resolve, which always waits
 * for its commit). A refresh adds to the count and never moves last seen
 * back, so it may be written after later changes to the alert. Reads of alerts
 * through the API wait for the refreshes first (repeatsWritten); a graceful
 * shutdown writes them (drain).
 *
 * On PostgreSQL other instances write the same alerts, so every request waits
 * for its commit there; several batches commit at once instead (never two with
 * the same alert), each taking its alert-group locks in one order, and a batch
 * is retried whole after a deadlock, a serialization failure, or another
 * instance storing one of its new alerts first.
 */
export class AlertPipeline {
  private readonly queue: Job[] = [];
  private running = 0;
  private scheduled = false;
  private readonly maxRunning: number;
  private readonly rules = new AlertRulesCache();
  /** Alerts of requests queued or committing: no repeat of these is answered from memory. */
  private readonly pending = new IdentityCount();
  /** Identities in batches committing now: a request with one of them waits for the next batch. */
  private readonly committing = new Set<string>();
  private readonly open: OpenAlerts | null;
  private readonly refreshes = new Refreshes();
  private refreshTimer: NodeJS.Timeout | null = null;
  private draining = false;
  private waiters: Array<() => void> = [];
  /** SQLite: requests the last batch answered plus those that waited meanwhile, and how long it took. */
  private concurrency = 0;
  private lastBatchMs = 0;
  /** SQLite: when the batch being gathered starts anyway (0: none is being gathered). */
  private gatherUntil = 0;
  private gatherTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly services: Services,
    private readonly observer: PipelineObserver = {},
  ) {
    const sqlite = services.store.dialect === 'sqlite';
    this.maxRunning = sqlite ? 1 : POSTGRES_CONCURRENT_BATCHES;
    this.open = sqlite ? new OpenAlerts() : null;
    pipelines.set(services.store, this);
  }

  /** Ingests the alerts of one request; resolves once what they changed is committed. */
  async submit(integration: IntegrationRecord, received: ReceivedAlerts): Promise<IngestSummary> {
    if (received.length === 0) return {};
    const answered = this.open ? this.repeatsFromMemory(integration, received) : null;
    if (answered) return answered;
    const alerts = await received.alerts();
    return new Promise((resolve, reject) => {
      const dedupKeys = [...new Set(alerts.map((alert) => alert.dedupKey))];
      for (const key of dedupKeys) this.pending.add(integration.id, key);
      const identities = dedupKeys.map((key) => identityKey(integration.id, key));
      this.queue.push({ integration, alerts, dedupKeys, identities, resolve, reject });
      this.pump();
    });
  }

  /** Waits for everything queued so far to commit, refreshes included (graceful shutdown). */
  async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length > 0 || this.running > 0 || this.refreshes.pending) {
        this.refreshes.start();
        this.pump();
        await this.settle();
      }
    } finally {
      this.draining = false;
      if (this.refreshTimer) clearTimeout(this.refreshTimer);
      this.refreshTimer = null;
    }
  }

  /**
   * Waits until the refreshes of every repeat answered from memory so far are
   * committed (for at most a few seconds: if the database fails meanwhile, the
   * read goes ahead and shows them later).
   */
  async repeatsWritten(): Promise<void> {
    const target = this.refreshes.seq;
    const until = performance.now() + 5_000;
    while (this.refreshes.written < target && performance.now() < until) {
      this.refreshes.start();
      this.pump();
      await this.settle();
    }
  }

  // ---------------------------------------------------------------------------
  // Pure repeats from memory (SQLite)

  /**
   * The open alerts (SQLite only), for a parser thread to follow: with a copy
   * it can tell that a webhook only repeats open alerts, and say so instead of
   * sending their contents. Such a claim names the version of the copy it was
   * checked against (ReceivedAlerts.repeatsAsOf), and holds for each alert
   * unchanged since that version; anything else takes the usual way.
   */
  openAlerts(): OpenAlertsFeed | null {
    return this.open;
  }

  private repeatsFromMemory(integration: IntegrationRecord, received: ReceivedAlerts): IngestSummary | null {
    const { dedupKeys, statuses, repeatsAsOf } = received;
    const open = this.open!.of(integration.id);
    if (!open) return null;
    const pending = this.pending.of(integration.id);
    const hits: OpenAlert[] = [];
    for (let i = 0; i < dedupKeys.length; i++) {
      const dedupKey = dedupKeys[i]!;
      if (statuses[i] !== 'firing' || pending?.has(dedupKey)) return null;
      const entry = open.get(dedupKey);
      if (!entry) return null;
      if (repeatsAsOf !== null ? entry.changedAt > repeatsAsOf : entry.content !== received.content(i)) return null;
      hits.push(entry);
    }
    const now = this.services.clock.now();
    for (const entry of hits) this.refreshes.add(entry, now);
    this.observer.onOutcome?.(integration, 'repeat', hits.length);
    this.refreshes.seq++;
    this.scheduleRefreshes();
    return { repeat: hits.length };
  }

  private scheduleRefreshes(): void {
    this.refreshTimer ??= setTimeout(() => {
      this.refreshTimer = null;
      this.refreshes.start();
      this.pump();
    }, REFRESH_DELAY_MS).unref();
  }

  /** A chunk of due refreshes, unless the last attempt failed just now (then it waits, unless shutting down). */
  private takeRefreshes(): RefreshChunk | null {
    if (!this.draining && performance.now() - this.refreshes.failedAt < REFRESH_DELAY_MS) return null;
    return this.refreshes.take();
  }

  private refreshesSettled(chunk: RefreshChunk, error: unknown): void {
    if (error === undefined) this.refreshes.done(chunk);
    else {
      if (this.draining) this.services.logger.warn({ err: error }, 'alert repeats (last seen, count) could not be written at shutdown');
      this.refreshes.failed(chunk, this.draining);
    }
    // New acknowledgements wait for their own delay; a failed chunk is tried again after it.
    if (this.refreshes.waiting || error !== undefined) this.scheduleRefreshes();
  }

  // ---------------------------------------------------------------------------
  // Batches

  private pump(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // Let the requests that are already parsed join this batch.
    setImmediate(() => {
      this.scheduled = false;
      this.startBatches();
    });
  }

  private startBatches(): void {
    while (this.running < this.maxRunning) {
      if (this.running > 0 && this.queue.length < CONCURRENT_BATCH_MIN_REQUESTS) return;
      if (this.gathering()) return;
      const jobs = this.takeBatch();
      const refreshes = this.takeRefreshes();
      if (jobs.length === 0 && !refreshes) return;
      this.running++;
      const started = performance.now();
      void this.flushBatch(jobs, refreshes).finally(() => {
        this.running--;
        if (this.maxRunning === 1 && jobs.length > 0) {
          this.concurrency = jobs.length + this.queue.length;
          this.lastBatchMs = performance.now() - started;
        }
        // Requests parsed meanwhile, and more refreshes, go in the next batch, after a turn of the event loop.
        this.pump();
        const waiters = this.waiters;
        this.waiters = [];
        for (const wake of waiters) wake();
      });
    }
  }

  /**
   * SQLite: whether to wait a moment before the next batch. Batches commit
   * one at a time there, each paying a commit (and its fsync) whatever its
   * size; left alone, senders answered by one batch fall out of step with
   * those answered by the next, and every round of them pays two commits
   * instead of one. So while fewer requests wait than took part in the last
   * round, the batch waits for the others, for a quarter of what the last
   * batch took and at most GATHER_MAX_MS; a single sender never waits.
   */
  private gathering(): boolean {
    const stop = () => {
      this.gatherUntil = 0;
      if (this.gatherTimer) clearTimeout(this.gatherTimer);
      this.gatherTimer = null;
      return false;
    };
    if (this.maxRunning !== 1 || this.draining || this.running > 0 || this.queue.length === 0 || this.queue.length >= this.concurrency) return stop();
    if (this.queue.reduce((n, job) => n + job.alerts.length, 0) >= MAX_BATCH_ALERTS) return stop();
    const now = performance.now();
    this.gatherUntil ||= now + Math.min(GATHER_MAX_MS, this.lastBatchMs * GATHER_SHARE);
    if (now >= this.gatherUntil) return stop();
    this.gatherTimer ??= setTimeout(() => {
      this.gatherTimer = null;
      this.pump();
    }, this.gatherUntil - now).unref();
    return true;
  }

  private settle(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /**
   * Up to MAX_BATCH_ALERTS alerts in arrival order, skipping requests with an
   * alert in a batch that is committing now (and, to keep each alert's requests
   * in order, the requests after them with any of the same alerts).
   */
  private takeBatch(): Job[] {
    const taken: Job[] = [];
    const blocked = new Set<string>();
    let alerts = 0;
    for (let i = 0; i < this.queue.length; ) {
      const job = this.queue[i]!;
      if (taken.length > 0 && alerts + job.alerts.length > MAX_BATCH_ALERTS) break;
      if (job.identities.some((identity) => this.committing.has(identity) || blocked.has(identity))) {
        for (const identity of job.identities) blocked.add(identity);
        i++;
        continue;
      }
      this.queue.splice(i, 1);
      taken.push(job);
      alerts += job.alerts.length;
    }
    for (const job of taken) for (const identity of job.identities) this.committing.add(identity);
    return taken;
  }

  private async flushBatch(jobs: Job[], carried: RefreshChunk | null): Promise<void> {
    const started = performance.now();
    const settled: Array<{ job: Job; outcomes?: IngestOutcome[]; error?: unknown }> = [];
    const batch: { state: IngestBatchState | null } = { state: null };
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          await this.services.store.transaction(async (tx) => {
            settled.length = 0;
            // Before anything reads these alerts: a stored count read first would be written back without them.
            // Sent, not waited for in place: a few hundred rows keep the writer busy for a while, and this thread need not wait.
            if (carried) await tx.send(tx.alerts.touchStatements(carried.touches));
            if (jobs.length === 0) return;
            const state = new IngestBatchState(tx, this.services.clock.now(), this.services.events);
            batch.state = state;
            await this.runJobs(tx, state, jobs, settled);
            state.finish();
          });
          break;
        } catch (failure) {
          const error = failure instanceof BatchWriteFailed ? failure.cause : failure;
          if (attempt >= TRANSACTION_ATTEMPTS || !RETRY_TRANSACTION.has(String((error as { code?: unknown } | undefined)?.code))) throw error;
        }
      }
    } catch (error) {
      if (carried) this.refreshesSettled(carried, error);
      this.release(jobs, null);
      for (const job of jobs) job.reject(error);
      return;
    }
    if (carried) this.refreshesSettled(carried, undefined);
    this.release(jobs, batch.state);
    for (const { job, outcomes, error } of settled) {
      if (outcomes) {
        const summary = summarise(outcomes);
        if (this.observer.onOutcome) for (const [result, count] of Object.entries(summary)) this.observer.onOutcome(job.integration, result as IngestResult, count);
        job.resolve(summary);
      } else {
        job.reject(error);
      }
    }
    if (jobs.length > 0) this.observer.onBatch?.(jobs.length, jobs.reduce((n, j) => n + j.alerts.length, 0), performance.now() - started);
  }

  private async runJobs(tx: Tx, state: IngestBatchState, jobs: Job[], settled: Array<{ job: Job; outcomes?: IngestOutcome[]; error?: unknown }>): Promise<void> {
    const byIntegration = new Map<string, string[]>();
    for (const job of jobs) {
      const keys = byIntegration.get(job.integration.id) ?? [];
      for (const alert of job.alerts) keys.push(alert.dedupKey);
      byIntegration.set(job.integration.id, keys);
    }
    for (const [integrationId, keys] of byIntegration) await state.prefetch(integrationId, keys);
    const rules = this.rules.rulesFor(this.services.config());
    // The groups new alerts may join, locked in one order for every batch and their incidents read, one statement each.
    await state.lockGroups(groupsFor(state, rules, jobs));

    for (const job of jobs) {
      const ctx = withActor(this.services, integrationActor(job.integration));
      try {
        settled.push({ job, outcomes: await this.runJob(ctx, tx, state, rules, job) });
      } catch (error) {
        // Rows of requests already done could not be written: none of them may be acknowledged.
        if (error instanceof BatchWriteFailed) throw error.cause;
        settled.push({ job, error });
      }
    }
  }

  /**
   * One request: first without a savepoint, its rows kept with the batch's
   * (most requests only repeat alerts or add alerts to open incidents); if it
   * needs to write at once, again in a savepoint of its own, so that its
   * failure undoes only its own writes.
   */
  private async runJob(ctx: Context, tx: Tx, state: IngestBatchState, rules: AlertRules, job: Job): Promise<IngestOutcome[]> {
    state.beginJob(true);
    try {
      const outcomes = await ingestAlertsIn(ctx, tx, state, rules, job.integration, job.alerts);
      state.commitJob();
      return outcomes;
    } catch (error) {
      state.rollbackJob(false);
      if (error !== NEEDS_SAVEPOINT) throw error;
    }
    // The rows of the requests before it go first, outside its savepoint.
    await state.flushWrites();
    for (let attempt = 0; ; attempt++) {
      state.beginJob(false);
      try {
        const outcomes = await tx.savepoint(async () => {
          const outcomes = await ingestAlertsIn(ctx, tx, state, rules, job.integration, job.alerts);
          await state.flushWrites();
          return outcomes;
        });
        state.commitJob();
        return outcomes;
      } catch (error) {
        // Another instance may insert the same new alert at the same moment; then ours is a repeat.
        const retry = attempt < 2 && UNIQUE_VIOLATION.test(String((error as { code?: string }).code ?? (error as Error).message));
        state.rollbackJob(true, retry ? job.identities : []);
        if (!retry) throw error;
      }
    }
  }

  /** After a commit (state given) or a failure (null): what is stored now, and which identities are free again. */
  private release(jobs: Job[], state: IngestBatchState | null): void {
    if (this.open) {
      if (state) for (const record of state.records()) this.open.update(record);
      for (const job of jobs) {
        for (const key of job.dedupKeys) if (!state?.peek(job.integration.id, key)) this.open.delete(job.integration.id, key);
      }
      this.open.publish();
    }
    for (const job of jobs) {
      for (const identity of job.identities) this.committing.delete(identity);
      for (const key of job.dedupKeys) this.pending.remove(job.integration.id, key);
    }
  }

  /** A change event (a deploy, a config push) lands on the timelines of its service's open incidents. */
  async recordChange(integration: IntegrationRecord, change: IncomingChange): Promise<string[]> {
    const ctx = withActor(this.services, integrationActor(integration));
    const service = integration.service;
    return this.services.store.transaction(async (tx) => {
      const at = change.timestamp ?? ctx.clock.now();
      await ctx.events.record(tx, { at, type: 'service.change', incidentId: null, data: { service, summary: change.summary, source: change.source, links: change.links } });
      if (service === null) return [];
      const open = await tx.incidents.list({ service, statuses: ['investigating', 'identified', 'mitigating', 'monitoring'], limit: 100 });
      const text = `Change on ${service}: ${change.summary}${change.source ? ` (from ${change.source})` : ''}`;
      for (const incident of open.filter((i) => isOpenStatus(i.status))) {
        await appendTimeline(ctx, tx, incident.id, 'change', text, { source: change.source, links: change.links, details: change.details, at });
      }
      return open.map((i) => i.id);
    });
  }
}

