import type { NewEvent, Store, StoredEvent, Tx } from '../store/index.ts';

export type { StoredEvent as LiveEvent } from '../store/index.ts';

const CHANNEL = 'firebreak_events';

type Listener = (event: StoredEvent) => void;

/**
 * Live events: every event is a row (so a client can resume from its sequence
 * number) and is published to local subscribers after its transaction commits.
 * With PostgreSQL, instances hear each other's events through LISTEN/NOTIFY.
 */
export class Events {
  private readonly listeners = new Set<Listener>();
  private stopListening: (() => Promise<void>) | null = null;

  constructor(
    private readonly store: Store,
    private readonly instanceId: string,
  ) {}

  /** Appends the event in `tx`; subscribers hear it only once `tx` commits. */
  async record(tx: Tx, event: NewEvent): Promise<StoredEvent> {
    const stored = await tx.events.append(event);
    tx.afterCommit(() => this.publish(stored));
    await tx.notify(CHANNEL, JSON.stringify({ seq: stored.seq, origin: this.instanceId }));
    return stored;
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
    this.stopListening = await this.store.listen(CHANNEL, (payload) => void this.onNotification(payload));
  }

  async stop(): Promise<void> {
    const stop = this.stopListening;
    this.stopListening = null;
    if (stop) await stop();
  }

  private async onNotification(payload: string): Promise<void> {
    let message: { seq?: unknown; origin?: unknown };
    try {
      message = JSON.parse(payload) as typeof message;
    } catch {
      return;
    }
    if (message.origin === this.instanceId || typeof message.seq !== 'number') return;
    const event = await this.store.repos.events.get(message.seq).catch(() => undefined);
    if (event) this.publish(event);
  }

  private publish(event: StoredEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A broken subscriber (a closed SSE socket) must not stop the others.
      }
    }
  }
}
