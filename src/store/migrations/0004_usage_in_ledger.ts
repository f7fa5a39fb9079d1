/**
 * 0004: a metered request's usage record lives in its ledger entry.
 *
 * Until 0003 every settled request wrote two rows in its settlement transaction: the ledger entry
 * and a `usage_records` row repeating its key, model, tokens and start time (nine B-tree inserts
 * per request, the largest cost on the serving path). The ledger now carries the few fields only
 * the usage record had (endpoint, time to first token, duration, outcome, error code), and usage
 * is read from the view `usage_view`:
 *
 * - ledger entries that carry an outcome (usage entries settled from 0004 on), and
 * - `usage_records` rows: requests served without metering (no tenant), and every row written
 *   before 0004 (their ledger entries have no outcome, so nothing is counted twice).
 *
 * Portable: ADD COLUMN and a plain UNION ALL view run unchanged on SQLite and PostgreSQL.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('ledger')
    .addColumn('endpoint', 'text', (col) => col.check(sql`endpoint in ('chat', 'completion', 'embedding')`))
    .execute();
  await db.schema.alterTable('ledger').addColumn('ttft_ms', 'integer').execute();
  await db.schema.alterTable('ledger').addColumn('duration_ms', 'integer').execute();
  // Set exactly on usage entries that are also the request's usage record.
  await db.schema
    .alterTable('ledger')
    .addColumn('outcome', 'text', (col) => col.check(sql`outcome in ('ok', 'error', 'aborted')`))
    .execute();
  await db.schema.alterTable('ledger').addColumn('error_code', 'text').execute();
  await sql`
    create view usage_view as
      select request_id, key_id, model, endpoint, prompt_tokens, completion_tokens, cached_prompt_tokens,
             ttft_ms, duration_ms, outcome, error_code, created_at
        from usage_records
      union all
      select request_id, key_id, model, endpoint, prompt_tokens, completion_tokens, cached_tokens as cached_prompt_tokens,
             ttft_ms, duration_ms, outcome, error_code, occurred_at as created_at
        from ledger
       where outcome is not null
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop view usage_view`.execute(db);
  for (const column of ['error_code', 'outcome', 'duration_ms', 'ttft_ms', 'endpoint']) {
    await db.schema.alterTable('ledger').dropColumn(column).execute();
  }
}
