import type { Cancel } from './cancel.js';

/**
 * At most `slots` requests in flight to the upstream; the rest wait first-in first-out. The
 * upstream queues too, but counting here makes `stats()` true and bounds the connections held
 * open (the keep-alive agent has exactly `slots` of them for generation).
 */
export class SlotQueue {
  readonly slots: number;
  #active = 0;
  readonly #waiting: Array<(granted: boolean) => void> = [];

  constructor(slots: number) {
    this.slots = slots;
  }

  get active(): number {
    return this.#active;
  }

  get queued(): number {
    return this.#waiting.length;
  }

  /** Takes a free slot now if there is one (no promise to wait for); false means call `acquire`. */
  tryAcquire(cancel: Cancel): boolean {
    if (cancel.aborted || this.#active >= this.slots || this.#waiting.length > 0) return false;
    this.#active += 1;
    return true;
  }

  /** Resolves true with a slot taken, or false when `cancel` aborted first (no slot taken). */
  acquire(cancel: Cancel): Promise<boolean> {
    if (cancel.aborted) return Promise.resolve(false);
    if (this.tryAcquire(cancel)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const grant = (granted: boolean) => {
        unlink();
        resolve(granted);
      };
      this.#waiting.push(grant);
      const unlink = cancel.onAbort(() => {
        // An aborted waiter leaves the queue, so a later release wakes someone who still waits.
        const index = this.#waiting.indexOf(grant);
        if (index >= 0) this.#waiting.splice(index, 1);
        resolve(false);
      });
    });
  }

  /** Hands the slot straight to the oldest waiter, so `active` never dips while others wait. */
  release(): void {
    const next = this.#waiting.shift();
    if (next) next(true);
    else this.#active -= 1;
  }
}
