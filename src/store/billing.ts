/**
 * The price book, the ledger and the requests in flight. Only the metering unit writes here, and
 * the ledger is append-only: entries are inserted, never updated or deleted.
 *
 * `commit` applies one group commit of the metering journal in a single transaction, so a
 * request's ledger entry and the deletion of its in-flight row land together or not at all.
 * Settlement is idempotent: an entry whose request id is already in the ledger is skipped.
 * A settled request's usage record is its ledger entry (migration 0004): one row, not two.
 */
import { sql, type Kysely, type Selectable } from 'kysely';
import { TesseraError } from '../core/errors.js';
import { newId, newTimeOrderedId } from '../core/ids.js';
import type { ChipPricesTable, Database, InflightTable, LedgerTable, ModelPricesTable } from './schema.js';
import { fromStoredTime, toStoredTime } from './time.js';
import type { JournalRows } from './sqlite-journal.js';
import { usageColumns } from './usage.js';
import type {
  BillingRepository,
  ChipPriceRecord,
  InflightRecord,
  LedgerEntry,
  LedgerInput,
  ModelPriceRecord,
  StoreDeps,
  UsageEndpoint,
  UsageInput,
} from './types.js';

const MAX_LEDGER_PAGE = 100_000;

/**
 * `fastCommit`: a dialect's native implementation of `commit` over the same rows (SQLite:
 * sqlite-journal.ts). Without it, the portable Kysely transaction below runs.
 */
export function createBillingRepository(db: Kysely<Database>, deps: StoreDeps, fastCommit?: (rows: JournalRows) => Promise<void>): BillingRepository {
  /** `createdAt`: the commit's time, stored once per batch. */
  const ledgerRow = (entry: LedgerInput, usage: UsageInput | undefined, createdAt: string): Selectable<LedgerTable> => ({
    id: newTimeOrderedId('led'),
    tenant_id: entry.tenantId,
    kind: entry.kind,
    request_id: entry.requestId,
    key_id: entry.keyId,
    model: entry.model,
    prompt_tokens: entry.promptTokens,
    cached_tokens: entry.cachedTokens,
    completion_tokens: entry.completionTokens,
    allowance_tokens: entry.allowanceTokens,
    chip_type: entry.chipType,
    accelerator_ms: entry.acceleratorMs,
    amount_micros: checkedMicros(entry.amountMicros),
    price_id: entry.priceId,
    occurred_at: toStoredTime(entry.occurredAt),
    created_at: createdAt,
    note: entry.note,
    ...(usage ? usageOf(entry, usage) : NO_USAGE),
  });

  return {
    async addModelPrice(input) {
      for (const [param, value] of [['input_per_mtok', input.inputPerMTok], ['cached_input_per_mtok', input.cachedInputPerMTok], ['output_per_mtok', input.outputPerMTok]] as const) {
        checkPrice(value, param);
      }
      const row: Selectable<ModelPricesTable> = {
        id: newId('prc'),
        model: input.model,
        effective_from: toStoredTime(input.effectiveFrom),
        input_per_mtok: input.inputPerMTok,
        cached_input_per_mtok: input.cachedInputPerMTok,
        output_per_mtok: input.outputPerMTok,
        created_at: toStoredTime(deps.now()),
      };
      await insertUnique(() => db.insertInto('model_prices').values(row).execute(),
        `${input.model} already has a price effective at ${row.effective_from}; prices are versioned by effective time.`);
      return toModelPrice(row);
    },

    async modelPrices(model) {
      let query = db.selectFrom('model_prices').selectAll();
      if (model !== undefined) query = query.where('model', '=', model);
      return (await query.orderBy('model').orderBy('effective_from').execute()).map(toModelPrice);
    },

    async addChipPrice(input) {
      checkPrice(input.perHour, 'per_hour');
      const row: Selectable<ChipPricesTable> = {
        id: newId('cpr'),
        chip_type: input.chipType,
        effective_from: toStoredTime(input.effectiveFrom),
        per_hour: input.perHour,
        created_at: toStoredTime(deps.now()),
      };
      await insertUnique(() => db.insertInto('chip_prices').values(row).execute(),
        `${input.chipType} already has a price effective at ${row.effective_from}.`);
      return toChipPrice(row);
    },

    async chipPrices() {
      return (await db.selectFrom('chip_prices').selectAll().orderBy('chip_type').orderBy('effective_from').execute()).map(toChipPrice);
    },

    async commit(batch) {
      if (batch.begin.length + batch.progress.length + batch.settle.length + batch.finish.length === 0) return;
      const now = toStoredTime(deps.now());
      const ledger = batch.settle.map((s) => ledgerRow(s.entry, s.usage, now));
      if (fastCommit) {
        await fastCommit({
          begin: batch.begin.map((r) => toInflightRow(r, now)),
          progress: batch.progress.map((p) => ({ request_id: p.requestId, prompt_tokens: p.promptTokens, completion_tokens: p.completionTokens, updated_at: now })),
          ledger,
          finish: batch.finish,
        });
        return;
      }
      await db.transaction().execute(async (trx) => {
        if (batch.begin.length > 0) {
          await trx.insertInto('inflight').values(batch.begin.map((r) => toInflightRow(r, now)))
            .onConflict((oc) => oc.column('request_id').doNothing()).execute();
        }
        for (const p of batch.progress) {
          await trx.updateTable('inflight')
            .set({ prompt_tokens: p.promptTokens, completion_tokens: p.completionTokens, updated_at: now })
            .where('request_id', '=', p.requestId).execute();
        }
        if (ledger.length > 0) {
          await trx.insertInto('ledger').values(ledger).onConflict((oc) => oc.column('request_id').doNothing()).execute();
        }
        if (batch.finish.length > 0) await trx.deleteFrom('inflight').where('request_id', 'in', batch.finish).execute();
      });
    },

    async append(entry) {
      const row = ledgerRow(entry, undefined, toStoredTime(deps.now()));
      const result = await db.insertInto('ledger').values(row).onConflict((oc) => oc.column('request_id').doNothing()).executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) > 0 ? toLedgerEntry(row) : null;
    },

    async ledger(query) {
      let q = db.selectFrom('ledger').selectAll();
      if (query.tenantId !== undefined) q = q.where('tenant_id', '=', query.tenantId);
      if (query.keyId !== undefined) q = q.where('key_id', '=', query.keyId);
      if (query.requestId !== undefined) q = q.where('request_id', '=', query.requestId);
      if (query.from) q = q.where('occurred_at', '>=', toStoredTime(query.from));
      if (query.to) q = q.where('occurred_at', '<', toStoredTime(query.to));
      const limit = Math.min(Math.max(query.limit ?? 1000, 1), MAX_LEDGER_PAGE);
      return (await q.orderBy('occurred_at').orderBy('id').limit(limit).execute()).map(toLedgerEntry);
    },

    async balances(monthStart) {
      const since = toStoredTime(monthStart);
      const rows = await db.selectFrom('ledger')
        .select((eb) => [
          'tenant_id',
          eb.fn.sum<number>('amount_micros').as('net'),
          eb.fn.sum<number>(sql<number>`case when amount_micros > 0 and occurred_at >= ${since} then amount_micros else 0 end`).as('month'),
        ])
        .groupBy('tenant_id').execute();
      return rows.map((r) => ({ tenantId: r.tenant_id, netMicros: Number(r.net ?? 0), monthChargesMicros: Number(r.month ?? 0) }));
    },

    async allowanceDraws() {
      const rows = await db.selectFrom('ledger').select(['tenant_id', 'model', 'occurred_at', 'allowance_tokens'])
        .where('allowance_tokens', '>', 0).orderBy('occurred_at').execute();
      return rows.map((r) => ({ tenantId: r.tenant_id, model: r.model ?? '', at: fromStoredTime(r.occurred_at), tokens: Number(r.allowance_tokens) }));
    },

    async inflight() {
      return (await db.selectFrom('inflight').selectAll().orderBy('started_at').execute()).map(toInflight);
    },
  };
}

function checkPrice(value: number, param: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new TesseraError('invalid_request', `${param} must be a non-negative whole number of micro-units.`, { param });
  }
}

const NO_USAGE = { endpoint: null, ttft_ms: null, duration_ms: null, outcome: null, error_code: null } as const;

/**
 * The usage-record columns of a settled request's ledger entry. The record must describe the
 * entry's own request and tokens: the view `usage_view` reads key, model and tokens from the entry.
 */
function usageOf(entry: LedgerInput, usage: UsageInput) {
  if (
    usage.requestId !== entry.requestId || usage.keyId !== entry.keyId || usage.model !== entry.model ||
    usage.promptTokens !== entry.promptTokens || usage.completionTokens !== entry.completionTokens ||
    (usage.cachedPromptTokens ?? 0) !== entry.cachedTokens
  ) {
    throw new TesseraError('internal_error', `the usage record of request ${String(usage.requestId)} does not match its ledger entry`);
  }
  return usageColumns(usage);
}

function checkedMicros(value: number): number {
  if (!Number.isSafeInteger(value)) throw new TesseraError('internal_error', `ledger amount ${value} is not a whole number of micro-units`);
  return value;
}

async function insertUnique(insert: () => Promise<unknown>, message: string): Promise<void> {
  try {
    await insert();
  } catch (err) {
    if (/UNIQUE/i.test(String(err))) throw new TesseraError('invalid_request', message, { param: 'effective_from', cause: err });
    throw err;
  }
}

function toInflightRow(r: InflightRecord, now: string): Selectable<InflightTable> {
  return {
    request_id: r.requestId,
    tenant_id: r.tenantId,
    key_id: r.keyId,
    model: r.model,
    endpoint: r.endpoint,
    reserved_micros: r.reservedMicros,
    prompt_tokens: r.promptTokens,
    completion_tokens: r.completionTokens,
    started_at: toStoredTime(r.startedAt),
    updated_at: now,
  };
}

function toInflight(row: Selectable<InflightTable>): InflightRecord {
  return {
    requestId: row.request_id,
    tenantId: row.tenant_id,
    keyId: row.key_id,
    model: row.model,
    endpoint: row.endpoint as UsageEndpoint,
    reservedMicros: Number(row.reserved_micros),
    promptTokens: Number(row.prompt_tokens),
    completionTokens: Number(row.completion_tokens),
    startedAt: fromStoredTime(row.started_at),
  };
}

function toModelPrice(row: Selectable<ModelPricesTable>): ModelPriceRecord {
  return {
    id: row.id,
    model: row.model,
    effectiveFrom: fromStoredTime(row.effective_from),
    inputPerMTok: Number(row.input_per_mtok),
    cachedInputPerMTok: Number(row.cached_input_per_mtok),
    outputPerMTok: Number(row.output_per_mtok),
    createdAt: fromStoredTime(row.created_at),
  };
}

function toChipPrice(row: Selectable<ChipPricesTable>): ChipPriceRecord {
  return { id: row.id, chipType: row.chip_type, effectiveFrom: fromStoredTime(row.effective_from), perHour: Number(row.per_hour), createdAt: fromStoredTime(row.created_at) };
}

function toLedgerEntry(row: Selectable<LedgerTable>): LedgerEntry {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    kind: row.kind,
    requestId: row.request_id,
    keyId: row.key_id,
    model: row.model,
    promptTokens: Number(row.prompt_tokens),
    cachedTokens: Number(row.cached_tokens),
    completionTokens: Number(row.completion_tokens),
    allowanceTokens: Number(row.allowance_tokens),
    chipType: row.chip_type,
    acceleratorMs: Number(row.accelerator_ms),
    amountMicros: Number(row.amount_micros),
    priceId: row.price_id,
    occurredAt: fromStoredTime(row.occurred_at),
    createdAt: fromStoredTime(row.created_at),
    note: row.note,
  };
}
