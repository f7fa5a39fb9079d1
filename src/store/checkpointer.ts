/**
 * WAL checkpoints off the serving thread. By default SQLite checkpoints inside the commit that
 * crosses 1,000 WAL pages: that request's event loop turn then copies the pages into the database
 * file and fsyncs it (several milliseconds, a p99 stall) and, at a commit per request, pays again
 * for every page version written since. Here the serving connection never checkpoints
 * (`wal_autocheckpoint = 0`); a worker thread with its own connection runs a PASSIVE checkpoint
 * every `intervalMs`, which never blocks the writer and copies each changed page once however often
 * it was rewritten. If the worker fails, the serving connection checkpoints by itself again.
 *
 * The worker is plain CommonJS run with `eval` (it only needs better-sqlite3), so it works the same
 * from dist/ and from sources run with tsx.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';

/** SQLite's own default, restored if the worker stops. */
const DEFAULT_AUTOCHECKPOINT_PAGES = 1000;
const DEFAULT_INTERVAL_MS = 500;

export interface Checkpointer {
  /** Stops the worker and closes its connection (before the serving connection closes). */
  close(): Promise<void>;
}

interface WorkerData {
  driver: string;
  file: string;
  intervalMs: number;
  busyTimeoutMs: number;
}

/** Runs in the worker: `req` is the eval context's CommonJS `require`. */
function checkpointLoop(req: NodeJS.Require): void {
  const { parentPort, workerData } = req('node:worker_threads') as typeof import('node:worker_threads');
  const data = workerData as WorkerData;
  const Driver = req(data.driver) as typeof Database;
  const db = new Driver(data.file, { timeout: data.busyTimeoutMs });
  const timer = setInterval(() => {
    try {
      db.pragma('wal_checkpoint(PASSIVE)');
    } catch (err) {
      // Another process checkpointing or locking the file: the next round will do it.
      if ((err as { code?: string }).code !== 'SQLITE_BUSY') throw err;
    }
  }, data.intervalMs);
  parentPort!.on('message', () => {
    clearInterval(timer);
    db.close();
    parentPort!.close();
  });
}

export function startCheckpointer(
  serving: Database.Database,
  file: string,
  options: { intervalMs?: number; busyTimeoutMs: number; onError: (err: unknown) => void },
): Checkpointer {
  const workerData: WorkerData = {
    driver: createRequire(import.meta.url).resolve('better-sqlite3'),
    file,
    intervalMs: options.intervalMs ?? DEFAULT_INTERVAL_MS,
    busyTimeoutMs: options.busyTimeoutMs,
  };
  const worker = new Worker(`(${checkpointLoop.toString()})(require)`, { eval: true, workerData });
  // A background thread must not keep the process alive on its own.
  worker.unref();
  serving.pragma('wal_autocheckpoint = 0');
  let stopped = false;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.once('error', (err) => {
    if (stopped) return;
    stopped = true;
    if (serving.open) serving.pragma(`wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT_PAGES}`);
    options.onError(err);
  });
  return {
    async close() {
      if (!stopped) {
        stopped = true;
        // Referenced again so that waiting for its exit keeps this process alive meanwhile.
        worker.ref();
        worker.postMessage('close');
      }
      await exited;
    },
  };
}
