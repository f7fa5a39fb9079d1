/**
 * API keys. Only the sha256 of a secret is stored (key-secret.ts says why that is enough), with a
 * short display prefix; records never carry either the secret or the hash.
 *
 * `verify` is on every request's path: one indexed lookup by hash, and a write only when
 * `last_used_at` is older than `LAST_USED_GRANULARITY_MS` (so at most one write per key per
 * minute, however busy the key). Revocation and expiry are read from the row each time, so they
 * take effect on the very next request; there is no cache to invalidate.
 */
import type { Kysely, Selectable } from 'kysely';
import { TesseraError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { displayPrefix, generateSecret, hashSecret } from './key-secret.js';
import { PLATFORM_TENANT_ID } from './migrations/0002_tenants_billing.js';
import type { ApiKeysTable, Database } from './schema.js';
import { fromStoredTime, fromStoredTimeOrNull, toStoredTime } from './time.js';
import type { ApiKeyRecord, CreateKeyInput, KeyRepository, StoreDeps } from './types.js';

/** `last_used_at` is informational; minute precision keeps verify almost read-only. */
export const LAST_USED_GRANULARITY_MS = 60_000;
/** How long a verified key's row is reused without a query (see `findByHash`). */
export const KEY_CACHE_MS = 1000;
const KEY_CACHE_MAX = 10_000;
/** Longer bearer strings are not ours; refuse before hashing attacker-sized input. */
const MAX_SECRET_LENGTH = 256;

/** Every column but `secret_hash`: the hash never leaves the database. */
const recordColumns = [
  'id',
  'name',
  'role',
  'tenant_id',
  'prefix',
  'allowed_models',
  'labels',
  'created_at',
  'expires_at',
  'revoked_at',
  'last_used_at',
] as const satisfies readonly (keyof ApiKeysTable)[];

type KeyRow = Pick<Selectable<ApiKeysTable>, (typeof recordColumns)[number]>;

export function createKeyRepository(db: Kysely<Database>, deps: StoreDeps): KeyRepository {
  const selectKeys = () => db.selectFrom('api_keys').select(recordColumns);
  // verify runs on every request: build and compile its lookup once and re-run it with each hash
  // (saves most of the ~60 µs Kysely spends building a query; the lookup itself costs ~10 µs).
  const byHash = selectKeys().where('secret_hash', '=', '').compile();
  if (byHash.parameters.length !== 1) throw new Error('key lookup must have exactly one parameter');
  const queryByHash = async (hash: string): Promise<KeyRow | undefined> =>
    (await db.executeQuery<KeyRow>({ ...byHash, parameters: [hash] })).rows[0];

  // Rows of keys verified in the last KEY_CACHE_MS, by hash: a busy key costs one query per
  // window instead of one per request. Revocation through this repository evicts at once;
  // the window bounds how long a change made by another process (another replica, a manual
  // UPDATE) can go unseen. Expiry is checked against the clock on every verify, cached or not.
  // An entry keeps its record built (frozen: every caller in the window shares it) and its times
  // as numbers, so a verify served from the cache parses and allocates nothing.
  const cache = new Map<string, CachedKey>();
  const findByHash = async (hash: string, nowMs: number): Promise<CachedKey | undefined> => {
    const hit = cache.get(hash);
    if (hit && nowMs - hit.fetchedAt < KEY_CACHE_MS) return hit;
    const row = await queryByHash(hash);
    if (!row) {
      cache.delete(hash);
      return undefined;
    }
    const entry = cachedKey(row, nowMs);
    if (cache.size >= KEY_CACHE_MAX) cache.delete(cache.keys().next().value!);
    cache.set(hash, entry);
    return entry;
  };
  const evict = (id: string): void => {
    for (const [hash, entry] of cache) if (entry.row.id === id) cache.delete(hash);
  };

  return {
    async create(input: CreateKeyInput) {
      validateCreate(input);
      const secret = generateSecret();
      const row: KeyRow = {
        id: newId('key'),
        name: input.name,
        role: input.role,
        tenant_id: input.tenantId ?? PLATFORM_TENANT_ID,
        prefix: displayPrefix(secret),
        allowed_models: input.allowedModels ? JSON.stringify(input.allowedModels) : null,
        labels: input.labels ? JSON.stringify(input.labels) : null,
        created_at: toStoredTime(deps.now()),
        expires_at: input.expiresAt ? toStoredTime(input.expiresAt) : null,
        revoked_at: null,
        last_used_at: null,
      };
      try {
        await db
          .insertInto('api_keys')
          .values({ ...row, secret_hash: hashSecret(secret) })
          .execute();
      } catch (err) {
        if (/FOREIGN KEY/i.test(String(err))) {
          throw new TesseraError('not_found', `No tenant has the id '${row.tenant_id}'.`, { param: 'tenant_id', cause: err });
        }
        throw err;
      }
      return { key: toRecord(row), secret };
    },

    async verify(secret: string) {
      if (secret.length === 0 || secret.length > MAX_SECRET_LENGTH) return null;
      const nowMs = deps.now().getTime();
      const entry = await findByHash(hashSecret(secret), nowMs);
      if (!entry) return null;
      if (entry.record.revokedAt !== null) return null;
      if (entry.expiresAtMs !== null && entry.expiresAtMs <= nowMs) return null;
      const staleBeforeMs = nowMs - LAST_USED_GRANULARITY_MS;
      if (entry.lastUsedAtMs === null || entry.lastUsedAtMs < staleBeforeMs) {
        const nowText = toStoredTime(new Date(nowMs));
        const staleBefore = toStoredTime(new Date(staleBeforeMs));
        // Conditional, so concurrent verifies of one key write at most once per window.
        await db
          .updateTable('api_keys')
          .set({ last_used_at: nowText })
          .where('id', '=', entry.record.id)
          .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', staleBefore)]))
          .execute();
        entry.lastUsedAtMs = nowMs;
        entry.record = frozenRecord({ ...entry.row, last_used_at: nowText });
      }
      return entry.record;
    },

    async list(filter = {}) {
      let query = selectKeys();
      if (filter.tenantId !== undefined) query = query.where('tenant_id', '=', filter.tenantId);
      const rows = await query.orderBy('created_at').orderBy('id').execute();
      return rows.map(toRecord);
    },

    async get(id: string) {
      const row = await selectKeys().where('id', '=', id).executeTakeFirst();
      return row ? toRecord(row) : null;
    },

    async revoke(id: string) {
      evict(id);
      // `revoked_at is null` keeps the first revocation time: revoking twice changes nothing.
      await db
        .updateTable('api_keys')
        .set({ revoked_at: toStoredTime(deps.now()) })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .execute();
      const row = await selectKeys().where('id', '=', id).executeTakeFirst();
      evict(id);
      return row ? toRecord(row) : null;
    },

    async count() {
      const { count } = await db
        .selectFrom('api_keys')
        .select((eb) => eb.fn.countAll().as('count'))
        .executeTakeFirstOrThrow();
      return Number(count);
    },
  };
}

function validateCreate(input: CreateKeyInput): void {
  if (typeof input.name !== 'string' || input.name.trim().length === 0) {
    throw new TesseraError('invalid_request', 'A key needs a non-empty name.', { param: 'name' });
  }
  if (!['admin', 'tenant_admin', 'member'].includes(input.role)) {
    throw new TesseraError('invalid_request', `role must be 'admin', 'tenant_admin' or 'member'.`, { param: 'role' });
  }
  if (input.allowedModels && !(Array.isArray(input.allowedModels) && input.allowedModels.every((m) => typeof m === 'string' && m))) {
    throw new TesseraError('invalid_request', 'allowed_models must be a list of model names.', { param: 'allowed_models' });
  }
  if (input.labels && Object.values(input.labels).some((v) => typeof v !== 'string')) {
    throw new TesseraError('invalid_request', 'labels must map names to strings.', { param: 'labels' });
  }
  if (input.expiresAt && !Number.isFinite(input.expiresAt.getTime())) {
    throw new TesseraError('invalid_request', 'expiresAt is not a valid date.', { param: 'expires_at' });
  }
}

interface CachedKey {
  readonly row: KeyRow;
  record: ApiKeyRecord;
  readonly fetchedAt: number;
  readonly expiresAtMs: number | null;
  lastUsedAtMs: number | null;
}

function cachedKey(row: KeyRow, fetchedAt: number): CachedKey {
  const record = frozenRecord(row);
  return {
    row,
    record,
    fetchedAt,
    expiresAtMs: record.expiresAt?.getTime() ?? null,
    lastUsedAtMs: record.lastUsedAt?.getTime() ?? null,
  };
}

function frozenRecord(row: KeyRow): ApiKeyRecord {
  const record = toRecord(row);
  if (record.allowedModels) Object.freeze(record.allowedModels);
  if (record.labels) Object.freeze(record.labels);
  return Object.freeze(record);
}

function toRecord(row: KeyRow): ApiKeyRecord {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    prefix: row.prefix,
    tenantId: row.tenant_id,
    allowedModels: row.allowed_models === null ? null : (JSON.parse(row.allowed_models) as string[]),
    labels: row.labels === null ? null : (JSON.parse(row.labels) as Record<string, string>),
    createdAt: fromStoredTime(row.created_at),
    expiresAt: fromStoredTimeOrNull(row.expires_at),
    revokedAt: fromStoredTimeOrNull(row.revoked_at),
    lastUsedAt: fromStoredTimeOrNull(row.last_used_at),
  };
}
