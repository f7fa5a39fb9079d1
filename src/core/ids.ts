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

/** Where an id's characters are put together: one string made from bytes, not one per character. */
const scratch = Buffer.allocUnsafe(64);
const ALPHABET_CODES = Uint8Array.from(ALPHABET, (c) => c.charCodeAt(0));

/** Writes `length` random base62 characters into `scratch` from `at`; returns the end. */
function writeRandomChars(at: number, length: number): number {
  const bytes = pool.take(length);
  // 62 does not divide 256: the bias (at most 4/256 per char) is irrelevant for ids.
  for (let i = 0; i < length; i++) scratch[at + i] = ALPHABET_CODES[bytes[i] % 62];
  return at + length;
}

function randomChars(length: number): string {
  if (length > scratch.length) throw new RangeError(`an id has at most ${scratch.length} random characters`);
  return scratch.toString('latin1', 0, writeRandomChars(0, length));
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
  let rest = Math.max(0, Math.floor(nowMs));
  for (let i = TIME_DIGITS - 1; i >= 0; i--) {
    scratch[i] = ALPHABET_CODES[rest % 62];
    rest = Math.floor(rest / 62);
  }
  return `${prefix}-${scratch.toString('latin1', 0, writeRandomChars(TIME_DIGITS, 24 - TIME_DIGITS))}`;
}
