import { isFinalError } from './transport.ts';

export interface BackoffOptions {
  /** First delay after a failure (default 200 ms); it doubles up to `maxMs`. */
  initialMs?: number;
  /** Longest delay between attempts (default 10 s). */
  maxMs?: number;
}

export const DEFAULT_BACKOFF: Required<BackoffOptions> = { initialMs: 200, maxMs: 10_000 };

/**
 * Capped exponential backoff with jitter: a delay between half and all of the capped
 * doubling, so that runners cut off together by one outage do not return in step.
 */
export function backoffDelay(attempt: number, options: Required<BackoffOptions>): number {
  const capped = Math.min(options.maxMs, options.initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(capped / 2 + Math.random() * (capped / 2));
}

/** Resolves after `ms`, or rejects with the signal's reason once it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export interface RetryOptions {
  backoff: Required<BackoffOptions>;
  /** Stops retrying (the agent failed or was told to give up); the last wait rejects with its reason. */
  signal?: AbortSignal;
  onRetry(error: unknown, attempt: number, delayMs: number): void;
}

/**
 * Calls `work` until it succeeds. Retries forever, since output and results must not be
 * lost to an outage; only a final answer (the assignment is gone, the runner is refused)
 * or the signal ends it early.
 */
export async function retrying<T>(work: () => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    if (options.signal?.aborted) throw options.signal.reason;
    try {
      return await work();
    } catch (error) {
      if (isFinalError(error) || options.signal?.aborted) throw error;
      const delay = backoffDelay(attempt, options.backoff);
      options.onRetry(error, attempt, delay);
      await sleep(delay, options.signal);
    }
  }
}
