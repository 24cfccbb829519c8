import { systemActor } from '../core/actor.ts';
import { withActor, type Services } from '../core/context.ts';
import { appendTimeline } from '../incidents/index.ts';
import { Waker } from '../core/waker.ts';
import type { OutboxRecord } from '../store/index.ts';
import { channelThreads, deliverTo, type DeliveryResult, type NotificationMessage } from './channels/index.ts';

export interface DeliveryObserver {
  onDelivered?(channelKind: string, messageKind: string, latencyMs: number): void;
  onRetry?(channelKind: string): void;
  onDead?(channelKind: string): void;
  onBreaker?(channelId: string, open: boolean): void;
}

export interface DelivererOptions {
  services: Services;
  observer?: DeliveryObserver;
  pollMs?: number;
  batchSize?: number;
  /** How long a claimed message is ours before another worker may take it over. */
  leaseMs?: number;
  maxAttempts?: number;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

interface Breaker {
  failures: number;
  openUntil: number;
}

const BREAKER_THRESHOLD = 5;
const BREAKER_COOLDOWN_MS = 30_000;

/**
 * Sends what the outbox holds. A message is leased, sent outside any
 * transaction, then marked: delivered, retried later (exponential backoff with
 * jitter, at least what Retry-After asks), or dead after too many attempts or
 * an error that retrying cannot fix. A worker that dies mid-send loses its
 * lease and the message goes again: delivery is at least once, and receivers
 * drop repeats by the idempotency key. A destination that keeps failing trips
 * a circuit breaker, so its messages wait instead of hammering it.
 */
export class Deliverer {
  private running: Promise<void> | null = null;
  private stopping = new AbortController();
  private readonly waker = new Waker();
  /** Sends under way: a slow destination holds only its own messages, not the next round. */
  private readonly inFlight = new Set<Promise<void>>();
  private readonly breakers = new Map<string, Breaker>();
  private readonly pollMs: number;
  private readonly batchSize: number;
  private readonly leaseMs: number;
  private readonly maxAttempts: number;

  constructor(private readonly options: DelivererOptions) {
    this.pollMs = options.pollMs ?? 200;
    this.batchSize = options.batchSize ?? 50;
    this.leaseMs = options.leaseMs ?? 60_000;
    this.maxAttempts = options.maxAttempts ?? 8;
  }

  start(): void {
    if (this.running) return;
    this.stopping = new AbortController();
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
    await Promise.all(this.inFlight);
    this.running = null;
  }

  wake(): void {
    this.waker.wake();
  }

  private async loop(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      let claimed = 0;
      try {
        claimed = await this.tick();
      } catch (error) {
        this.options.services.logger.error({ err: error }, 'outbox delivery round failed; retrying');
      }
      if (claimed > 0 || this.stopping.signal.aborted) continue;
      await this.waker.sleep(this.pollMs, this.stopping.signal);
    }
  }

  /**
   * Leases the due messages there is room for and starts sending them; returns
   * how many were leased. Each finished send wakes the loop to use its room.
   */
  async tick(): Promise<number> {
    const room = this.batchSize - this.inFlight.size;
    if (room <= 0) return 0;
    const { services } = this.options;
    const now = services.clock.now();
    const open = [...this.breakers.entries()].filter(([, b]) => b.openUntil > now).map(([id]) => id);
    const claimed = await services.store.repos.outbox.claim(now, this.leaseMs, room, open);
    for (const record of claimed) {
      const sending: Promise<void> = this.deliver(record)
        .catch((error: unknown) => services.logger.error({ err: error, outbox: record.id }, 'delivery failed unexpectedly; the lease will expire and it goes again'))
        .finally(() => {
          this.inFlight.delete(sending);
          this.waker.wake();
        });
      this.inFlight.add(sending);
    }
    return claimed.length;
  }

  /** Sends everything due now and waits for it; for tests and tools. */
  async flush(): Promise<number> {
    let total = 0;
    for (;;) {
      const claimed = await this.tick();
      total += claimed;
      if (claimed === 0 && this.inFlight.size === 0) return total;
      if (claimed === 0) await Promise.race(this.inFlight);
    }
  }

  private async deliver(record: OutboxRecord): Promise<void> {
    const { services } = this.options;
    const channel = services.config().channel(record.channelId);
    const message = record.message as unknown as NotificationMessage;
    if (!channel) {
      await this.settle(record, { ok: false, retryable: false, retryAfterMs: null, status: null, error: `channel "${record.channelId}" is not in the configuration` }, 'unknown');
      return;
    }
    const threadKey = message.thread?.key;
    const threads = threadKey !== undefined && channelThreads(channel);
    const threadTs = threads ? ((await services.store.repos.paging.threadOf(threadKey, channel.id)) ?? null) : null;
    const result = await deliverTo(channel, message, {
      fetch: this.options.fetch,
      now: () => services.clock.now(),
      timeoutMs: this.options.timeoutMs,
      threadTs,
    });
    if (result.ok && threads && threadTs === null && result.remoteId) {
      await services.store.repos.paging.rememberThread(threadKey, channel.id, result.remoteId, services.clock.now());
    }
    await this.settle(record, result, channel.kind);
  }

  private async settle(record: OutboxRecord, result: DeliveryResult, kind: string): Promise<void> {
    const { services, observer } = this.options;
    const now = services.clock.now();
    const outbox = services.store.repos.outbox;
    const breaker = this.breakers.get(record.channelId) ?? { failures: 0, openUntil: 0 };
    if (result.ok) {
      await outbox.markDelivered(record.id, now, result.status ?? null, result.remoteId ?? null);
      if (breaker.failures >= BREAKER_THRESHOLD) observer?.onBreaker?.(record.channelId, false);
      this.breakers.set(record.channelId, { failures: 0, openUntil: 0 });
      observer?.onDelivered?.(kind, String((record.message as { kind?: unknown }).kind ?? 'unknown'), now - record.createdAt);
      await this.onIncidentTimeline(record, `Delivered ${describe(record)} via ${record.channelId}`, { attempts: record.attempts });
      return;
    }
    breaker.failures += 1;
    if (breaker.failures >= BREAKER_THRESHOLD) {
      if (breaker.openUntil <= now) observer?.onBreaker?.(record.channelId, true);
      breaker.openUntil = now + BREAKER_COOLDOWN_MS;
    }
    this.breakers.set(record.channelId, breaker);
    if (!result.retryable || record.attempts >= this.maxAttempts) {
      await outbox.markDead(record.id, result.error, result.status);
      observer?.onDead?.(kind);
      services.logger.warn({ outbox: record.id, channel: record.channelId, error: result.error }, 'message dead-lettered');
      await this.onIncidentTimeline(
        record,
        `Could not deliver ${describe(record)} via ${record.channelId} after ${record.attempts} attempt${record.attempts === 1 ? '' : 's'}: ${result.error} (dead letter ${record.id}; an admin can replay it)`,
        { outboxId: record.id, error: result.error },
      );
      return;
    }
    // Exponential backoff with jitter, and never sooner than the receiver asked.
    const backoff = Math.min(600_000, 1000 * 2 ** (record.attempts - 1)) * (0.8 + Math.random() * 0.4);
    const wait = Math.max(backoff, result.retryAfterMs ?? 0);
    await outbox.markRetry(record.id, now + Math.round(wait), result.error, result.status);
    observer?.onRetry?.(kind);
  }

  private async onIncidentTimeline(record: OutboxRecord, text: string, data: Record<string, unknown>): Promise<void> {
    if (record.incidentId === null) return;
    const { services } = this.options;
    const ctx = withActor(services, systemActor('outbox'));
    const incidentId = record.incidentId;
    try {
      await services.store.transaction(async (tx) => {
        await appendTimeline(ctx, tx, incidentId, 'delivery', text, { ...data, channel: record.channelId, outboxId: record.id });
      });
    } catch (error) {
      services.logger.warn({ err: error, outbox: record.id }, 'could not record a delivery on the timeline');
    }
  }
}

function describe(record: OutboxRecord): string {
  const message = record.message as unknown as NotificationMessage;
  const who = message.recipient ? ` to ${message.recipient.name}` : '';
  return `${message.kind === 'page' ? 'page' : message.kind}${who}`;
}
