import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { LedgerInput } from '../types.js';
import { type NewDatabase, T0, withStore } from './harness.js';

const usageEntry = (tenantId: string, requestId: string, amountMicros: number): LedgerInput => ({
  tenantId, kind: 'usage', requestId, keyId: 'key-1', model: 'm', promptTokens: 10, cachedTokens: 0, completionTokens: 5,
  allowanceTokens: 0, chipType: null, acceleratorMs: 0, amountMicros, priceId: null, occurredAt: T0, note: null,
});

export function billingConformance(newDatabase: NewDatabase): void {
  it('creates tenants with unique names and validated limits, and updates them', () =>
    withStore(newDatabase, async (store) => {
      const acme = await store.tenants.create({ name: 'acme', kind: 'external', monthlyLimitMicros: 5_000_000 });
      assert.deepEqual([acme.kind, acme.limitMode, acme.prepaid, acme.monthlyLimitMicros], ['external', 'hard', false, 5_000_000]);
      await assert.rejects(store.tenants.create({ name: 'acme', kind: 'internal' }), { code: 'invalid_request', param: 'name' });
      await assert.rejects(store.tenants.create({ name: 'x', kind: 'internal', monthlyLimitMicros: -1 }), { param: 'monthly_limit_micros' });
      await assert.rejects(store.tenants.create({ name: 'bad name!', kind: 'internal' }), { param: 'name' });
      const updated = await store.tenants.update(acme.id, { limitMode: 'soft', prepaid: true });
      assert.deepEqual([updated?.limitMode, updated?.prepaid], ['soft', true]);
      assert.equal(await store.tenants.update('tnt_missing', { prepaid: true }), null);
      assert.deepEqual((await store.tenants.list()).map((t) => t.name).sort(), ['acme', 'platform']);
    }));

  it('sets, replaces and removes rate limits', () =>
    withStore(newDatabase, async (store) => {
      await store.tenants.setRateLimit({ scope: 'tenant', scopeId: 't1', model: null, rpm: 10, tpm: null });
      await store.tenants.setRateLimit({ scope: 'tenant', scopeId: 't1', model: null, rpm: 20, tpm: 1000 });
      await store.tenants.setRateLimit({ scope: 'key', scopeId: 'k1', model: 'm', rpm: 5, tpm: null });
      assert.deepEqual((await store.tenants.rateLimits()).sort((a, b) => a.scope.localeCompare(b.scope)), [
        { scope: 'key', scopeId: 'k1', model: 'm', rpm: 5, tpm: null },
        { scope: 'tenant', scopeId: 't1', model: null, rpm: 20, tpm: 1000 },
      ]);
      await store.tenants.setRateLimit({ scope: 'key', scopeId: 'k1', model: 'm', rpm: null, tpm: null });
      assert.equal((await store.tenants.rateLimits()).length, 1);
      await assert.rejects(store.tenants.setRateLimit({ scope: 'key', scopeId: 'k1', model: null, rpm: 0, tpm: null }), { param: 'rpm' });
    }));

  it('versions prices by effective time and refuses duplicates and negative prices', () =>
    withStore(newDatabase, async (store) => {
      const base = { model: 'm', inputPerMTok: 100, cachedInputPerMTok: 10, outputPerMTok: 400 };
      await store.billing.addModelPrice({ ...base, effectiveFrom: T0 });
      await store.billing.addModelPrice({ ...base, effectiveFrom: new Date(T0.getTime() + 1000), outputPerMTok: 300 });
      await assert.rejects(store.billing.addModelPrice({ ...base, effectiveFrom: T0 }), { code: 'invalid_request', param: 'effective_from' });
      await assert.rejects(store.billing.addModelPrice({ ...base, effectiveFrom: new Date(T0.getTime() + 5000), inputPerMTok: -1 }), { param: 'input_per_mtok' });
      assert.deepEqual((await store.billing.modelPrices('m')).map((p) => p.outputPerMTok), [400, 300]);
      await store.billing.addChipPrice({ chipType: 'H100', perHour: 2_500_000, effectiveFrom: T0 });
      await assert.rejects(store.billing.addChipPrice({ chipType: 'H100', perHour: 1, effectiveFrom: T0 }), { param: 'effective_from' });
      assert.equal((await store.billing.chipPrices())[0].perHour, 2_500_000);
    }));

  it('commits journal batches atomically and settles each request id once', () =>
    withStore(newDatabase, async (store) => {
      const t = await store.tenants.create({ name: 'acme', kind: 'external' });
      const inflight = { requestId: 'r1', tenantId: t.id, keyId: 'key-1', model: 'm', endpoint: 'chat' as const, reservedMicros: 99, promptTokens: 0, completionTokens: 0, startedAt: T0 };
      await store.billing.commit({ begin: [inflight], progress: [{ requestId: 'r1', promptTokens: 10, completionTokens: 3 }], settle: [], finish: [] });
      assert.deepEqual((await store.billing.inflight()).map((r) => [r.requestId, r.promptTokens, r.completionTokens, r.reservedMicros]), [['r1', 10, 3, 99]]);
      const settle = { entry: usageEntry(t.id, 'r1', 42), usage: { requestId: 'r1', keyId: 'key-1', model: 'm', endpoint: 'chat' as const, promptTokens: 10, completionTokens: 5, ttftMs: 1, durationMs: 2, outcome: 'ok' as const } };
      await store.billing.commit({ begin: [], progress: [], settle: [settle], finish: ['r1'] });
      await store.billing.commit({ begin: [], progress: [], settle: [settle], finish: ['r1'] });
      assert.deepEqual(await store.billing.inflight(), []);
      assert.deepEqual((await store.billing.ledger({ tenantId: t.id })).map((e) => e.amountMicros), [42]);
      assert.equal((await store.usage.list({ limit: 10 })).length, 1);
      assert.equal(await store.billing.append(usageEntry(t.id, 'r1', 42)), null, 'append is idempotent by request id too');
      // A batch that fails (unknown tenant: foreign key) changes nothing.
      await assert.rejects(store.billing.commit({ begin: [{ ...inflight, requestId: 'r2' }], progress: [], settle: [{ entry: usageEntry('tnt_missing', 'r3', 1) }], finish: [] }));
      assert.deepEqual(await store.billing.inflight(), []);
    }));

  it('sums balances (all time and this month) and allowance use per tenant', () =>
    withStore(newDatabase, async (store) => {
      const t = await store.tenants.create({ name: 'acme', kind: 'external' });
      await store.billing.append({ ...usageEntry(t.id, 'old', 500), occurredAt: new Date('2025-12-31T23:59:59.999Z') });
      await store.billing.append(usageEntry(t.id, 'new', 300));
      await store.billing.append({ ...usageEntry(t.id, 'free', 0), allowanceTokens: 15 });
      await store.billing.append({ ...usageEntry(t.id, null as never, -1000), kind: 'credit', requestId: null });
      const [balance] = await store.billing.balances(new Date('2026-01-01T00:00:00.000Z'));
      assert.deepEqual(balance, { tenantId: t.id, netMicros: -200, monthChargesMicros: 300 });
      assert.deepEqual(await store.billing.allowanceDraws(), [{ tenantId: t.id, model: 'm', at: T0, tokens: 15 }]);
      const page = await store.billing.ledger({ tenantId: t.id, from: new Date('2026-01-01T00:00:00.000Z') });
      assert.equal(page.length, 3);
    }));

  it('appends audit entries with before/after and filters them by tenant, newest first', () =>
    withStore(newDatabase, async (store, clock) => {
      await store.audit.append({ actorKeyId: 'k', actorTenantId: 'a', action: 'tenant.update', targetType: 'tenant', targetId: 'a', tenantId: 'a', before: { x: 1 }, after: { x: 2 } });
      clock.advance(1000);
      await store.audit.append({ actorKeyId: 'k', actorTenantId: 'b', action: 'key.create', targetType: 'key', targetId: 'k2', tenantId: 'b', before: null, after: { id: 'k2' } });
      assert.deepEqual((await store.audit.list({})).map((e) => e.action), ['key.create', 'tenant.update']);
      const [only] = await store.audit.list({ tenantId: 'a' });
      assert.deepEqual([only.before, only.after, only.at], [{ x: 1 }, { x: 2 }, T0]);
    }));

  it('names the acting key and pages the audit log with a cursor, entries of one instant included', () =>
    withStore(newDatabase, async (store, clock) => {
      const { key } = await store.keys.create({ name: 'ops-lead', role: 'admin' });
      // Five entries in the same millisecond, then one later: the cursor must order by (at, id).
      for (let i = 0; i < 5; i++) {
        await store.audit.append({ actorKeyId: key.id, actorTenantId: key.tenantId, action: `a${i}`, targetType: 't', targetId: null, tenantId: null, before: null, after: { i } });
      }
      clock.advance(1);
      await store.audit.append({ actorKeyId: null, actorTenantId: null, action: 'late', targetType: 't', targetId: null, tenantId: 'x', before: null, after: null });
      const all = await store.audit.list({});
      assert.deepEqual([all[0].actorKeyName, all[1].actorKeyName], [null, 'ops-lead']);
      const paged: string[] = [];
      for (let after: string | undefined; ; ) {
        const page = await store.audit.list({ limit: 2, after });
        if (page.length === 0) break;
        paged.push(...page.map((e) => e.id));
        after = page.at(-1)!.id;
      }
      assert.deepEqual(paged, all.map((e) => e.id));
      await assert.rejects(store.audit.list({ tenantId: 'x', after: all[1].id }), /No audit entry/, "another tenant's entry is no cursor");
    }));
}
