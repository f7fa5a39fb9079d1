/**
 * Free token allowances (a tenant gets N tokens of a model until a date, as public model clouds
 * give new customers). Tokens are drawn from the allowance before money: prompt tokens first,
 * then completion tokens. What remains = tokens of the allowances still valid − tokens drawn since
 * the oldest of them was granted (draws are the ledger's `allowance_tokens`).
 */
import type { AllowanceRecord } from '../store/index.js';

interface Draw {
  at: number;
  tokens: number;
}

export class AllowanceBook {
  readonly #grants = new Map<string, AllowanceRecord[]>();
  readonly #draws = new Map<string, Draw[]>();
  readonly #held = new Map<string, number>();

  load(grants: readonly AllowanceRecord[], draws: ReadonlyArray<{ tenantId: string; model: string; at: Date; tokens: number }>): void {
    this.#grants.clear();
    this.#draws.clear();
    for (const g of grants) this.grant(g);
    for (const d of draws) this.#drawList(d.tenantId, d.model).push({ at: d.at.getTime(), tokens: d.tokens });
  }

  grant(g: AllowanceRecord): void {
    const key = keyOf(g.tenantId, g.model);
    this.#grants.set(key, [...(this.#grants.get(key) ?? []), g]);
  }

  /** Tokens still free for new requests (what running requests hold excluded). */
  available(tenantId: string, model: string, now: Date): number {
    const key = keyOf(tenantId, model);
    const active = (this.#grants.get(key) ?? []).filter((g) => g.expiresAt.getTime() > now.getTime());
    if (active.length === 0) return 0;
    const since = Math.min(...active.map((g) => g.createdAt.getTime()));
    const granted = active.reduce((sum, g) => sum + g.tokens, 0);
    const drawn = (this.#draws.get(key) ?? []).filter((d) => d.at >= since).reduce((sum, d) => sum + d.tokens, 0);
    return Math.max(0, granted - drawn - (this.#held.get(key) ?? 0));
  }

  hold(tenantId: string, model: string, tokens: number): void {
    const key = keyOf(tenantId, model);
    this.#held.set(key, (this.#held.get(key) ?? 0) + tokens);
  }

  /** Ends a hold and records what was really drawn. */
  draw(tenantId: string, model: string, held: number, tokens: number, at: Date): void {
    const key = keyOf(tenantId, model);
    this.#held.set(key, (this.#held.get(key) ?? 0) - held);
    if (tokens > 0) this.#drawList(tenantId, model).push({ at: at.getTime(), tokens });
  }

  #drawList(tenantId: string, model: string): Draw[] {
    const key = keyOf(tenantId, model);
    let list = this.#draws.get(key);
    if (!list) this.#draws.set(key, (list = []));
    return list;
  }
}

const keyOf = (tenantId: string, model: string): string => `${tenantId}\u0000${model}`;
