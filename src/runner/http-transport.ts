import { MAX_CLAIM_WAIT_MS, type AbandonReport, type Assignment, type ClaimRequest, type ControlReply, type FinishReport, type OutputReport } from '../runbooks/protocol.ts';
import { AssignmentGoneError, RunnerRejectedError, TransportError, type RunnerTransport } from './transport.ts';

export interface HttpTransportOptions {
  /** The server's base URL, e.g. https://firebreak.example.com (a path prefix is kept). */
  serverUrl: string;
  token: string;
  fetch?: typeof globalThis.fetch;
  /** Time limit of calls other than claim; a claim gets its wait plus this much. */
  requestTimeoutMs?: number;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** The runner protocol over HTTP (see protocol.ts for the endpoints). */
export class HttpRunnerTransport implements RunnerTransport {
  private readonly base: URL;
  private readonly token: string;
  private readonly fetch: typeof globalThis.fetch;
  private readonly timeoutMs: number;

  constructor(options: HttpTransportOptions) {
    this.base = new URL(options.serverUrl.endsWith('/') ? options.serverUrl : `${options.serverUrl}/`);
    this.token = options.token;
    this.fetch = options.fetch ?? globalThis.fetch;
    this.timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  async claim(request: ClaimRequest, signal: AbortSignal): Promise<Assignment | null> {
    const waitMs = Math.min(request.waitMs ?? 0, MAX_CLAIM_WAIT_MS);
    const body = await this.post('api/v1/runner/claim', request, this.timeoutMs + waitMs, signal, null);
    if (body === null) return null;
    const assignment = (body as { assignment?: unknown }).assignment;
    if (assignment === null || assignment === undefined) return null;
    return assignment as Assignment;
  }

  output(assignmentId: string, report: OutputReport): Promise<ControlReply> {
    return this.control(assignmentId, 'output', report);
  }

  heartbeat(assignmentId: string): Promise<ControlReply> {
    return this.control(assignmentId, 'heartbeat', {});
  }

  finish(assignmentId: string, report: FinishReport): Promise<ControlReply> {
    return this.control(assignmentId, 'finish', report);
  }

  abandon(assignmentId: string, report: AbandonReport): Promise<ControlReply> {
    return this.control(assignmentId, 'abandon', report);
  }

  private async control(assignmentId: string, action: string, body: unknown): Promise<ControlReply> {
    const path = `api/v1/runner/assignments/${encodeURIComponent(assignmentId)}/${action}`;
    const reply = (await this.post(path, body, this.timeoutMs, undefined, assignmentId)) as Partial<ControlReply> | null;
    return { cancel: reply?.cancel === true, leaseUntil: typeof reply?.leaseUntil === 'number' ? reply.leaseUntil : 0 };
  }

  /** The JSON answer, or null for 204; throws the error the agent acts on. */
  private async post(path: string, body: unknown, timeoutMs: number, signal: AbortSignal | undefined, assignmentId: string | null): Promise<unknown> {
    const url = new URL(path, this.base);
    const timeout = AbortSignal.timeout(timeoutMs);
    let response: Response;
    try {
      response = await this.fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (error) {
      // The caller's own abort is not a failure of the server; let it through as it is.
      if (signal?.aborted) throw signal.reason;
      const reason = timeout.aborted ? `no answer within ${timeoutMs} ms` : describeFetchError(error);
      throw new TransportError(`POST ${url.pathname} failed: ${reason}`);
    }
    const text = await response.text().catch(() => '');
    if (response.status === 204) return null;
    const json = parseJson(text);
    if (response.ok) return json;
    const error = (json as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    const code = typeof error?.code === 'string' ? error.code : null;
    const message = typeof error?.message === 'string' ? error.message : `HTTP ${response.status}`;
    if (response.status === 401 || response.status === 403) {
      throw new RunnerRejectedError(response.status, `the server refused the runner (HTTP ${response.status}): ${message}`);
    }
    if (assignmentId !== null && (response.status === 404 || (response.status === 409 && code === 'assignment_gone'))) {
      throw new AssignmentGoneError(`assignment ${assignmentId} is gone: ${message}`);
    }
    throw new TransportError(`POST ${url.pathname} answered HTTP ${response.status}: ${message}`, response.status, code);
  }
}

function parseJson(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

/** fetch hides the reason (ECONNREFUSED, ENOTFOUND …) in `cause`. */
function describeFetchError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === 'string' ? `${code} (${cause.message})` : cause.message;
  }
  return error.message;
}
