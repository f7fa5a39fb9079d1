// The signed-in key, remembered for this browser session only (sessionStorage), and what the
// console learns about it: its own key record (role, tenant) from GET /api/keys.
import { createContext, useContext } from 'react';
import { createClient, type ApiError, type Client } from '../api/client';
import type { ApiKey, List, Role } from '../api/types';

const STORAGE = 'tessera.apiKey';

export interface Session {
  secret: string;
  client: Client;
  me: ApiKey;
  role: Role;
}

export const storedSecret = (): string | null => sessionStorage.getItem(STORAGE);
export const forgetSecret = (): void => sessionStorage.removeItem(STORAGE);

/**
 * Verifies `secret` and finds its own record. A member's list holds only its own key; an admin's
 * holds many, so the key is picked by its display prefix (the secret's first 12 characters).
 */
export async function openSession(secret: string, onUnauthorized: (error: ApiError) => void): Promise<Session> {
  const client = createClient(secret, onUnauthorized);
  const keys = await client.get<List<ApiKey>>('/api/keys');
  const prefix = secret.slice(0, 12);
  const me = keys.data.find((k) => k.prefix === prefix && !k.revoked_at) ?? keys.data[0];
  if (!me) throw new Error('The server did not return this key.');
  sessionStorage.setItem(STORAGE, secret);
  return { secret, client, me, role: me.role };
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in console');
  return session;
}

export const isOperator = (role: Role): boolean => role === 'admin' || role === 'tenant_admin';
