/**
 * /api/audit: the log of admin actions, newest first. A platform admin reads every entry (or one
 * tenant's with `?tenant=`); a tenant admin reads the entries that concern its own tenant, whoever
 * made them. Price changes concern no tenant, so only platform admins see them.
 *
 * Paged as OpenAI's lists are: `limit` entries, `has_more`, and `after=<last_id>` for the next page.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AuditEntry } from '../../store/index.js';
import { parseBody } from '../validate.js';
import { listingTenant, requireRole, type AdminDeps } from './access.js';

export const auditQuery = z.strictObject({
  tenant: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  after: z.string().min(1).optional(),
});

export function registerAuditRoutes(app: FastifyInstance, deps: AdminDeps): void {
  app.get('/api/audit', async (request) => {
    const key = requireRole(request, 'admin', 'tenant_admin');
    const query = parseBody(auditQuery, request.query);
    const tenant = await listingTenant(deps.store, key, query.tenant);
    const tenantId = tenant?.id;
    const entries = await deps.store.audit.list({ tenantId, limit: query.limit, after: query.after });
    const last = entries.at(-1);
    const hasMore = last !== undefined && (await deps.store.audit.list({ tenantId, limit: 1, after: last.id })).length > 0;
    return { object: 'list', data: entries.map(auditJson), first_id: entries[0]?.id ?? null, last_id: last?.id ?? null, has_more: hasMore };
  });
}

function auditJson(e: AuditEntry) {
  return {
    id: e.id,
    object: 'audit_entry',
    at: e.at.toISOString(),
    actor_key_id: e.actorKeyId,
    actor_key_name: e.actorKeyName,
    actor_tenant_id: e.actorTenantId,
    action: e.action,
    target_type: e.targetType,
    target_id: e.targetId,
    tenant_id: e.tenantId,
    before: e.before,
    after: e.after,
  };
}
