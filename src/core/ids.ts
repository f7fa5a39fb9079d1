import { randomFillSync } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * Random bytes drawn from the CSPRNG in blocks and handed out once each, so an id costs no call
 * into OpenSSL (the request path makes two or three per request). Only a cache of one
 * `randomFillSync`: every byte is used once, in order, and the block is refilled when spent.
 * The one module-level state of this unit, deliberately: like Node's own cache behind
 * `crypto.randomUUID`, it holds no meaning, only bytes not yet used.
 */
class RandomPool {
  readonly #block = Buffer.allocUnsafe(16 * 1024);
  #used = this.#block.length;

  take(count: number): Buffer {
    if (count > this.#block.length) return randomFillSync(Buffer.allocUnsafe(count));
    if (this.#used + count > this.#block.length) {
      randomFillSync(this.#block);
      this.#used = 0;
    }
    const start = this.#used;
    this.#used += count;
    return this.#block.subarray(start, start + count);
  }
}

const pool = new RandomPool();

/** A random base62 id with a readable prefix, e.g. `chatcmpl-3fZ…` (24 chars ≈ 143 bits). */
export function newId(prefix: string, length = 24): string {
  return `${prefix}-${randomChars(length)}`;
}

function randomChars(length: number): string {
  const bytes = pool.take(length);
  let out = '';
  // 62 does not divide 256: the bias (at most 4/256 per char) is irrelevant for ids.
  for (let i = 0; i < length; i++) out += ALPHABET[bytes[i] % 62];
  return out;
}

/** Base62 digits of a millisecond time: 8 last until about the year 8800. */
const TIME_DIGITS = 8;

/**
 * Like `newId`, but the first 8 of the 24 characters are the creation time in milliseconds
 * (base62, and the alphabet is in ASCII order), the other 16 random (≈ 95 bits). Ids made later
 * sort later, so a table or index keyed by them grows at its end: a batch of inserts touches a
 * few B-tree pages instead of one per row (the ledger's and the request ids). The time is not a
 * secret; the random part keeps the ids unguessable.
 */
export function newTimeOrderedId(prefix: string, nowMs: number = Date.now()): string {
  let time = '';
  let rest = Math.max(0, Math.floor(nowMs));
  for (let i = 0; i < TIME_DIGITS; i++) {
    time = ALPHABET[rest % 62] + time;
    rest = Math.floor(rest / 62);
  }
  return `${prefix}-${time}${randomChars(24 - TIME_DIGITS)}`;
}
