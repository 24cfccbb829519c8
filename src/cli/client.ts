/**
 * A small HTTP client for the Firebreak API. Failures become typed errors
 * (ApiError with the HTTP status and the server's error code, ConnectionError
 * when no answer came back) so that one place can turn them into exit codes.
 */

export const DEFAULT_SERVER_URL = 'http://127.0.0.1:8080';
const DEFAULT_TIMEOUT_MS = 30_000;

export type Query = Readonly<Record<string, string | number | readonly string[] | undefined>>;

export interface ClientOptions {
  readonly baseUrl: string;
  readonly token?: string;
  readonly fetch: typeof globalThis.fetch;
  readonly timeoutMs?: number;
}

/** The server answered with an error: `{"error": {"code", "message", "details"}}`. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;
  /** `METHOD URL`, to say which request failed. */
  readonly request: string;

  constructor(status: number, code: string, message: string, details: unknown, request: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
    this.request = request;
  }
}

/** No HTTP answer at all: refused, unknown host, timed out. */
export class ConnectionError extends Error {
  readonly serverUrl: string;

  constructor(serverUrl: string, reason: string) {
    super(`cannot connect to ${serverUrl} (${reason})`);
    this.name = 'ConnectionError';
    this.serverUrl = serverUrl;
  }
}

export class ApiClient {
  readonly baseUrl: string;
  private readonly options: ClientOptions;

  constructor(options: ClientOptions) {
    this.options = options;
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
  }

  get<T>(path: string, query?: Query): Promise<T> {
    return this.request<T>('GET', path, undefined, query);
  }

  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PATCH', path, body);
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PUT', path, body);
  }

  delete<T>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }

  private async request<T>(method: string, path: string, body?: unknown, query?: Query): Promise<T> {
    const url = `${this.baseUrl}/api/v1${path}${queryString(query)}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await this.options.fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
      });
    } catch (error) {
      throw new ConnectionError(this.baseUrl, describeFetchFailure(error));
    }
    return readResponse<T>(response, `${method} ${url}`);
  }
}

async function readResponse<T>(response: Response, request: string): Promise<T> {
  const text = await response.text();
  const json = parseJson(text);
  if (!response.ok) throw apiErrorFrom(response, json, request);
  if (text === '') return null as T;
  if (json === undefined) {
    throw new ApiError(response.status, 'bad_response', `${request} answered with something that is not JSON`, null, request);
  }
  return json as T;
}

function apiErrorFrom(response: Response, json: unknown, request: string): ApiError {
  const error = isRecord(json) && isRecord(json.error) ? json.error : undefined;
  const code = typeof error?.code === 'string' ? error.code : `http_${response.status}`;
  const message =
    typeof error?.message === 'string' ? error.message : `${request} failed: HTTP ${response.status} ${response.statusText}`.trim();
  return new ApiError(response.status, code, message, error?.details ?? null, request);
}

export function queryString(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined) continue;
    const values = typeof value === 'string' || typeof value === 'number' ? [value] : value;
    for (const one of values) params.append(name, String(one));
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

/** `encodeURIComponent` for one path segment, so an id can never change the route. */
export const segment = (value: string): string => encodeURIComponent(value);

function describeFetchFailure(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return 'timed out';
  const cause = error instanceof Error ? (error as Error & { cause?: unknown }).cause : undefined;
  if (isRecord(cause) && typeof cause.code === 'string') return cause.code;
  if (cause instanceof Error) return cause.message;
  return error instanceof Error ? error.message : String(error);
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
