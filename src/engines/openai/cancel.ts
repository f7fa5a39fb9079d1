/**
 * One upstream request's cancellation: the caller's AbortSignal or the engine's `close()`, seen
 * by the slot queue and the HTTP exchange. A plain object instead of an AbortController per
 * request and a listener per consumer: creating and listening to Node's AbortSignals was a tenth
 * of the gateway's CPU per request (bench/gateway).
 *
 * The caller's signal is often shared by many requests (a client connection's, see
 * api/openai/generation.ts), so it is listened to once for all of them: one listener per signal
 * fans out to the requests following it, instead of an add and a remove per request.
 */
export class Cancel {
  aborted = false;
  reason: Error | null = null;
  readonly #hooks = new Set<(reason: Error) => void>();
  readonly #followers: Set<Cancel> | null;

  constructor(signal: AbortSignal) {
    if (signal.aborted) {
      this.#followers = null;
      this.abort(asError(signal.reason));
      return;
    }
    this.#followers = followersOf(signal);
    this.#followers.add(this);
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

  /** Stops following the caller's signal (the request is over). */
  dispose(): void {
    this.#followers?.delete(this);
    this.#hooks.clear();
  }
}

/** Per signal, the requests following it; its one listener stays for the signal's life. */
const followers = new WeakMap<AbortSignal, Set<Cancel>>();

function followersOf(signal: AbortSignal): Set<Cancel> {
  let set = followers.get(signal);
  if (!set) {
    const following = new Set<Cancel>();
    signal.addEventListener('abort', () => {
      const reason = asError(signal.reason);
      for (const cancel of following) cancel.abort(reason);
      following.clear();
    }, { once: true });
    followers.set(signal, following);
    set = following;
  }
  return set;
}

function abortError(): Error {
  return new DOMException('This operation was aborted', 'AbortError');
}

function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : abortError();
}
