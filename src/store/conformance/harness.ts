/** Shared helpers of the store conformance suite: a movable clock and a per-test store. */
import type { Store, StoreDeps } from '../types.js';

/** Opens the same database each time it is called. */
export type StoreOpener = (deps: StoreDeps) => Promise<Store>;
/** Creates a fresh, empty database and returns its opener. */
export type NewDatabase = () => Promise<StoreOpener>;

export const T0 = new Date('2026-01-15T10:00:00.000Z');

export interface ManualClock extends StoreDeps {
  advance(ms: number): void;
  set(date: Date): void;
}

export function manualClock(start: Date = T0): ManualClock {
  let current = new Date(start);
  return {
    now: () => new Date(current),
    advance(ms: number) {
      current = new Date(current.getTime() + ms);
    },
    set(date: Date) {
      current = new Date(date);
    },
  };
}

/** Runs `body` against a store on a fresh database and closes it afterwards, pass or fail. */
export async function withStore(
  newDatabase: NewDatabase,
  body: (store: Store, clock: ManualClock, open: StoreOpener) => Promise<void>,
): Promise<void> {
  const clock = manualClock();
  const open = await newDatabase();
  const store = await open(clock);
  try {
    await body(store, clock, open);
  } finally {
    await store.close();
  }
}
