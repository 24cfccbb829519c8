import { StringDecoder } from 'node:string_decoder';
import { MASK, type Masker } from '../runbooks/mask.ts';
import { MAX_OUTPUT_CHUNK_CHARS, MAX_OUTPUT_CHUNKS_PER_REPORT, type ControlReply, type OutputChunk, type OutputReport } from '../runbooks/protocol.ts';
import { retrying, type RetryOptions } from './retry.ts';
import { AssignmentGoneError, RunnerRejectedError } from './transport.ts';

export type StreamName = OutputChunk['stream'];

/** Output waits at most this long before it is sent … */
export const FLUSH_INTERVAL_MS = 100;
/** … or until this much has gathered. */
export const FLUSH_CHARS = 32 * 1024;
/** Keeps a report well inside a server's body limit even with many chunks ready. */
const MAX_REPORT_CHARS = 256 * 1024;
/** Past this much unsent output the process is paused (its writes block), and resumed below the low mark. */
const BACKLOG_HIGH_CHARS = 8 * 1024 * 1024;
const BACKLOG_LOW_CHARS = 1024 * 1024;
/** How far back a cut is moved to keep the start of a known secret value with its end. */
const MAX_HELD_SECRET_PREFIX = 1024;

const PRIVATE_KEY_BEGIN = /-----BEGIN[ A-Z0-9]{0,40}PRIVATE KEY-----/g;
const PRIVATE_KEY_END = /-----END[ A-Z0-9]{0,40}PRIVATE KEY-----/;

/**
 * One stream of a step (stdout or stderr): bytes in, masked text out. Text leaves in
 * whole lines where it can, so that masking sees a secret whole; a line still being
 * written leaves once the process has been quiet for a flush interval. A cut never falls
 * inside a known secret value, and a private key cut off by a flush stays masked until
 * its END line.
 */
export class StreamBuffer {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';
  private writesSinceTick = 0;
  private insidePrivateKey = false;

  constructor(
    private readonly masker: Masker,
    /** Secret values in every form the masker knows (mask.ts secretForms). */
    private readonly secrets: readonly string[],
  ) {}

  get size(): number {
    return this.pending.length;
  }

  /** Something arrived since the last take. */
  get active(): boolean {
    return this.writesSinceTick > 0;
  }

  write(data: Buffer | string): void {
    const text = typeof data === 'string' ? data : this.decoder.write(data);
    if (text === '') return;
    this.pending += text;
    this.writesSinceTick += 1;
  }

  /**
   * The masked text that may leave now. `tick`: whole lines, and a partial line too if
   * nothing arrived since the last tick. `size`: whole lines, or all of one long line.
   * `final`: everything, the process has ended.
   */
  take(mode: 'tick' | 'size' | 'final'): string {
    if (mode === 'final') this.pending += this.decoder.end();
    const text = this.pending;
    let cut = text.length;
    if (mode !== 'final') {
      // A carriage return ends a line too: progress meters redraw their line with it.
      const lineEnd = Math.max(text.lastIndexOf('\n'), text.lastIndexOf('\r')) + 1;
      // A line still being written waits (a credential pattern needs its whole line) unless the process went quiet.
      if ((mode === 'tick' && this.writesSinceTick > 0) || (mode === 'size' && lineEnd > 0)) cut = lineEnd;
      cut = this.secretSafeCut(text, Math.min(cut, this.secretHold(text)));
    }
    if (mode !== 'size') this.writesSinceTick = 0;
    if (cut === 0) return '';
    this.pending = text.slice(cut);
    return this.mask(text.slice(0, cut));
  }

  /** Where a suffix of `text` starts that could be the first part of a secret value. */
  private secretHold(text: string): number {
    let hold = text.length;
    for (const secret of this.secrets) {
      const longest = Math.min(secret.length - 1, text.length, MAX_HELD_SECRET_PREFIX);
      const first = secret.charCodeAt(0);
      for (let start = text.length - longest; start < hold; start += 1) {
        if (text.charCodeAt(start) === first && secret.startsWith(text.slice(start))) {
          hold = start;
          break;
        }
      }
    }
    return hold;
  }

  /** Moves the cut before any known secret value that would straddle it. */
  private secretSafeCut(text: string, cut: number): number {
    let moved = true;
    while (moved && cut > 0) {
      moved = false;
      for (const secret of this.secrets) {
        const at = text.indexOf(secret, Math.max(0, cut - secret.length + 1));
        if (at !== -1 && at < cut) {
          cut = at;
          moved = true;
        }
      }
    }
    return cut;
  }

  private mask(text: string): string {
    let head = '';
    let rest = text;
    if (this.insidePrivateKey) {
      const end = PRIVATE_KEY_END.exec(rest);
      if (end === null) return MASK;
      head = `${MASK}${end[0]}`;
      rest = rest.slice(end.index + end[0].length);
      this.insidePrivateKey = false;
    }
    const begins = [...rest.matchAll(PRIVATE_KEY_BEGIN)];
    const last = begins.at(-1);
    if (last !== undefined && !PRIVATE_KEY_END.test(rest.slice(last.index + last[0].length))) this.insidePrivateKey = true;
    return head + this.masker.mask(rest);
  }
}

/** Splits text into chunks of at most `max` characters, never between the halves of a surrogate pair. */
export function splitText(text: string, max: number): string[] {
  const parts: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(start + max, text.length);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && end - start > 1 && last >= 0xd800 && last <= 0xdbff) end -= 1;
    parts.push(text.slice(start, end));
    start = end;
  }
  return parts;
}

export interface StepOutputOptions {
  masker: Masker;
  secrets: readonly string[];
  send(report: OutputReport): Promise<ControlReply>;
  retry: Omit<RetryOptions, 'onRetry'> & { onRetry?: RetryOptions['onRetry'] };
  /** Every acknowledged report's reply (cancel arrives here). */
  onReply(reply: ControlReply): void;
  /** The server no longer holds the assignment, or refused the runner: sending stopped. */
  onFinalError(error: AssignmentGoneError | RunnerRejectedError): void;
  /** True: too much waits to be sent, pause the process; false: resume it. */
  onBacklog?(backlogged: boolean): void;
  flushIntervalMs?: number;
  flushChars?: number;
}

/**
 * A step's output on its way to the server: numbered 1, 2, 3 … across both streams,
 * one report in flight at a time, each report sent again unchanged until the server
 * acknowledges it. Nothing is dropped for an outage; sending stops only when the
 * server says the assignment is gone.
 */
export class StepOutput {
  private readonly streams: Record<StreamName, StreamBuffer>;
  private readonly queue: OutputChunk[] = [];
  private queuedChars = 0;
  private nextSeq = 1;
  private timer: NodeJS.Timeout | null = null;
  private sending: Promise<void> | null = null;
  private stopped = false;
  private backlogged = false;
  private readonly flushIntervalMs: number;
  private readonly flushChars: number;

  constructor(private readonly options: StepOutputOptions) {
    this.streams = { stdout: new StreamBuffer(options.masker, options.secrets), stderr: new StreamBuffer(options.masker, options.secrets) };
    this.flushIntervalMs = options.flushIntervalMs ?? FLUSH_INTERVAL_MS;
    this.flushChars = options.flushChars ?? FLUSH_CHARS;
  }

  /** The seq of the last chunk made so far. */
  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  write(stream: StreamName, data: Buffer | string): void {
    if (this.stopped) return;
    const buffer = this.streams[stream];
    buffer.write(data);
    if (buffer.size >= this.flushChars) this.enqueue(stream, buffer.take('size'));
    if (buffer.size > 0 && this.timer === null) this.timer = setTimeout(() => this.tick(), this.flushIntervalMs);
  }

  /** Sends what is left and resolves once the server has acknowledged every chunk; returns the last seq. */
  async end(): Promise<number> {
    this.clearTimer();
    for (const stream of ['stdout', 'stderr'] as const) this.enqueue(stream, this.streams[stream].take('final'));
    while (this.sending !== null) await this.sending;
    return this.lastSeq;
  }

  /** Stops sending for good; what was not sent is dropped (the assignment is gone). */
  discard(): void {
    this.stopped = true;
    this.clearTimer();
    this.queue.length = 0;
    this.queuedChars = 0;
    this.setBacklog(false);
  }

  private tick(): void {
    this.timer = null;
    if (this.stopped) return;
    // After a quiet interval what is left is only held back; a later write arms the timer again.
    const active = this.streams.stdout.active || this.streams.stderr.active;
    for (const stream of ['stdout', 'stderr'] as const) this.enqueue(stream, this.streams[stream].take('tick'));
    if (active && (this.streams.stdout.size > 0 || this.streams.stderr.size > 0) && this.timer === null) {
      this.timer = setTimeout(() => this.tick(), this.flushIntervalMs);
    }
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private enqueue(stream: StreamName, text: string): void {
    if (this.stopped || text === '') return;
    for (const part of splitText(text, MAX_OUTPUT_CHUNK_CHARS)) {
      this.queue.push({ seq: this.nextSeq, stream, text: part });
      this.nextSeq += 1;
      this.queuedChars += part.length;
    }
    if (this.queuedChars > BACKLOG_HIGH_CHARS) this.setBacklog(true);
    if (this.sending === null) this.sending = this.pump().finally(() => (this.sending = null));
  }

  private async pump(): Promise<void> {
    while (!this.stopped && this.queue.length > 0) {
      const batch = this.nextBatch();
      let reply: ControlReply;
      try {
        reply = await retrying(() => this.options.send({ chunks: batch }), {
          ...this.options.retry,
          onRetry: this.options.retry.onRetry ?? (() => {}),
        });
      } catch (error) {
        this.discard();
        if (error instanceof AssignmentGoneError || error instanceof RunnerRejectedError) this.options.onFinalError(error);
        return;
      }
      this.queue.splice(0, batch.length);
      this.queuedChars -= batch.reduce((sum, chunk) => sum + chunk.text.length, 0);
      if (this.queuedChars < BACKLOG_LOW_CHARS) this.setBacklog(false);
      this.options.onReply(reply);
    }
  }

  private nextBatch(): OutputChunk[] {
    const batch: OutputChunk[] = [];
    let chars = 0;
    for (const chunk of this.queue) {
      if (batch.length >= MAX_OUTPUT_CHUNKS_PER_REPORT || (batch.length > 0 && chars + chunk.text.length > MAX_REPORT_CHARS)) break;
      batch.push(chunk);
      chars += chunk.text.length;
    }
    return batch;
  }

  private setBacklog(backlogged: boolean): void {
    if (backlogged === this.backlogged) return;
    this.backlogged = backlogged;
    this.options.onBacklog?.(backlogged);
  }
}
