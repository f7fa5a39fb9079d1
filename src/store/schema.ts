/**
 * Table types for Kysely. Conventions: ids are text; times are integer epoch milliseconds (UTC),
 * portable between SQLite and PostgreSQL (bigint); money, when it arrives, is integer micro-units.
 */
import type { Generated } from 'kysely';

export interface ApiKeysTable {
  id: string;
  name: string;
  role: 'admin' | 'member';
  /** Null until tenants exist (issue 5); every key will then belong to one. */
  tenant_id: string | null;
  /** sha256 of the secret, hex. Keys are 256-bit random, so a fast hash is enough (no brute force). */
  secret_hash: string;
  /** First characters of the secret, for people to recognise a key in lists. */
  prefix: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
}

export interface UsageTable {
  seq: Generated<number>;
  request_id: string;
  key_id: string | null;
  model: string;
  endpoint: string;
  prompt_tokens: number;
  completion_tokens: number;
  cached_prompt_tokens: number;
  ttft_ms: number | null;
  duration_ms: number;
  outcome: string;
  error_code: string | null;
  created_at: number;
}

export interface ModelsTable {
  name: string;
  engine: 'llama' | 'openai' | 'fake';
  file: string | null;
  url: string | null;
  api_key: string | null;
  upstream_model: string | null;
  created_at: number;
}

export interface Database {
  api_keys: ApiKeysTable;
  usage: UsageTable;
  models: ModelsTable;
}
