/**
 * /api/tenants: tenants, their spend limits, budget view, credits, rate limits and free allowances.
 * Creating and changing tenants, credits and allowances are platform-admin actions; a tenant admin
 * reads its own tenant. Every change is audited and reloads the meter, so the next request is
 * admitted under the new limits.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { TesseraError } from '../../core/errors.js';
import type { Meter } from '../../metering/index.js';
import type { AllowanceRecord, TenantRecord } from '../../store/index.js';
import type { AuthenticatedKey } from '../auth.js';
import { parseBody } from '../validate.js';
import { audit, listingTenant, requireRole, visibleTenant, type AdminDeps } from './access.js';
import { rateLimitBody, rateLimitsOf, setRateLimit } from './rate-limits.js';

const micros = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

const limits = {
  /** Monthly spend limit in micro-units; null = none. */
  monthly_limit_micros: micros.nullable().optional(),
  limit_mode: z.enum(['hard', 'soft']).optional(),
  prepaid: z.boolean().optional(),
};

export const createTenantBody = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/i, 'a tenant name is 1-63 letters, digits, dots, dashes or underscores'),
  kind: z.enum(['internal', 'external']),
  ...limits,
});

export const patchTenantBody = z.strictObject(limits);

export const creditBody = z.strictObject({
  amount_micros: z.number().int().positive('a credit is a positive whole number of micro-units').max(Number.MAX_SAFE_INTEGER),
  note: z.string().max(500).nullable().optional(),
});

export const allowanceBody = z.strictObject({
  model: z.string().min(1).max(200),
  tokens: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  expires_at: z.iso.datetime({ offset: true }),
});

export const patchAllowanceBody = z
  .strictObject({
    tokens: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
    expires_at: z.iso.datetime({ offset: true }).optional(),
  })
  .refine((b) => b.tokens !== undefined || b.expires_at !== undefined, { message: 'give tokens, expires_at or both' });

type Params = { Params: { id: string } };
type AllowanceParams = { Params: { id: string; allowance: string } };

export function registerTenantRoutes(app: FastifyInstance, deps: AdminDeps): void {
  const { store, meter, now } = deps;

  app.get('/api/tenants', async (request) => {
    const key = requireRole(request, 'admin', 'tenant_admin');
    const own = await listingTenant(store, key, undefined);
    const tenants = own ? [own] : await store.tenants.list();
    return { object: 'list', data: tenants.map(tenantBody) };
  });

  app.post('/api/tenants', async (request, reply) => {
    const actor = requireRole(request, 'admin');
    const body = parseBody(createTenantBody, request.body);
    const tenant = await store.tenants.create({
      name: body.name, kind: body.kind, monthlyLimitMicros: body.monthly_limit_micros ?? null, limitMode: body.limit_mode, prepaid: body.prepaid,
    });
    await audit(store, actor, { action: 'tenant.create', targetType: 'tenant', targetId: tenant.id, tenantId: tenant.id, after: tenantBody(tenant) });
    await meter?.reload();
    return reply.code(201).send(tenantBody(tenant));
  });

  app.get<Params>('/api/tenants/:id', async (request) => {
    const key = requireRole(request, 'admin', 'tenant_admin');
    return tenantBody(await visibleTenant(store, key, request.params.id));
  });

  app.patch<Params>('/api/tenants/:id', async (request) => {
    const actor = requireRole(request, 'admin');
    const before = await visibleTenant(store, actor, request.params.id);
    const body = parseBody(patchTenantBody, request.body);
    const after = await store.tenants.update(before.id, { monthlyLimitMicros: body.monthly_limit_micros, limitMode: body.limit_mode, prepaid: body.prepaid });
    if (!after) throw new TesseraError('not_found', `No tenant has the id '${before.id}'.`);
    await audit(store, actor, { action: 'tenant.update', targetType: 'tenant', targetId: after.id, tenantId: after.id, before: tenantBody(before), after: tenantBody(after) });
    await meter?.reload();
    return tenantBody(after);
  });

  app.get<Params>('/api/tenants/:id/rate-limits', async (request) => {
    const key = requireRole(request, 'admin', 'tenant_admin');
    const tenant = await visibleTenant(store, key, request.params.id);
    const keyIds = (await store.keys.list({ tenantId: tenant.id })).map((k) => k.id);
    return { object: 'list', data: (await rateLimitsOf(store, { tenantId: tenant.id, keyIds })).map(rateLimitBody) };
  });

  app.put<Params>('/api/tenants/:id/rate-limits', async (request) => {
    // Tenant limits are what the platform sells: only a platform admin sets them.
    const actor = requireRole(request, 'admin');
    const tenant = await visibleTenant(store, actor, request.params.id);
    return setRateLimit(deps, actor, { scope: 'tenant', scopeId: tenant.id, tenantId: tenant.id }, request.body);
  });

  app.get<Params>('/api/tenants/:id/allowances', async (request) => {
    const key = requireRole(request, 'admin', 'tenant_admin');
    const tenant = await visibleTenant(store, key, request.params.id);
    return { object: 'list', data: (await store.tenants.allowances(tenant.id)).map(allowanceJson) };
  });

  app.post<Params>('/api/tenants/:id/allowances', async (request, reply) => {
    const actor = requireRole(request, 'admin');
    const tenant = await visibleTenant(store, actor, request.params.id);
    const body = parseBody(allowanceBody, request.body);
    const expiresAt = new Date(body.expires_at);
    if (expiresAt <= now()) throw new TesseraError('invalid_request', 'expires_at must be in the future.', { param: 'expires_at' });
    const allowance = await store.tenants.addAllowance({ tenantId: tenant.id, model: body.model, tokens: body.tokens, expiresAt });
    await audit(store, actor, { action: 'allowance.create', targetType: 'allowance', targetId: allowance.id, tenantId: tenant.id, after: allowanceJson(allowance) });
    await meter?.reload();
    return reply.code(201).send(allowanceJson(allowance));
  });

  /** Changes an allowance: more or fewer tokens, a later or earlier end (not in the past). */
  app.patch<AllowanceParams>('/api/tenants/:id/allowances/:allowance', async (request) => {
    const actor = requireRole(request, 'admin');
    const body = parseBody(patchAllowanceBody, request.body);
    const expiresAt = body.expires_at === undefined ? undefined : new Date(body.expires_at);
    if (expiresAt && expiresAt < now()) {
      throw new TesseraError('invalid_request', 'expires_at must not be in the past; to end an allowance now, DELETE it.', { param: 'expires_at' });
    }
    return changeAllowance(actor, request.params, { tokens: body.tokens, expiresAt }, 'allowance.update');
  });

  /** Ends an allowance now. Its row stays, so statements still show what it paid for. */
  app.delete<AllowanceParams>('/api/tenants/:id/allowances/:allowance', async (request) => {
    const actor = requireRole(request, 'admin');
    return changeAllowance(actor, request.params, { expiresAt: now() }, 'allowance.end');
  });

  async function changeAllowance(
    actor: AuthenticatedKey,
    params: AllowanceParams['Params'],
    patch: { tokens?: number; expiresAt?: Date },
    action: string,
  ) {
    const tenant = await visibleTenant(store, actor, params.id);
    const before = (await store.tenants.allowances(tenant.id)).find((a) => a.id === params.allowance);
    if (!before) throw new TesseraError('not_found', `Tenant ${tenant.name} has no allowance '${params.allowance}'.`);
    const after = await store.tenants.updateAllowance(before.id, patch);
    if (!after) throw new TesseraError('not_found', `Tenant ${tenant.name} has no allowance '${params.allowance}'.`);
    await audit(store, actor, { action, targetType: 'allowance', targetId: after.id, tenantId: tenant.id, before: allowanceJson(before), after: allowanceJson(after) });
    await meter?.reload();
    return allowanceJson(after);
  }

  if (meter) registerBudgetRoutes(app, deps, meter);
}

/** Budget and credits read and write the meter's in-memory books, so they exist only with a meter. */
function registerBudgetRoutes(app: FastifyInstance, deps: AdminDeps, meter: Meter): void {
  const { store } = deps;

  app.get<Params>('/api/tenants/:id/budget', async (request) => {
    const key = requireRole(request, 'admin', 'tenant_admin');
    return budgetBody(meter, await visibleTenant(store, key, request.params.id));
  });

  app.post<Params>('/api/tenants/:id/credits', async (request, reply) => {
    const actor = requireRole(request, 'admin');
    const tenant = await visibleTenant(store, actor, request.params.id);
    const body = parseBody(creditBody, request.body);
    const before = budgetBody(meter, tenant);
    await meter.credit(tenant.id, body.amount_micros, body.note ?? null);
    const after = budgetBody(meter, tenant);
    await audit(store, actor, {
      action: 'tenant.credit', targetType: 'tenant', targetId: tenant.id, tenantId: tenant.id,
      before: { balance_micros: before.balance_micros },
      after: { balance_micros: after.balance_micros, amount_micros: body.amount_micros, note: body.note ?? null },
    });
    return reply.code(201).send(after);
  });
}

export function tenantBody(t: TenantRecord) {
  return {
    id: t.id,
    object: 'tenant',
    name: t.name,
    kind: t.kind,
    monthly_limit_micros: t.monthlyLimitMicros,
    limit_mode: t.limitMode,
    prepaid: t.prepaid,
    created_at: t.createdAt.toISOString(),
  };
}

function budgetBody(meter: Meter, t: TenantRecord) {
  const view = meter.budgetView(t.id);
  const limit = t.monthlyLimitMicros;
  return {
    object: 'budget',
    tenant_id: t.id,
    monthly_limit_micros: limit,
    limit_mode: t.limitMode,
    prepaid: t.prepaid,
    month_charges_micros: view.monthChargesMicros,
    /** Credits minus all charges; what a prepaid tenant may still spend (before reservations). */
    balance_micros: view.balanceMicros,
    /** Held by requests running now. */
    reserved_micros: view.reservedMicros,
    /** Left under the monthly limit after charges and reservations; null without a limit. */
    remaining_micros: limit === null ? null : limit - view.monthChargesMicros - view.reservedMicros,
    over_limit: view.overLimit,
  };
}

function allowanceJson(a: AllowanceRecord) {
  return { id: a.id, object: 'allowance', tenant_id: a.tenantId, model: a.model, tokens: a.tokens, expires_at: a.expiresAt.toISOString(), created_at: a.createdAt.toISOString() };
}
