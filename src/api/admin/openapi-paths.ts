/**
 * The admin API's part of the OpenAPI document, from the same zod schemas the routes validate with.
 * Every operation also answers 401 (no/invalid key), 403 `permission_denied` (role too low) and
 * 404 `not_found`/`key_not_found` (unknown, or another tenant's: access.ts).
 */
import { z } from 'zod';
import { auditQuery } from './audit.js';
import { createKeyBody } from './keys.js';
import { chipPriceBody, modelPriceBody } from './prices.js';
import { rateLimitPut } from './rate-limits.js';
import { allowanceBody, createTenantBody, creditBody, patchAllowanceBody, patchTenantBody } from './tenants.js';
import { statementQuery, usageQuery } from './usage.js';

type Responses = Record<string, { description: string; content?: Record<string, { schema: unknown }> }>;

const json = (schema: z.ZodType) => ({ required: true, content: { 'application/json': { schema: z.toJSONSchema(schema, { io: 'input' }) } } });

function queryParameters(schema: z.ZodObject) {
  const shape = z.toJSONSchema(schema, { io: 'input' }) as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(shape.properties ?? {}).map(([name, s]) => ({ name, in: 'query', required: shape.required?.includes(name) ?? false, schema: s }));
}

const idParam = (name: string) => ({ name: 'id', in: 'path', required: true, schema: { type: 'string' }, description: name });

function op(summary: string, extra: { requestBody?: unknown; parameters?: unknown[]; ok?: string; created?: boolean; csv?: boolean } = {}) {
  const ok: Responses = {
    [extra.created ? '201' : '200']: {
      description: extra.ok ?? 'OK',
      content: { 'application/json': { schema: { type: 'object' } }, ...(extra.csv ? { 'text/csv': { schema: { type: 'string' } } } : {}) },
    },
  };
  return {
    summary,
    tags: ['admin'],
    ...(extra.parameters ? { parameters: extra.parameters } : {}),
    ...(extra.requestBody ? { requestBody: extra.requestBody } : {}),
    responses: {
      ...ok,
      '400': { description: 'Invalid request (invalid_request, unknown_parameter)' },
      '401': { description: 'Missing or invalid API key' },
      '403': { description: "permission_denied: the key's role may not use this endpoint" },
      '404': { description: "not_found / key_not_found: unknown, or another tenant's" },
    },
  };
}

export function adminPaths() {
  const tenant = [idParam('tenant id (or name)')];
  const key = [idParam('key id')];
  const allowance = { name: 'allowance', in: 'path', required: true, schema: { type: 'string' }, description: 'allowance id' };
  return {
    '/api/me': { get: op('The calling key and its tenant') },
    '/api/tenants': {
      get: op('List tenants (admin: all; tenant admin: its own)'),
      post: op('Create a tenant (admin)', { requestBody: json(createTenantBody), created: true }),
    },
    '/api/tenants/{id}': {
      get: op('Show a tenant', { parameters: tenant }),
      patch: op('Change spend limits (admin)', { parameters: tenant, requestBody: json(patchTenantBody) }),
    },
    '/api/tenants/{id}/budget': { get: op("The tenant's month charges, balance, reservations and remaining limit", { parameters: tenant }) },
    '/api/tenants/{id}/credits': { post: op('Add prepaid credit (admin)', { parameters: tenant, requestBody: json(creditBody), created: true }) },
    '/api/tenants/{id}/rate-limits': {
      get: op("The tenant's and its keys' rate limits", { parameters: tenant }),
      put: op('Set (or, with rpm and tpm null, remove) a tenant rate limit (admin)', { parameters: tenant, requestBody: json(rateLimitPut) }),
    },
    '/api/tenants/{id}/allowances': {
      get: op('Free token allowances', { parameters: tenant }),
      post: op('Grant a free token allowance (admin)', { parameters: tenant, requestBody: json(allowanceBody), created: true }),
    },
    '/api/tenants/{id}/allowances/{allowance}': {
      patch: op("Change an allowance's tokens or end (admin)", { parameters: [...tenant, allowance], requestBody: json(patchAllowanceBody) }),
      delete: op('End an allowance now; it stays listed (admin)', { parameters: [...tenant, allowance] }),
    },
    '/api/keys': {
      get: op('List keys (admin: all or ?tenant=; tenant admin: its tenant; member: its own key)', { parameters: [{ name: 'tenant', in: 'query', required: false, schema: { type: 'string' } }] }),
      post: op('Create a key; the secret is returned only here', { requestBody: json(createKeyBody), created: true }),
    },
    '/api/keys/{id}': { delete: op('Revoke a key at once', { parameters: key }) },
    '/api/keys/{id}/rate-limits': {
      get: op("The key's rate limits", { parameters: key }),
      put: op('Set (or remove) a key rate limit', { parameters: key, requestBody: json(rateLimitPut) }),
    },
    '/api/prices': { get: op('The price book: every version, with the one in force now marked') },
    '/api/prices/models': { post: op('Add a model price version (admin)', { requestBody: json(modelPriceBody), created: true }) },
    '/api/prices/chips': { post: op('Add an accelerator price version (admin)', { requestBody: json(chipPriceBody), created: true }) },
    '/api/usage': { get: op('Usage and charges grouped by model, key or day', { parameters: queryParameters(usageQuery), csv: true }) },
    '/api/statements': { get: op("A tenant's statement for a period", { parameters: queryParameters(statementQuery), csv: true }) },
    '/api/audit': { get: op('Audit log of admin actions, newest first', { parameters: queryParameters(auditQuery) }) },
  };
}
