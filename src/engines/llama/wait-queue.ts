/**
 * First-in first-out waiters for something scarce (a sequence, a slot), shared by both generation
 * loops' pools. A waiter whose signal aborts leaves the queue and gets `null`; `closeAll` gives
 * every waiter `null`.
 */
export interface Waiter<T, D> {
  /** What the waiter asked with (e.g. its prompt, to pick the best slot for it). */
  readonly data: D;
  grant(value: T | null): void;
}

export class WaitQueue<T, D = undefined> {
  private readonly waiters: Waiter<T, D>[] = [];

  get length(): number {
    return this.waiters.length;
  }

  wait(signal: AbortSignal, data: D): Promise<T | null> {
    return new Promise((resolve) => {
      const onAbort = (): void => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        resolve(null);
      };
      const waiter: Waiter<T, D> = {
        data,
        grant(value) {
          signal.removeEventListener('abort', onAbort);
          resolve(value);
        },
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** The oldest waiter, taken off the queue. */
  shift(): Waiter<T, D> | undefined {
    return this.waiters.shift();
  }

  closeAll(): void {
    for (const waiter of this.waiters.splice(0)) waiter.grant(null);
  }
}
