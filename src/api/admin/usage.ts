/**
 * /api/usage (sums by model, key or day) and /api/statements (a tenant's bill for a period), as
 * JSON or CSV (`format=csv`, or `Accept: text/csv`). Both read the ledger (statement.ts).
 * Access: a platform admin any tenant (usage: all tenants when none is named); a tenant admin its
 * own tenant; a member its own key's usage only, and no statements.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { TesseraError } from '../../core/errors.js';
import { parseBody } from '../validate.js';
import { listingTenant, requireRole, type AdminDeps } from './access.js';
import { buildStatement, statementCsv, usageCsv, usageTotals } from './statement.js';

const time = z.union([z.iso.datetime({ offset: true }), z.iso.date()], { error: 'expected an ISO-8601 time (2026-01-31T00:00:00Z) or date (2026-01-31)' });
const format = z.enum(['json', 'csv']).optional();

export const usageQuery = z.strictObject({
  tenant: z.string().min(1).optional(),
  key: z.string().min(1).optional(),
  from: time.optional(),
  to: time.optional(),
  by: z.enum(['model', 'key', 'day']).default('model'),
  format,
});

export const statementQuery = z.strictObject({
  tenant: z.string().min(1).optional(),
  period: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'expected a month as YYYY-MM').optional(),
  from: time.optional(),
  to: time.optional(),
  format,
});

export function registerUsageRoutes(app: FastifyInstance, deps: AdminDeps): void {
  const { store, now } = deps;

  app.get('/api/usage', async (request, reply) => {
    const key = requireRole(request, 'admin', 'tenant_admin', 'member');
    const query = parseBody(usageQuery, request.query);
    const tenant = await listingTenant(store, key, query.tenant);
    let keyId = query.key;
    if (key.role === 'member') {
      // A member's usage is its own key's, whatever key it names (another key reads as absent).
      if (keyId !== undefined && keyId !== key.id) throw new TesseraError('key_not_found', `No API key with id '${keyId}'.`, { param: 'key' });
      keyId = key.id;
    } else if (keyId !== undefined && tenant) {
      const named = await store.keys.get(keyId);
      if (!named || named.tenantId !== tenant.id) throw new TesseraError('key_not_found', `No API key with id '${keyId}'.`, { param: 'key' });
    }
    const from = query.from ? new Date(query.from) : undefined;
    const to = query.to ? new Date(query.to) : undefined;
    checkRange(from, to);
    const data = await usageTotals(store, { tenantId: tenant?.id, keyId, from, to }, query.by);
    if (wantsCsv(request, query.format)) {
      return sendCsv(reply, `usage-${tenant?.name ?? 'all'}-by-${query.by}.csv`, usageCsv(data));
    }
    return { object: 'list', tenant_id: tenant?.id ?? null, key_id: keyId ?? null, from: from?.toISOString() ?? null, to: to?.toISOString() ?? null, by: query.by, data };
  });

  app.get('/api/statements', async (request, reply) => {
    const key = requireRole(request, 'admin', 'tenant_admin');
    const query = parseBody(statementQuery, request.query);
    const tenant = await listingTenant(store, key, query.tenant);
    if (!tenant) throw new TesseraError('invalid_request', "Missing required parameter: 'tenant' (a statement is per tenant).", { param: 'tenant' });
    const range = statementRange(query, now());
    const statement = await buildStatement(store, tenant, range);
    if (wantsCsv(request, query.format)) {
      return sendCsv(reply, `statement-${tenant.name}-${range.period ?? `${query.from}-${query.to}`}.csv`, statementCsv(statement));
    }
    return statement;
  });
}

/** `period=YYYY-MM` (UTC month), else `from`/`to` (both needed), else the current UTC month. */
function statementRange(query: z.infer<typeof statementQuery>, now: Date): { from: Date; to: Date; period: string | null } {
  if (query.period !== undefined) {
    if (query.from !== undefined || query.to !== undefined) {
      throw new TesseraError('invalid_request', 'Give either period or from/to, not both.', { param: 'period' });
    }
    const [year, month] = query.period.split('-').map(Number);
    return { from: new Date(Date.UTC(year, month - 1, 1)), to: new Date(Date.UTC(year, month, 1)), period: query.period };
  }
  if (query.from !== undefined || query.to !== undefined) {
    if (query.from === undefined || query.to === undefined) {
      throw new TesseraError('invalid_request', 'A statement range needs both from and to (or a period=YYYY-MM).', { param: query.from === undefined ? 'from' : 'to' });
    }
    const from = new Date(query.from);
    const to = new Date(query.to);
    checkRange(from, to);
    return { from, to, period: null };
  }
  const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  return { from, to: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)), period: from.toISOString().slice(0, 7) };
}

function checkRange(from: Date | undefined, to: Date | undefined): void {
  if (from && to && from.getTime() >= to.getTime()) {
    throw new TesseraError('invalid_request', 'from must be before to (the range is half-open: from inclusive, to exclusive).', { param: 'to' });
  }
}

function wantsCsv(request: FastifyRequest, format: 'json' | 'csv' | undefined): boolean {
  if (format !== undefined) return format === 'csv';
  return /\btext\/csv\b/i.test(request.headers.accept ?? '');
}

function sendCsv(reply: FastifyReply, filename: string, body: string) {
  return reply
    .type('text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${filename.replace(/[^\w.-]/g, '_')}"`)
    .send(body);
}
