/**
 * The ordered list of migrations, provided in code (no directory scanning, so the compiled build
 * and tsx runs resolve the same set). Names sort in application order; append, never reorder.
 */
import type { Migration, MigrationProvider } from 'kysely';
import * as m0001 from './0001_initial.js';
import * as m0002 from './0002_tenants_billing.js';
import * as m0003 from './0003_conversations.js';
import * as m0004 from './0004_usage_in_ledger.js';

const migrations: Readonly<Record<string, Migration>> = Object.freeze({
  '0001_initial': m0001,
  '0002_tenants_billing': m0002,
  '0003_conversations': m0003,
  '0004_usage_in_ledger': m0004,
});

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => ({ ...migrations }),
};

/** The name of the newest migration: the schema version this build expects. */
export const latestMigration = Object.keys(migrations).sort().at(-1) ?? '';
