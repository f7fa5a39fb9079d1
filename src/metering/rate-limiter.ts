/**
 * Requests-per-minute and tokens-per-minute limits as token buckets (capacity = the per-minute
 * limit, refilled continuously), per key and per tenant, optionally per model. A request takes
 * from every bucket that applies, or from none: the check and the take happen in one synchronous
 * step, so concurrent requests cannot slip past a limit. Token limits take prompt + max_tokens up
 * front; `release` gives back what the request did not use.
 */

export interface LimitRule {
  /** Bucket identity, e.g. `key:key_1:*` or `tenant:tnt_1:qwen`. */
  id: string;
  rpm: number | null;
  tpm: number | null;
}

export type Acquired =
  | { ok: true; release(unusedTokens: number): void }
  | { ok: false; retryAfterSeconds: number; rule: string; kind: 'requests' | 'tokens'; neverFits: boolean };

interface Bucket {
  capacity: number;
  level: number;
  updatedMs: number;
}

export class RateLimiter {
  readonly #buckets = new Map<string, Bucket>();

  constructor(private readonly nowMs: () => number) {}

  acquire(rules: readonly LimitRule[], tokens: number): Acquired {
    const now = this.nowMs();
    const takes: Array<[Bucket, number, 'requests' | 'tokens']> = [];
    for (const rule of rules) {
      for (const [kind, limit, amount] of [['requests', rule.rpm, 1], ['tokens', rule.tpm, tokens]] as const) {
        if (limit === null) continue;
        const bucket = this.#bucket(`${rule.id}:${kind}`, limit, now);
        if (amount > bucket.capacity) {
          return { ok: false, retryAfterSeconds: 60, rule: rule.id, kind, neverFits: true };
        }
        if (bucket.level < amount) {
          const perMs = bucket.capacity / 60_000;
          return { ok: false, retryAfterSeconds: Math.ceil((amount - bucket.level) / perMs / 1000), rule: rule.id, kind, neverFits: false };
        }
        takes.push([bucket, amount, kind]);
      }
    }
    for (const [bucket, amount] of takes) bucket.level -= amount;
    const tokenBuckets = takes.filter(([, , kind]) => kind === 'tokens').map(([bucket]) => bucket);
    let released = false;
    return {
      ok: true,
      release: (unused) => {
        if (released || unused <= 0) return;
        released = true;
        for (const bucket of tokenBuckets) bucket.level = Math.min(bucket.capacity, bucket.level + unused);
      },
    };
  }

  #bucket(id: string, capacity: number, now: number): Bucket {
    let bucket = this.#buckets.get(id);
    if (!bucket || bucket.capacity !== capacity) {
      // New or changed limit: start full (a raised limit is usable at once).
      bucket = { capacity, level: capacity, updatedMs: now };
      this.#buckets.set(id, bucket);
      return bucket;
    }
    bucket.level = Math.min(capacity, bucket.level + ((now - bucket.updatedMs) * capacity) / 60_000);
    bucket.updatedMs = now;
    return bucket;
  }
}
