/**
 * SQLite fast path for `billing.commit`, the one write on the request path: prepared statements
 * run in one native better-sqlite3 transaction (tens of microseconds) instead of one Kysely query
 * per row (hundreds). Same statements, same effects as the portable path; the store conformance
 * suite runs against it.
 *
 * Where it runs:
 * - A batch of several operations (requests settling together under load) goes to the store's
 *   background thread when there is one (sqlite-background.ts), so the event loop keeps serving
 *   while it is written; its promise resolves once the thread has committed it.
 * - A batch of one (a lone request, whose latency it is) runs here at once: a message to the
 *   thread and back would cost more than the commit. It never interleaves with a Kysely
 *   transaction on the same connection: when none is open it runs synchronously (nothing can
 *   start meanwhile, and the store never keeps a statement open across an await: no `.stream()`),
 *   otherwise it waits for Kysely's connection like any query.
 * Every statement is idempotent (inserts ignore a second copy, the update and delete repeat), so a
 * batch whose thread died before answering is simply applied again here.
 */
import type Database from 'better-sqlite3';
import type { Kysely, Selectable } from 'kysely';
import type { NativeHandle } from './dialect.js';
import type { Database as Schema, InflightTable, LedgerTable } from './schema.js';

export interface JournalRows {
  begin: Array<Selectable<InflightTable>>;
  progress: Array<{ request_id: string; prompt_tokens: number; completion_tokens: number; updated_at: string }>;
  /** Settled requests: each entry is also the request's usage record (migration 0004). */
  ledger: Array<Selectable<LedgerTable>>;
  finish: string[];
}

const INFLIGHT_COLUMNS = ['request_id', 'tenant_id', 'key_id', 'model', 'endpoint', 'reserved_micros', 'prompt_tokens', 'completion_tokens', 'started_at', 'updated_at'];
const LEDGER_COLUMNS = ['id', 'tenant_id', 'kind', 'request_id', 'key_id', 'model', 'prompt_tokens', 'cached_tokens', 'completion_tokens', 'allowance_tokens', 'chip_type', 'accelerator_ms', 'amount_micros', 'price_id', 'occurred_at', 'created_at', 'note',
  'endpoint', 'ttft_ms', 'duration_ms', 'outcome', 'error_code'];

const insertIgnoring = (table: string, columns: string[], conflict: string) =>
  `insert into ${table} (${columns.join(', ')}) values (${columns.map((c) => `@${c}`).join(', ')}) on conflict (${conflict}) do nothing`;

/** The statement for each kind of row, applied in this order (also by the background thread). */
export const JOURNAL_SQL: Readonly<Record<keyof JournalRows, string>> = {
  begin: insertIgnoring('inflight', INFLIGHT_COLUMNS, 'request_id'),
  progress: 'update inflight set prompt_tokens = @prompt_tokens, completion_tokens = @completion_tokens, updated_at = @updated_at where request_id = @request_id',
  ledger: insertIgnoring('ledger', LEDGER_COLUMNS, 'request_id'),
  finish: 'delete from inflight where request_id = ?',
};

const KINDS = Object.keys(JOURNAL_SQL) as Array<keyof JournalRows>;

export function createSqliteJournalCommit(kysely: Kysely<Schema>, native: NativeHandle) {
  let apply: ((rows: JournalRows) => void) | null = null;

  const run = (db: Database.Database, rows: JournalRows) => {
    if (!apply) {
      const statements = KINDS.map((kind) => [kind, db.prepare(JOURNAL_SQL[kind])] as const);
      apply = db.transaction((batch: JournalRows) => {
        for (const [kind, statement] of statements) for (const params of batch[kind]) statement.run(params);
      });
    }
    apply(rows);
  };

  const inline = async (rows: JournalRows): Promise<void> => {
    const db = native.sqlite;
    if (db && !db.inTransaction) return run(db, rows);
    await kysely.connection().execute(async () => {
      const held = native.sqlite;
      if (!held) throw new Error('the SQLite database is not open');
      run(held, rows);
    });
  };

  return async (rows: JournalRows): Promise<void> => {
    const background = native.background;
    if (background?.alive && KINDS.reduce((n, kind) => n + rows[kind].length, 0) > 1) {
      if (await background.commit(rows)) return;
    }
    return inline(rows);
  };
}
