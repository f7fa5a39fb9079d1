/** The audit log of admin actions: who did what, when, with the record before and after. Append-only. */
import type { Kysely, Selectable } from 'kysely';
import { TesseraError } from '../core/errors.js';
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
      const actor = row.actor_key_id === null ? undefined : await db.selectFrom('api_keys').select('name').where('id', '=', row.actor_key_id).executeTakeFirst();
      return toEntry({ ...row, actor_key_name: actor?.name ?? null });
    },

    async list({ tenantId, limit = 100, after }) {
      let query = db
        .selectFrom('audit_log')
        .leftJoin('api_keys', 'api_keys.id', 'audit_log.actor_key_id')
        .selectAll('audit_log')
        .select('api_keys.name as actor_key_name');
      if (tenantId !== undefined) query = query.where('audit_log.tenant_id', '=', tenantId);
      if (after !== undefined) {
        // Looked up within the same listing: another tenant's entry id is as unknown as a made-up one.
        let lookup = db.selectFrom('audit_log').select(['at', 'id']).where('id', '=', after);
        if (tenantId !== undefined) lookup = lookup.where('tenant_id', '=', tenantId);
        const cursor = await lookup.executeTakeFirst();
        if (!cursor) throw new TesseraError('invalid_request', `No audit entry has the id '${after}' to continue after.`, { param: 'after' });
        // (at, id) descending is the listing's order; continue strictly below the cursor.
        query = query.where((eb) => eb.or([eb('audit_log.at', '<', cursor.at), eb.and([eb('audit_log.at', '=', cursor.at), eb('audit_log.id', '<', cursor.id)])]));
      }
      const rows = await query.orderBy('audit_log.at', 'desc').orderBy('audit_log.id', 'desc').limit(Math.min(Math.max(limit, 1), 1000)).execute();
      return rows.map(toEntry);
    },
  };
}

function toEntry(row: Selectable<AuditLogTable> & { actor_key_name: string | null }): AuditEntry {
  return {
    id: row.id,
    at: fromStoredTime(row.at),
    actorKeyId: row.actor_key_id,
    actorKeyName: row.actor_key_name,
    actorTenantId: row.actor_tenant_id,
    action: row.action,
    targetType: row.target_type,
    targetId: row.target_id,
    tenantId: row.tenant_id,
    before: row.before === null ? null : JSON.parse(row.before),
    after: row.after === null ? null : JSON.parse(row.after),
  };
}
