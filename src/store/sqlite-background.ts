/**
 * The store's background thread, for a long-running server: a worker with its own connection to
 * the same SQLite file that
 *
 * - checkpoints the WAL. By default SQLite checkpoints inside the commit that crosses 1,000 WAL
 *   pages: that request's event loop turn then copies pages into the database file and fsyncs it
 *   (milliseconds: a p99 stall) and, at a commit per request, pays again for every page version.
 *   Here the serving connection never checkpoints (`wal_autocheckpoint = 0`); the thread runs a
 *   PASSIVE checkpoint every `intervalMs`, which never blocks the writer and copies each changed
 *   page once however often it was rewritten;
 * - applies the metering log (sqlite-metering-log.ts): journal batches are made durable by one
 *   append on the serving thread (`append`), and the thread writes them into the database, all
 *   that accumulated in `GATHER_MS` (or since its last transaction) in one. `applied()` is the
 *   barrier reads wait on; it has the thread write at once.
 *
 * If applying fails (the disk, a lock held for longer than the busy timeout), the error is
 * reported, reads waiting on the barrier are refused with it, and the thread tries again a second
 * later: the batches stay in the log meanwhile. If the thread itself fails, the serving connection
 * checkpoints by itself again, applies what the thread left (`applyInline`) and `alive` turns
 * false, so journal batches are committed on the serving connection from then on.
 *
 * The worker's code is a plain CommonJS string run with `eval` (it needs only better-sqlite3): the
 * same from dist/ and from sources run with tsx, which can neither load a .ts worker file nor be
 * trusted with a function's `toString()` (it adds helpers the worker would not have).
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import type { JournalRows } from './sqlite-journal.js';
import { MeteringLog, ROTATE_BYTES, meteringLogFile } from './sqlite-metering-log.js';

/** SQLite's own default, restored if the thread stops. */
const DEFAULT_AUTOCHECKPOINT_PAGES = 1000;
const DEFAULT_INTERVAL_MS = 500;
/** After a failed apply, the thread tries again after this long. */
const RETRY_MS = 1000;
/**
 * Appended batches wait this long for others before the thread is asked to write them, so a
 * transaction carries many requests even at low load (one per request cost the thread about
 * as much CPU as the request itself). A read asks at once instead (`applied()`).
 */
const GATHER_MS = 10;

export interface SqliteBackground {
  /** False once the thread has failed or is closing. */
  readonly alive: boolean;
  /**
   * Makes `rows` durable (one append to the metering log) and has the thread write them into the
   * database. Throws if the append fails: then nothing was written.
   */
  append(rows: JournalRows): void;
  /**
   * Null when every batch appended so far is in the database; otherwise a promise that resolves
   * once those are (rejects if applying them failed this time).
   */
  applied(): Promise<void> | null;
  /** Applies what is left, stops the thread and closes its connection (before the serving connection closes). */
  close(): Promise<void>;
}

interface WorkerData {
  driver: string;
  file: string;
  log: string;
  synchronous: string;
  busyTimeoutMs: number;
  intervalMs: number;
  statements: Record<keyof JournalRows, string>;
}

/** Apply the log's bytes `[from, to)`. */
type ToWorker = { type: 'apply'; from: number; to: number } | { type: 'close' };
type FromWorker = { to: number; error?: { message: string; code?: string } };

const WORKER_SOURCE = `
'use strict';
const fs = require('node:fs');
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { timeout: workerData.busyTimeoutMs });
db.pragma('synchronous = ' + workerData.synchronous);
db.pragma('foreign_keys = ON');
const statements = Object.entries(workerData.statements).map(([kind, sql]) => [kind, db.prepare(sql)]);
// Batch by batch, in the order they were appended (a request's begin, progress, settlement).
const apply = db.transaction((batches) => {
  for (const rows of batches) for (const [kind, statement] of statements) for (const params of rows[kind]) statement.run(params);
});
const log = fs.openSync(workerData.log, 'r');
function read(from, to) {
  const buffer = Buffer.allocUnsafe(to - from);
  let n = 0;
  while (n < buffer.length) {
    const got = fs.readSync(log, buffer, n, buffer.length - n, from + n);
    if (got === 0) throw new Error('the metering log ends at ' + (from + n) + ', before ' + to);
    n += got;
  }
  return buffer.toString('utf8').split('\\n').filter((line) => line !== '').map((line) => JSON.parse(line));
}
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (err) {
    // Another process checkpointing or holding the lock: the next round does it.
    if (err.code !== 'SQLITE_BUSY') throw err;
  }
}, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message.type === 'close') {
    clearInterval(timer);
    fs.closeSync(log);
    db.close();
    parentPort.close();
    return;
  }
  try {
    apply(read(message.from, message.to));
    parentPort.postMessage({ to: message.to });
  } catch (err) {
    parentPort.postMessage({ to: message.to, error: { message: String(err && err.message), code: err && err.code } });
  }
});
`;

export function startSqliteBackground(
  serving: Database.Database,
  file: string,
  options: {
    synchronous: 'NORMAL' | 'FULL';
    busyTimeoutMs: number;
    statements: Record<keyof JournalRows, string>;
    intervalMs?: number;
    onError: (err: unknown) => void;
    /** Commits batches on the serving connection, in one transaction (what a failed thread left). */
    applyInline: (batches: JournalRows[]) => void;
  },
): SqliteBackground {
  const log = new MeteringLog(meteringLogFile(file), { sync: options.synchronous === 'FULL' });
  const workerData: WorkerData = {
    driver: createRequire(import.meta.url).resolve('better-sqlite3'),
    file,
    log: log.file,
    synchronous: options.synchronous,
    busyTimeoutMs: options.busyTimeoutMs,
    intervalMs: options.intervalMs ?? DEFAULT_INTERVAL_MS,
    statements: options.statements,
  };
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData });
  // Idle, the thread must not keep the process alive; while the log has unapplied lines, it does.
  worker.unref();
  serving.pragma('wal_autocheckpoint = 0');
  let alive = true;
  let closing = false;
  /** Log offsets: appended so far, in the database, and the end of the range the thread is applying. */
  let appended = log.size;
  let acked = appended;
  let applying = false;
  let retry: NodeJS.Timeout | null = null;
  let scheduled: NodeJS.Timeout | null = null;
  let waiters: Array<{ target: number; resolve: () => void; reject: (err: Error) => void }> = [];
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));

  const post = (message: ToWorker) => worker.postMessage(message);
  const settleWaiters = (err?: Error) => {
    const still: typeof waiters = [];
    for (const waiter of waiters) {
      if (err) waiter.reject(err);
      else if (waiter.target <= acked) waiter.resolve();
      else still.push(waiter);
    }
    waiters = still;
  };
  const applyNext = () => {
    if (scheduled) clearTimeout(scheduled);
    scheduled = null;
    if (!alive || applying || acked >= appended) return;
    applying = true;
    worker.ref();
    post({ type: 'apply', from: acked, to: appended });
  };
  const applySoon = () => {
    scheduled ??= setTimeout(applyNext, GATHER_MS);
  };

  worker.on('message', (reply: FromWorker) => {
    applying = false;
    if (reply.error) {
      const err = Object.assign(new Error(`applying the metering log failed: ${reply.error.message}`), { code: reply.error.code });
      options.onError(err);
      settleWaiters(err);
      retry ??= setTimeout(() => {
        retry = null;
        applyNext();
      }, RETRY_MS);
      return;
    }
    acked = reply.to;
    settleWaiters();
    // More was appended meanwhile: at once if a read waits for it, else after the gathering time.
    if (acked < appended) return waiters.length > 0 ? applyNext() : applySoon();
    if (!closing) worker.unref();
    // Everything is in the database: the log can start over.
    if (log.size >= ROTATE_BYTES) {
      log.truncate();
      appended = acked = 0;
    }
  });

  /** The thread is gone: what it had not applied is applied here, once no transaction is open. */
  const takeOver = () => {
    if (acked >= appended) return settleWaiters();
    if (serving.inTransaction) {
      setTimeout(takeOver, 1);
      return;
    }
    try {
      options.applyInline(log.read(acked, appended));
      acked = appended;
      settleWaiters();
    } catch (err) {
      options.onError(err);
      settleWaiters(err instanceof Error ? err : new Error(String(err)));
    }
  };
  const stop = () => {
    if (!alive) return;
    alive = false;
    applying = false;
    if (retry) clearTimeout(retry);
    if (scheduled) clearTimeout(scheduled);
    worker.unref();
    if (serving.open) takeOver();
  };
  worker.once('error', (err) => {
    if (!alive) return;
    if (serving.open) serving.pragma(`wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT_PAGES}`);
    options.onError(err);
    stop();
  });
  worker.once('exit', () => stop());

  return {
    get alive() {
      return alive;
    },
    append(rows) {
      appended = log.append(rows);
      // The batch is durable already: the thread is asked later, for everything appended by then.
      if (!applying) applySoon();
    },
    applied() {
      if (acked >= appended) return null;
      applyNext();
      const target = appended;
      return new Promise<void>((resolve, reject) => waiters.push({ target, resolve, reject }));
    },
    async close() {
      if (alive) {
        closing = true;
        // What is appended goes into the database before the thread stops.
        await this.applied()?.catch(() => undefined);
        alive = false;
        if (retry) clearTimeout(retry);
        post({ type: 'close' });
      }
      // Kept alive until the thread has exited (a failed thread may still be on its way out).
      worker.ref();
      await exited;
      log.close(acked >= appended);
    },
  };
}
