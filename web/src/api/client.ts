/**
 * The UI's one way to the server: JSON over fetch with the session cookie, the
 * CSRF header on every request that changes something, and the API's error
 * envelope turned into an ApiError the pages can show as it is.
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /**
   * Field-level problems of a 400: the list schema validation gives, or the one
   * field a domain check names (`details.field`), with the message as its problem.
   */
  get fieldProblems(): Array<{ field: string; message: string }> {
    if (Array.isArray(this.details)) return (this.details as Array<{ field: string; message: string }>).filter((d) => typeof d?.field === 'string');
    const field = (this.details as { field?: unknown } | null)?.field;
    return typeof field === 'string' ? [{ field, message: this.message }] : [];
  }
}

type Listener = () => void;

export interface ApiClient {
  get<T>(path: string, query?: Query): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
  put<T>(path: string, body?: unknown): Promise<T>;
  patch<T>(path: string, body?: unknown): Promise<T>;
  delete<T>(path: string): Promise<T>;
  text(path: string, query?: Query): Promise<string>;
  setCsrfToken(token: string | null): void;
  /** Called when the server says the session has ended (401), so the app can ask to sign in again. */
  onSignedOut(listener: Listener): () => void;
}

export type Query = Record<string, string | number | boolean | undefined | null | ReadonlyArray<string>>;

export function queryString(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value)) for (const item of value) params.append(name, item);
    else params.append(name, String(value));
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

/** Path segments come from data (ids, role names); never let one change the path. */
export const seg = (value: string) => encodeURIComponent(value);

async function errorOf(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string; details?: unknown } };
    if (body.error && typeof body.error.message === 'string') {
      return new ApiError(response.status, body.error.code ?? 'error', body.error.message, body.error.details ?? null);
    }
  } catch {
    // not the envelope: a proxy's page, say
  }
  return new ApiError(response.status, 'http_error', `The server answered ${response.status} ${response.statusText}`.trim(), null);
}

export function createApiClient(base = '/api/v1'): ApiClient {
  let csrf: string | null = null;
  const signedOut = new Set<Listener>();

  const request = async (method: string, path: string, body?: unknown, query?: Query): Promise<Response> => {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (method !== 'GET' && csrf) headers['x-csrf-token'] = csrf;
    let response: Response;
    try {
      response = await fetch(base + path + queryString(query), {
        method,
        headers,
        credentials: 'same-origin',
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new ApiError(0, 'offline', 'Firebreak cannot be reached; check your connection. Nothing was changed.', null);
    }
    if (!response.ok) {
      const error = await errorOf(response);
      if (response.status === 401 && path !== '/session') for (const listener of signedOut) listener();
      throw error;
    }
    return response;
  };
  const json = async <T>(method: string, path: string, body?: unknown, query?: Query): Promise<T> => {
    const response = await request(method, path, body, query);
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    return (text === '' ? undefined : JSON.parse(text)) as T;
  };

  return {
    get: (path, query) => json('GET', path, undefined, query),
    post: (path, body) => json('POST', path, body ?? {}),
    put: (path, body) => json('PUT', path, body ?? {}),
    patch: (path, body) => json('PATCH', path, body ?? {}),
    delete: (path) => json('DELETE', path),
    text: async (path, query) => (await request('GET', path, undefined, query)).text(),
    setCsrfToken: (token) => {
      csrf = token;
    },
    onSignedOut: (listener) => {
      signedOut.add(listener);
      return () => signedOut.delete(listener);
    },
  };
}
