/**
 * `openStore`: opens the database named by the options, brings its schema to the latest migration
 * and returns the repositories. The dialect is chosen in dialect.ts and nowhere else.
 */
import { Kysely } from 'kysely';
import { createDialect, type NativeHandle } from './dialect.js';
import { createSqliteJournalCommit } from './sqlite-journal.js';
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
  } catch (err) {
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
