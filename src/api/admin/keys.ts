/**
 * /api/keys: create, list and revoke API keys (admin keys only, until tenants arrive). A key's
 * secret is returned once, by `create`, and never again.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { TesseraError } from '../../core/errors.js';
import type { Store } from '../../store/index.js';
import { requireAdmin } from '../auth.js';
import { parseBody } from '../validate.js';

const createKeyBody = z.strictObject({
  name: z.string().min(1).max(100),
  role: z.enum(['admin', 'member']).default('member'),
  expires_at: z.iso.datetime({ offset: true }).nullable().optional(),
});

export function registerKeyRoutes(app: FastifyInstance, store: Store, now: () => Date): void {
  app.get('/api/keys', async (request) => {
    requireAdmin(request);
    return { object: 'list', data: (await store.keys.list()).map(keyBody) };
  });

  app.post('/api/keys', async (request, reply) => {
    requireAdmin(request);
    const body = parseBody(createKeyBody, request.body);
    const expiresAt = body.expires_at ? new Date(body.expires_at) : null;
    if (expiresAt && expiresAt <= now()) {
      throw new TesseraError('invalid_request', 'expires_at must be in the future.', { param: 'expires_at' });
    }
    const { key, secret } = await store.keys.create({ name: body.name, role: body.role, expiresAt });
    return reply.code(201).send({ ...keyBody(key), secret });
  });

  app.delete<{ Params: { id: string } }>('/api/keys/:id', async (request) => {
    requireAdmin(request);
    const key = await store.keys.get(request.params.id);
    if (!key) throw new TesseraError('key_not_found', `No API key with id '${request.params.id}'.`);
    await store.keys.revoke(key.id);
    return { ...keyBody((await store.keys.get(key.id)) ?? key), revoked: true };
  });
}

type KeyRecord = Awaited<ReturnType<Store['keys']['list']>>[number];

function keyBody(key: KeyRecord) {
  return {
    id: key.id,
    name: key.name,
    role: key.role,
    prefix: key.prefix,
    tenant_id: key.tenantId,
    created_at: key.createdAt.toISOString(),
    expires_at: key.expiresAt?.toISOString() ?? null,
    revoked_at: key.revokedAt?.toISOString() ?? null,
    last_used_at: key.lastUsedAt?.toISOString() ?? null,
  };
}
