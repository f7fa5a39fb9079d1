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

/** Draws of one (tenant, model), in time order, with their running total. */
interface DrawLog {
  draws: Draw[];
  total: number;
}

export class AllowanceBook {
  readonly #grants = new Map<string, AllowanceRecord[]>();
  readonly #draws = new Map<string, DrawLog>();
  readonly #held = new Map<string, number>();

  load(grants: readonly AllowanceRecord[], draws: ReadonlyArray<{ tenantId: string; model: string; at: Date; tokens: number }>): void {
    this.#grants.clear();
    this.#draws.clear();
    for (const g of grants) this.grant(g);
    for (const d of draws) this.#record(d.tenantId, d.model, d.at.getTime(), d.tokens);
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
    return Math.max(0, granted - this.#drawnSince(key, since) - (this.#held.get(key) ?? 0));
  }

  hold(tenantId: string, model: string, tokens: number): void {
    const key = keyOf(tenantId, model);
    this.#held.set(key, (this.#held.get(key) ?? 0) + tokens);
  }

  /** Ends a hold and records what was really drawn. */
  draw(tenantId: string, model: string, held: number, tokens: number, at: Date): void {
    const key = keyOf(tenantId, model);
    this.#held.set(key, (this.#held.get(key) ?? 0) - held);
    if (tokens > 0) this.#record(tenantId, model, at.getTime(), tokens);
  }

  #record(tenantId: string, model: string, at: number, tokens: number): void {
    const key = keyOf(tenantId, model);
    let log = this.#draws.get(key);
    if (!log) this.#draws.set(key, (log = { draws: [], total: 0 }));
    log.draws.push({ at, tokens });
    log.total += tokens;
  }

  /**
   * Tokens drawn at or after `since`. `since` (the oldest valid grant's creation) only moves
   * forward as grants expire, so older draws can never count again and are dropped: each draw is
   * summed once, not on every request.
   */
  #drawnSince(key: string, since: number): number {
    const log = this.#draws.get(key);
    if (!log) return 0;
    while (log.draws.length > 0 && log.draws[0].at < since) log.total -= log.draws.shift()!.tokens;
    return log.total;
  }
}

const keyOf = (tenantId: string, model: string): string => `${tenantId}\u0000${model}`;
