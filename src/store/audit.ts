/** The audit log of admin actions: who did what, when, with the record before and after. Append-only. */
import type { Kysely, Selectable } from 'kysely';
import { newId } from '../core/ids.js';
import type { AuditLogTable, Database } from './schema.js';
import { fromStoredTime, toStoredTime } from './time.js';
import type { AuditEntry, AuditRepository, StoreDeps } from './types.js';

export function createAuditRepository(db: Kysely<Database>, deps: StoreDeps): AuditRepository {
  return {
    async append(entry) {
      const row: Selectable<AuditLogTable> = {
        id: newId('aud'),
        at: toStoredTime(deps.now()),
        actor_key_id: entry.actorKeyId,
        actor_tenant_id: entry.actorTenantId,
        action: entry.action,
        target_type: entry.targetType,
        target_id: entry.targetId,
        tenant_id: entry.tenantId,
        before: entry.before === undefined || entry.before === null ? null : JSON.stringify(entry.before),
        after: entry.after === undefined || entry.after === null ? null : JSON.stringify(entry.after),
      };
      await db.insertInto('audit_log').values(row).execute();
      return toEntry(row);
    },

    async list({ tenantId, limit = 100 }) {
      let query = db.selectFrom('audit_log').selectAll();
      if (tenantId !== undefined) query = query.where('tenant_id', '=', tenantId);
      const rows = await query.orderBy('at', 'desc').orderBy('id', 'desc').limit(Math.min(Math.max(limit, 1), 1000)).execute();
      return rows.map(toEntry);
    },
  };
}

function toEntry(row: Selectable<AuditLogTable>): AuditEntry {
  return {
    id: row.id,
    at: fromStoredTime(row.at),
    actorKeyId: row.actor_key_id,
    actorTenantId: row.actor_tenant_id,
    action: row.action,
    targetType: row.target_type,
    targetId: row.target_id,
    tenantId: row.tenant_id,
    before: row.before === null ? null : JSON.parse(row.before),
    after: row.after === null ? null : JSON.parse(row.after),
  };
}
