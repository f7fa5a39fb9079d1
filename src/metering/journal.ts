/**
 * Group commit for everything billing writes on the request path: streamed requests' tokens so
 * far (a request's first such write creates its in-flight row), settlements. Operations queue up
 * while a commit is running and go to the store together in the next transaction; each caller's
 * promise resolves only once its operation is durable (`billing.commit` resolved: on SQLite with
 * the background thread, appended to the metering log). So writes are batched for speed, yet nothing is acknowledged (no token is sent to
 * a client, no response returned) before it is durable.
 *
 * A batch waits for the end of the event loop's turn (setImmediate) so that every request ready in
 * it can join — unless no other metered request is in flight: then nobody can join, and the commit
 * starts at once instead of costing the lone request a turn of the loop.
 */
import type { BillingBatch, InflightRecord, LedgerInput, Store, UsageInput } from '../store/index.js';

export class Journal {
  #pending = emptyBatch();
  #progress = new Map<string, { requestId: string; promptTokens: number; completionTokens: number }>();
  /** Streamed requests admitted whose in-flight row is not written yet: nothing delivered so far. */
  readonly #unwritten = new Map<string, InflightRecord>();
  /** Streamed requests whose in-flight row is written (or in the batch being committed). */
  readonly #written = new Set<string>();
  #waiters: Array<{ resolve: () => void; reject: (err: unknown) => void }> = [];
  #running: Promise<void> | null = null;
  #scheduled = false;
  /** Metered requests admitted and not yet settled (see `open`). */
  #open = 0;
  /** Commits and operations, for metrics and the benchmark. */
  commits = 0;
  operations = 0;

  constructor(private readonly store: Store) {}

  /** Counts a metered request as in flight until its `settle`: one that may still join a batch. */
  open(): void {
    this.#open += 1;
  }

  /**
   * Registers a streamed request as in flight. Its row is written with its first `progress`:
   * until a token is about to be sent the request owes nothing, so a crash before that needs no
   * row, and a request whose whole reply is settled at once never writes one.
   */
  begin(record: InflightRecord): void {
    this.#unwritten.set(record.requestId, record);
  }

  /** Records streamed progress; a later call for the same request in the same batch replaces it. */
  progress(requestId: string, promptTokens: number, completionTokens: number): Promise<void> {
    const unwritten = this.#unwritten.get(requestId);
    if (unwritten) {
      this.#unwritten.delete(requestId);
      this.#written.add(requestId);
      this.#pending.begin.push({ ...unwritten, promptTokens, completionTokens });
    } else {
      this.#progress.set(requestId, { requestId, promptTokens, completionTokens });
    }
    // The caller is in flight and counted in #open; only others could join its batch.
    return this.#enqueue(this.#open > 1);
  }

  /**
   * Appends the ledger entry (and usage row) and deletes the request's in-flight row if one was
   * written, atomically.
   */
  settle(entry: LedgerInput, usage: UsageInput | undefined, requestId: string): Promise<void> {
    this.#pending.settle.push({ entry, usage });
    this.#progress.delete(requestId);
    this.#unwritten.delete(requestId);
    if (this.#written.delete(requestId)) this.#pending.finish.push(requestId);
    this.#open = Math.max(0, this.#open - 1);
    return this.#enqueue(this.#open > 0);
  }

  /** Resolves when everything queued so far is committed. */
  async drain(): Promise<void> {
    while (this.#running || this.#scheduled) await (this.#running ?? new Promise((r) => setImmediate(r)));
  }

  #enqueue(othersInFlight: boolean): Promise<void> {
    this.operations += 1;
    const done = new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    if (!this.#scheduled && !this.#running) {
      if (othersInFlight) {
        this.#scheduled = true;
        // Let every request that is ready in this turn of the event loop join the batch.
        setImmediate(() => void this.#flush());
      } else {
        void this.#flush();
      }
    }
    return done;
  }

  async #flush(): Promise<void> {
    this.#scheduled = false;
    const batch = this.#pending;
    batch.progress = [...this.#progress.values()];
    const waiters = this.#waiters;
    this.#pending = emptyBatch();
    this.#progress = new Map();
    this.#waiters = [];
    const run = this.store.billing.commit(batch);
    this.#running = run.then(() => undefined, () => undefined);
    try {
      await run;
      this.commits += 1;
      for (const w of waiters) w.resolve();
    } catch (err) {
      for (const w of waiters) w.reject(err);
    } finally {
      this.#running = null;
      if (this.#waiters.length > 0) void this.#flush();
    }
  }
}

function emptyBatch(): BillingBatch {
  return { begin: [], progress: [], settle: [], finish: [] };
}
