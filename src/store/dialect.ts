/**
 * The one place that knows which database engine is behind the store. Everything else speaks
 * Kysely. Adding PostgreSQL = a `postgres` branch here (PostgresDialect over `pg`) + running
 * `store.conformance.ts` against it; see docs/store.md.
 */
import Database from 'better-sqlite3';
import { SqliteAdapter, SqliteDialect, SqliteDriver, type DatabaseConnection, type Dialect, type DialectAdapter, type Driver, type SqliteDialectConfig } from 'kysely';
import type { SqliteBackground } from './sqlite-background.js';
import type { StoreOptions } from './types.js';

/** Milliseconds a writer waits for another process's lock (e.g. `tessera models add` while serving). */
export const SQLITE_BUSY_TIMEOUT_MS = 5000;

/** The open better-sqlite3 handle, once Kysely has opened it (for the SQLite fast paths). */
export interface NativeHandle {
  sqlite: Database.Database | null;
  /**
   * The background thread (started by openStore once the schema is migrated, when the options
   * ask for one); closed before the database. Every query first waits for the metering batches
   * appended before it to be in the database (`applied()`), so the process reads its own writes.
   */
  background?: SqliteBackground;
}

export function createDialect(options: StoreOptions, native: NativeHandle = { sqlite: null }): Dialect {
  switch (options.kind) {
    case 'sqlite':
      return createSqliteDialect(options, native);
    default:
      throw new Error(`unknown store kind ${JSON.stringify((options as { kind: unknown }).kind)}`);
  }
}

function createSqliteDialect(options: Extract<StoreOptions, { kind: 'sqlite' }>, native: NativeHandle): Dialect {
  const synchronous = options.synchronous ?? 'NORMAL';
  return new TesseraSqliteDialect(native, {
    // Opened lazily by Kysely on first use, so a failing open surfaces from the first query.
    database: async () => {
      const db = new Database(options.file, { timeout: SQLITE_BUSY_TIMEOUT_MS });
      try {
        configureSqlite(db, options.file, synchronous);
      } catch (err) {
        db.close();
        throw err;
      }
      native.sqlite = db;
      return db;
    },
  });
}

function configureSqlite(db: Database.Database, file: string, synchronous: 'NORMAL' | 'FULL'): void {
  // WAL: readers never block the writer and a commit is one append to the -wal file. The mode is
  // persistent in the file; we still set it on every open (idempotent) and check it took.
  const mode = db.pragma('journal_mode = WAL', { simple: true });
  if (mode !== 'wal' && file !== ':memory:') {
    throw new Error(`SQLite refused WAL mode for ${file} (got ${String(mode)}); is it on a network file system?`);
  }
  // Under WAL, NORMAL syncs the WAL at checkpoints instead of at every commit. A committed write
  // is in the WAL file (the OS page cache) before the statement returns, so it survives any crash
  // of this process (SIGKILL included); only an OS crash or power cut can lose the last commits,
  // and never corrupts the database (SQLite's documented WAL guarantee). FULL closes that gap at
  // the price of one fsync per commit; `StoreOptions.synchronous` chooses.
  db.pragma(`synchronous = ${synchronous}`);
  db.pragma('foreign_keys = ON');
  db.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
}

/**
 * SQLite runs DDL inside transactions, but Kysely's SqliteAdapter says it does not, which would
 * make the Migrator apply a migration statement by statement. Claiming support makes each
 * migration run atomic: a failed one leaves no half-built schema behind.
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

/** Kysely's SQLite dialect with transactional DDL and the metering log's read barrier. */
class TesseraSqliteDialect extends SqliteDialect {
  constructor(
    private readonly native: NativeHandle,
    private readonly config: SqliteDialectConfig,
  ) {
    super(config);
  }

  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }

  override createDriver(): Driver {
    return new BarrierSqliteDriver(this.config, this.native);
  }
}

class BarrierSqliteDriver extends SqliteDriver {
  constructor(
    config: SqliteDialectConfig,
    private readonly native: NativeHandle,
  ) {
    super(config);
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    const pending = this.native.background?.applied();
    if (pending) await pending;
    return super.acquireConnection();
  }
}
