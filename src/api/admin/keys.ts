/**
 * /api/keys: create, list and revoke API keys, and per-key rate limits. A key's secret is returned
 * once, by `create`, and never again. Revocation is read from the row on every request (store/keys),
 * so it takes effect on the very next request. Access: see access.ts.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { TesseraError } from '../../core/errors.js';
import { PLATFORM_TENANT_ID, type ApiKeyRecord, type Store } from '../../store/index.js';
import type { AuthenticatedKey } from '../auth.js';
import { parseBody } from '../validate.js';
import { audit, isPlatformAdmin, listingTenant, requireRole, visibleTenant, type AdminDeps } from './access.js';
import { rateLimitBody, rateLimitsOf, setRateLimit } from './rate-limits.js';

const positiveInt = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

export const createKeyBody = z.strictObject({
  name: z.string().trim().min(1).max(100),
  role: z.enum(['admin', 'tenant_admin', 'member']).default('member'),
  /** Default: the caller's own tenant. */
  tenant_id: z.string().min(1).optional(),
  expires_at: z.iso.datetime({ offset: true }).nullable().optional(),
  /** Models this key may call; null or absent = every model. */
  allowed_models: z.array(z.string().min(1).max(200)).min(1).max(100).nullable().optional(),
  labels: z.record(z.string().min(1).max(63), z.string().max(200)).nullable().optional(),
  /** Shorthand for PUT /api/keys/:id/rate-limits right after creation. */
  rpm: positiveInt.nullable().optional(),
  tpm: positiveInt.nullable().optional(),
});

const listQuery = z.strictObject({ tenant: z.string().min(1).optional() });

export function registerKeyRoutes(app: FastifyInstance, deps: AdminDeps): void {
  const { store, now } = deps;

  /** Who am I: the calling key and its tenant (what the console shows after sign-in). */
  app.get('/api/me', async (request) => {
    const key = requireRole(request, 'admin', 'tenant_admin', 'member');
    const [own, tenant] = await Promise.all([store.keys.get(key.id), store.tenants.get(key.tenantId)]);
    if (!own) throw new TesseraError('invalid_api_key');
    return { key: keyBody(own), tenant: tenant && { id: tenant.id, name: tenant.name, kind: tenant.kind } };
  });

  app.get('/api/keys', async (request) => {
    const key = requireRole(request, 'admin', 'tenant_admin', 'member');
    const query = parseBody(listQuery, request.query);
    if (key.role === 'member') {
      // A member sees its own key and nothing else, whatever it asks for.
      if (query.tenant !== undefined) await visibleTenant(store, key, query.tenant, 'tenant');
      const own = await store.keys.get(key.id);
      return { object: 'list', data: own ? [keyBody(own)] : [] };
    }
    const tenant = await listingTenant(store, key, query.tenant);
    return { object: 'list', data: (await store.keys.list(tenant ? { tenantId: tenant.id } : {})).map(keyBody) };
  });

  app.post('/api/keys', async (request, reply) => {
    const actor = requireRole(request, 'admin', 'tenant_admin');
    const body = parseBody(createKeyBody, request.body);
    if (body.role === 'admin' && !isPlatformAdmin(actor)) {
      throw new TesseraError('permission_denied', 'A tenant admin may create tenant_admin and member keys only.', { param: 'role' });
    }
    const tenant = await visibleTenant(store, actor, body.tenant_id ?? actor.tenantId, 'tenant_id');
    if (body.role === 'admin' && tenant.id !== PLATFORM_TENANT_ID) {
      // A platform admin key is not a tenant's key: it sees every tenant, so it lives in `platform`.
      throw new TesseraError('invalid_request', "Admin keys belong to the 'platform' tenant; use role tenant_admin for a tenant's administrator.", { param: 'role' });
    }
    const expiresAt = body.expires_at ? new Date(body.expires_at) : null;
    if (expiresAt && expiresAt <= now()) {
      throw new TesseraError('invalid_request', 'expires_at must be in the future.', { param: 'expires_at' });
    }
    const { key, secret } = await store.keys.create({
      name: body.name,
      role: body.role,
      tenantId: tenant.id,
      expiresAt,
      allowedModels: body.allowed_models ?? null,
      labels: body.labels ?? null,
    });
    const limit = body.rpm || body.tpm ? { scope: 'key' as const, scopeId: key.id, model: null, rpm: body.rpm ?? null, tpm: body.tpm ?? null } : null;
    if (limit) await store.tenants.setRateLimit(limit);
    await audit(store, actor, {
      action: 'key.create', targetType: 'key', targetId: key.id, tenantId: key.tenantId,
      after: { ...keyBody(key), rate_limit: limit && rateLimitBody(limit) },
    });
    if (limit) await deps.meter?.reload();
    return reply.code(201).send({ ...keyBody(key), secret });
  });

  app.delete<{ Params: { id: string } }>('/api/keys/:id', async (request) => {
    const actor = requireRole(request, 'admin', 'tenant_admin', 'member');
    const key = await visibleKey(store, actor, request.params.id, { self: true });
    const revoked = (await store.keys.revoke(key.id)) ?? key;
    if (!key.revokedAt) {
      await audit(store, actor, { action: 'key.revoke', targetType: 'key', targetId: key.id, tenantId: key.tenantId, before: keyBody(key), after: keyBody(revoked) });
    }
    return { ...keyBody(revoked), revoked: true };
  });

  app.get<{ Params: { id: string } }>('/api/keys/:id/rate-limits', async (request) => {
    const actor = requireRole(request, 'admin', 'tenant_admin');
    const key = await visibleKey(store, actor, request.params.id, { self: false });
    return { object: 'list', data: (await rateLimitsOf(store, { keyIds: [key.id] })).map(rateLimitBody) };
  });

  app.put<{ Params: { id: string } }>('/api/keys/:id/rate-limits', async (request) => {
    // A tenant admin may limit its own keys: key limits only narrow what the tenant's limits allow.
    const actor = requireRole(request, 'admin', 'tenant_admin');
    const key = await visibleKey(store, actor, request.params.id, { self: false });
    return setRateLimit(deps, actor, { scope: 'key', scopeId: key.id, tenantId: key.tenantId }, request.body);
  });
}

/**
 * The key `id` as `actor` may act on it: any key for platform admins, its tenant's keys for a
 * tenant admin, and (with `self`) a member's own key; every other key is reported as not existing.
 */
async function visibleKey(store: Store, actor: AuthenticatedKey, id: string, options: { self: boolean }): Promise<ApiKeyRecord> {
  const key = await store.keys.get(id);
  const visible =
    key !== null &&
    (isPlatformAdmin(actor) ||
      (actor.role === 'tenant_admin' && key.tenantId === actor.tenantId) ||
      (options.self && key.id === actor.id));
  if (!key || !visible) throw new TesseraError('key_not_found', `No API key with id '${id}'.`);
  return key;
}

export function keyBody(key: ApiKeyRecord) {
  return {
    id: key.id,
    object: 'api_key',
    name: key.name,
    role: key.role,
    prefix: key.prefix,
    tenant_id: key.tenantId,
    allowed_models: key.allowedModels,
    labels: key.labels,
    created_at: key.createdAt.toISOString(),
    expires_at: key.expiresAt?.toISOString() ?? null,
    revoked_at: key.revokedAt?.toISOString() ?? null,
    last_used_at: key.lastUsedAt?.toISOString() ?? null,
  };
}
