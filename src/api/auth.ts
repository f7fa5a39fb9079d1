/**
 * Bearer-key authentication. The key's secret is hashed and looked up; the plain secret is never
 * logged or stored. The resolved key is attached to the request for handlers and usage records.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { TesseraError } from '../core/errors.js';

export interface AuthenticatedKey {
  id: string;
  role: 'admin' | 'tenant_admin' | 'member';
  tenantId: string;
  /** Models this key may call; null = all. */
  allowedModels: string[] | null;
}

export type KeyVerifier = (secret: string) => Promise<AuthenticatedKey | null>;

declare module 'fastify' {
  interface FastifyRequest {
    apiKey: AuthenticatedKey | null;
  }
}

export function bearerSecret(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : null;
}

/** Adapts the key store to the verifier the HTTP layer needs (a key record carries more). */
export function keyVerifierFromStore(keys: { verify(secret: string): Promise<AuthenticatedKey | null> }): KeyVerifier {
  return async (secret) => {
    const key = await keys.verify(secret);
    return key && { id: key.id, role: key.role, tenantId: key.tenantId, allowedModels: key.allowedModels };
  };
}

export function requireKey(verify: KeyVerifier) {
  return async function authenticate(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    const secret = bearerSecret(request.headers.authorization);
    if (!secret) throw new TesseraError('missing_api_key');
    const key = await verify(secret);
    if (!key) throw new TesseraError('invalid_api_key');
    request.apiKey = key;
  };
}

export function requireAdmin(request: FastifyRequest): AuthenticatedKey {
  const key = request.apiKey;
  if (!key) throw new TesseraError('missing_api_key');
  if (key.role !== 'admin') throw new TesseraError('permission_denied', 'This endpoint needs an admin key.');
  return key;
}
