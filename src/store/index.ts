/**
 * The store: Kysely over SQLite (embedded default). The dialect is chosen here only, so
 * PostgreSQL can be added as a second branch of `openStore` running the same migrations.
 */
import Sqlite from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { TesseraError } from '../core/errors.js';
import { migrationProvider } from './migrations.js';
import { keysRepository, modelsRepository, usageRepository } from './repositories.js';
import type { Database } from './schema.js';

export type { ApiKeyRecord, ModelRecord, UsageRecord } from './repositories.js';

export type StoreOptions = { kind: 'sqlite'; file: string };

export interface Store {
  keys: ReturnType<typeof keysRepository>;
  usage: ReturnType<typeof usageRepository>;
  models: ReturnType<typeof modelsRepository>;
  close(): Promise<void>;
}

export async function openStore(options: StoreOptions, deps: { now: () => Date }): Promise<Store> {
  const sqlite = new Sqlite(options.file);
  // WAL: readers never block the writer. synchronous=FULL: a usage row acknowledged is on disk
  // even after a power loss (NORMAL could lose the last commits), and these are small writes.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  const { error, results } = await new Migrator({ db, provider: migrationProvider }).migrateToLatest();
  if (error) {
    await db.destroy();
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new TesseraError('internal_error', `Database migration ${failed} failed: ${String(error)}`, { cause: error });
  }
  return {
    keys: keysRepository(db, deps.now),
    usage: usageRepository(db, deps.now),
    models: modelsRepository(db, deps.now),
    close: () => db.destroy(),
  };
}
