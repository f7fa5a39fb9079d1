/**
 * Applies pending migrations at open. Idempotent: a database already at the latest version is
 * left untouched. A database migrated by a newer Tessera (it has migrations this build does not
 * know) is refused rather than used with a schema this code does not understand.
 */
import { Migrator, type Kysely } from 'kysely';
import { TesseraError } from '../core/errors.js';
import { migrationsFor, type SqlDialect } from './migrations/index.js';

export async function migrateToLatest(db: Kysely<unknown>, dialect: SqlDialect = 'sqlite'): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationsFor(dialect) });
  const { error, results } = await migrator.migrateToLatest();
  if (error === undefined) return;
  const failed = results?.find((result) => result.status === 'Error')?.migrationName;
  const detail = error instanceof Error ? error.message : String(error);
  throw new TesseraError(
    'internal_error',
    failed
      ? `Database migration ${failed} failed: ${detail}`
      : `The database cannot be migrated (was it written by a newer Tessera?): ${detail}`,
    { cause: error },
  );
}
