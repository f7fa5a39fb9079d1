/**
 * The store's public contract: repositories over the database, independent of the dialect.
 * Every dialect (SQLite today, PostgreSQL later) passes the same conformance suite
 * (`store.conformance.ts`) against these interfaces.
 *
 * Conventions (docs/store.md): ids are text; times cross this boundary as `Date` and are stored as
 * ISO-8601 UTC text with milliseconds; token counts and durations are integers; money (later) is
 * integer micro-units. No record ever carries a secret: key hashes and upstream API keys stay inside.
 */
import type { ModelDeclaration } from '../core/config.js';

/** Where the database lives. PostgreSQL (`{ kind: 'postgres'; url: string }`) comes later. */
export type StoreOptions = {
  kind: 'sqlite';
  /** Path of the database file; created with its parent's permissions when missing. */
  file: string;
  /**
   * SQLite `synchronous` under WAL. `NORMAL` (default): a write is durable against any process
   * crash (SIGKILL, OOM) once it returns; an OS crash or power loss may roll back the last
   * transactions, never corrupt the file. `FULL`: also survives power loss, at one fsync per commit.
   */
  synchronous?: 'NORMAL' | 'FULL';
  /**
   * A background thread that checkpoints the WAL and writes journal batches into the database,
   * which are made durable by one append to `<file>-metering.log` (sqlite-metering-log.ts), so
   * that requests pay for neither: for a long-running server, one per database file. Ignored for
   * `:memory:`.
   */
  background?: boolean;
  /** Where a failing background thread is reported (the serving connection then does its work). */
  onBackgroundError?: (err: unknown) => void;
};

export interface StoreDeps {
  /** The wall clock; every stored time and every expiry check reads it (tests inject a fake). */
  now: () => Date;
}

export interface Store {
  readonly keys: KeyRepository;
  readonly usage: UsageRepository;
  readonly models: ModelRepository;
  readonly tenants: TenantRepository;
  readonly billing: BillingRepository;
  readonly audit: AuditRepository;
  readonly conversations: ConversationRepository;
  /** Closes the database. Idempotent; repositories must not be used afterwards. */
  close(): Promise<void>;
}

// ── keys ─────────────────────────────────────────────────────────────────────────────────────────

/**
 * `admin`: the platform operator (every tenant, prices, models). `tenant_admin`: its own tenant's
 * keys, usage, budget and statements. `member`: inference, and its own key's usage.
 */
export type ApiKeyRole = 'admin' | 'tenant_admin' | 'member';

/** An API key as the rest of Tessera sees it: never the secret, never its hash. */
export interface ApiKeyRecord {
  id: string;
  name: string;
  role: ApiKeyRole;
  /** First characters of the secret (`sk-tess-AbCd`), to tell keys apart in lists. */
  prefix: string;
  /** The owning tenant. */
  tenantId: string;
  /** Models this key may call; null = every model. */
  allowedModels: string[] | null;
  labels: Record<string, string> | null;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  /** Coarse: updated at most once per `LAST_USED_GRANULARITY_MS` per key (keys.ts). */
  lastUsedAt: Date | null;
}

export interface CreateKeyInput {
  name: string;
  role: ApiKeyRole;
  /** Default: the `platform` tenant created by migration 0002. */
  tenantId?: string;
  expiresAt?: Date | null;
  allowedModels?: string[] | null;
  labels?: Record<string, string> | null;
}

export interface KeyRepository {
  /** Creates a key. `secret` is returned here once and is not recoverable afterwards. */
  create(input: CreateKeyInput): Promise<{ key: ApiKeyRecord; secret: string }>;
  /** The key for a presented secret, or null when unknown, revoked or expired (at `deps.now()`). */
  verify(secret: string): Promise<ApiKeyRecord | null>;
  /** All keys (of one tenant when given), revoked and expired included, oldest first. */
  list(filter?: { tenantId?: string }): Promise<ApiKeyRecord[]>;
  get(id: string): Promise<ApiKeyRecord | null>;
  /**
   * Revokes a key; effective for the next `verify`. Idempotent: revoking again keeps the first
   * `revokedAt`. Returns the key as it now is, or null when no key has this id.
   */
  revoke(id: string): Promise<ApiKeyRecord | null>;
  /** Number of keys ever created (revoked included): 0 means "first start". */
  count(): Promise<number>;
}

// ── usage ────────────────────────────────────────────────────────────────────────────────────────

export type UsageEndpoint = 'chat' | 'completion' | 'embedding';
export type UsageOutcome = 'ok' | 'error' | 'aborted';

export interface UsageInput {
  /** Idempotency key: a second row with the same request id is ignored (first write wins). */
  requestId: string;
  /** The authenticated key; null only for requests that had none. */
  keyId: string | null;
  model: string;
  endpoint: UsageEndpoint;
  /** Tokens actually processed/produced (also for errors and aborts), non-negative integers. */
  promptTokens: number;
  completionTokens: number;
  /** Prompt tokens served from a prefix cache (subset of promptTokens). Default 0. */
  cachedPromptTokens?: number;
  /** Milliseconds to the first token; null when none came. Stored rounded to whole ms. */
  ttftMs: number | null;
  /** Milliseconds from admission to the end. Stored rounded to whole ms. */
  durationMs: number;
  outcome: UsageOutcome;
  errorCode?: string | null;
  /** When the request started; default `deps.now()` at record time. */
  createdAt?: Date;
}

export interface UsageRecord {
  requestId: string;
  keyId: string | null;
  model: string;
  endpoint: UsageEndpoint;
  promptTokens: number;
  completionTokens: number;
  cachedPromptTokens: number;
  ttftMs: number | null;
  durationMs: number;
  outcome: UsageOutcome;
  errorCode: string | null;
  createdAt: Date;
}

/** Time ranges are half-open: `from` inclusive, `to` exclusive. */
export interface UsageQuery {
  /** Most recent first; 1..10000. */
  limit: number;
  keyId?: string;
  model?: string;
  from?: Date;
  to?: Date;
}

export type UsageGrouping = 'model' | 'key' | 'day';

export interface UsageTotalsQuery {
  from?: Date;
  to?: Date;
  /** `day` buckets by UTC calendar day (`YYYY-MM-DD`). */
  by: UsageGrouping;
}

export interface UsageTotal {
  /** The model name, the key id (null for key-less rows) or the UTC day `YYYY-MM-DD`. */
  group: string | null;
  requests: number;
  /** Requests by outcome; ok = requests − errors − aborted. */
  errors: number;
  aborted: number;
  promptTokens: number;
  completionTokens: number;
  cachedPromptTokens: number;
}

export interface UsageRepository {
  /**
   * Writes one row. Durable when the promise resolves (write-through, committed; see
   * `StoreOptions.synchronous`). Idempotent by `requestId`: a replay resolves the same way and
   * changes nothing (first write wins). Resolves to void so it plugs into the gateway's UsageSink.
   */
  record(row: UsageInput): Promise<void>;
  list(query: UsageQuery): Promise<UsageRecord[]>;
  /** Sums per group, ordered by group ascending. */
  totals(query: UsageTotalsQuery): Promise<UsageTotal[]>;
}

// ── models ───────────────────────────────────────────────────────────────────────────────────────

export type ModelEngineKind = 'llama' | 'openai' | 'fake';

export interface AddModelInput {
  name: string;
  engine: ModelEngineKind;
  /** GGUF path; required for engine `llama`. */
  file?: string | null;
  /** Base URL of an OpenAI-compatible upstream; required for engine `openai`. */
  url?: string | null;
  /** The upstream's bearer key (the operator's secret): stored, never listed. */
  apiKey?: string | null;
  upstreamModel?: string | null;
  contextLength?: number | null;
}

/** A declared model as listings show it: `hasApiKey` instead of the key. */
export interface ModelRecord {
  name: string;
  engine: ModelEngineKind;
  file: string | null;
  url: string | null;
  upstreamModel: string | null;
  contextLength: number | null;
  hasApiKey: boolean;
  createdAt: Date;
}

export interface ModelRepository {
  /** Declares a model; throws `TesseraError('model_exists')` when the name is taken. */
  add(input: AddModelInput): Promise<ModelRecord>;
  /** Ordered by name. */
  list(): Promise<ModelRecord[]>;
  get(name: string): Promise<ModelRecord | null>;
  /** Idempotent: returns whether a model was removed. */
  remove(name: string): Promise<boolean>;
  /** The upstream API key of a declared model, or null (no such model, or none set). */
  getUpstreamSecret(name: string): Promise<string | null>;
  /**
   * Declarations with their secrets, for the composition root to build engines from. Nothing that
   * renders to users may call this.
   */
  declarations(): Promise<ModelDeclaration[]>;
}

// ── tenants ──────────────────────────────────────────────────────────────────────────────────────

export type TenantKind = 'internal' | 'external';

export interface TenantRecord {
  id: string;
  name: string;
  kind: TenantKind;
  /** Monthly spend limit in micro-units; null = none. */
  monthlyLimitMicros: number | null;
  /** hard: refuse requests past the limit; soft: serve and alert. */
  limitMode: 'hard' | 'soft';
  /** Prepaid tenants spend only their balance (credits − charges). */
  prepaid: boolean;
  createdAt: Date;
}

export interface TenantInput {
  name: string;
  kind: TenantKind;
  monthlyLimitMicros?: number | null;
  limitMode?: 'hard' | 'soft';
  prepaid?: boolean;
}

export type TenantPatch = Partial<Omit<TenantInput, 'name' | 'kind'>>;

export interface RateLimitRecord {
  scope: 'key' | 'tenant';
  scopeId: string;
  /** null = every model. */
  model: string | null;
  rpm: number | null;
  tpm: number | null;
}

export interface AllowanceRecord {
  id: string;
  tenantId: string;
  model: string;
  tokens: number;
  expiresAt: Date;
  createdAt: Date;
}

export interface TenantRepository {
  /** Throws `invalid_request` (param `name`) when the name is taken or empty. */
  create(input: TenantInput): Promise<TenantRecord>;
  list(): Promise<TenantRecord[]>;
  get(id: string): Promise<TenantRecord | null>;
  /** Null when no tenant has this id. */
  update(id: string, patch: TenantPatch): Promise<TenantRecord | null>;
  /** Sets (or, with both limits null, removes) a rate limit. */
  setRateLimit(limit: RateLimitRecord): Promise<void>;
  rateLimits(): Promise<RateLimitRecord[]>;
  addAllowance(input: { tenantId: string; model: string; tokens: number; expiresAt: Date }): Promise<AllowanceRecord>;
  allowances(tenantId?: string): Promise<AllowanceRecord[]>;
  /** Changes an allowance's tokens or end (the row stays: statements keep what it paid). Null when no allowance has this id. */
  updateAllowance(id: string, patch: { tokens?: number; expiresAt?: Date }): Promise<AllowanceRecord | null>;
}

// ── billing: prices, ledger, requests in flight ──────────────────────────────────────────────────

export interface ModelPriceRecord {
  id: string;
  model: string;
  effectiveFrom: Date;
  /** Micro-units per million tokens. */
  inputPerMTok: number;
  cachedInputPerMTok: number;
  outputPerMTok: number;
  createdAt: Date;
}

export interface ChipPriceRecord {
  id: string;
  chipType: string;
  effectiveFrom: Date;
  /** Micro-units per accelerator-hour. */
  perHour: number;
  createdAt: Date;
}

export type LedgerKind = 'usage' | 'credit' | 'adjustment';

export interface LedgerEntry {
  id: string;
  tenantId: string;
  kind: LedgerKind;
  requestId: string | null;
  keyId: string | null;
  model: string | null;
  promptTokens: number;
  cachedTokens: number;
  completionTokens: number;
  allowanceTokens: number;
  chipType: string | null;
  acceleratorMs: number;
  /** Charges positive, credits negative; integer micro-units. */
  amountMicros: number;
  priceId: string | null;
  /** When the priced event happened (a request's start). */
  occurredAt: Date;
  createdAt: Date;
  note: string | null;
}

export type LedgerInput = Omit<LedgerEntry, 'id' | 'createdAt'>;

export interface InflightRecord {
  requestId: string;
  tenantId: string;
  keyId: string | null;
  model: string;
  endpoint: UsageEndpoint;
  reservedMicros: number;
  promptTokens: number;
  completionTokens: number;
  startedAt: Date;
}

/** One group commit of the metering journal: applied in a single transaction, in this order. */
export interface BillingBatch {
  begin: InflightRecord[];
  progress: Array<{ requestId: string; promptTokens: number; completionTokens: number }>;
  /** Ledger entries to append; a request id already in the ledger is skipped (idempotent). */
  settle: Array<{ entry: LedgerInput; usage?: UsageInput }>;
  /** In-flight rows to delete (settled or released). */
  finish: string[];
}

export interface LedgerQuery {
  tenantId?: string;
  requestId?: string;
  keyId?: string;
  from?: Date;
  to?: Date;
  /** Oldest first; default 1000, at most 100000. */
  limit?: number;
}

export interface BillingRepository {
  addModelPrice(input: Omit<ModelPriceRecord, 'id' | 'createdAt'>): Promise<ModelPriceRecord>;
  modelPrices(model?: string): Promise<ModelPriceRecord[]>;
  addChipPrice(input: Omit<ChipPriceRecord, 'id' | 'createdAt'>): Promise<ChipPriceRecord>;
  chipPrices(): Promise<ChipPriceRecord[]>;
  /** Applies a journal batch atomically; durable when it resolves. */
  commit(batch: BillingBatch): Promise<void>;
  /** Appends one entry (credits and adjustments); idempotent by request id when it has one. */
  append(entry: LedgerInput): Promise<LedgerEntry | null>;
  ledger(query: LedgerQuery): Promise<LedgerEntry[]>;
  /** Per tenant: the sum of all amounts, and of charges since `monthStart`, in micro-units. */
  balances(monthStart: Date): Promise<Array<{ tenantId: string; netMicros: number; monthChargesMicros: number }>>;
  /** Every draw on a free allowance (ledger entries with allowance tokens), oldest first. */
  allowanceDraws(): Promise<Array<{ tenantId: string; model: string; at: Date; tokens: number }>>;
  inflight(): Promise<InflightRecord[]>;
}

// ── audit ────────────────────────────────────────────────────────────────────────────────────────

export interface AuditEntry {
  id: string;
  at: Date;
  actorKeyId: string | null;
  /** The acting key's name (keys are never deleted, only revoked; null without a key). */
  actorKeyName: string | null;
  actorTenantId: string | null;
  action: string;
  targetType: string;
  targetId: string | null;
  /** The tenant the change concerns (what a tenant admin may see). */
  tenantId: string | null;
  before: unknown;
  after: unknown;
}

export interface AuditRepository {
  append(entry: Omit<AuditEntry, 'id' | 'at' | 'actorKeyName'>): Promise<AuditEntry>;
  /**
   * Newest first, at most `limit` (1–1000, default 100); `after` (an entry id) continues a listing
   * with the entries older than that one. Throws `invalid_request` (param `after`) for an unknown id.
   */
  list(query: { tenantId?: string; limit?: number; after?: string }): Promise<AuditEntry[]>;
}

// ── conversations (the console's chat) ───────────────────────────────────────────────────────────

/** Who owns a conversation: the tenant and the API key that signed in. */
export interface ConversationOwner {
  tenantId: string;
  keyId: string;
}

export interface ConversationSettings {
  [name: string]: number | string | boolean | null;
}

export interface ConversationRecord {
  id: string;
  title: string;
  model: string | null;
  systemPrompt: string | null;
  settings: ConversationSettings | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface ConversationMessage {
  id: string;
  seq: number;
  role: 'system' | 'user' | 'assistant';
  content: string;
  model: string | null;
  requestId: string | null;
  promptTokens: number | null;
  completionTokens: number | null;
  costMicros: number | null;
  createdAt: Date;
}

export type ConversationPatch = Partial<Pick<ConversationRecord, 'title' | 'model' | 'systemPrompt' | 'settings'>>;

export interface ConversationRepository {
  create(owner: ConversationOwner, input: ConversationPatch): Promise<ConversationRecord>;
  /** The owner's conversations, most recently updated first. */
  list(owner: ConversationOwner): Promise<ConversationRecord[]>;
  /** Null when it does not exist or belongs to someone else. */
  get(owner: ConversationOwner, id: string): Promise<(ConversationRecord & { messages: ConversationMessage[] }) | null>;
  update(owner: ConversationOwner, id: string, patch: ConversationPatch): Promise<ConversationRecord | null>;
  remove(owner: ConversationOwner, id: string): Promise<boolean>;
  /** Appends a message; null when the conversation is not the owner's. */
  append(owner: ConversationOwner, id: string, message: Omit<ConversationMessage, 'id' | 'seq' | 'createdAt'>): Promise<ConversationMessage | null>;
  /** Deletes the messages after `seq` (edit-and-resend, regenerate); returns how many. */
  truncate(owner: ConversationOwner, id: string, afterSeq: number): Promise<number | null>;
}
