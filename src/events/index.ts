import type { NewEvent, Store, StoredEvent, Tx } from '../store/index.ts';

export type { StoredEvent as LiveEvent } from '../store/index.ts';

const CHANNEL = 'firebreak_events';
const NOTIFY_CHUNK = 400;

type Listener = (event: StoredEvent) => void;

/**
 * Live events: every event is a row (so a client can resume from its sequence
 * number) and is published to local subscribers after its transaction commits.
 * With PostgreSQL, instances hear each other's events through LISTEN/NOTIFY.
 */
export class Events {
  private readonly listeners = new Set<Listener>();
  private readonly unannounced = new WeakMap<Tx, number[]>();
  private stopListening: (() => Promise<void>) | null = null;
  /** Recently published sequence numbers, so catching up after a reconnect repeats nothing. */
  private readonly published = new Set<number>();
  /**
   * The same numbers in the order they were added, to forget the oldest: taking
   * the first of a Set that keeps losing its first entries gets slower and slower.
   */
  private publishedOrder: number[] = [];
  private publishedOldest = 0;
  private highestSeen = 0;

  constructor(
    private readonly store: Store,
    private readonly instanceId: string,
  ) {}

  /** Appends the event in `tx`; subscribers hear it only once `tx` commits. */
  async record(tx: Tx, event: NewEvent): Promise<StoredEvent> {
    const stored = await tx.events.append(event);
    this.announce(tx, [stored]);
    return stored;
  }

  /** Several events in one statement (alert ingest); the same as recording each in turn. */
  async recordMany(tx: Tx, events: readonly NewEvent[]): Promise<StoredEvent[]> {
    if (events.length === 0) return [];
    const stored = await tx.events.appendMany(events);
    this.recorded(tx, stored);
    return stored;
  }

  /** Events the caller appended itself in `tx` (tx.events.appendStatements): subscribers hear them once `tx` commits. */
  recorded(tx: Tx, stored: readonly StoredEvent[]): void {
    if (stored.length > 0) this.announce(tx, stored);
  }

  /** Subscribers hear the events once `tx` commits; other instances through one NOTIFY per transaction. */
  private announce(tx: Tx, stored: readonly StoredEvent[]): void {
    tx.afterCommit(() => {
      for (const event of stored) this.publish(event);
    });
    // Only PostgreSQL has other instances to tell.
    if (this.store.dialect !== 'postgres') return;
    let pending = this.unannounced.get(tx);
    if (!pending) {
      const seqs: number[] = [];
      pending = seqs;
      this.unannounced.set(tx, seqs);
      // One NOTIFY per transaction (in chunks under PostgreSQL's 8,000-byte payload limit), not one per event.
      tx.beforeCommit(async () => {
        for (let i = 0; i < seqs.length; i += NOTIFY_CHUNK) {
          await tx.notify(CHANNEL, JSON.stringify({ seqs: seqs.slice(i, i + NOTIFY_CHUNK), origin: this.instanceId }));
        }
      });
    }
    for (const event of stored) pending.push(event.seq);
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get subscriberCount(): number {
    return this.listeners.size;
  }

  async start(): Promise<void> {
    if (this.stopListening) return;
    this.highestSeen = await this.store.repos.events.latestSeq();
    this.stopListening = await this.store.listen(
      CHANNEL,
      (payload) => void this.onNotification(payload),
      () => void this.catchUp(),
    );
  }

  async stop(): Promise<void> {
    const stop = this.stopListening;
    this.stopListening = null;
    if (stop) await stop();
  }

  private async onNotification(payload: string): Promise<void> {
    let message: { seqs?: unknown; origin?: unknown };
    try {
      message = JSON.parse(payload) as typeof message;
    } catch {
      return;
    }
    if (message.origin === this.instanceId || !Array.isArray(message.seqs)) return;
    const seqs = message.seqs.filter((seq): seq is number => Number.isSafeInteger(seq));
    const events = await this.store.repos.events.bySeqs(seqs).catch(() => []);
    for (const event of events) this.publish(event);
  }

  /** Notifications sent while the LISTEN connection was down are lost; the rows are not. */
  private async catchUp(): Promise<void> {
    try {
      for (;;) {
        const missed = await this.store.repos.events.after(this.highestSeen, 1000);
        for (const event of missed) this.publish(event);
        if (missed.length < 1000) return;
      }
    } catch {
      // The next reconnection tries again.
    }
  }

  private publish(event: StoredEvent): void {
    if (this.published.has(event.seq)) return;
    this.published.add(event.seq);
    this.publishedOrder.push(event.seq);
    if (this.published.size > 10_000) {
      this.published.delete(this.publishedOrder[this.publishedOldest++]!);
      if (this.publishedOldest >= 10_000) {
        this.publishedOrder = this.publishedOrder.slice(this.publishedOldest);
        this.publishedOldest = 0;
      }
    }
    this.highestSeen = Math.max(this.highestSeen, event.seq);
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A broken subscriber (a closed SSE socket) must not stop the others.
      }
    }
  }
}
