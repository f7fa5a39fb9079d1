/**
 * The sequences ("slots") of a native decoder, handed to requests one each, remembering what each
 * slot's KV cache holds so that a request sharing a prefix with it (the same system prompt, the
 * same chat history) reuses those cells instead of evaluating them again.
 *
 * Contracts:
 * - Waiters are served strictly first-in first-out. A free slot goes to the request at the head;
 *   among free slots, the one holding the longest common prefix with its prompt, else the one
 *   used least recently (so popular prefixes stay cached longest).
 * - `reuse` is always shorter than the prompt: the last prompt token is evaluated again, since
 *   its logits give the first generated token.
 * - `acquire` resolves `null` (never rejects) when its signal aborts while waiting or the pool
 *   closes.
 */
import { WaitQueue } from '../wait-queue.js';

export interface SlotLease {
  readonly slot: number;
  /** Prompt tokens already in the slot's KV cache. */
  readonly reuse: number;
  /**
   * Gives the slot back. `cached` is what its KV cache now holds (prompt + decoded completion
   * tokens, in order), or null when unknown (after an error): the next user starts from scratch.
   */
  release(cached: ArrayLike<number> | null): void;
}

interface SlotState {
  index: number;
  cached: ArrayLike<number>;
  lastUsed: number;
}

export interface SlotPool {
  acquire(prompt: ArrayLike<number>, signal: AbortSignal): Promise<SlotLease | null>;
  readonly active: number;
  readonly queued: number;
  readonly slots: number;
  close(): void;
}

export function createSlotPool(slots: number, options: { prefixReuse: boolean } = { prefixReuse: true }): SlotPool {
  const free: SlotState[] = Array.from({ length: slots }, (_, index) => ({ index, cached: [], lastUsed: 0 }));
  const waiters = new WaitQueue<SlotLease, ArrayLike<number>>();
  let clock = 0;
  let closed = false;

  const take = (prompt: ArrayLike<number>): SlotLease => {
    let best = 0;
    let bestCommon = -1;
    for (let i = 0; i < free.length; i++) {
      const common = options.prefixReuse ? commonPrefix(free[i]!.cached, prompt) : 0;
      if (common > bestCommon || (common === bestCommon && free[i]!.lastUsed < free[best]!.lastUsed)) {
        best = i;
        bestCommon = common;
      }
    }
    const [state] = free.splice(best, 1) as [SlotState];
    const reuse = Math.min(bestCommon, prompt.length - 1);
    let released = false;
    return {
      slot: state.index,
      reuse: Math.max(0, reuse),
      release(cached) {
        if (released) return;
        released = true;
        state.cached = cached ?? [];
        state.lastUsed = ++clock;
        free.push(state);
        const next = waiters.shift();
        if (next && !closed) next.grant(take(next.data));
      },
    };
  };

  return {
    acquire(prompt, signal) {
      if (closed || signal.aborted) return Promise.resolve(null);
      if (free.length > 0 && waiters.length === 0) return Promise.resolve(take(prompt));
      return waiters.wait(signal, prompt);
    },
    get active() {
      return slots - free.length;
    },
    get queued() {
      return waiters.length;
    },
    get slots() {
      return slots;
    },
    close() {
      closed = true;
      waiters.closeAll();
    },
  };
}

function commonPrefix(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}
