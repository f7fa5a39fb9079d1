/**
 * Money is integer micro-units of the installation's one currency (1 unit = 1,000,000 micros).
 * Token prices are micros per million tokens, so a request's cost is
 * ceil(Σ tokens × price / 1,000,000) — computed in BigInt (tokens × price can pass 2^53) and
 * rounded up once per request, so a statement is exactly the sum of its entries.
 */
import type { ModelPriceRecord } from '../store/index.js';

export interface BillableTokens {
  /** Prompt tokens billed at the input price (cached ones excluded). */
  input: number;
  cachedInput: number;
  output: number;
}

export type TokenPrice = Pick<ModelPriceRecord, 'inputPerMTok' | 'cachedInputPerMTok' | 'outputPerMTok'>;

const MILLION = 1_000_000n;

export function tokenCostMicros(tokens: BillableTokens, price: TokenPrice): number {
  const total =
    BigInt(tokens.input) * BigInt(price.inputPerMTok) +
    BigInt(tokens.cachedInput) * BigInt(price.cachedInputPerMTok) +
    BigInt(tokens.output) * BigInt(price.outputPerMTok);
  return Number((total + MILLION - 1n) / MILLION);
}

/** Micros for `ms` milliseconds of one accelerator at `perHour` micros per hour, rounded up. */
export function acceleratorCostMicros(ms: number, perHour: number): number {
  return Number((BigInt(Math.ceil(ms)) * BigInt(perHour) + 3_599_999n) / 3_600_000n);
}

/** `12.345678` style rendering of micros (for CSV and messages). */
export function formatMicros(micros: number): string {
  const sign = micros < 0 ? '-' : '';
  const abs = Math.abs(micros);
  return `${sign}${Math.floor(abs / 1e6)}.${String(abs % 1e6).padStart(6, '0')}`;
}
