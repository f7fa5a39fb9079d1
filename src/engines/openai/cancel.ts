/**
 * One upstream request's cancellation: the caller's AbortSignal or the engine's `close()`, seen
 * by the slot queue and the HTTP exchange. A plain object instead of an AbortController per
 * request and a listener per consumer: creating and listening to Node's AbortSignals was a tenth
 * of the gateway's CPU per request (bench/gateway). It listens to the caller's signal once.
 */
export class Cancel {
  aborted = false;
  reason: Error | null = null;
  readonly #hooks = new Set<(reason: Error) => void>();
  readonly #signal: AbortSignal;
  readonly #onSignal = () => this.abort(asError(this.#signal.reason));

  constructor(signal: AbortSignal) {
    this.#signal = signal;
    if (signal.aborted) this.abort(asError(signal.reason));
    else signal.addEventListener('abort', this.#onSignal, { once: true });
  }

  abort(reason: Error = abortError()): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    for (const hook of this.#hooks) hook(reason);
    this.#hooks.clear();
  }

  /** Calls `hook` on abort (at once if aborted already); the returned function unsubscribes. */
  onAbort(hook: (reason: Error) => void): () => void {
    if (this.aborted) {
      hook(this.reason!);
      return () => undefined;
    }
    this.#hooks.add(hook);
    return () => this.#hooks.delete(hook);
  }

  /** Stops listening to the caller's signal (the request is over). */
  dispose(): void {
    this.#signal.removeEventListener('abort', this.#onSignal);
    this.#hooks.clear();
  }
}

function abortError(): Error {
  return new DOMException('This operation was aborted', 'AbortError');
}

function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : abortError();
}
