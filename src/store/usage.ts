/**
 * Usage records: one row per request that reached an engine (issue 2, item 8). A metered request's
 * record is its ledger entry (migration 0004: the ledger carries endpoint, timings and outcome);
 * `record` writes requests served without metering to `usage_records`. Reads go through the view
 * `usage_view`, the union of both.
 *
 * Contracts:
 * - Durability: `record` is write-through; its promise resolves after the INSERT has committed
 *   (SQLite autocommit; see dialect.ts for what `synchronous` guarantees). Nothing is buffered.
 *   Ledger-borne records are durable with their settlement (`billing.commit`).
 * - Idempotency: `request_id` is the primary key and the insert is ON CONFLICT DO NOTHING, so a
 *   replay (a retry after a timeout, a restart re-sending) never double counts. First write wins.
 *   (A request is recorded either here or in the ledger, never both: the gateway settles metered
 *   requests and records the others.)
 * - Units: tokens are counts; `ttft_ms`/`duration_ms` are whole milliseconds (rounded).
 */
import type { Kysely, Selectable } from 'kysely';
import { sql } from 'kysely';
import { TesseraError } from '../core/errors.js';
import type { Database, UsageRecordsTable } from './schema.js';
import { fromStoredTime, toStoredTime } from './time.js';
import type {
  StoreDeps,
  UsageInput,
  UsageQuery,
  UsageRecord,
  UsageRepository,
  UsageTotal,
  UsageTotalsQuery,
} from './types.js';

const MAX_LIST_LIMIT = 10_000;
const ENDPOINTS = new Set(['chat', 'completion', 'embedding']);
const OUTCOMES = new Set(['ok', 'error', 'aborted']);

export function createUsageRepository(db: Kysely<Database>, deps: StoreDeps): UsageRepository {
  return {
    async record(input: UsageInput) {
      const row = toUsageRow(input, deps.now);
      await db
        .insertInto('usage_records')
        .values(row)
        .onConflict((oc) => oc.column('request_id').doNothing())
        .execute();
    },

    async list(query: UsageQuery) {
      if (!Number.isInteger(query.limit) || query.limit < 1 || query.limit > MAX_LIST_LIMIT) {
        throw new TesseraError('invalid_request', `limit must be an integer from 1 to ${MAX_LIST_LIMIT}.`, {
          param: 'limit',
        });
      }
      let select = db.selectFrom('usage_view').selectAll();
      if (query.keyId !== undefined) select = select.where('key_id', '=', query.keyId);
      if (query.model !== undefined) select = select.where('model', '=', query.model);
      if (query.from) select = select.where('created_at', '>=', toStoredTime(query.from));
      if (query.to) select = select.where('created_at', '<', toStoredTime(query.to));
      const rows = await select.orderBy('created_at', 'desc').orderBy('request_id', 'desc').limit(query.limit).execute();
      return rows.map(toRecord);
    },

    async totals(query: UsageTotalsQuery) {
      const group =
        query.by === 'model'
          ? sql<string | null>`model`
          : query.by === 'key'
            ? sql<string | null>`key_id`
            : query.by === 'day'
              ? sql<string | null>`substr(created_at, 1, 10)`
              : undefined;
      if (!group) {
        throw new TesseraError('invalid_request', `by must be 'model', 'key' or 'day'.`, { param: 'by' });
      }
      let select = db
        .selectFrom('usage_view')
        .select((eb) => [
          group.as('grp'),
          eb.fn.countAll().as('requests'),
          // sum(case …) rather than count(*) filter (…): portable to every SQL dialect.
          sql<number>`sum(case when outcome = 'error' then 1 else 0 end)`.as('errors'),
          sql<number>`sum(case when outcome = 'aborted' then 1 else 0 end)`.as('aborted'),
          eb.fn.sum<number>('prompt_tokens').as('prompt_tokens'),
          eb.fn.sum<number>('completion_tokens').as('completion_tokens'),
          eb.fn.sum<number>('cached_prompt_tokens').as('cached_prompt_tokens'),
        ]);
      if (query.from) select = select.where('created_at', '>=', toStoredTime(query.from));
      if (query.to) select = select.where('created_at', '<', toStoredTime(query.to));
      const rows = await select.groupBy(group).orderBy(group).execute();
      // Sums may come back as strings (PostgreSQL bigint/numeric); Number() normalises.
      return rows.map(
        (r): UsageTotal => ({
          group: r.grp,
          requests: Number(r.requests),
          errors: Number(r.errors),
          aborted: Number(r.aborted),
          promptTokens: Number(r.prompt_tokens),
          completionTokens: Number(r.completion_tokens),
          cachedPromptTokens: Number(r.cached_prompt_tokens),
        }),
      );
    },
  };
}

export function toUsageRow(input: UsageInput, now: () => Date): Selectable<UsageRecordsTable> {
  if (typeof input.requestId !== 'string' || input.requestId.length === 0) invalid('requestId', 'must be a non-empty string');
  if (typeof input.model !== 'string' || input.model.length === 0) invalid('model', 'must be a non-empty string');
  return {
    request_id: input.requestId,
    key_id: input.keyId ?? null,
    model: input.model,
    prompt_tokens: tokenCount('promptTokens', input.promptTokens),
    completion_tokens: tokenCount('completionTokens', input.completionTokens),
    cached_prompt_tokens: tokenCount('cachedPromptTokens', input.cachedPromptTokens ?? 0),
    ...usageColumns(input),
    created_at: toStoredTime(input.createdAt ?? now()),
  };
}

/** The columns a usage record has beyond a ledger entry's (what 0004 added to the ledger), validated. */
export function usageColumns(input: UsageInput): Pick<UsageRecordsTable, 'endpoint' | 'ttft_ms' | 'duration_ms' | 'outcome' | 'error_code'> {
  if (!ENDPOINTS.has(input.endpoint)) invalid('endpoint', `is '${String(input.endpoint)}'`);
  if (!OUTCOMES.has(input.outcome)) invalid('outcome', `is '${String(input.outcome)}'`);
  return {
    endpoint: input.endpoint,
    ttft_ms: input.ttftMs === null ? null : milliseconds('ttftMs', input.ttftMs),
    duration_ms: milliseconds('durationMs', input.durationMs),
    outcome: input.outcome,
    error_code: input.errorCode ?? null,
  };
}

function tokenCount(field: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) invalid(field, `must be a non-negative integer (got ${value})`);
  return value;
}

function milliseconds(field: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) invalid(field, `must be a non-negative number (got ${value})`);
  return Math.round(value);
}

/** A malformed row is a bug in the caller (the gateway), not a client's mistake. */
function invalid(field: string, problem: string): never {
  throw new TesseraError('internal_error', `Usage record field ${field} ${problem}.`);
}

function toRecord(row: Selectable<UsageRecordsTable>): UsageRecord {
  return {
    requestId: row.request_id,
    keyId: row.key_id,
    model: row.model,
    endpoint: row.endpoint,
    promptTokens: Number(row.prompt_tokens),
    completionTokens: Number(row.completion_tokens),
    cachedPromptTokens: Number(row.cached_prompt_tokens),
    ttftMs: row.ttft_ms === null ? null : Number(row.ttft_ms),
    durationMs: Number(row.duration_ms),
    outcome: row.outcome,
    errorCode: row.error_code,
    createdAt: fromStoredTime(row.created_at),
  };
}
