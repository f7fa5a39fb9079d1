/**
 * 0002: tenants, roles and key limits, rate limits, the price book, free allowances, the ledger,
 * requests in flight (the crash journal) and the audit log.
 *
 * Money is integer micro-units of the installation's one currency in `bigint` columns (64-bit in
 * SQLite and PostgreSQL); prices are micro-units per million tokens or per accelerator-hour.
 * Keys move into tenants: existing keys join the `platform` tenant created here. SQLite cannot
 * change a CHECK constraint in place, so `api_keys` is rebuilt (portable: create, copy, drop, rename).
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';

export const PLATFORM_TENANT_ID = 'tnt_platform';

export async function up(db: Kysely<unknown>): Promise<void> {
  const now = new Date().toISOString();
  await db.schema
    .createTable('tenants')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('name', 'text', (col) => col.notNull().unique())
    .addColumn('kind', 'text', (col) => col.notNull().check(inList('kind', ['internal', 'external'])))
    .addColumn('monthly_limit_micros', 'bigint', (col) => col.check(sql`monthly_limit_micros >= 0`))
    .addColumn('limit_mode', 'text', (col) => col.notNull().defaultTo('hard').check(inList('limit_mode', ['hard', 'soft'])))
    // Prepaid tenants may only spend their balance (credits minus charges in the ledger).
    .addColumn('prepaid', 'integer', (col) => col.notNull().defaultTo(0).check(sql`prepaid in (0, 1)`))
    .addColumn('created_at', 'text', (col) => col.notNull())
    .execute();
  await db
    .insertInto('tenants' as never)
    .values({ id: PLATFORM_TENANT_ID, name: 'platform', kind: 'internal', limit_mode: 'hard', prepaid: 0, created_at: now } as never)
    .execute();

  await db.schema
    .createTable('api_keys_v2')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('role', 'text', (col) => col.notNull().check(inList('role', ['admin', 'tenant_admin', 'member'])))
    .addColumn('tenant_id', 'text', (col) => col.notNull().references('tenants.id'))
    .addColumn('secret_hash', 'text', (col) => col.notNull().unique())
    .addColumn('prefix', 'text', (col) => col.notNull())
    /** JSON array of model names this key may use; null = all. */
    .addColumn('allowed_models', 'text')
    /** JSON object of string labels. */
    .addColumn('labels', 'text')
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('expires_at', 'text')
    .addColumn('revoked_at', 'text')
    .addColumn('last_used_at', 'text')
    .execute();
  await sql`insert into api_keys_v2 (id, name, role, tenant_id, secret_hash, prefix, created_at, expires_at, revoked_at, last_used_at)
    select id, name, role, coalesce(tenant_id, ${PLATFORM_TENANT_ID}), secret_hash, prefix, created_at, expires_at, revoked_at, last_used_at
    from api_keys`.execute(db);
  await db.schema.dropTable('api_keys').execute();
  await db.schema.alterTable('api_keys_v2').renameTo('api_keys').execute();
  await db.schema.createIndex('api_keys_tenant_id').on('api_keys').column('tenant_id').execute();

  await db.schema
    .createTable('rate_limits')
    .addColumn('scope', 'text', (col) => col.notNull().check(inList('scope', ['key', 'tenant'])))
    .addColumn('scope_id', 'text', (col) => col.notNull())
    /** '' = every model; else the limit applies to that model only. */
    .addColumn('model', 'text', (col) => col.notNull().defaultTo(''))
    .addColumn('rpm', 'integer', (col) => col.check(sql`rpm > 0`))
    .addColumn('tpm', 'integer', (col) => col.check(sql`tpm > 0`))
    .addPrimaryKeyConstraint('rate_limits_pk', ['scope', 'scope_id', 'model'])
    .execute();

  await db.schema
    .createTable('model_prices')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('model', 'text', (col) => col.notNull())
    .addColumn('effective_from', 'text', (col) => col.notNull())
    .addColumn('input_per_mtok', 'bigint', (col) => col.notNull().check(sql`input_per_mtok >= 0`))
    .addColumn('cached_input_per_mtok', 'bigint', (col) => col.notNull().check(sql`cached_input_per_mtok >= 0`))
    .addColumn('output_per_mtok', 'bigint', (col) => col.notNull().check(sql`output_per_mtok >= 0`))
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addUniqueConstraint('model_prices_model_effective', ['model', 'effective_from'])
    .execute();

  await db.schema
    .createTable('chip_prices')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('chip_type', 'text', (col) => col.notNull())
    .addColumn('effective_from', 'text', (col) => col.notNull())
    .addColumn('per_hour', 'bigint', (col) => col.notNull().check(sql`per_hour >= 0`))
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addUniqueConstraint('chip_prices_chip_effective', ['chip_type', 'effective_from'])
    .execute();

  await db.schema
    .createTable('allowances')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('tenant_id', 'text', (col) => col.notNull().references('tenants.id'))
    .addColumn('model', 'text', (col) => col.notNull())
    .addColumn('tokens', 'bigint', (col) => col.notNull().check(sql`tokens > 0`))
    .addColumn('expires_at', 'text', (col) => col.notNull())
    .addColumn('created_at', 'text', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('allowances_tenant').on('allowances').column('tenant_id').execute();

  // Append-only: rows are inserted, never updated or deleted (only metering writes here).
  await db.schema
    .createTable('ledger')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('tenant_id', 'text', (col) => col.notNull().references('tenants.id'))
    .addColumn('kind', 'text', (col) => col.notNull().check(inList('kind', ['usage', 'credit', 'adjustment'])))
    // Settlement idempotency: one usage entry per request id (NULL for credits and adjustments).
    .addColumn('request_id', 'text', (col) => col.unique())
    .addColumn('key_id', 'text')
    .addColumn('model', 'text')
    .addColumn('prompt_tokens', 'bigint', (col) => col.notNull().defaultTo(0))
    .addColumn('cached_tokens', 'bigint', (col) => col.notNull().defaultTo(0))
    .addColumn('completion_tokens', 'bigint', (col) => col.notNull().defaultTo(0))
    // Tokens paid from a free allowance instead of money.
    .addColumn('allowance_tokens', 'bigint', (col) => col.notNull().defaultTo(0))
    .addColumn('chip_type', 'text')
    .addColumn('accelerator_ms', 'bigint', (col) => col.notNull().defaultTo(0))
    // Charges are positive, credits negative.
    .addColumn('amount_micros', 'bigint', (col) => col.notNull())
    .addColumn('price_id', 'text')
    // When the request started: the price in force then is the one charged.
    .addColumn('occurred_at', 'text', (col) => col.notNull())
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('note', 'text')
    .execute();
  await db.schema.createIndex('ledger_tenant_occurred').on('ledger').columns(['tenant_id', 'occurred_at']).execute();

  // Requests in flight: written when admitted, updated as tokens stream, deleted in the same
  // transaction that appends their ledger entry. Rows left after a crash are settled at start.
  await db.schema
    .createTable('inflight')
    .addColumn('request_id', 'text', (col) => col.primaryKey())
    .addColumn('tenant_id', 'text', (col) => col.notNull())
    .addColumn('key_id', 'text')
    .addColumn('model', 'text', (col) => col.notNull())
    .addColumn('endpoint', 'text', (col) => col.notNull())
    .addColumn('reserved_micros', 'bigint', (col) => col.notNull())
    .addColumn('prompt_tokens', 'bigint', (col) => col.notNull().defaultTo(0))
    .addColumn('completion_tokens', 'bigint', (col) => col.notNull().defaultTo(0))
    .addColumn('started_at', 'text', (col) => col.notNull())
    .addColumn('updated_at', 'text', (col) => col.notNull())
    .execute();

  await db.schema
    .createTable('audit_log')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('at', 'text', (col) => col.notNull())
    .addColumn('actor_key_id', 'text')
    .addColumn('actor_tenant_id', 'text')
    .addColumn('action', 'text', (col) => col.notNull())
    .addColumn('target_type', 'text', (col) => col.notNull())
    .addColumn('target_id', 'text')
    // The tenant the change concerns: tenant admins see their own tenant's entries only.
    .addColumn('tenant_id', 'text')
    .addColumn('before', 'text')
    .addColumn('after', 'text')
    .execute();
  await db.schema.createIndex('audit_log_tenant_at').on('audit_log').columns(['tenant_id', 'at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['audit_log', 'inflight', 'ledger', 'allowances', 'chip_prices', 'model_prices', 'rate_limits']) {
    await db.schema.dropTable(table).execute();
  }
  throw new Error('0002 cannot be rolled back past the api_keys rebuild; restore a backup instead');
}

function inList(column: string, values: readonly string[]): RawBuilder<unknown> {
  return sql`${sql.ref(column)} in (${sql.join(values.map((value) => sql.lit(value)))})`;
}
