// The signed-in key, remembered for this browser session only (sessionStorage), and what the
// console learns about it: its own key record (role, tenant) from GET /api/me.
import { createContext, useContext } from 'react';
import { createClient, type ApiError, type Client } from '../api/client';
import type { ApiKey, Role } from '../api/types';

const STORAGE = 'tessera.apiKey';

export interface Session {
  secret: string;
  client: Client;
  me: ApiKey;
  role: Role;
}

export const storedSecret = (): string | null => sessionStorage.getItem(STORAGE);
export const forgetSecret = (): void => sessionStorage.removeItem(STORAGE);

/** Verifies `secret` and reads its own record (role, tenant) from the server. */
export async function openSession(secret: string, onUnauthorized: (error: ApiError) => void): Promise<Session> {
  const client = createClient(secret, onUnauthorized);
  const { key: me } = await client.get<{ key: ApiKey }>('/api/me');
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
