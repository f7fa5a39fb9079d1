/**
 * SQLite fast path for `billing.commit`, the one write on the request path.
 *
 * With the store's background thread (a server): a batch is checked (its tenants exist: the only
 * constraint a batch the meter builds can break), then made durable by one append to the metering
 * log (sqlite-metering-log.ts) and acknowledged; the thread writes it into the database. That
 * takes a lone request's settlement from ~16 system calls on the serving thread to one.
 *
 * Without it (the CLI, tests, a thread that failed): prepared statements run in one native
 * better-sqlite3 transaction (tens of microseconds) instead of one Kysely query per row. That
 * never interleaves with a Kysely transaction on the same connection: when none is open it runs
 * synchronously (nothing can start meanwhile, and the store never keeps a statement open across
 * an await: no `.stream()`), otherwise it waits for Kysely's connection like any query.
 *
 * Same statements, same effects as the portable path either way; the store conformance suite runs
 * against both. Every statement is idempotent (inserts ignore a second copy, the update and
 * delete repeat), so a log line applied twice (a crash after the thread applied it) changes nothing.
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

/** Applies batches in order, in one transaction, on `db` (statements prepared once per connection). */
export function journalApplier(db: Database.Database): (batches: JournalRows[]) => void {
  const statements = KINDS.map((kind) => db.prepare(JOURNAL_SQL[kind]));
  return db.transaction((batches: JournalRows[]) => {
    for (const rows of batches) for (let k = 0; k < KINDS.length; k++) for (const params of rows[KINDS[k]]) statements[k].run(params);
  });
}

export function createSqliteJournalCommit(kysely: Kysely<Schema>, native: NativeHandle) {
  let apply: ((batches: JournalRows[]) => void) | null = null;
  const run = (db: Database.Database, rows: JournalRows) => {
    apply ??= journalApplier(db);
    apply([rows]);
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

  // Tenants are never deleted, so one seen once stays valid; an unknown one is looked up once.
  const knownTenants = new Set<string>();
  let tenantExists: Database.Statement<[string]> | null = null;
  const checkTenants = (db: Database.Database, rows: JournalRows) => {
    for (const { tenant_id: id } of rows.ledger) {
      if (knownTenants.has(id)) continue;
      tenantExists ??= db.prepare<[string]>('select 1 from tenants where id = ?').pluck();
      if (tenantExists.get(id) === undefined) {
        throw Object.assign(new Error(`FOREIGN KEY constraint failed: no tenant '${id}'`), { code: 'SQLITE_CONSTRAINT_FOREIGNKEY' });
      }
      knownTenants.add(id);
    }
  };

  return async (rows: JournalRows): Promise<void> => {
    const background = native.background;
    const db = native.sqlite;
    if (background?.alive && db) {
      checkTenants(db, rows);
      background.append(rows);
      return;
    }
    // A thread that stopped: what it left in the log goes in first, then this batch.
    await background?.applied();
    return inline(rows);
  };
}
