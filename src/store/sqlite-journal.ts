/**
 * SQLite fast path for `billing.commit`, the one write on the request path: prepared statements
 * run in one native better-sqlite3 transaction (tens of microseconds) instead of one Kysely query
 * per row (hundreds). It never interleaves with a Kysely transaction on the same connection: when
 * none is open it runs at once (better-sqlite3 is synchronous, so nothing can start meanwhile, and
 * the store never keeps a statement open across an await: no `.stream()`), otherwise it waits for
 * Kysely's connection like any query. Same statements, same effects as the portable path; the
 * store conformance suite runs against it.
 */
import type Database from 'better-sqlite3';
import type { Kysely, Selectable } from 'kysely';
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

export function createSqliteJournalCommit(kysely: Kysely<Schema>, handle: () => Database.Database | null) {
  let apply: ((rows: JournalRows) => void) | null = null;

  const prepare = (db: Database.Database) => {
    const begin = db.prepare(insertIgnoring('inflight', INFLIGHT_COLUMNS, 'request_id'));
    const progress = db.prepare('update inflight set prompt_tokens = @prompt_tokens, completion_tokens = @completion_tokens, updated_at = @updated_at where request_id = @request_id');
    const ledger = db.prepare(insertIgnoring('ledger', LEDGER_COLUMNS, 'request_id'));
    const finish = db.prepare('delete from inflight where request_id = ?');
    return db.transaction((rows: JournalRows) => {
      for (const row of rows.begin) begin.run(row);
      for (const row of rows.progress) progress.run(row);
      for (const row of rows.ledger) ledger.run(row);
      for (const id of rows.finish) finish.run(id);
    });
  };

  const run = (db: Database.Database, rows: JournalRows) => {
    apply ??= prepare(db);
    apply(rows);
  };

  return async (rows: JournalRows): Promise<void> => {
    const db = handle();
    if (db && !db.inTransaction) return run(db, rows);
    await kysely.connection().execute(async () => {
      const held = handle();
      if (!held) throw new Error('the SQLite database is not open');
      run(held, rows);
    });
  };
}
