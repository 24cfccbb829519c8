import { systemActor } from '../core/actor.ts';
import { withActor, type Services } from '../core/context.ts';
import { Waker } from '../core/waker.ts';
import type { TimerHandler } from '../incidents/index.ts';
import type { TimerRecord } from '../store/index.ts';

export interface FiredTimer {
  kind: string;
  lateMs: number;
  ok: boolean;
}

export interface SchedulerOptions {
  services: Services;
  handlers: Record<string, TimerHandler>;
  /** Names this instance in `fired_by`, for the record. */
  instanceId: string;
  batchSize?: number;
  /** Upper bound between looks at the table, so timers written by other instances are seen. */
  pollMs?: number;
  /**
   * Claiming loops in this process. With PostgreSQL several loops hide the
   * round-trip latency (SKIP LOCKED gives each its own rows); SQLite has one writer.
   */
  workers?: number;
  maxAttempts?: number;
  onFired?: (fired: FiredTimer) => void;
}

/**
 * Claims due timers in batches and runs their handlers in the claiming
 * transaction, each inside a savepoint: a crash rolls the claim back with the
 * effects (so the timer fires later, once), and a failing handler only
 * reschedules its own timer. Timers that came due while no instance ran fire at
 * start, and their lateness is reported.
 */
export class Scheduler {
  private readonly batchSize: number;
  private readonly pollMs: number;
  private readonly maxAttempts: number;
  private readonly workers: number;
  private running: Promise<void> | null = null;
  private stopping = new AbortController();
  private readonly waker = new Waker();

  constructor(private readonly options: SchedulerOptions) {
    this.batchSize = options.batchSize ?? 500;
    this.pollMs = options.pollMs ?? 200;
    this.maxAttempts = options.maxAttempts ?? 10;
    this.workers = Math.max(1, options.workers ?? 1);
  }

  start(): void {
    if (this.running) return;
    this.stopping = new AbortController();
    this.running = Promise.all(Array.from({ length: this.workers }, () => this.loop())).then(() => undefined);
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    this.wake();
    await this.running;
    this.running = null;
  }

  /** Look now rather than at the next poll, e.g. after scheduling a timer due at once. */
  wake(): void {
    this.waker.wake();
  }

  private async loop(): Promise<void> {
    const { logger } = this.options.services;
    while (!this.stopping.signal.aborted) {
      let fired = 0;
      try {
        fired = await this.tick();
      } catch (error) {
        logger.error({ err: error }, 'timer scheduler tick failed; retrying');
      }
      if (fired >= this.batchSize || this.stopping.signal.aborted) continue;
      await this.waker.sleep(await this.waitFor(), this.stopping.signal);
    }
  }

  private async waitFor(): Promise<number> {
    try {
      const next = await this.options.services.store.repos.timers.nextDueAt();
      if (next === null) return this.pollMs;
      return Math.max(0, Math.min(this.pollMs, next - this.options.services.clock.now()));
    } catch {
      return this.pollMs;
    }
  }

  /**
   * Fires one batch of due timers; returns how many were claimed. The batch
   * first runs without savepoints (each costs round trips); only if a handler
   * fails is it run again with one savepoint per timer, so that the failing
   * timer alone is put back for a retry.
   */
  async tick(): Promise<number> {
    try {
      return await this.fireBatch(false);
    } catch (error) {
      if (!(error instanceof HandlerFailed)) throw error;
      return this.fireBatch(true);
    }
  }

  private async fireBatch(isolate: boolean): Promise<number> {
    const { services, handlers, instanceId } = this.options;
    const ctx = withActor(services, systemActor('timers'));
    const results: FiredTimer[] = [];
    const claimed = await services.store.transaction(async (tx) => {
      const due = await tx.timers.claimDue(services.clock.now(), this.batchSize, instanceId);
      for (const timer of due) {
        const lateMs = timer.lateMs ?? 0;
        const handler = handlers[timer.kind];
        try {
          if (!handler) throw new Error(`no handler for timer kind "${timer.kind}"`);
          if (isolate) await tx.savepoint(() => handler(ctx, tx, timer));
          else await handler(ctx, tx, timer);
          results.push({ kind: timer.kind, lateMs, ok: true });
        } catch (error) {
          if (!isolate) throw new HandlerFailed(error);
          await this.retryLater(tx.timers, timer, error);
          results.push({ kind: timer.kind, lateMs, ok: false });
        }
      }
      return due.length;
    });
    for (const result of results) this.options.onFired?.(result);
    return claimed;
  }

  private async retryLater(
    timers: { retryLater(id: string, dueAt: number, error: string, giveUp: boolean): Promise<void> },
    timer: TimerRecord,
    error: unknown,
  ): Promise<void> {
    const attempts = timer.attempts + 1;
    const giveUp = attempts >= this.maxAttempts;
    const backoff = Math.min(300_000, 1000 * 2 ** attempts);
    const message = error instanceof Error ? error.message : String(error);
    this.options.services.logger.error(
      { timer: timer.id, kind: timer.kind, attempts, giveUp, err: error },
      giveUp ? 'timer handler kept failing; giving up' : 'timer handler failed; will retry',
    );
    await timers.retryLater(timer.id, this.options.services.clock.now() + backoff, message, giveUp);
  }
}

/** A handler failed in a batch run without savepoints: the batch is rolled back and run again, isolated. */
class HandlerFailed extends Error {
  constructor(readonly failure: unknown) {
    super('a timer handler failed');
  }
}
