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
  role: 'admin' | 'tenant_admin' | 'member';
  tenant_id: string;
  /** Lowercase hex sha256 of the secret; unique. */
  secret_hash: string;
  prefix: string;
  /** JSON array of model names, or null for every model. */
  allowed_models: string | null;
  /** JSON object of string labels, or null. */
  labels: string | null;
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

export interface TenantsTable {
  id: string;
  name: string;
  kind: 'internal' | 'external';
  monthly_limit_micros: number | null;
  limit_mode: 'hard' | 'soft';
  /** 0 or 1 (portable boolean). */
  prepaid: number;
  created_at: string;
}

export interface RateLimitsTable {
  scope: 'key' | 'tenant';
  scope_id: string;
  model: string;
  rpm: number | null;
  tpm: number | null;
}

export interface ModelPricesTable {
  id: string;
  model: string;
  effective_from: string;
  input_per_mtok: number;
  cached_input_per_mtok: number;
  output_per_mtok: number;
  created_at: string;
}

export interface ChipPricesTable {
  id: string;
  chip_type: string;
  effective_from: string;
  per_hour: number;
  created_at: string;
}

export interface AllowancesTable {
  id: string;
  tenant_id: string;
  model: string;
  tokens: number;
  expires_at: string;
  created_at: string;
}

export interface LedgerTable {
  id: string;
  tenant_id: string;
  kind: 'usage' | 'credit' | 'adjustment';
  request_id: string | null;
  key_id: string | null;
  model: string | null;
  prompt_tokens: number;
  cached_tokens: number;
  completion_tokens: number;
  allowance_tokens: number;
  chip_type: string | null;
  accelerator_ms: number;
  amount_micros: number;
  price_id: string | null;
  occurred_at: string;
  created_at: string;
  note: string | null;
  /** 0004: set on usage entries settled since; such an entry is also the request's usage record. */
  endpoint: 'chat' | 'completion' | 'embedding' | null;
  ttft_ms: number | null;
  duration_ms: number | null;
  outcome: 'ok' | 'error' | 'aborted' | null;
  error_code: string | null;
}

export interface InflightTable {
  request_id: string;
  tenant_id: string;
  key_id: string | null;
  model: string;
  endpoint: string;
  reserved_micros: number;
  prompt_tokens: number;
  completion_tokens: number;
  started_at: string;
  updated_at: string;
}

export interface AuditLogTable {
  id: string;
  at: string;
  actor_key_id: string | null;
  actor_tenant_id: string | null;
  action: string;
  target_type: string;
  target_id: string | null;
  tenant_id: string | null;
  before: string | null;
  after: string | null;
}

export interface ConversationsTable {
  id: string;
  tenant_id: string;
  key_id: string;
  title: string;
  model: string | null;
  system_prompt: string | null;
  settings: string | null;
  created_at: string;
  updated_at: string;
}

export interface ConversationMessagesTable {
  id: string;
  conversation_id: string;
  seq: number;
  role: 'system' | 'user' | 'assistant';
  content: string;
  model: string | null;
  request_id: string | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  cost_micros: number | null;
  created_at: string;
}

export interface Database {
  api_keys: ApiKeysTable;
  usage_records: UsageRecordsTable;
  /** 0004: usage_records ∪ the ledger's usage entries that carry an outcome (read only). */
  usage_view: UsageRecordsTable;
  models: ModelsTable;
  tenants: TenantsTable;
  rate_limits: RateLimitsTable;
  model_prices: ModelPricesTable;
  chip_prices: ChipPricesTable;
  allowances: AllowancesTable;
  ledger: LedgerTable;
  inflight: InflightTable;
  audit_log: AuditLogTable;
  conversations: ConversationsTable;
  conversation_messages: ConversationMessagesTable;
}
