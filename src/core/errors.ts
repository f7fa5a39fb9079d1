/**
 * The one error catalog. Every refusal Tessera sends over HTTP comes from here: a stable `code`
 * (clients branch on it), the HTTP status, OpenAI's error `type`, and a message template.
 * Handlers throw `TesseraError`; one error handler in `api/` renders it as
 * `{ error: { message, type, param, code } }`. docs/errors.md documents every code (a test checks).
 */

export type OpenAIErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'insufficient_quota'
  | 'server_error'
  | 'service_unavailable';

interface CatalogEntry {
  status: number;
  type: OpenAIErrorType;
  /** Default message; callers may pass a more specific one. */
  message: string;
}

export const errorCatalog = {
  invalid_json: { status: 400, type: 'invalid_request_error', message: 'The request body is not valid JSON.' },
  invalid_request: { status: 400, type: 'invalid_request_error', message: 'The request is invalid.' },
  unknown_parameter: { status: 400, type: 'invalid_request_error', message: 'The request has an unknown parameter.' },
  context_length_exceeded: {
    status: 400,
    type: 'invalid_request_error',
    message: "The prompt is longer than the model's context window.",
  },
  unsupported_feature: { status: 400, type: 'invalid_request_error', message: 'The model does not support this feature.' },
  request_too_large: { status: 413, type: 'invalid_request_error', message: 'The request body is too large.' },
  missing_api_key: {
    status: 401,
    type: 'authentication_error',
    message: 'No API key was provided. Send it as "Authorization: Bearer sk-...".',
  },
  invalid_api_key: { status: 401, type: 'authentication_error', message: 'The API key is not valid or has been revoked.' },
  permission_denied: { status: 403, type: 'permission_error', message: 'This API key may not do that.' },
  model_not_allowed: { status: 403, type: 'permission_error', message: 'This API key may not use this model.' },
  rate_limit_exceeded: { status: 429, type: 'rate_limit_error', message: 'Rate limit reached; retry after the time in Retry-After.' },
  insufficient_quota: { status: 402, type: 'insufficient_quota', message: 'The budget or balance does not cover this request.' },
  model_not_found: { status: 404, type: 'not_found_error', message: 'The model does not exist.' },
  not_found: { status: 404, type: 'not_found_error', message: 'Not found.' },
  key_not_found: { status: 404, type: 'not_found_error', message: 'The API key does not exist.' },
  model_exists: { status: 409, type: 'invalid_request_error', message: 'A model with this name already exists.' },
  invalid_gguf: { status: 400, type: 'invalid_request_error', message: 'The file is not a valid GGUF model.' },
  download_failed: { status: 502, type: 'server_error', message: 'The download failed.' },
  checksum_mismatch: { status: 502, type: 'server_error', message: 'The downloaded file does not match its sha256.' },
  upstream_error: { status: 502, type: 'server_error', message: 'The upstream engine returned an error.' },
  upstream_auth_failed: { status: 502, type: 'server_error', message: "The upstream engine rejected Tessera's credentials for this model." },
  upstream_unavailable: { status: 503, type: 'service_unavailable', message: 'The upstream engine cannot be reached.' },
  model_not_ready: { status: 503, type: 'service_unavailable', message: 'The model is still loading.' },
  engine_overloaded: { status: 503, type: 'service_unavailable', message: 'The engine queue is full; retry later.' },
  internal_error: { status: 500, type: 'server_error', message: 'Internal error.' },
  invalid_config: { status: 500, type: 'server_error', message: 'The configuration is invalid.' },
} as const satisfies Record<string, CatalogEntry>;

export type ErrorCode = keyof typeof errorCatalog;

export class TesseraError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly type: OpenAIErrorType;
  /** The request parameter at fault, as OpenAI's `param` (e.g. `messages[0].role`). */
  readonly param: string | null;
  /** Seconds until a retry can succeed; sent as `Retry-After` (rate limits, overload). */
  readonly retryAfterSeconds: number | null;

  constructor(code: ErrorCode, message?: string, options: { param?: string | null; cause?: unknown; retryAfterSeconds?: number } = {}) {
    const entry: CatalogEntry = errorCatalog[code];
    super(message ?? entry.message, { cause: options.cause });
    this.name = 'TesseraError';
    this.code = code;
    this.status = entry.status;
    this.type = entry.type;
    this.param = options.param ?? null;
    this.retryAfterSeconds = options.retryAfterSeconds ?? null;
  }

  toJSON(): { error: { message: string; type: OpenAIErrorType; param: string | null; code: ErrorCode } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

export function isTesseraError(err: unknown): err is TesseraError {
  return err instanceof TesseraError;
}
