// The shapes the console reads from the HTTP API (src/api/**). Money is integer micro-units.

export type Role = 'admin' | 'tenant_admin' | 'member';

export interface List<T> {
  object: 'list';
  data: T[];
}

/** A list the server pages (`?after=<last_id>` continues it). */
export interface PagedList<T> extends List<T> {
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}

export interface ApiKey {
  id: string;
  name: string;
  role: Role;
  prefix: string;
  tenant_id: string;
  allowed_models: string[] | null;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
}

export interface Model {
  id: string;
  tessera?: { engine: string; device: string; context_length: number; random_weights: boolean; note?: string };
}

export interface Sampling {
  temperature?: number | null;
  top_p?: number | null;
  max_tokens?: number | null;
}

export interface Conversation {
  id: string;
  title: string;
  model: string | null;
  system_prompt: string | null;
  settings: Sampling | null;
  created_at: string;
  updated_at: string;
}

export interface MessageUsage {
  prompt_tokens: number;
  completion_tokens: number | null;
  cost_micros: number | null;
}

export interface Message {
  id: string;
  seq: number;
  role: 'system' | 'user' | 'assistant';
  content: string;
  model: string | null;
  request_id: string | null;
  usage: MessageUsage | null;
  created_at: string;
}

export interface ConversationWithMessages extends Conversation {
  messages: Message[];
}

export interface Tenant {
  id: string;
  name: string;
  kind: 'internal' | 'external';
  monthly_limit_micros: number | null;
  limit_mode: 'hard' | 'soft';
  prepaid: boolean;
  created_at: string;
}

export interface Budget {
  tenant_id: string;
  monthly_limit_micros: number | null;
  limit_mode: 'hard' | 'soft';
  prepaid: boolean;
  month_charges_micros: number;
  balance_micros: number;
  reserved_micros: number;
  remaining_micros: number | null;
  over_limit: boolean;
}

/** Requests and/or tokens per minute for a tenant or a key, on every model (`model: null`) or one. */
export interface RateLimit {
  scope: 'tenant' | 'key';
  scope_id: string;
  model: string | null;
  rpm: number | null;
  tpm: number | null;
}

/** Free tokens of one model for a tenant, used before anything is charged, until `expires_at`. */
export interface Allowance {
  id: string;
  tenant_id: string;
  model: string;
  tokens: number;
  expires_at: string;
  created_at: string;
}

/** One admin action (GET /api/audit), newest first; `before`/`after` are the records as JSON. */
export interface AuditEntry {
  id: string;
  at: string;
  actor_key_id: string;
  /** The acting key's name (null when the entry has no key). */
  actor_key_name: string | null;
  actor_tenant_id: string;
  action: string;
  target_type: string;
  target_id: string | null;
  tenant_id: string | null;
  before: unknown;
  after: unknown;
}

export interface Sums {
  requests: number;
  prompt_tokens: number;
  cached_tokens: number;
  completion_tokens: number;
  allowance_tokens: number;
  accelerator_ms: number;
  amount_micros: number;
}

export type UsageBy = 'day' | 'model' | 'key';

export interface UsageRow extends Sums {
  group: string | null;
}

export interface Statement {
  tenant: { id: string; name: string; kind: string };
  period: string | null;
  from: string;
  to: string;
  lines_by_model: Array<Sums & { model: string; price: { id: string; effective_from: string; input_per_mtok: number; output_per_mtok: number } | null }>;
  lines_by_key: Array<Sums & { key_id: string | null; key_name: string | null }>;
  lines_by_chip: Array<Sums & { chip_type: string }>;
  allowance_tokens_used: number;
  total_micros: number;
  credits_micros: number;
  net_micros: number;
}

// ── Models and fleet (src/api/models.ts; platform admins only in the console) ──────────────────

export interface MemoryEstimate {
  weightBytes: number;
  kvCacheBytes: number;
  computeBytes: number;
  tokenizerBytes: number;
  totalBytes: number;
  perSequenceBytes: number;
}

export interface InstalledModel {
  name: string;
  /** `installed` (a file, not loaded), or the router's state: `loading`, `ready`, `failed`. */
  status: string;
  engine: string;
  file: string | null;
  info: { fileBytes: number; weightBytes: number; parameters: number; quantization: string; architecture: string; randomWeights: boolean } | null;
  error: string | null;
  memory: (MemoryEstimate & { fitsOn: string[] }) | null;
  device: string | null;
}

export interface CatalogModel {
  name: string;
  family: string;
  quant: string;
  url: string;
  parameters: number;
  approxBytes: number;
  installed: boolean;
  memory: MemoryEstimate;
  fitsOn: string[];
}

export interface Chip {
  id: string;
  vendor: string;
  name: string;
  memoryBytes: number;
  backend: string;
}

export interface PullJob {
  id: string;
  source: string;
  name: string | null;
  status: 'running' | 'done' | 'failed';
  received_bytes: number;
  total_bytes: number | null;
  error: string | null;
  started_at: string;
}

export interface FleetNode {
  id: string;
  hostname: string;
  cpus: { count: number; model: string };
  memoryBytes: number;
  samples: Array<{ at: string; cpu_pct: number; memory_used_bytes: number; process_rss_bytes: number }>;
  accelerators: Array<{ device: string; models: string[] }>;
  models: Array<{ name: string; engine: string; device: string }>;
}
