/**
 * Usage sums and statements, computed from the append-only ledger (never from usage rows), so a
 * statement is exactly the sum of what was billed: each entry carries the amount settled with the
 * price in force when its request started, and a price change mid-period shows as two lines of the
 * same model, one per price version. Pure functions over entries; the routes are in usage.ts.
 *
 * Amounts are integer micro-units. `total_micros` = charges (usage entries); `credits_micros` =
 * credits net of negative adjustments, as a positive number; `net_micros` = total − credits.
 * `lines_by_key` covers every charge (sums to the total); `lines_by_model` the charges with a model
 * and `lines_by_chip` those with a chip type (accelerator time), so each is a view of the same money.
 */
import type { LedgerEntry, LedgerQuery, ModelPriceRecord, Store } from '../../store/index.js';

export type UsageBy = 'model' | 'key' | 'day';

export interface Sums {
  requests: number;
  prompt_tokens: number;
  cached_tokens: number;
  completion_tokens: number;
  allowance_tokens: number;
  accelerator_ms: number;
  amount_micros: number;
}

const zero = (): Sums => ({ requests: 0, prompt_tokens: 0, cached_tokens: 0, completion_tokens: 0, allowance_tokens: 0, accelerator_ms: 0, amount_micros: 0 });

function add(s: Sums, e: LedgerEntry): void {
  s.requests += e.requestId ? 1 : 0;
  s.prompt_tokens += e.promptTokens;
  s.cached_tokens += e.cachedTokens;
  s.completion_tokens += e.completionTokens;
  s.allowance_tokens += e.allowanceTokens;
  s.accelerator_ms += e.acceleratorMs;
  s.amount_micros += e.amountMicros;
}

const PAGE = 10_000;

/**
 * Every ledger entry matching `query`, oldest first, in pages (the store caps one read). Pages
 * continue from the last entry's time; entries at that same instant already seen are skipped.
 */
export async function* ledgerEntries(store: Store, query: Omit<LedgerQuery, 'limit'>): AsyncGenerator<LedgerEntry> {
  let from = query.from;
  let seen = new Set<string>();
  for (;;) {
    const page = await store.billing.ledger({ ...query, from, limit: PAGE });
    for (const e of page) if (!seen.has(e.id)) yield e;
    if (page.length < PAGE) return;
    const last = page[page.length - 1].occurredAt;
    if (page[0].occurredAt.getTime() === last.getTime()) throw new Error(`more than ${PAGE} ledger entries at ${last.toISOString()}`);
    seen = new Set(page.filter((e) => e.occurredAt.getTime() === last.getTime()).map((e) => e.id));
    from = last;
  }
}

/** Charges grouped by model, key or UTC day, ordered by group. */
export async function usageTotals(store: Store, query: Omit<LedgerQuery, 'limit'>, by: UsageBy): Promise<Array<{ group: string | null } & Sums>> {
  const groups = new Map<string | null, Sums>();
  for await (const e of ledgerEntries(store, query)) {
    if (e.kind !== 'usage') continue;
    const group = by === 'model' ? e.model : by === 'key' ? e.keyId : e.occurredAt.toISOString().slice(0, 10);
    let sums = groups.get(group);
    if (!sums) groups.set(group, (sums = zero()));
    add(sums, e);
  }
  return [...groups.entries()].sort(([a], [b]) => (a ?? '').localeCompare(b ?? '')).map(([group, sums]) => ({ group, ...sums }));
}

export interface Statement {
  object: 'statement';
  tenant: { id: string; name: string; kind: string };
  period: string | null;
  from: string;
  to: string;
  lines_by_model: Array<{ model: string; price: PriceJson | null } & Sums>;
  lines_by_key: Array<{ key_id: string | null; key_name: string | null } & Sums>;
  lines_by_chip: Array<{ chip_type: string } & Sums>;
  allowance_tokens_used: number;
  total_micros: number;
  credits_micros: number;
  net_micros: number;
}

type PriceJson = { id: string; effective_from: string; input_per_mtok: number; cached_input_per_mtok: number; output_per_mtok: number };

export async function buildStatement(
  store: Store,
  tenant: { id: string; name: string; kind: string },
  range: { from: Date; to: Date; period: string | null },
): Promise<Statement> {
  const prices = new Map<string, ModelPriceRecord>((await store.billing.modelPrices()).map((p) => [p.id, p]));
  const keyNames = new Map((await store.keys.list({ tenantId: tenant.id })).map((k) => [k.id, k.name]));
  const byModel = new Map<string, { model: string; price: PriceJson | null } & Sums>();
  const byKey = new Map<string | null, { key_id: string | null; key_name: string | null } & Sums>();
  const byChip = new Map<string, { chip_type: string } & Sums>();
  let total = 0;
  let credits = 0;
  let allowance = 0;
  for await (const e of ledgerEntries(store, { tenantId: tenant.id, from: range.from, to: range.to })) {
    if (e.kind !== 'usage') {
      credits -= e.amountMicros;
      continue;
    }
    total += e.amountMicros;
    allowance += e.allowanceTokens;
    line(byKey, e.keyId, () => ({ key_id: e.keyId, key_name: e.keyId ? (keyNames.get(e.keyId) ?? null) : null }), e);
    if (e.model !== null) {
      const model = e.model;
      line(byModel, `${model}\0${e.priceId ?? ''}`, () => ({ model, price: priceJson(e.priceId ? prices.get(e.priceId) : undefined) }), e);
    }
    if (e.chipType !== null) line(byChip, e.chipType, () => ({ chip_type: e.chipType! }), e);
  }
  const when = (l: { price: PriceJson | null }) => l.price?.effective_from ?? '';
  return {
    object: 'statement',
    tenant: { id: tenant.id, name: tenant.name, kind: tenant.kind },
    period: range.period,
    from: range.from.toISOString(),
    to: range.to.toISOString(),
    lines_by_model: [...byModel.values()].sort((a, b) => a.model.localeCompare(b.model) || when(a).localeCompare(when(b))),
    lines_by_key: [...byKey.values()].sort((a, b) => (a.key_id ?? '').localeCompare(b.key_id ?? '')),
    lines_by_chip: [...byChip.values()].sort((a, b) => a.chip_type.localeCompare(b.chip_type)),
    allowance_tokens_used: allowance,
    total_micros: total,
    credits_micros: credits,
    net_micros: total - credits,
  };
}

function line<K, L extends Sums>(map: Map<K, L>, key: K, make: () => Omit<L, keyof Sums>, e: LedgerEntry): void {
  let l = map.get(key);
  if (!l) map.set(key, (l = { ...make(), ...zero() } as L));
  add(l, e);
}

function priceJson(p: ModelPriceRecord | undefined): PriceJson | null {
  return p
    ? { id: p.id, effective_from: p.effectiveFrom.toISOString(), input_per_mtok: p.inputPerMTok, cached_input_per_mtok: p.cachedInputPerMTok, output_per_mtok: p.outputPerMTok }
    : null;
}

// ── CSV ──────────────────────────────────────────────────────────────────────────────────────────

const SUM_COLUMNS = ['requests', 'prompt_tokens', 'cached_tokens', 'completion_tokens', 'allowance_tokens', 'accelerator_ms', 'amount_micros'] as const;

export const STATEMENT_CSV_HEADER = ['section', 'group', 'name', 'price_id', 'price_effective_from', ...SUM_COLUMNS];

/**
 * One table: a row per line (section `model`, `key`, `chip`), then one row each for `allowance`,
 * `total`, `credits` and `net` (their figure in `allowance_tokens` or `amount_micros`).
 */
export function statementCsv(s: Statement): string {
  const rows: Array<Array<string | number | null>> = [STATEMENT_CSV_HEADER];
  const sums = (l: Sums) => SUM_COLUMNS.map((c) => l[c]);
  for (const l of s.lines_by_model) rows.push(['model', l.model, null, l.price?.id ?? null, l.price?.effective_from ?? null, ...sums(l)]);
  for (const l of s.lines_by_key) rows.push(['key', l.key_id, l.key_name, null, null, ...sums(l)]);
  for (const l of s.lines_by_chip) rows.push(['chip', l.chip_type, null, null, null, ...sums(l)]);
  const summary = (section: string, patch: Partial<Sums>) => rows.push([section, null, null, null, null, ...sums({ ...zero(), ...patch })]);
  summary('allowance', { allowance_tokens: s.allowance_tokens_used });
  summary('total', { amount_micros: s.total_micros });
  summary('credits', { amount_micros: s.credits_micros });
  summary('net', { amount_micros: s.net_micros });
  return toCsv(rows);
}

export function usageCsv(rows: Array<{ group: string | null } & Sums>): string {
  return toCsv([['group', ...SUM_COLUMNS], ...rows.map((r) => [r.group, ...SUM_COLUMNS.map((c) => r[c])])]);
}

/** RFC 4180, CRLF line ends. Text starting with = + - @ gets a leading ' so spreadsheets do not run it as a formula. */
export function toCsv(rows: ReadonlyArray<ReadonlyArray<string | number | null>>): string {
  const cell = (v: string | number | null): string => {
    if (v === null) return '';
    if (typeof v === 'number') return String(v);
    const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
    return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
  };
  return rows.map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}
