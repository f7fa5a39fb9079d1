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
  /** At most two at a time (a queued wait, the HTTP exchange): a short array, made when first needed. */
  #hooks: Array<(reason: Error) => void> | null = null;
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
    const hooks = this.#hooks;
    this.#hooks = null;
    if (hooks) for (const hook of hooks) hook(reason);
  }

  /** Calls `hook` on abort (at once if aborted already); the returned function unsubscribes. */
  onAbort(hook: (reason: Error) => void): () => void {
    if (this.aborted) {
      hook(this.reason!);
      return () => undefined;
    }
    (this.#hooks ??= []).push(hook);
    return () => {
      const at = this.#hooks?.indexOf(hook) ?? -1;
      if (at >= 0) this.#hooks!.splice(at, 1);
    };
  }

  /** Stops following the caller's signal (the request is over). */
  dispose(): void {
    this.#followers?.delete(this);
    this.#hooks = null;
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
