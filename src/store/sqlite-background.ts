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
 * - commits journal batches (sqlite-journal.ts) handed to it, with the same statements, so the
 *   event loop keeps serving while they are written.
 *
 * If the thread fails, the serving connection checkpoints by itself again and journal batches are
 * committed on the serving connection (`alive` turns false; batches it had not answered resolve
 * `false` so their caller applies them there; every journal statement is idempotent).
 *
 * The worker's code is a plain CommonJS string run with `eval` (it needs only better-sqlite3): the
 * same from dist/ and from sources run with tsx, which can neither load a .ts worker file nor be
 * trusted with a function's `toString()` (it adds helpers the worker would not have).
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import type { JournalRows } from './sqlite-journal.js';

/** SQLite's own default, restored if the thread stops. */
const DEFAULT_AUTOCHECKPOINT_PAGES = 1000;
const DEFAULT_INTERVAL_MS = 500;

export interface SqliteBackground {
  /** False once the thread has failed or is closing. */
  readonly alive: boolean;
  /**
   * Commits `rows` in one transaction on the thread. Resolves true once committed, false if the
   * thread stopped before answering (apply them elsewhere); rejects with the database's error.
   */
  commit(rows: JournalRows): Promise<boolean>;
  /** Stops the thread and closes its connection (before the serving connection closes). */
  close(): Promise<void>;
}

interface WorkerData {
  driver: string;
  file: string;
  synchronous: string;
  busyTimeoutMs: number;
  intervalMs: number;
  statements: Record<keyof JournalRows, string>;
}

type ToWorker = { type: 'commit'; id: number; rows: JournalRows } | { type: 'close' };
type FromWorker = { id: number; error?: { message: string; code?: string } };

const WORKER_SOURCE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { timeout: workerData.busyTimeoutMs });
db.pragma('synchronous = ' + workerData.synchronous);
db.pragma('foreign_keys = ON');
const statements = Object.entries(workerData.statements).map(([kind, sql]) => [kind, db.prepare(sql)]);
const apply = db.transaction((rows) => {
  for (const [kind, statement] of statements) for (const params of rows[kind]) statement.run(params);
});
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
    db.close();
    parentPort.close();
    return;
  }
  try {
    apply(message.rows);
    parentPort.postMessage({ id: message.id });
  } catch (err) {
    parentPort.postMessage({ id: message.id, error: { message: String(err && err.message), code: err && err.code } });
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
  },
): SqliteBackground {
  const workerData: WorkerData = {
    driver: createRequire(import.meta.url).resolve('better-sqlite3'),
    file,
    synchronous: options.synchronous,
    busyTimeoutMs: options.busyTimeoutMs,
    intervalMs: options.intervalMs ?? DEFAULT_INTERVAL_MS,
    statements: options.statements,
  };
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData });
  // Idle, the thread must not keep the process alive; while batches wait on it, it does.
  worker.unref();
  serving.pragma('wal_autocheckpoint = 0');
  let alive = true;
  let nextId = 0;
  const pending = new Map<number, { resolve: (done: boolean) => void; reject: (err: Error) => void }>();
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));

  const stop = () => {
    alive = false;
    for (const waiter of pending.values()) waiter.resolve(false);
    pending.clear();
    worker.unref();
  };
  worker.on('message', (reply: FromWorker) => {
    const waiter = pending.get(reply.id);
    if (!waiter) return;
    pending.delete(reply.id);
    if (pending.size === 0) worker.unref();
    if (reply.error) waiter.reject(Object.assign(new Error(reply.error.message), { code: reply.error.code }));
    else waiter.resolve(true);
  });
  worker.once('error', (err) => {
    if (!alive) return;
    stop();
    if (serving.open) serving.pragma(`wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT_PAGES}`);
    options.onError(err);
  });
  worker.once('exit', () => stop());

  const post = (message: ToWorker) => worker.postMessage(message);
  return {
    get alive() {
      return alive;
    },
    commit(rows) {
      if (!alive) return Promise.resolve(false);
      const id = ++nextId;
      if (pending.size === 0) worker.ref();
      const done = new Promise<boolean>((resolve, reject) => pending.set(id, { resolve, reject }));
      post({ type: 'commit', id, rows });
      return done;
    },
    async close() {
      if (alive) {
        // Batches already posted are committed before the thread reads 'close'.
        alive = false;
        worker.ref();
        post({ type: 'close' });
      }
      await exited;
    },
  };
}
