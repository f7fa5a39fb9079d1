/**
 * The sequences of one llama context, handed to requests one each (continuous batching).
 *
 * node-llama-cpp decodes the pending tokens of all sequences of a context in one batch per step,
 * so every request holding a sequence advances together with the others; a request that arrives
 * while another is mid-generation takes a free sequence at once and joins the next step.
 *
 * Contracts:
 * - Waiters are served strictly first-in first-out.
 * - A released sequence has its KV state cleared before anyone else gets it, so no request sees
 *   another's tokens (and seeded output does not depend on the previous occupant).
 * - `acquire` resolves `null` (never rejects) when its signal aborts while waiting or the pool
 *   closes; the caller then ends its stream with `abort`.
 */
import type { LlamaContextSequence } from 'node-llama-cpp';
import { WaitQueue } from './wait-queue.js';

export interface SequenceLease {
  readonly sequence: LlamaContextSequence;
  /** Clears the sequence's state and hands it to the next waiter. Call exactly once. */
  release(): Promise<void>;
}

export interface SequencePool {
  acquire(signal: AbortSignal): Promise<SequenceLease | null>;
  /** Sequences currently leased (decoding, or being cleared after their request ended). */
  readonly active: number;
  readonly queued: number;
  readonly slots: number;
  /** Wakes every waiter with `null`; later `acquire` calls get `null` too. */
  close(): void;
}

export function createSequencePool(
  sequences: LlamaContextSequence[],
  onClearError: (err: unknown) => void,
): SequencePool {
  const free = [...sequences];
  const waiters = new WaitQueue<SequenceLease>();
  let closed = false;

  const lease = (sequence: LlamaContextSequence): SequenceLease => {
    let released = false;
    return {
      sequence,
      async release() {
        if (released) return;
        released = true;
        try {
          if (!sequence.disposed) await sequence.clearHistory();
        } catch (err) {
          onClearError(err);
        }
        const next = waiters.shift();
        if (next && !closed) next.grant(lease(sequence));
        else free.push(sequence);
      },
    };
  };

  return {
    acquire(signal) {
      if (closed || signal.aborted) return Promise.resolve(null);
      const sequence = free.shift();
      if (sequence) return Promise.resolve(lease(sequence));
      return waiters.wait(signal, undefined);
    },
    get active() {
      return sequences.length - free.length;
    },
    get queued() {
      return waiters.length;
    },
    get slots() {
      return sequences.length;
    },
    close() {
      closed = true;
      waiters.closeAll();
    },
  };
}
