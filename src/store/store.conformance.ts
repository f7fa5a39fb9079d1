/**
 * The conformance suite every store dialect runs (SQLite in sqlite.test.ts; PostgreSQL when it
 * comes). It speaks only the public `Store` interface, so a dialect that passes it is a drop-in.
 *
 * `newDatabase` is called once per test and must return an opener for a fresh, empty database;
 * calling that opener again must open the same database (reopen tests). The opener receives the
 * clock so the suite can move time (expiry, last-used, time ranges).
 */
import { describe } from 'node:test';
import { billingConformance } from './conformance/billing.js';
import { conversationConformance } from './conformance/conversations.js';
import { keyConformance } from './conformance/keys.js';
import { modelConformance } from './conformance/models.js';
import { lifecycleConformance } from './conformance/lifecycle.js';
import type { NewDatabase } from './conformance/harness.js';
import { usageConformance } from './conformance/usage.js';

export type { NewDatabase, StoreOpener } from './conformance/harness.js';

export function runStoreConformance(newDatabase: NewDatabase, label = 'store conformance'): void {
  describe(label, () => {
    describe('keys', () => keyConformance(newDatabase));
    describe('usage', () => usageConformance(newDatabase));
    describe('models', () => modelConformance(newDatabase));
    describe('tenants, billing and audit', () => billingConformance(newDatabase));
    describe('conversations', () => conversationConformance(newDatabase));
    describe('lifecycle', () => lifecycleConformance(newDatabase));
  });
}
