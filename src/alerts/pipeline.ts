import { withActor, type Services } from '../core/context.ts';
import { appendTimeline, isOpenStatus } from '../incidents/index.ts';
import type { IntegrationRecord } from '../store/index.ts';
import { IngestBatchState, ingestAlertsIn, type IngestOutcome, type IngestResult } from './ingest.ts';
import { integrationActor } from './integrations.ts';
import type { IncomingAlert, IncomingChange } from './model.ts';
import { AlertRulesCache } from './rules.ts';

interface Job {
  integration: IntegrationRecord;
  alerts: IncomingAlert[];
  resolve(outcomes: IngestOutcome[]): void;
  reject(error: unknown): void;
}

export interface PipelineObserver {
  onOutcome?(integration: IntegrationRecord, result: IngestResult): void;
  onBatch?(jobs: number, alerts: number, ms: number): void;
}

const MAX_BATCH_ALERTS = 2000;
const UNIQUE_VIOLATION = /unique|23505|SQLITE_CONSTRAINT/i;

/**
 * Alert ingest with group commit: requests that arrive while a transaction is
 * committing wait and go together in the next one, so each HTTP answer still
 * means "durably stored" while the database sees few, larger commits. A request
 * that fails inside a batch is rolled back alone (savepoint) and answered with
 * its error; the others commit.
 */
export class AlertPipeline {
  private readonly queue: Job[] = [];
  private flushing: Promise<void> | null = null;
  private readonly rules = new AlertRulesCache();

  constructor(
    private readonly services: Services,
    private readonly observer: PipelineObserver = {},
  ) {}

  submit(integration: IntegrationRecord, alerts: IncomingAlert[]): Promise<IngestOutcome[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ integration, alerts, resolve, reject });
      this.flushing ??= this.flushLoop();
    });
  }

  /** Waits for everything queued so far to commit (graceful shutdown). */
  async drain(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private async flushLoop(): Promise<void> {
    // Let the requests that are already parsed join this batch.
    await new Promise((resolve) => setImmediate(resolve));
    try {
      while (this.queue.length > 0) await this.flushBatch(this.takeBatch());
    } finally {
      this.flushing = null;
    }
  }

  private takeBatch(): Job[] {
    let alerts = 0;
    let count = 0;
    while (count < this.queue.length && (count === 0 || alerts + this.queue[count]!.alerts.length <= MAX_BATCH_ALERTS)) {
      alerts += this.queue[count]!.alerts.length;
      count++;
    }
    return this.queue.splice(0, count);
  }

  private async flushBatch(jobs: Job[]): Promise<void> {
    const started = performance.now();
    const settled: Array<{ job: Job; outcomes?: IngestOutcome[]; error?: unknown }> = [];
    try {
      await this.services.store.transaction(async (tx) => {
        settled.length = 0;
        const state = new IngestBatchState(tx, this.services.clock.now());
        const rules = this.rules.rulesFor(this.services.config());
        for (const job of jobs) {
          const ctx = withActor(this.services, integrationActor(job.integration));
          try {
            const outcomes = await this.withRetry(() => tx.savepoint(() => ingestAlertsIn(ctx, tx, state, rules, job.integration, job.alerts)));
            settled.push({ job, outcomes });
          } catch (error) {
            settled.push({ job, error });
          }
        }
      });
    } catch (error) {
      for (const job of jobs) job.reject(error);
      return;
    }
    for (const { job, outcomes, error } of settled) {
      if (outcomes) {
        for (const outcome of outcomes) this.observer.onOutcome?.(job.integration, outcome.result);
        job.resolve(outcomes);
      } else {
        job.reject(error);
      }
    }
    this.observer.onBatch?.(jobs.length, jobs.reduce((n, j) => n + j.alerts.length, 0), performance.now() - started);
  }

  /** Another instance may insert the same new alert at the same moment; then ours is a repeat. */
  private async withRetry<T>(work: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await work();
      } catch (error) {
        if (attempt >= 2 || !UNIQUE_VIOLATION.test(String((error as { code?: string }).code ?? (error as Error).message))) throw error;
      }
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
