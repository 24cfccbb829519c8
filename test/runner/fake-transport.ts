import type { AbandonReport, Assignment, ClaimRequest, ControlReply, FinishReport, OutputChunk, OutputReport } from '../../src/runbooks/protocol.ts';
import { AssignmentGoneError, RunnerRejectedError, TransportError, type RunnerTransport } from '../../src/runner/index.ts';

type Method = 'claim' | 'output' | 'heartbeat' | 'finish' | 'abandon';

/**
 * The server side of the runner protocol, in memory, with a network that fails on
 * demand. It keeps what a real server keeps (assignments by claim id, chunks by seq,
 * the first finish) so tests can check what arrived, and a log of every attempt.
 */
export class FakeTransport implements RunnerTransport {
  readonly pending: Assignment[] = [];
  readonly claimRequests: ClaimRequest[] = [];
  readonly handedOut = new Map<string, Assignment>();
  /** Chunks as stored: the first of each seq wins. */
  readonly chunks = new Map<string, Map<number, OutputChunk>>();
  /** Every output report attempted, failed or not. */
  readonly outputAttempts: Array<{ assignmentId: string; report: OutputReport; failed: boolean }> = [];
  readonly finishes = new Map<string, FinishReport[]>();
  readonly abandons: Array<{ assignmentId: string; report: AbandonReport }> = [];
  readonly heartbeats: string[] = [];
  readonly cancelled = new Set<string>();
  readonly gone = new Set<string>();
  /** Fails every other call of each method (the first one included). */
  flaky = false;
  /** Records a claim, then loses the answer the first time. */
  loseClaimAnswers = false;
  reject = false;
  private readonly calls = new Map<Method, number>();
  private readonly lostClaims = new Set<string>();

  offer(assignment: Assignment): void {
    this.pending.push(assignment);
  }

  finishOf(assignmentId: string): FinishReport | undefined {
    return this.finishes.get(assignmentId)?.[0];
  }

  storedOutput(assignmentId: string): OutputChunk[] {
    return [...(this.chunks.get(assignmentId)?.values() ?? [])].sort((a, b) => a.seq - b.seq);
  }

  async claim(request: ClaimRequest, signal: AbortSignal): Promise<Assignment | null> {
    this.claimRequests.push(structuredClone(request));
    this.network('claim');
    let assignment = this.handedOut.get(request.claim);
    const deadline = Date.now() + (request.waitMs ?? 0);
    while (assignment === undefined) {
      const next = this.pending.shift();
      if (next !== undefined) {
        assignment = next;
        this.handedOut.set(request.claim, next);
        break;
      }
      if (Date.now() >= deadline) return null;
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (signal.aborted) throw signal.reason;
    }
    if (this.loseClaimAnswers && !this.lostClaims.has(request.claim)) {
      this.lostClaims.add(request.claim);
      throw new TransportError('connection reset after the server recorded the claim');
    }
    return structuredClone(assignment);
  }

  async output(assignmentId: string, report: OutputReport): Promise<ControlReply> {
    const attempt = { assignmentId, report: structuredClone(report), failed: true };
    this.outputAttempts.push(attempt);
    this.network('output');
    this.held(assignmentId);
    const stored = this.chunks.get(assignmentId) ?? new Map<number, OutputChunk>();
    this.chunks.set(assignmentId, stored);
    for (const chunk of report.chunks) if (!stored.has(chunk.seq)) stored.set(chunk.seq, chunk);
    attempt.failed = false;
    return this.reply(assignmentId);
  }

  async heartbeat(assignmentId: string): Promise<ControlReply> {
    this.network('heartbeat');
    this.held(assignmentId);
    this.heartbeats.push(assignmentId);
    return this.reply(assignmentId);
  }

  async finish(assignmentId: string, report: FinishReport): Promise<ControlReply> {
    this.network('finish');
    this.held(assignmentId);
    const list = this.finishes.get(assignmentId) ?? [];
    list.push(structuredClone(report));
    this.finishes.set(assignmentId, list);
    return this.reply(assignmentId);
  }

  async abandon(assignmentId: string, report: AbandonReport): Promise<ControlReply> {
    this.network('abandon');
    this.abandons.push({ assignmentId, report });
    return { cancel: false, leaseUntil: 0 };
  }

  private network(method: Method): void {
    if (this.reject) throw new RunnerRejectedError(401, 'the server refused the runner (HTTP 401): token revoked');
    const count = (this.calls.get(method) ?? 0) + 1;
    this.calls.set(method, count);
    if (this.flaky && count % 2 === 1) throw new TransportError(`${method}: connection refused`);
  }

  private held(assignmentId: string): void {
    if (this.gone.has(assignmentId)) throw new AssignmentGoneError();
  }

  private reply(assignmentId: string): ControlReply {
    return { cancel: this.cancelled.has(assignmentId), leaseUntil: Date.now() + 60_000 };
  }
}
