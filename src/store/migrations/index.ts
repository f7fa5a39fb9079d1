/**
 * The ordered list of migrations, provided in code (no directory scanning, so the compiled build
 * and tsx runs resolve the same set). Names sort in application order; append, never reorder.
 */
import type { Migration, MigrationProvider } from 'kysely';
import * as m0001 from './0001_initial.js';
import * as m0002 from './0002_tenants_billing.js';
import * as m0003 from './0003_conversations.js';
import * as m0004 from './0004_usage_in_ledger.js';
import * as m0005 from './0005_sqlite_cheap_checks.js';

export type SqlDialect = 'sqlite' | 'postgres';

/** Applied on SQLite only; recorded as applied, doing nothing, elsewhere (same names everywhere). */
function sqliteOnly(migration: Migration): Readonly<Record<SqlDialect, Migration>> {
  return { sqlite: migration, postgres: { up: async () => undefined } };
}

const migrations: Readonly<Record<string, Migration | Readonly<Record<SqlDialect, Migration>>>> = Object.freeze({
  '0001_initial': m0001,
  '0002_tenants_billing': m0002,
  '0003_conversations': m0003,
  '0004_usage_in_ledger': m0004,
  '0005_sqlite_cheap_checks': sqliteOnly(m0005),
});

/** The migrations as `dialect` runs them. */
export function migrationsFor(dialect: SqlDialect): MigrationProvider {
  return {
    getMigrations: async () =>
      Object.fromEntries(Object.entries(migrations).map(([name, m]) => [name, 'up' in m ? m : (m as Record<SqlDialect, Migration>)[dialect]])),
  };
}

/** The name of the newest migration: the schema version this build expects. */
export const latestMigration = Object.keys(migrations).sort().at(-1) ?? '';
