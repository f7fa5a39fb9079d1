/**
 * Versioned migrations, applied in order at open by Kysely's Migrator. Never edit a released
 * migration: add the next one. Written with the portable schema builder (SQLite and PostgreSQL).
 */
import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';

const migrations: Record<string, Migration> = {
  '0001_initial': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('api_keys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('tenant_id', 'text')
        .addColumn('secret_hash', 'text', (c) => c.notNull().unique())
        .addColumn('prefix', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint')
        .addColumn('revoked_at', 'bigint')
        .addColumn('last_used_at', 'bigint')
        .execute();
      await db.schema
        .createTable('usage')
        .addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('request_id', 'text', (c) => c.notNull().unique())
        .addColumn('key_id', 'text')
        .addColumn('model', 'text', (c) => c.notNull())
        .addColumn('endpoint', 'text', (c) => c.notNull())
        .addColumn('prompt_tokens', 'integer', (c) => c.notNull())
        .addColumn('completion_tokens', 'integer', (c) => c.notNull())
        .addColumn('cached_prompt_tokens', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('ttft_ms', 'real')
        .addColumn('duration_ms', 'real', (c) => c.notNull())
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('error_code', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('usage_created_at').on('usage').column('created_at').execute();
      await db.schema
        .createTable('models')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('engine', 'text', (c) => c.notNull())
        .addColumn('file', 'text')
        .addColumn('url', 'text')
        .addColumn('api_key', 'text')
        .addColumn('upstream_model', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await sql`select 1`.execute(db);
    },
  },
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
