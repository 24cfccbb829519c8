import type { LiveEvent } from './types.ts';

/** Every event type the server sends; EventSource only delivers named events it listens for. */
export const EVENT_TYPES = [
  'incident.declared',
  'incident.changed',
  'timeline.appended',
  'sla.breached',
  'alert.fired',
  'alert.resolved',
  'service.change',
  'run.created',
  'run.step',
  'run.output',
  'run.state',
  'status.changed',
] as const;

export type ConnectionState = 'connecting' | 'live' | 'reconnecting';
type Handler = (event: LiveEvent) => void;

/**
 * One EventSource for the whole app (browsers allow only a few connections per
 * origin), fanned out to the pages that listen. The browser reconnects by itself
 * and resumes with Last-Event-ID; when it gives up (the server refused the
 * stream), a new EventSource resumes with ?since= from the last event seen, so
 * nothing sent while away is missed either.
 */
export class LiveEvents {
  private source: EventSource | null = null;
  private readonly handlers = new Set<Handler>();
  private readonly stateListeners = new Set<(state: ConnectionState) => void>();
  private current: ConnectionState = 'connecting';
  private retry: ReturnType<typeof setTimeout> | undefined;
  private readonly endedListeners = new Set<() => void>();
  /** The sequence number (SSE id) of the last event delivered, while started. */
  private lastSeq: number | null = null;
  private running = false;

  constructor(
    private readonly url = '/api/v1/events',
    private readonly sessionUrl = '/api/v1/session',
  ) {}

  start(): void {
    if (this.source) return;
    this.running = true;
    const url = this.lastSeq === null ? this.url : `${this.url}${this.url.includes('?') ? '&' : '?'}since=${this.lastSeq}`;
    const source = new EventSource(url, { withCredentials: true });
    this.source = source;
    this.setState('connecting');
    source.onopen = () => this.setState('live');
    source.onerror = () => {
      this.setState('reconnecting');
      // The browser retries by itself unless the server refused the stream outright (a 401 or 5xx).
      if (source.readyState === EventSource.CLOSED && this.source === source) {
        this.source = null;
        void this.reopenOrEnd();
      }
    };
    const deliver = (message: MessageEvent<string>) => {
      let event: LiveEvent;
      try {
        event = JSON.parse(message.data) as LiveEvent;
      } catch {
        return;
      }
      if (typeof event.seq === 'number') this.lastSeq = event.seq;
      for (const handler of this.handlers) handler(event);
    };
    for (const type of EVENT_TYPES) source.addEventListener(type, deliver as EventListener);
    // The server checks on an open stream: a session ended elsewhere (or a disabled account) closes it.
    source.addEventListener('session.ended', () => this.end());
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.retry);
    this.source?.close();
    this.source = null;
    // The next start is a new sign-in whose pages load afresh: nothing to resume.
    this.lastSeq = null;
  }

  /** A refused stream says nothing about why: a 401 from the session means it has ended, anything else is retried. */
  private async reopenOrEnd(): Promise<void> {
    let status = 0;
    try {
      status = (await fetch(this.sessionUrl, { credentials: 'same-origin', headers: { accept: 'application/json' } })).status;
    } catch {
      // Unreachable: try the stream again later.
    }
    if (!this.running || this.source) return;
    if (status === 401) this.end();
    else this.retry = setTimeout(() => this.start(), 5000);
  }

  private end(): void {
    this.stop();
    for (const listener of this.endedListeners) listener();
  }

  /** A closed stream (the server refused it, e.g. after sign-out) is opened again. */
  restart(): void {
    this.stop();
    this.start();
  }

  subscribe(handler: Handler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  /** Called when the server closed the stream because the session is no longer good. */
  onSessionEnded(listener: () => void): () => void {
    this.endedListeners.add(listener);
    return () => this.endedListeners.delete(listener);
  }

  get state(): ConnectionState {
    return this.current;
  }

  onState(listener: (state: ConnectionState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  private setState(state: ConnectionState): void {
    if (state === this.current) return;
    this.current = state;
    for (const listener of this.stateListeners) listener(state);
  }
}
