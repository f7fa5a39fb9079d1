import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A random base62 id with a readable prefix, e.g. `chatcmpl-3fZ…` (24 chars ≈ 143 bits). */
export function newId(prefix: string, length = 24): string {
  const bytes = randomBytes(length);
  let out = '';
  // 62 does not divide 256: the bias (at most 4/256 per char) is irrelevant for ids.
  for (const byte of bytes) out += ALPHABET[byte % 62];
  return `${prefix}-${out}`;
}
