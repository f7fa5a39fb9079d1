/**
 * API key secrets: generation, the stored hash, the display prefix.
 *
 * Why a plain sha256 and not a password hash (bcrypt/scrypt/argon2): a secret carries 256 random
 * bits, so nobody can guess it faster than brute force over 2^256, with or without a slow hash;
 * slowness only protects low-entropy human passwords. A fast, unsalted, deterministic hash is what
 * lets `verify` find a key by an indexed equality lookup on the hash: no per-key comparison loop,
 * and the only thing a timing side channel could reveal is bits of a hash the attacker already
 * computed from their own guess (sha256 preimage resistance makes that worthless). So the lookup
 * is safe against timing attacks by construction, without a constant-time compare.
 */
import { hash, randomBytes } from 'node:crypto';

/** `sk-` because several OpenAI clients check for it; `tess-` to tell Tessera keys apart. */
export const SECRET_PREFIX = 'sk-tess-';
const SECRET_RANDOM_BYTES = 32;
/** How much of the secret lists show: the fixed prefix + 4 random characters (24 of 256 bits). */
const DISPLAY_PREFIX_LENGTH = 12;

export function generateSecret(): string {
  return SECRET_PREFIX + randomBytes(SECRET_RANDOM_BYTES).toString('base64url');
}

/**
 * Lowercase hex sha256 of the secret's UTF-8 bytes: the only form a secret is stored in. Runs on
 * every request: the one-shot `crypto.hash` costs a third of a Hash object's create/update/digest.
 */
export function hashSecret(secret: string): string {
  return hash('sha256', secret, 'hex');
}

export function displayPrefix(secret: string): string {
  return secret.slice(0, DISPLAY_PREFIX_LENGTH);
}
