/**
 * The metering log: how a journal batch (sqlite-journal.ts) becomes durable in one `write`.
 *
 * A SQLite commit of one settlement costs ~16 system calls on the serving thread (a WAL frame per
 * B-tree the row touches, two writes each, and the WAL locks): about a tenth of what a lone
 * request costs Tessera. Here a batch is appended to `<database>-metering.log` as one JSON line
 * in one `write`, which is exactly as durable as a SQLite commit under `synchronous = NORMAL`:
 * in the OS page cache when the call returns, so it survives any crash of the process (SIGKILL
 * included) and only an OS crash or power cut can lose it. Under `FULL` each append is also
 * fdatasync'ed. The store's background thread then applies the appended lines to the database
 * (sqlite-background.ts) with the same idempotent statements, many per transaction.
 *
 * - Reads wait for what was appended before them (the dialect's connection barrier), so the
 *   process always reads its own writes.
 * - At open, before the thread starts, whatever a crash left in the log is applied (`replay`):
 *   applying a line twice changes nothing (every journal statement is idempotent). A line cut
 *   short by a crash in the middle of its `write` was never acknowledged; it is skipped.
 * - When every appended line is applied and the file has grown past `ROTATE_BYTES`, it is
 *   truncated; a clean close removes it.
 * - One server process per database file owns its log (as it owns the in-memory budgets); other
 *   processes (the CLI) read the database, which lags the server by the thread's last batch.
 */
import { closeSync, existsSync, fdatasyncSync, fstatSync, ftruncateSync, openSync, readFileSync, readSync, rmSync, writeSync } from 'node:fs';
import type { JournalRows } from './sqlite-journal.js';

export const ROTATE_BYTES = 1 << 20;

export function meteringLogFile(databaseFile: string): string {
  return `${databaseFile}-metering.log`;
}

export class MeteringLog {
  readonly file: string;
  readonly #fd: number;
  readonly #sync: boolean;
  #size: number;

  constructor(file: string, options: { sync: boolean }) {
    this.file = file;
    // Holds tenant, key and request ids (never secrets); readable by the owner only, like the database should be.
    this.#fd = openSync(file, 'a', 0o600);
    this.#size = fstatSync(this.#fd).size;
    this.#sync = options.sync;
  }

  /** Bytes in the file: the end offset of the last appended line. */
  get size(): number {
    return this.#size;
  }

  /**
   * Appends one batch; durable when it returns. Returns the batch's end offset. A failed or short
   * write is cut back off the file and thrown: the caller has acknowledged nothing.
   */
  append(rows: JournalRows): number {
    const line = Buffer.from(`${JSON.stringify(rows)}\n`);
    const start = this.#size;
    try {
      let written = 0;
      while (written < line.length) {
        const n = writeSync(this.#fd, line, written, line.length - written);
        if (n <= 0) throw new Error('the metering log accepted no bytes');
        written += n;
      }
      if (this.#sync) fdatasyncSync(this.#fd);
    } catch (err) {
      try {
        ftruncateSync(this.#fd, start);
      } catch {
        // The torn line is skipped at replay (it does not parse); the error below is what matters.
      }
      throw err;
    }
    this.#size = start + line.length;
    return this.#size;
  }

  /** Empties the file (only when every line is applied). Appends continue at offset 0. */
  truncate(): void {
    ftruncateSync(this.#fd, 0);
    this.#size = 0;
  }

  /** The batches in `[from, to)`, read back from the file (the fallback when the thread is gone). */
  read(from: number, to: number): JournalRows[] {
    const fd = openSync(this.file, 'r');
    try {
      const buffer = Buffer.allocUnsafe(to - from);
      let read = 0;
      while (read < buffer.length) {
        const n = readSync(fd, buffer, read, buffer.length - read, from + read);
        if (n === 0) break;
        read += n;
      }
      return parseLines(buffer.toString('utf8', 0, read)).batches;
    } finally {
      closeSync(fd);
    }
  }

  /** Closes the file, removing it when `applied` (nothing in it is still needed). */
  close(applied: boolean): void {
    closeSync(this.#fd);
    if (applied) rmSync(this.file, { force: true });
  }
}

/** Batches in a log's text; lines that do not parse (cut short by a crash) are counted and skipped. */
export function parseLines(text: string): { batches: JournalRows[]; skipped: number } {
  const batches: JournalRows[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      batches.push(JSON.parse(line) as JournalRows);
    } catch {
      skipped += 1;
    }
  }
  return { batches, skipped };
}

/**
 * Applies what a previous process left in the log (`apply` commits the batches in one
 * transaction), then empties it. Runs at open, before anything reads or writes metering rows.
 */
export function replayMeteringLog(file: string, apply: (batches: JournalRows[]) => void): { batches: number; skipped: number } {
  if (!existsSync(file)) return { batches: 0, skipped: 0 };
  const { batches, skipped } = parseLines(readFileSync(file, 'utf8'));
  if (batches.length > 0) apply(batches);
  rmSync(file, { force: true });
  return { batches: batches.length, skipped };
}
