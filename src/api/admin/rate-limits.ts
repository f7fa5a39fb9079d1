/**
 * Rate limits as the admin API reads and writes them, for both scopes (a tenant, a key). A limit is
 * requests and/or tokens per minute, for every model (`model: null`) or one model; PUT with both
 * `rpm` and `tpm` null removes it. The meter reloads afterwards, so the next request sees it.
 */
import { z } from 'zod';
import type { RateLimitRecord, Store } from '../../store/index.js';
import type { AuthenticatedKey } from '../auth.js';
import { parseBody } from '../validate.js';
import { audit, type AdminDeps } from './access.js';

const perMinute = z.number().int().positive().max(Number.MAX_SAFE_INTEGER).nullable();

export const rateLimitPut = z.strictObject({
  /** null or absent: the limit applies to every model. */
  model: z.string().min(1).max(200).nullable().optional(),
  rpm: perMinute,
  tpm: perMinute,
});

export function rateLimitBody(limit: RateLimitRecord) {
  return { object: 'rate_limit', scope: limit.scope, scope_id: limit.scopeId, model: limit.model, rpm: limit.rpm, tpm: limit.tpm };
}

/** The limits of one tenant (and/or of some keys), ordered scope, id, model. */
export async function rateLimitsOf(store: Store, filter: { tenantId?: string; keyIds?: string[] }): Promise<RateLimitRecord[]> {
  const keyIds = new Set(filter.keyIds ?? []);
  return (await store.tenants.rateLimits())
    .filter((r) => (r.scope === 'tenant' ? r.scopeId === filter.tenantId : keyIds.has(r.scopeId)))
    .sort((a, b) => `${a.scope}\0${a.scopeId}\0${a.model ?? ''}`.localeCompare(`${b.scope}\0${b.scopeId}\0${b.model ?? ''}`));
}

export async function setRateLimit(
  deps: AdminDeps,
  actor: AuthenticatedKey,
  target: { scope: 'tenant' | 'key'; scopeId: string; tenantId: string },
  rawBody: unknown,
) {
  const { store } = deps;
  const body = parseBody(rateLimitPut, rawBody);
  const model = body.model ?? null;
  const same = (r: RateLimitRecord) => r.scope === target.scope && r.scopeId === target.scopeId && r.model === model;
  const before = (await store.tenants.rateLimits()).find(same) ?? null;
  const limit: RateLimitRecord = { scope: target.scope, scopeId: target.scopeId, model, rpm: body.rpm, tpm: body.tpm };
  await store.tenants.setRateLimit(limit);
  const removed = body.rpm === null && body.tpm === null;
  await audit(store, actor, {
    action: `${target.scope}.rate_limit.${removed ? 'remove' : 'set'}`,
    targetType: target.scope,
    targetId: target.scopeId,
    tenantId: target.tenantId,
    before: before && rateLimitBody(before),
    after: removed ? null : rateLimitBody(limit),
  });
  await deps.meter?.reload();
  return removed ? { ...rateLimitBody(limit), deleted: true } : rateLimitBody(limit);
}
