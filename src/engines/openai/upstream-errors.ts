/**
 * Upstream failures → catalog errors. The client talks to Tessera, not to the upstream, so the
 * upstream's own status is translated by whose fault it is:
 * - the client's request (400/413/422): `invalid_request`, or `context_length_exceeded` when the
 *   upstream says the prompt does not fit (OpenAI's code, vLLM's and llama-server's wording);
 * - the upstream being busy (429): `engine_overloaded`, so the client retries later;
 * - the operator's configuration (401/403: Tessera's upstream key → `upstream_auth_failed`; 404:
 *   the upstream model name → `upstream_error`) and the upstream failing (500 → `upstream_error`; 502/503/504 and
 *   refused or broken connections → `upstream_unavailable`). The client's own key is fine, so
 *   these must never surface as 401/403/404.
 * The upstream's message is kept (after the status) so the operator can see what went wrong.
 */
import { TesseraError } from '../../core/errors.js';

const CONTEXT_PATTERNS = [/context[ _-]?length/i, /context window/i, /context size/i, /maximum context/i, /too many tokens/i];

/** The message of an OpenAI-style (`{error: {message}}`), vLLM-style (`{message}`) or plain-text error body. */
export function upstreamMessage(bodyText: string): { message: string; code?: string } {
  try {
    const parsed = JSON.parse(bodyText) as Record<string, unknown>;
    const error = typeof parsed.error === 'object' && parsed.error !== null ? (parsed.error as Record<string, unknown>) : parsed;
    const message = typeof error.message === 'string' ? error.message : typeof parsed.error === 'string' ? parsed.error : bodyText;
    const code = typeof error.code === 'string' ? error.code : typeof error.type === 'string' ? error.type : undefined;
    return { message, code };
  } catch {
    return { message: bodyText.slice(0, 500) };
  }
}

function isContextError(message: string, code: string | undefined): boolean {
  return code === 'context_length_exceeded' || code === 'exceed_context_size_error' || CONTEXT_PATTERNS.some((p) => p.test(message));
}

export function upstreamStatusError(status: number, bodyText: string, retryAfter?: string): TesseraError {
  const { message, code } = upstreamMessage(bodyText);
  const detail = message ? `: ${message}` : '.';
  if ((status === 400 || status === 413 || status === 422) && isContextError(message, code)) {
    return new TesseraError('context_length_exceeded', message || undefined);
  }
  if (status === 400 || status === 413 || status === 422) {
    return new TesseraError('invalid_request', `The upstream refused the request (${status})${detail}`);
  }
  if (status === 401 || status === 403) {
    return new TesseraError('upstream_auth_failed', `The upstream rejected Tessera's credentials (${status})${detail}`);
  }
  if (status === 429) {
    const wait = retryAfter ? ` Retry after ${retryAfter} s.` : '';
    return new TesseraError('engine_overloaded', `The upstream is rate limiting requests (429)${detail}${wait}`);
  }
  if (status === 404) {
    return new TesseraError('upstream_error', `The upstream does not know the model or path (404)${detail}`);
  }
  if (status === 502 || status === 503 || status === 504) {
    return new TesseraError('upstream_unavailable', `The upstream is unavailable (${status})${detail}`);
  }
  return new TesseraError('upstream_error', `The upstream failed (${status})${detail}`);
}

/** A failure to reach the upstream or to read its reply (refused, reset, DNS, timeouts). */
export function upstreamConnectionError(host: string, err: unknown, afterTokens?: number): TesseraError {
  const code = (err as { code?: unknown })?.code;
  const reason = typeof code === 'string' ? code : err instanceof Error ? err.message : String(err);
  const when = afterTokens === undefined ? '' : ` after ${afterTokens} streamed chunks`;
  return new TesseraError('upstream_unavailable', `The upstream at ${host} failed${when} (${reason}).`, { cause: err });
}

/** An `{error: ...}` object sent inside a 200 event stream (vLLM does this for mid-stream failures). */
export function inBandError(error: unknown): TesseraError {
  const text = JSON.stringify({ error });
  const status = Number((error as { code?: unknown })?.code);
  return upstreamStatusError(Number.isInteger(status) && status >= 400 ? status : 502, text);
}
