/**
 * The metering facade on the request path: admission (key model allow-list, rate limits, budget
 * or balance reservation at the price in force) and settlement (ledger entry at that same price,
 * exactly once per request id, in the same transaction as the usage row and the removal of the
 * in-flight row). Streamed progress is journaled before the tokens reach the client, so after a
 * crash `recover()` bills every request for what it had delivered and leaves no reservation behind.
 */
import { TesseraError } from '../core/errors.js';
import type { LedgerInput, ModelPriceRecord, RateLimitRecord, Store, TenantRecord, UsageEndpoint, UsageInput } from '../store/index.js';
import { AllowanceBook } from './allowances.js';
import { BudgetBook, monthStartOf } from './budgets.js';
import { Journal } from './journal.js';
import { formatMicros, tokenCostMicros } from './money.js';
import { PriceBook } from './price-book.js';
import { RateLimiter, type LimitRule } from './rate-limiter.js';

export interface AdmissionRequest {
  requestId: string;
  keyId: string | null;
  tenantId: string;
  /** The key's model allow-list (null = every model). */
  allowedModels: string[] | null;
  model: string;
  endpoint: UsageEndpoint;
  /** An upper bound of the prompt's tokens (what the reservation and token limits count). */
  promptTokensMax: number;
  /** The most completion tokens the request may produce. */
  maxTokens: number;
  /**
   * Whether tokens reach the client while it runs. Only such requests are journaled as in
   * flight: a non-streamed request delivers nothing before its settlement, so a crash before it
   * owes nothing (and saves a commit per request).
   */
  streamed: boolean;
}

export interface SettledUsage {
  promptTokens: number;
  cachedPromptTokens?: number;
  completionTokens: number;
}

export interface Ticket {
  readonly requestId: string;
  /** Journals tokens produced so far; resolves when durable (send them to the client after). */
  progress(promptTokens: number, completionTokens: number): Promise<void>;
  /** Bills the request once; resolves when the ledger entry and usage row are durable. */
  settle(usage: SettledUsage, row: Omit<UsageInput, 'promptTokens' | 'completionTokens' | 'cachedPromptTokens'>): Promise<void>;
}

export interface MeterDeps {
  store: Store;
  now: () => Date;
  monotonicMs: () => number;
  onAlert?: (tenant: TenantRecord, message: string) => void;
}

export class Meter {
  readonly prices: PriceBook;
  readonly journal: Journal;
  readonly #budgets: BudgetBook;
  readonly #allowances = new AllowanceBook();
  readonly #limiter: RateLimiter;
  readonly #tenants = new Map<string, TenantRecord>();
  /** Rate-limit rules by scope (`key:<id>` / `tenant:<id>`), built at reload: admission looks up two entries, not every rule. */
  #rules = new Map<string, Array<LimitRule & { model: string | null }>>();
  /** #rulesFor's answers by tenant, key and model; emptied at reload. */
  #rulesByRequest = new Map<string, LimitRule[]>();

  constructor(private readonly deps: MeterDeps) {
    this.prices = new PriceBook(deps.store, deps.now);
    this.journal = new Journal(deps.store);
    this.#budgets = new BudgetBook(deps.now);
    this.#limiter = new RateLimiter(deps.monotonicMs);
  }

  /** Loads prices, tenants, limits and balances; settles requests a crash left in flight. */
  async start(): Promise<{ recovered: number }> {
    const recovered = await this.#recover();
    await this.reload();
    return { recovered };
  }

  /** Re-reads tenants, limits, prices, allowances and balances (after admin changes). */
  async reload(): Promise<void> {
    const { store, now } = this.deps;
    await this.prices.load();
    this.#tenants.clear();
    for (const t of await store.tenants.list()) this.#tenants.set(t.id, t);
    this.#rules = indexRules(await store.tenants.rateLimits());
    this.#rulesByRequest = new Map();
    this.#budgets.load(await store.billing.balances(monthStartOf(now())));
    this.#allowances.load(await store.tenants.allowances(), await store.billing.allowanceDraws());
  }

  tenant(id: string): TenantRecord | undefined {
    return this.#tenants.get(id);
  }

  budgetView(tenantId: string) {
    const tenant = this.#tenants.get(tenantId);
    return { ...this.#budgets.view(tenantId), overLimit: tenant ? this.#budgets.overLimit(tenant) : false };
  }

  /** A prepaid credit (or a negative adjustment), appended to the ledger. */
  async credit(tenantId: string, amountMicros: number, note: string | null): Promise<void> {
    if (!Number.isSafeInteger(amountMicros) || amountMicros === 0) {
      throw new TesseraError('invalid_request', 'A credit is a non-zero whole number of micro-units.', { param: 'amount_micros' });
    }
    if (!this.#tenants.has(tenantId)) throw new TesseraError('not_found', `No tenant has the id '${tenantId}'.`);
    const now = this.deps.now();
    await this.deps.store.billing.append({
      tenantId, kind: amountMicros > 0 ? 'credit' : 'adjustment', requestId: null, keyId: null, model: null,
      promptTokens: 0, cachedTokens: 0, completionTokens: 0, allowanceTokens: 0, chipType: null, acceleratorMs: 0,
      amountMicros: -amountMicros, priceId: null, occurredAt: now, note,
    });
    this.#budgets.credit(tenantId, amountMicros);
  }

  /**
   * Admits a request or throws the refusal (`model_not_allowed`, `rate_limit_exceeded` with
   * Retry-After, `insufficient_quota` with the amount short). Synchronous up to the returned
   * ticket, so concurrent admissions see each other's reservations.
   */
  admit(req: AdmissionRequest): Ticket {
    const { now } = this.deps;
    if (req.allowedModels && !req.allowedModels.includes(req.model)) {
      throw new TesseraError('model_not_allowed', `This API key may not use '${req.model}' (allowed: ${req.allowedModels.join(', ')}).`, { param: 'model' });
    }
    const tenant = this.#tenants.get(req.tenantId);
    if (!tenant) throw new TesseraError('permission_denied', 'The API key belongs to no known tenant.');
    const maxTokens = req.promptTokensMax + req.maxTokens;
    const limit = this.#limiter.acquire(this.#rulesFor(req), maxTokens);
    if (!limit.ok) {
      const what = limit.kind === 'requests' ? 'requests per minute' : 'tokens per minute';
      const message = limit.neverFits
        ? `This request may use ${maxTokens} tokens, more than the ${what} limit (${limit.rule}) allows in a minute; lower max_tokens.`
        : `The ${what} limit (${limit.rule}) is reached; retry in ${limit.retryAfterSeconds} s.`;
      throw new TesseraError('rate_limit_exceeded', message, { retryAfterSeconds: limit.retryAfterSeconds });
    }

    const startedAt = now();
    const price = this.prices.modelPriceAt(req.model, startedAt);
    const free = this.#allowances.available(req.tenantId, req.model, startedAt);
    // Conservative: the allowance counts only when it covers the whole request.
    const allowanceHeld = free >= maxTokens ? maxTokens : 0;
    const reserved = price && allowanceHeld === 0 ? tokenCostMicros({ input: req.promptTokensMax, cachedInput: 0, output: req.maxTokens }, price) : 0;
    const budget = this.#budgets.reserve(tenant, reserved);
    if (!budget.ok) {
      limit.release(maxTokens);
      const what = budget.reason === 'balance' ? 'prepaid balance' : 'monthly spend limit';
      throw new TesseraError('insufficient_quota',
        `This request may cost up to ${formatMicros(reserved)}; the tenant's ${what} is ${formatMicros(budget.shortMicros)} short. ` +
        'Lower max_tokens, or ask an administrator to raise the limit or add credit.');
    }
    this.#allowances.hold(req.tenantId, req.model, allowanceHeld);

    if (req.streamed) this.journal.begin({
      requestId: req.requestId, tenantId: req.tenantId, keyId: req.keyId, model: req.model, endpoint: req.endpoint,
      reservedMicros: reserved, promptTokens: 0, completionTokens: 0, startedAt,
    });

    this.journal.open();
    let settled = false;
    return {
      requestId: req.requestId,
      progress: (promptTokens, completionTokens) => this.journal.progress(req.requestId, promptTokens, completionTokens),
      settle: async (usage, row) => {
        if (settled) return;
        settled = true;
        const entry = this.#charge(req, tenant, usage, startedAt, price, allowanceHeld);
        this.#budgets.settle(req.tenantId, reserved, entry.amountMicros);
        limit.release(maxTokens - usage.promptTokens - usage.completionTokens);
        if (this.#budgets.overLimit(tenant) && tenant.limitMode === 'soft') {
          this.deps.onAlert?.(tenant, `tenant ${tenant.name} is over its soft monthly limit`);
        }
        await this.journal.settle(entry, {
          ...row,
          promptTokens: usage.promptTokens,
          completionTokens: usage.completionTokens,
          cachedPromptTokens: usage.cachedPromptTokens ?? 0,
          createdAt: startedAt,
        }, req.requestId);
      },
    };
  }

  /** The ledger entry of a finished request, at `price`: the version in force when it started. */
  #charge(
    req: Pick<AdmissionRequest, 'requestId' | 'keyId' | 'tenantId' | 'model'>,
    tenant: TenantRecord,
    usage: SettledUsage,
    startedAt: Date,
    price: ModelPriceRecord | null,
    allowanceHeld: number,
  ): LedgerInput {
    const cached = usage.cachedPromptTokens ?? 0;
    let input = usage.promptTokens - cached;
    let output = usage.completionTokens;
    // The allowance pays first: fresh prompt tokens, then completion tokens.
    const fromAllowance = Math.min(allowanceHeld, input + output);
    const coveredInput = Math.min(fromAllowance, input);
    input -= coveredInput;
    output -= fromAllowance - coveredInput;
    this.#allowances.draw(tenant.id, req.model, allowanceHeld, fromAllowance, startedAt);
    return {
      tenantId: tenant.id, kind: 'usage', requestId: req.requestId, keyId: req.keyId, model: req.model,
      promptTokens: usage.promptTokens, cachedTokens: cached, completionTokens: usage.completionTokens,
      allowanceTokens: fromAllowance, chipType: null, acceleratorMs: 0,
      amountMicros: price ? tokenCostMicros({ input, cachedInput: cached, output }, price) : 0,
      priceId: price?.id ?? null, occurredAt: startedAt, note: null,
    };
  }

  /** The rules over a request's key, tenant and model: looked up once per key and model until the next reload. */
  #rulesFor(req: AdmissionRequest): LimitRule[] {
    const cacheKey = `${req.tenantId}\u0000${req.keyId}\u0000${req.model}`;
    let rules = this.#rulesByRequest.get(cacheKey);
    if (!rules) {
      rules = [];
      for (const scope of [`key:${req.keyId}`, `tenant:${req.tenantId}`]) {
        for (const rule of this.#rules.get(scope) ?? []) if (rule.model === null || rule.model === req.model) rules.push(rule);
      }
      this.#rulesByRequest.set(cacheKey, rules);
    }
    return rules;
  }

  /** Settles what a crash left in flight: billed for the tokens journaled as delivered. */
  async #recover(): Promise<number> {
    const { store } = this.deps;
    const left = await store.billing.inflight();
    if (left.length === 0) return 0;
    await this.prices.load();
    for (const r of left) {
      const price = this.prices.modelPriceAt(r.model, r.startedAt);
      const entry: LedgerInput = {
        tenantId: r.tenantId, kind: 'usage', requestId: r.requestId, keyId: r.keyId, model: r.model,
        promptTokens: r.promptTokens, cachedTokens: 0, completionTokens: r.completionTokens, allowanceTokens: 0,
        chipType: null, acceleratorMs: 0,
        amountMicros: price ? tokenCostMicros({ input: r.promptTokens, cachedInput: 0, output: r.completionTokens }, price) : 0,
        priceId: price?.id ?? null, occurredAt: r.startedAt, note: 'settled at restart: the server stopped while this request ran',
      };
      const usage: UsageInput = {
        requestId: r.requestId, keyId: r.keyId, model: r.model, endpoint: r.endpoint,
        promptTokens: r.promptTokens, completionTokens: r.completionTokens, ttftMs: null, durationMs: 0,
        outcome: 'aborted', errorCode: 'interrupted', createdAt: r.startedAt,
      };
      await store.billing.commit({ begin: [], progress: [], settle: [{ entry, usage }], finish: [r.requestId] });
    }
    return left.length;
  }
}

function indexRules(records: RateLimitRecord[]): Map<string, Array<LimitRule & { model: string | null }>> {
  const byScope = new Map<string, Array<LimitRule & { model: string | null }>>();
  for (const r of records) {
    const scope = `${r.scope}:${r.scopeId}`;
    const rule = { id: `${scope}:${r.model ?? '*'}`, rpm: r.rpm, tpm: r.tpm, model: r.model };
    byScope.set(scope, [...(byScope.get(scope) ?? []), rule]);
  }
  return byScope;
}
