import type { Context } from '../core/context.ts';
import type { Events } from '../events/index.ts';
import { MAX_CLAIM_WAIT_MS, type Assignment, type ClaimRequest } from '../runbooks/protocol.ts';
import { claimStep } from './dispatch.ts';

/** Even without a wake-up (a missed notification), a waiting claim looks again this often. */
const RECHECK_MS = 2000;

/**
 * Long-poll claims: a runner's claim waits here until a step is queued (heard as a
 * `run.step` event, from this instance or, on PostgreSQL, from any other) or its wait
 * runs out. Waiting is wall-clock time, whatever clock the domain runs on.
 */
export class RunnerHub {
  private readonly waiters = new Set<() => void>();
  private readonly unsubscribe: () => void;
  private stopped = false;

  constructor(events: Events) {
    this.unsubscribe = events.subscribe((event) => {
      if (event.type === 'run.step' && event.data.state === 'queued') this.wakeAll();
    });
  }

  async claim(ctx: Context, request: ClaimRequest, signal?: AbortSignal): Promise<Assignment | null> {
    const deadline = Date.now() + Math.min(Math.max(request.waitMs ?? 0, 0), MAX_CLAIM_WAIT_MS);
    for (;;) {
      const assignment = await claimStep(ctx, request);
      if (assignment) return assignment;
      const remaining = deadline - Date.now();
      if (remaining <= 0 || this.stopped || signal?.aborted) return null;
      await this.wait(Math.min(remaining, RECHECK_MS), signal);
    }
  }

  /** Ends every waiting claim (with nothing) and stops listening. */
  stop(): void {
    this.stopped = true;
    this.unsubscribe();
    this.wakeAll();
  }

  get waiting(): number {
    return this.waiters.size;
  }

  private wakeAll(): void {
    for (const wake of [...this.waiters]) wake();
  }

  private wait(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}
