/**
 * The store unit: Kysely over SQLite (PostgreSQL later), migrations, repositories.
 * docs/store.md describes the schema and conventions.
 */
export { openStore } from './store.js';
export { LAST_USED_GRANULARITY_MS } from './keys.js';
export { SECRET_PREFIX } from './key-secret.js';
export { PLATFORM_TENANT_ID } from './migrations/0002_tenants_billing.js';
export type {
  AddModelInput,
  AllowanceRecord,
  AuditEntry,
  AuditRepository,
  ConversationMessage,
  ConversationOwner,
  ConversationPatch,
  ConversationRecord,
  ConversationRepository,
  ConversationSettings,
  BillingBatch,
  BillingRepository,
  ChipPriceRecord,
  InflightRecord,
  LedgerEntry,
  LedgerInput,
  LedgerKind,
  LedgerQuery,
  ModelPriceRecord,
  RateLimitRecord,
  TenantInput,
  TenantKind,
  TenantPatch,
  TenantRecord,
  TenantRepository,
  ApiKeyRecord,
  ApiKeyRole,
  CreateKeyInput,
  KeyRepository,
  ModelEngineKind,
  ModelRecord,
  ModelRepository,
  Store,
  StoreDeps,
  StoreOptions,
  UsageEndpoint,
  UsageGrouping,
  UsageInput,
  UsageOutcome,
  UsageQuery,
  UsageRecord,
  UsageRepository,
  UsageTotal,
  UsageTotalsQuery,
} from './types.js';
