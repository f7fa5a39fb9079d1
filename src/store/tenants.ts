/**
 * Tenants (internal teams and outside customers), their rate limits and free allowances.
 * Validation of amounts lives here too, so every caller (API, CLI, tests) gets the same refusals.
 */
import type { Kysely, Selectable } from 'kysely';
import { TesseraError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { AllowancesTable, Database, TenantsTable } from './schema.js';
import { fromStoredTime, toStoredTime } from './time.js';
import type { AllowanceRecord, RateLimitRecord, StoreDeps, TenantPatch, TenantRecord, TenantRepository } from './types.js';

export function createTenantRepository(db: Kysely<Database>, deps: StoreDeps): TenantRepository {
  const get = async (id: string): Promise<TenantRecord | null> => {
    const row = await db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toTenant(row) : null;
  };

  return {
    async create(input) {
      if (typeof input.name !== 'string' || !/^[a-z0-9][a-z0-9._-]{0,62}$/i.test(input.name)) {
        throw new TesseraError('invalid_request', 'A tenant name is 1-63 letters, digits, dots, dashes or underscores.', { param: 'name' });
      }
      if (input.kind !== 'internal' && input.kind !== 'external') {
        throw new TesseraError('invalid_request', "kind must be 'internal' or 'external'.", { param: 'kind' });
      }
      checkPatch(input);
      const taken = await db.selectFrom('tenants').select('id').where('name', '=', input.name).executeTakeFirst();
      if (taken) throw new TesseraError('invalid_request', `A tenant named '${input.name}' exists.`, { param: 'name' });
      const row: Selectable<TenantsTable> = {
        id: newId('tnt'),
        name: input.name,
        kind: input.kind,
        monthly_limit_micros: input.monthlyLimitMicros ?? null,
        limit_mode: input.limitMode ?? 'hard',
        prepaid: input.prepaid ? 1 : 0,
        created_at: toStoredTime(deps.now()),
      };
      await db.insertInto('tenants').values(row).execute();
      return toTenant(row);
    },

    async list() {
      return (await db.selectFrom('tenants').selectAll().orderBy('created_at').orderBy('id').execute()).map(toTenant);
    },

    get,

    async update(id, patch) {
      checkPatch(patch);
      const set: Partial<Selectable<TenantsTable>> = {};
      if (patch.monthlyLimitMicros !== undefined) set.monthly_limit_micros = patch.monthlyLimitMicros;
      if (patch.limitMode !== undefined) set.limit_mode = patch.limitMode;
      if (patch.prepaid !== undefined) set.prepaid = patch.prepaid ? 1 : 0;
      if (Object.keys(set).length > 0) await db.updateTable('tenants').set(set).where('id', '=', id).execute();
      return get(id);
    },

    async setRateLimit(limit) {
      for (const [name, value] of [['rpm', limit.rpm], ['tpm', limit.tpm]] as const) {
        if (value !== null && (!Number.isSafeInteger(value) || value <= 0)) {
          throw new TesseraError('invalid_request', `${name} must be a positive integer or null.`, { param: name });
        }
      }
      const key = { scope: limit.scope, scope_id: limit.scopeId, model: limit.model ?? '' };
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('rate_limits').where('scope', '=', key.scope).where('scope_id', '=', key.scope_id).where('model', '=', key.model).execute();
        if (limit.rpm !== null || limit.tpm !== null) {
          await trx.insertInto('rate_limits').values({ ...key, rpm: limit.rpm, tpm: limit.tpm }).execute();
        }
      });
    },

    async rateLimits(): Promise<RateLimitRecord[]> {
      const rows = await db.selectFrom('rate_limits').selectAll().execute();
      return rows.map((r) => ({ scope: r.scope, scopeId: r.scope_id, model: r.model === '' ? null : r.model, rpm: r.rpm, tpm: r.tpm }));
    },

    async addAllowance(input) {
      checkAllowanceTokens(input.tokens);
      if (!(await get(input.tenantId))) throw new TesseraError('not_found', `No tenant has the id '${input.tenantId}'.`, { param: 'tenant_id' });
      const row: Selectable<AllowancesTable> = {
        id: newId('alw'),
        tenant_id: input.tenantId,
        model: input.model,
        tokens: input.tokens,
        expires_at: toStoredTime(input.expiresAt),
        created_at: toStoredTime(deps.now()),
      };
      await db.insertInto('allowances').values(row).execute();
      return toAllowance(row);
    },

    async allowances(tenantId) {
      let query = db.selectFrom('allowances').selectAll();
      if (tenantId !== undefined) query = query.where('tenant_id', '=', tenantId);
      return (await query.orderBy('created_at').execute()).map(toAllowance);
    },

    async updateAllowance(id, patch) {
      if (patch.tokens !== undefined) checkAllowanceTokens(patch.tokens);
      const row = await db.selectFrom('allowances').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row) return null;
      if (patch.expiresAt !== undefined && patch.expiresAt.getTime() < fromStoredTime(row.created_at).getTime()) {
        throw new TesseraError('invalid_request', 'An allowance cannot end before it was granted.', { param: 'expires_at' });
      }
      const changes = {
        ...(patch.tokens !== undefined ? { tokens: patch.tokens } : {}),
        ...(patch.expiresAt !== undefined ? { expires_at: toStoredTime(patch.expiresAt) } : {}),
      };
      if (Object.keys(changes).length === 0) return toAllowance(row);
      await db.updateTable('allowances').set(changes).where('id', '=', id).execute();
      return toAllowance({ ...row, ...changes });
    },
  };
}

function checkPatch(patch: TenantPatch): void {
  const limit = patch.monthlyLimitMicros;
  if (limit !== undefined && limit !== null && (!Number.isSafeInteger(limit) || limit < 0)) {
    throw new TesseraError('invalid_request', 'The monthly limit is a non-negative whole number of micro-units.', { param: 'monthly_limit_micros' });
  }
  if (patch.limitMode !== undefined && patch.limitMode !== 'hard' && patch.limitMode !== 'soft') {
    throw new TesseraError('invalid_request', "limit_mode must be 'hard' or 'soft'.", { param: 'limit_mode' });
  }
}

function toTenant(row: Selectable<TenantsTable>): TenantRecord {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    monthlyLimitMicros: row.monthly_limit_micros === null ? null : Number(row.monthly_limit_micros),
    limitMode: row.limit_mode,
    prepaid: Boolean(row.prepaid),
    createdAt: fromStoredTime(row.created_at),
  };
}

function checkAllowanceTokens(tokens: number): void {
  if (!Number.isSafeInteger(tokens) || tokens <= 0) {
    throw new TesseraError('invalid_request', 'An allowance is a positive whole number of tokens.', { param: 'tokens' });
  }
}

function toAllowance(row: Selectable<AllowancesTable>): AllowanceRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    model: row.model,
    tokens: Number(row.tokens),
    expiresAt: fromStoredTime(row.expires_at),
    createdAt: fromStoredTime(row.created_at),
  };
}
