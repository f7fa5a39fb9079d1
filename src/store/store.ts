/**
 * `openStore`: opens the database named by the options, brings its schema to the latest migration
 * and returns the repositories. The dialect is chosen in dialect.ts and nowhere else.
 */
import { Kysely } from 'kysely';
import { createDialect, SQLITE_BUSY_TIMEOUT_MS, type NativeHandle } from './dialect.js';
import { startSqliteBackground } from './sqlite-background.js';
import { createSqliteJournalCommit, JOURNAL_SQL, journalApplier } from './sqlite-journal.js';
import { meteringLogFile, replayMeteringLog } from './sqlite-metering-log.js';
import { createKeyRepository } from './keys.js';
import { migrateToLatest } from './migrate.js';
import { createModelRepository } from './models.js';
import type { Database } from './schema.js';
import type { Store, StoreDeps, StoreOptions } from './types.js';
import { createUsageRepository } from './usage.js';
import { createTenantRepository } from './tenants.js';
import { createBillingRepository } from './billing.js';
import { createAuditRepository } from './audit.js';
import { createConversationRepository } from './conversations.js';

/**
 * Opens (creating if missing) and migrates the database. Safe to call on every start: migrations
 * already applied are skipped. Rejects when the database cannot be opened or migrated, after
 * releasing it.
 */
export async function openStore(options: StoreOptions, deps: StoreDeps): Promise<Store> {
  const native: NativeHandle = { sqlite: null };
  const db = new Kysely<Database>({ dialect: createDialect(options, native) });
  try {
    await migrateToLatest(db as unknown as Kysely<unknown>);
    if (options.kind === 'sqlite' && options.background && options.file !== ':memory:' && native.sqlite) {
      const serving = native.sqlite;
      const applyInline = journalApplier(serving);
      // What a crash left in the metering log goes in before anything reads metering rows.
      replayMeteringLog(meteringLogFile(options.file), applyInline);
      native.background = startSqliteBackground(serving, options.file, {
        synchronous: options.synchronous ?? 'NORMAL',
        busyTimeoutMs: SQLITE_BUSY_TIMEOUT_MS,
        statements: JOURNAL_SQL,
        onError: options.onBackgroundError ?? (() => undefined),
        applyInline,
      });
    }
  } catch (err) {
    await native.background?.close();
    await db.destroy();
    throw err;
  }
  let closing: Promise<void> | undefined;
  return {
    keys: createKeyRepository(db, deps),
    usage: createUsageRepository(db, deps),
    models: createModelRepository(db, deps),
    tenants: createTenantRepository(db, deps),
    billing: createBillingRepository(db, deps, options.kind === 'sqlite' ? createSqliteJournalCommit(db, native) : undefined),
    audit: createAuditRepository(db, deps),
    conversations: createConversationRepository(db, deps),
    close() {
      closing ??= (async () => {
        await native.background?.close();
        await db.destroy();
      })();
      return closing;
    },
  };
}
