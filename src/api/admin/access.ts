/**
 * Who may see and do what under /api (docs/tenants.md, "Access rule"):
 *
 * - `admin` (platform): everything, every tenant.
 * - `tenant_admin`: its own tenant's keys, usage, budget, statements, rate limits and audit entries.
 * - `member`: its own key (list, usage, self-revocation) and the price list.
 *
 * Two refusals, in this order, so an answer never depends on whether another tenant's record exists:
 * 1. the caller's role may not use the endpoint at all → 403 `permission_denied`, before any lookup;
 * 2. the target belongs to another tenant → 404 (`not_found` / `key_not_found`), exactly the answer
 *    for an id that does not exist, so a tenant cannot probe for other tenants' ids or names.
 */
import type { FastifyRequest } from 'fastify';
import { TesseraError } from '../../core/errors.js';
import type { Meter } from '../../metering/index.js';
import type { ApiKeyRole, Store, TenantRecord } from '../../store/index.js';
import type { AuthenticatedKey } from '../auth.js';

export interface AdminDeps {
  store: Store;
  /** Absent in servers without billing: budget, credit and price routes are then not registered. */
  meter?: Meter;
  now: () => Date;
}

/** The authenticated caller, refused with 403 unless its role is one of `roles`. */
export function requireRole(request: FastifyRequest, ...roles: ApiKeyRole[]): AuthenticatedKey {
  const key = request.apiKey;
  if (!key) throw new TesseraError('missing_api_key');
  if (!roles.includes(key.role)) {
    const who = roles.includes('tenant_admin') ? 'an admin or tenant admin key' : 'a platform admin key';
    throw new TesseraError('permission_denied', `This endpoint needs ${who}; this key's role is '${key.role}'.`);
  }
  return key;
}

export const isPlatformAdmin = (key: AuthenticatedKey): boolean => key.role === 'admin';

export function tenantNotFound(ref: string, param: string | null = null): TesseraError {
  return new TesseraError('not_found', `No tenant has the id or name '${ref}'.`, { param });
}

/**
 * The tenant `ref` (an id, or a name for convenience) as the caller may see it: 404 when it does
 * not exist or belongs to someone else (a non-admin caller sees only its own tenant).
 */
export async function visibleTenant(store: Store, key: AuthenticatedKey, ref: string, param: string | null = null): Promise<TenantRecord> {
  const tenant = (await store.tenants.get(ref)) ?? (await store.tenants.list()).find((t) => t.name === ref) ?? null;
  if (!tenant || (!isPlatformAdmin(key) && tenant.id !== key.tenantId)) throw tenantNotFound(ref, param);
  return tenant;
}

/**
 * The tenant a listing is about: the one asked for (checked as above), else the caller's own for
 * non-admins, else undefined (= every tenant, platform admins only).
 */
export async function listingTenant(store: Store, key: AuthenticatedKey, ref: string | undefined): Promise<TenantRecord | undefined> {
  if (ref !== undefined) return visibleTenant(store, key, ref, 'tenant');
  if (isPlatformAdmin(key)) return undefined;
  return (await store.tenants.get(key.tenantId)) ?? undefined;
}

/** Appends one audit entry for an admin mutation: who (key and its tenant), what, on what, before/after. */
export async function audit(
  store: Store,
  actor: AuthenticatedKey,
  entry: { action: string; targetType: string; targetId: string | null; tenantId: string | null; before?: unknown; after?: unknown },
): Promise<void> {
  await store.audit.append({
    actorKeyId: actor.id,
    actorTenantId: actor.tenantId,
    action: entry.action,
    targetType: entry.targetType,
    targetId: entry.targetId,
    tenantId: entry.tenantId,
    before: entry.before ?? null,
    after: entry.after ?? null,
  });
}
