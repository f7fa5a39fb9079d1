/**
 * Versioned prices in memory: each version applies from its effective time until the next one.
 * A request is priced with the version in force when it started. New versions may only take
 * effect now or later, so history (and every settled entry) stays as it was billed.
 */
import { TesseraError } from '../core/errors.js';
import type { ChipPriceRecord, ModelPriceRecord, Store } from '../store/index.js';

export class PriceBook {
  readonly #models = new Map<string, ModelPriceRecord[]>();
  readonly #chips = new Map<string, ChipPriceRecord[]>();

  constructor(private readonly store: Store, private readonly now: () => Date) {}

  async load(): Promise<void> {
    this.#models.clear();
    this.#chips.clear();
    for (const p of await this.store.billing.modelPrices()) push(this.#models, p.model, p);
    for (const p of await this.store.billing.chipPrices()) push(this.#chips, p.chipType, p);
  }

  /** The model's price at `at`, or null when it has none (then usage is metered at zero cost). */
  modelPriceAt(model: string, at: Date): ModelPriceRecord | null {
    return versionAt(this.#models.get(model), at);
  }

  chipPriceAt(chipType: string, at: Date): ChipPriceRecord | null {
    return versionAt(this.#chips.get(chipType), at);
  }

  async addModelPrice(input: Omit<ModelPriceRecord, 'id' | 'createdAt'>): Promise<ModelPriceRecord> {
    this.#checkFuture(input.effectiveFrom);
    const record = await this.store.billing.addModelPrice(input);
    push(this.#models, record.model, record);
    return record;
  }

  async addChipPrice(input: Omit<ChipPriceRecord, 'id' | 'createdAt'>): Promise<ChipPriceRecord> {
    this.#checkFuture(input.effectiveFrom);
    const record = await this.store.billing.addChipPrice(input);
    push(this.#chips, record.chipType, record);
    return record;
  }

  #checkFuture(effectiveFrom: Date): void {
    if (!Number.isFinite(effectiveFrom.getTime())) {
      throw new TesseraError('invalid_request', 'effective_from is not a valid time.', { param: 'effective_from' });
    }
    // One second of grace for "now" sent by a client whose clock is slightly behind.
    if (effectiveFrom.getTime() < this.now().getTime() - 1000) {
      throw new TesseraError('invalid_request', 'A price cannot take effect in the past: history is kept as it was billed. Use a time from now on.', { param: 'effective_from' });
    }
  }
}

function push<T extends { effectiveFrom: Date }>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key) ?? [];
  list.push(value);
  list.sort((a, b) => a.effectiveFrom.getTime() - b.effectiveFrom.getTime());
  map.set(key, list);
}

function versionAt<T extends { effectiveFrom: Date }>(versions: T[] | undefined, at: Date): T | null {
  if (!versions) return null;
  let found: T | null = null;
  for (const v of versions) {
    if (v.effectiveFrom.getTime() <= at.getTime()) found = v;
    else break;
  }
  return found;
}
