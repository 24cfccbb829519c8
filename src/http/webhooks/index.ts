import { Worker } from 'node:worker_threads';
import { DomainError, type ErrorCode } from '../../core/errors.ts';
import { ReceivedAlerts, type IncomingAlert, type OpenAlertsFeed } from '../../alerts/index.ts';
import { JsonSyntaxError, parseJsonBody } from '../json.ts';
import { readWebhook, type ParseAnswer, type Refusal, type WebhookRequest } from './parse.ts';
import type { ParseJob, ThreadMessage } from './thread.ts';

export type { WebhookKind, WebhookRequest } from './parse.ts';

export interface WebhookParserOptions {
  /** Parser threads; 0 parses every body on the event loop. */
  threads: number;
  /** The open alerts (SQLite), which the threads follow to recognise webhooks of repeats; null: they never claim repeats. */
  openAlerts: OpenAlertsFeed | null;
  /** Smaller bodies are parsed on the event loop: handing them over would cost more than parsing them. */
  minBytes?: number;
  /** A parser thread failed (it is replaced; the bodies it held are parsed on the event loop). */
  onThreadError?(error: Error): void;
}

/** About twenty alerts of an Alertmanager webhook. */
const DEFAULT_MIN_BYTES = 8 * 1024;
/**
 * Bodies waiting in one thread before the event loop parses the next one
 * itself: a bound on the backlog a burst can leave with the threads.
 */
const MAX_QUEUED_PER_THREAD = 64;
/** After a thread fails, how long before another is started in its place. */
const RESTART_DELAY_MS = 1_000;

interface Waiting {
  resolve(answer: ParseAnswer): void;
}

class ParserThread {
  readonly worker: Worker;
  ready = false;
  gone = false;
  readonly waiting = new Map<number, Waiting>();
  /** Settles once the thread can parse (or failed before it could). */
  readonly started: Promise<void>;

  constructor(onReady: (thread: ParserThread) => void, onGone: (thread: ParserThread, error: Error) => void) {
    this.worker = new Worker(new URL('./worker.js', import.meta.url));
    this.worker.unref();
    let started!: () => void;
    let failed!: (error: Error) => void;
    this.started = new Promise((resolve, reject) => {
      started = resolve;
      failed = reject;
    });
    this.started.catch(() => {});
    this.worker.on('message', (message: { ready?: true; id?: number } & Partial<ParseAnswer>) => {
      if (message.ready) {
        this.ready = true;
        onReady(this);
        started();
        return;
      }
      const waiting = this.waiting.get(message.id!);
      this.waiting.delete(message.id!);
      waiting?.resolve(message as ParseAnswer);
    });
    const fail = (error: Error) => {
      if (this.gone) return;
      this.gone = true;
      failed(error);
      for (const waiting of this.waiting.values()) waiting.resolve({ failed: error.message });
      this.waiting.clear();
      onGone(this, error);
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`the webhook parser thread exited with code ${code}`)));
  }
}

const refusalError = (refusal: Refusal): Error =>
  refusal.kind === 'json' ? new JsonSyntaxError(refusal.message) : new DomainError(refusal.code as ErrorCode, refusal.message, refusal.details);

/**
 * Parses alert webhooks (Alertmanager, Grafana, generic), large ones on
 * threads of their own. Reading a webhook of a hundred alerts (JSON, then
 * every label and annotation checked) takes far longer than the rest of
 * answering it when its alerts are repeats, and the event loop is the one
 * thread everything else waits for; so bodies of at least `minBytes` go to a
 * parser thread, which hands back what the pipeline needs to recognise
 * repeats, and the alerts as JSON unless its copy of the open alerts shows
 * they all repeat them (ReceivedAlerts, AlertPipeline.openAlerts). The answer
 * is the same either way: the same code parses and refuses, and a refusal
 * crosses back as the error it was. Threads start with the first large body; until one is
 * ready, and whenever they fall behind or fail, the event loop parses.
 */
export class WebhookParser {
  private readonly threads: ParserThread[] = [];
  private readonly minBytes: number;
  private nextId = 1;
  private restartAt = 0;
  private closed = false;

  constructor(private readonly options: WebhookParserOptions) {
    this.minBytes = options.minBytes ?? DEFAULT_MIN_BYTES;
    options.openAlerts?.follow((update) => {
      for (const thread of this.threads) if (thread.ready && !thread.gone) this.post(thread, { openAlerts: update });
    });
  }

  async parse(request: WebhookRequest, body: Buffer): Promise<ReceivedAlerts> {
    const thread = body.length >= this.minBytes ? this.threadFor() : null;
    if (thread) {
      const answer = await this.send(thread, request, body, false);
      if ('parsed' in answer) return ReceivedAlerts.parsed(answer.parsed, () => this.parseFully(request, body));
      if ('refused' in answer) throw refusalError(answer.refused);
      // The thread failed (or the parser itself did): the event loop parses, and a bug shows as it would there.
    }
    return ReceivedAlerts.of(this.parseHere(request, body));
  }

  /** The alerts of a body a thread took for repeats only, when they were not. */
  private async parseFully(request: WebhookRequest, body: Buffer): Promise<IncomingAlert[]> {
    const thread = this.threadFor();
    if (thread) {
      const answer = await this.send(thread, request, body, true);
      if ('parsed' in answer && answer.parsed.json !== null) return JSON.parse(answer.parsed.json) as IncomingAlert[];
      if ('refused' in answer) throw refusalError(answer.refused);
    }
    return this.parseHere(request, body);
  }

  private parseHere(request: WebhookRequest, body: Buffer): IncomingAlert[] {
    return readWebhook(request, parseJsonBody(body));
  }

  /** Starts the threads now rather than with the first large body, and waits until they can parse. */
  async start(): Promise<void> {
    this.startThreads();
    await Promise.all(this.threads.map((thread) => thread.started));
  }

  /** Stops the threads; later bodies are parsed on the event loop. */
  async close(): Promise<void> {
    this.closed = true;
    const threads = this.threads.splice(0);
    await Promise.all(threads.map((thread) => thread.worker.terminate()));
  }

  /** The ready thread with the fewest bodies waiting, unless all are behind; starts the threads when none run. */
  private threadFor(): ParserThread | null {
    if (this.closed || this.options.threads <= 0) return null;
    this.startThreads();
    let best: ParserThread | null = null;
    for (const thread of this.threads) {
      if (thread.ready && !thread.gone && (best === null || thread.waiting.size < best.waiting.size)) best = thread;
    }
    return best && best.waiting.size < MAX_QUEUED_PER_THREAD ? best : null;
  }

  private startThreads(): void {
    if (this.closed || performance.now() < this.restartAt) return;
    while (this.threads.length < this.options.threads) {
      this.threads.push(
        new ParserThread(
          // Everything open now; the updates that follow are sent as they come.
          (thread) => this.options.openAlerts && this.post(thread, { openAlerts: this.options.openAlerts.snapshot() }),
          (thread, error) => this.lost(thread, error),
        ),
      );
    }
  }

  private send(thread: ParserThread, request: WebhookRequest, body: Buffer, full: boolean): Promise<ParseAnswer> {
    const id = this.nextId++;
    // A copy of just these bytes, handed over: the request's buffer may share memory with others.
    const bytes = new Uint8Array(body).buffer;
    const job: ParseJob = { id, kind: request.kind, integrationId: request.integrationId, mapping: request.mapping, now: request.now, body: bytes, full };
    return new Promise((resolve) => {
      thread.waiting.set(id, { resolve });
      this.post(thread, { job }, [bytes]);
    });
  }

  private post(thread: ParserThread, message: ThreadMessage, transfer: ArrayBuffer[] = []): void {
    thread.worker.postMessage(message, transfer);
  }

  private lost(thread: ParserThread, error: Error): void {
    const index = this.threads.indexOf(thread);
    if (index >= 0) this.threads.splice(index, 1);
    if (this.closed) return;
    this.restartAt = performance.now() + RESTART_DELAY_MS;
    this.options.onThreadError?.(error);
  }
}
