/**
 * Repositories over the tables. Contracts: key secrets are never stored or returned after
 * creation (only their sha256); usage rows are idempotent by request id (a replay is ignored) and
 * durable when `record` resolves; a declared upstream's API key is never returned by `list`.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { TesseraError } from '../core/errors.js';
import type { ApiKeysTable, Database, ModelsTable, UsageTable } from './schema.js';

export interface ApiKeyRecord {
  id: string;
  name: string;
  role: 'admin' | 'member';
  tenantId: string | null;
  prefix: string;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

export interface UsageRecord {
  requestId: string;
  keyId: string | null;
  model: string;
  endpoint: string;
  promptTokens: number;
  completionTokens: number;
  cachedPromptTokens?: number;
  ttftMs: number | null;
  durationMs: number;
  outcome: 'ok' | 'error' | 'aborted';
  errorCode: string | null;
  createdAt?: Date;
}

export interface ModelRecord {
  name: string;
  engine: 'llama' | 'openai' | 'fake';
  file?: string;
  url?: string;
  apiKey?: string;
  upstreamModel?: string;
}

const date = (ms: number | null): Date | null => (ms === null ? null : new Date(Number(ms)));
const hashSecret = (secret: string): string => createHash('sha256').update(secret).digest('hex');

function toKey(row: Selectable<ApiKeysTable>): ApiKeyRecord {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    tenantId: row.tenant_id,
    prefix: row.prefix,
    createdAt: new Date(Number(row.created_at)),
    expiresAt: date(row.expires_at),
    revokedAt: date(row.revoked_at),
    lastUsedAt: date(row.last_used_at),
  };
}

function toUsage(row: Selectable<UsageTable>): UsageRecord {
  return {
    requestId: row.request_id,
    keyId: row.key_id,
    model: row.model,
    endpoint: row.endpoint,
    promptTokens: row.prompt_tokens,
    completionTokens: row.completion_tokens,
    cachedPromptTokens: row.cached_prompt_tokens,
    ttftMs: row.ttft_ms,
    durationMs: row.duration_ms,
    outcome: row.outcome as UsageRecord['outcome'],
    errorCode: row.error_code,
    createdAt: new Date(Number(row.created_at)),
  };
}

export function keysRepository(db: Kysely<Database>, now: () => Date) {
  return {
    async count(): Promise<number> {
      const row = await db.selectFrom('api_keys').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      return Number(row.n);
    },
    async create(input: { name: string; role: 'admin' | 'member'; tenantId?: string | null; expiresAt?: Date | null }) {
      const secret = `sk-tess-${randomBytes(32).toString('base64url')}`;
      const row = {
        id: `key_${randomUUID().replaceAll('-', '').slice(0, 20)}`,
        name: input.name,
        role: input.role,
        tenant_id: input.tenantId ?? null,
        secret_hash: hashSecret(secret),
        prefix: secret.slice(0, 12),
        created_at: now().getTime(),
        expires_at: input.expiresAt?.getTime() ?? null,
        revoked_at: null,
        last_used_at: null,
      };
      await db.insertInto('api_keys').values(row).execute();
      return { key: toKey(row), secret };
    },
    /** The active key for a secret, or null (unknown, revoked or expired). */
    async verify(secret: string): Promise<ApiKeyRecord | null> {
      const row = await db.selectFrom('api_keys').selectAll().where('secret_hash', '=', hashSecret(secret)).executeTakeFirst();
      if (!row) return null;
      const at = now().getTime();
      if (row.revoked_at !== null || (row.expires_at !== null && Number(row.expires_at) <= at)) return null;
      // last_used_at is informational: written without awaiting so auth adds no write latency.
      void db.updateTable('api_keys').set({ last_used_at: at }).where('id', '=', row.id).execute().catch(() => undefined);
      return toKey(row);
    },
    async list(): Promise<ApiKeyRecord[]> {
      return (await db.selectFrom('api_keys').selectAll().orderBy('created_at').execute()).map(toKey);
    },
    async get(id: string): Promise<ApiKeyRecord | null> {
      const row = await db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toKey(row) : null;
    },
    /** Idempotent: revoking twice keeps the first revocation time. */
    async revoke(id: string): Promise<void> {
      await db.updateTable('api_keys').set({ revoked_at: now().getTime() }).where('id', '=', id).where('revoked_at', 'is', null).execute();
    },
  };
}

export function usageRepository(db: Kysely<Database>, now: () => Date) {
  return {
    async record(row: UsageRecord): Promise<void> {
      await db
        .insertInto('usage')
        .values({
          request_id: row.requestId,
          key_id: row.keyId,
          model: row.model,
          endpoint: row.endpoint,
          prompt_tokens: row.promptTokens,
          completion_tokens: row.completionTokens,
          cached_prompt_tokens: row.cachedPromptTokens ?? 0,
          ttft_ms: row.ttftMs,
          duration_ms: row.durationMs,
          outcome: row.outcome,
          error_code: row.errorCode,
          created_at: (row.createdAt ?? now()).getTime(),
        })
        .onConflict((oc) => oc.column('request_id').doNothing())
        .execute();
    },
    /** Newest first. */
    async list(filter: { limit: number; keyId?: string; model?: string }): Promise<UsageRecord[]> {
      let query = db.selectFrom('usage').selectAll().orderBy('seq', 'desc').limit(filter.limit);
      if (filter.keyId) query = query.where('key_id', '=', filter.keyId);
      if (filter.model) query = query.where('model', '=', filter.model);
      return (await query.execute()).map(toUsage);
    },
  };
}

export function modelsRepository(db: Kysely<Database>, now: () => Date) {
  const toDeclaration = (row: Selectable<ModelsTable>): ModelRecord => ({
    name: row.name,
    engine: row.engine,
    file: row.file ?? undefined,
    url: row.url ?? undefined,
    apiKey: row.api_key ?? undefined,
    upstreamModel: row.upstream_model ?? undefined,
  });
  return {
    async add(model: ModelRecord): Promise<void> {
      const existing = await db.selectFrom('models').select('name').where('name', '=', model.name).executeTakeFirst();
      if (existing) throw new TesseraError('model_exists', `A model named "${model.name}" is already declared.`);
      await db
        .insertInto('models')
        .values({
          name: model.name,
          engine: model.engine,
          file: model.file ?? null,
          url: model.url ?? null,
          api_key: model.apiKey ?? null,
          upstream_model: model.upstreamModel ?? null,
          created_at: now().getTime(),
        })
        .execute();
    },
    /** Public view: whether an upstream key is set, never the key. */
    async list(): Promise<Array<Omit<ModelRecord, 'apiKey'> & { hasApiKey: boolean }>> {
      const rows = await db.selectFrom('models').selectAll().orderBy('name').execute();
      return rows.map((row) => {
        const { apiKey, ...rest } = toDeclaration(row);
        return { ...rest, hasApiKey: apiKey !== undefined };
      });
    },
    /** What the server needs to start the engines, upstream keys included (server-side only). */
    async declarations(): Promise<ModelRecord[]> {
      return (await db.selectFrom('models').selectAll().orderBy('name').execute()).map(toDeclaration);
    },
    async remove(name: string): Promise<boolean> {
      const result = await db.deleteFrom('models').where('name', '=', name).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
  };
}
