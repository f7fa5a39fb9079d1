/**
 * Row types of the tables as Kysely sees them (the latest migration's shape). Only repositories
 * read these; the rest of Tessera sees the records of `types.ts`.
 *
 * Column conventions: ids and names are text; times are ISO-8601 UTC text with milliseconds
 * (`time.ts`), which sorts lexicographically in time order on every dialect; counts are integers.
 */

export interface ApiKeysTable {
  id: string;
  name: string;
  role: 'admin' | 'member';
  /** Nullable until tenants exist; issue 5 makes every key belong to one. */
  tenant_id: string | null;
  /** Lowercase hex sha256 of the secret; unique. */
  secret_hash: string;
  prefix: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
}

export interface UsageRecordsTable {
  /** Primary key: the idempotency key of `usage.record`. */
  request_id: string;
  key_id: string | null;
  model: string;
  endpoint: 'chat' | 'completion' | 'embedding';
  prompt_tokens: number;
  completion_tokens: number;
  cached_prompt_tokens: number;
  ttft_ms: number | null;
  duration_ms: number;
  outcome: 'ok' | 'error' | 'aborted';
  error_code: string | null;
  created_at: string;
}

export interface ModelsTable {
  name: string;
  engine: 'llama' | 'openai' | 'fake';
  file: string | null;
  url: string | null;
  /** The upstream operator's secret; never leaves the store except through getUpstreamSecret. */
  api_key: string | null;
  upstream_model: string | null;
  context_length: number | null;
  created_at: string;
}

export interface Database {
  api_keys: ApiKeysTable;
  usage_records: UsageRecordsTable;
  models: ModelsTable;
}
