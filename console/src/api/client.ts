// A thin fetch wrapper bound to one API key. Every non-2xx answer becomes an ApiError carrying the
// server's own message (OpenAI error shape); a 401 also tells the app to go back to sign-in.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string | null = null,
    readonly param: string | null = null,
  ) {
    super(message);
  }
}

/** Reads `{ error: { message, code, param } }`, falling back to the status line. */
export async function errorFrom(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: { message?: string; code?: string; param?: string | null } };
    if (body.error?.message) return new ApiError(response.status, body.error.message, body.error.code ?? null, body.error.param ?? null);
  } catch {
    // not JSON: use the status below
  }
  return new ApiError(response.status, `${response.status} ${response.statusText || 'error'}`.trim());
}

export interface Client {
  get<T>(path: string): Promise<T>;
  send<T>(method: 'POST' | 'PATCH' | 'DELETE' | 'PUT', path: string, body?: unknown): Promise<T>;
  /** The raw response, for streams and downloads; non-2xx are thrown as ApiError. */
  raw(path: string, init?: RequestInit): Promise<Response>;
}

export function createClient(key: string, onUnauthorized: (error: ApiError) => void): Client {
  async function raw(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${key}`);
    const response = await fetch(path, { ...init, headers });
    if (!response.ok) {
      const error = await errorFrom(response);
      if (response.status === 401) onUnauthorized(error);
      throw error;
    }
    return response;
  }
  return {
    raw,
    async get<T>(path: string) {
      return (await (await raw(path)).json()) as T;
    },
    async send<T>(method: string, path: string, body?: unknown) {
      const init: RequestInit = { method };
      if (body !== undefined) {
        init.body = JSON.stringify(body);
        init.headers = { 'content-type': 'application/json' };
      }
      return (await (await raw(path, init)).json()) as T;
    },
  };
}
