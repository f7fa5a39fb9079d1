/**
 * 0001: API keys, usage records, declared models.
 *
 * Portable schema builder only (no dialect-specific SQL), so PostgreSQL runs the same file:
 * text ids and ISO-8601 text times; `integer` counts (tokens and ms per request fit 32 bits;
 * money columns, added with the ledger, will be `bigint` micro-units).
 * A released migration is never edited; changes go in a new numbered file.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('role', 'text', (col) => col.notNull().check(inList('role', ['admin', 'member'])))
    // No foreign key yet: the tenants table arrives with issue 5, whose migration adds it.
    .addColumn('tenant_id', 'text')
    .addColumn('secret_hash', 'text', (col) => col.notNull().unique())
    .addColumn('prefix', 'text', (col) => col.notNull())
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('expires_at', 'text')
    .addColumn('revoked_at', 'text')
    .addColumn('last_used_at', 'text')
    .execute();
  await db.schema.createIndex('api_keys_tenant_id').on('api_keys').column('tenant_id').execute();

  await db.schema
    .createTable('usage_records')
    // The request id is the primary key: that is what makes `usage.record` idempotent.
    .addColumn('request_id', 'text', (col) => col.primaryKey())
    // No foreign key on purpose: a usage row must never be refused (it is what gets billed), and
    // keys are never deleted, only revoked.
    .addColumn('key_id', 'text')
    .addColumn('model', 'text', (col) => col.notNull())
    .addColumn('endpoint', 'text', (col) => col.notNull().check(inList('endpoint', ['chat', 'completion', 'embedding'])))
    .addColumn('prompt_tokens', 'integer', (col) => col.notNull().check(nonNegative('prompt_tokens')))
    .addColumn('completion_tokens', 'integer', (col) => col.notNull().check(nonNegative('completion_tokens')))
    .addColumn('cached_prompt_tokens', 'integer', (col) =>
      col.notNull().defaultTo(0).check(nonNegative('cached_prompt_tokens')),
    )
    .addColumn('ttft_ms', 'integer')
    .addColumn('duration_ms', 'integer', (col) => col.notNull().check(nonNegative('duration_ms')))
    .addColumn('outcome', 'text', (col) => col.notNull().check(inList('outcome', ['ok', 'error', 'aborted'])))
    .addColumn('error_code', 'text')
    .addColumn('created_at', 'text', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('usage_records_created_at').on('usage_records').column('created_at').execute();
  await db.schema
    .createIndex('usage_records_key_id_created_at')
    .on('usage_records')
    .columns(['key_id', 'created_at'])
    .execute();
  await db.schema
    .createIndex('usage_records_model_created_at')
    .on('usage_records')
    .columns(['model', 'created_at'])
    .execute();

  await db.schema
    .createTable('models')
    .addColumn('name', 'text', (col) => col.primaryKey())
    .addColumn('engine', 'text', (col) => col.notNull().check(inList('engine', ['llama', 'openai', 'fake'])))
    .addColumn('file', 'text')
    .addColumn('url', 'text')
    .addColumn('api_key', 'text')
    .addColumn('upstream_model', 'text')
    .addColumn('context_length', 'integer')
    .addColumn('created_at', 'text', (col) => col.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('models').execute();
  await db.schema.dropTable('usage_records').execute();
  await db.schema.dropTable('api_keys').execute();
}

/** CHECK (column IN ('a', 'b')): the enum of a text column, enforced by the database too. */
function inList(column: string, values: readonly string[]): RawBuilder<unknown> {
  return sql`${sql.ref(column)} in (${sql.join(values.map((value) => sql.lit(value)))})`;
}

function nonNegative(column: string): RawBuilder<unknown> {
  return sql`${sql.ref(column)} >= 0`;
}
