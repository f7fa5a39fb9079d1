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

/** A rule's buckets; null where the rule sets no such limit. */
interface RuleBuckets {
  requests: Bucket | null;
  tokens: Bucket | null;
}

export class RateLimiter {
  /** By bucket id: a bucket outlives the rule objects (rebuilt at every reload) that point at it. */
  readonly #buckets = new Map<string, Bucket>();
  /** A rule object's buckets, resolved at its first use (no id strings built per request). */
  readonly #resolved = new WeakMap<LimitRule, RuleBuckets>();

  constructor(private readonly nowMs: () => number) {}

  acquire(rules: readonly LimitRule[], tokens: number): Acquired {
    const now = this.nowMs();
    let tokenBuckets: Bucket[] | null = null;
    for (const rule of rules) {
      const buckets = this.#bucketsOf(rule, now);
      const refusal = refusalOf(buckets.requests, 1, rule, 'requests', now) ?? refusalOf(buckets.tokens, tokens, rule, 'tokens', now);
      if (refusal) return refusal;
    }
    // Every bucket has room: take from all of them in the same synchronous step.
    for (const rule of rules) {
      const { requests, tokens: tokenBucket } = this.#resolved.get(rule)!;
      if (requests) requests.level -= 1;
      if (tokenBucket) {
        tokenBucket.level -= tokens;
        (tokenBuckets ??= []).push(tokenBucket);
      }
    }
    if (!tokenBuckets) return GRANTED_WITHOUT_TOKENS;
    const held = tokenBuckets;
    let released = false;
    return {
      ok: true,
      release: (unused) => {
        if (released || unused <= 0) return;
        released = true;
        for (const bucket of held) bucket.level = Math.min(bucket.capacity, bucket.level + unused);
      },
    };
  }

  #bucketsOf(rule: LimitRule, now: number): RuleBuckets {
    let buckets = this.#resolved.get(rule);
    if (!buckets) {
      buckets = {
        requests: rule.rpm === null ? null : this.#bucket(`${rule.id}:requests`, rule.rpm, now),
        tokens: rule.tpm === null ? null : this.#bucket(`${rule.id}:tokens`, rule.tpm, now),
      };
      this.#resolved.set(rule, buckets);
    }
    return buckets;
  }

  #bucket(id: string, capacity: number, now: number): Bucket {
    let bucket = this.#buckets.get(id);
    if (!bucket || bucket.capacity !== capacity) {
      // New or changed limit: start full (a raised limit is usable at once).
      bucket = { capacity, level: capacity, updatedMs: now };
      this.#buckets.set(id, bucket);
    }
    return bucket;
  }
}

const GRANTED_WITHOUT_TOKENS: Acquired = { ok: true, release: () => undefined };

/** Refills `bucket` to `now`; the refusal if `amount` does not fit in it, else null. */
function refusalOf(bucket: Bucket | null, amount: number, rule: LimitRule, kind: 'requests' | 'tokens', now: number): Acquired | null {
  if (!bucket) return null;
  bucket.level = Math.min(bucket.capacity, bucket.level + ((now - bucket.updatedMs) * bucket.capacity) / 60_000);
  bucket.updatedMs = now;
  if (amount > bucket.capacity) return { ok: false, retryAfterSeconds: 60, rule: rule.id, kind, neverFits: true };
  if (bucket.level < amount) {
    const perMs = bucket.capacity / 60_000;
    return { ok: false, retryAfterSeconds: Math.ceil((amount - bucket.level) / perMs / 1000), rule: rule.id, kind, neverFits: false };
  }
  return null;
}
