/**
 * The Meter against a real SQLite store with a movable clock: pricing by the version in force at
 * the start, exactly-once settlement, allowances, prepaid balances, rate limits that refuse and
 * recover, and crash recovery of requests left in flight.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { openStore, type Store, type TenantRecord } from '../store/index.js';
import { Meter, type AdmissionRequest } from './meter.js';

const T0 = new Date('2026-03-10T12:00:00.000Z');
const MILLION = 1_000_000;

describe('Meter', () => {
  let dir: string;
  let store: Store;
  let wall: Date;
  let mono: number;
  let meter: Meter;
  let tenant: TenantRecord;
  let n = 0;

  const deps = () => ({ store, now: () => new Date(wall), monotonicMs: () => mono });
  const request = (over: Partial<AdmissionRequest> = {}): AdmissionRequest => ({
    requestId: `req-${++n}`, keyId: 'key-1', tenantId: tenant.id, allowedModels: null, model: 'm',
    endpoint: 'chat', promptTokensMax: 100, maxTokens: 50, streamed: true, ...over,
  });
  const row = { keyId: 'key-1', model: 'm', endpoint: 'chat' as const, ttftMs: 1, durationMs: 2, outcome: 'ok' as const };
  const run = async (usage: { promptTokens: number; completionTokens: number }, over: Partial<AdmissionRequest> = {}) => {
    const ticket = meter.admit(request(over));
    await ticket.settle(usage, { ...row, requestId: ticket.requestId });
    return ticket.requestId;
  };

  before(async () => { dir = await mkdtemp(join(tmpdir(), 'tessera-meter-')); });
  after(() => rm(dir, { recursive: true, force: true }));
  beforeEach(async () => {
    await store?.close();
    store = await openStore({ kind: 'sqlite', file: join(dir, `m${++n}.db`) }, { now: () => new Date(wall) });
    wall = new Date(T0);
    mono = 0;
    tenant = await store.tenants.create({ name: `t${n}`, kind: 'external' });
    meter = new Meter(deps());
    await meter.start();
  });

  it('prices each request with the version in force when it started, so a cut splits the month', async () => {
    await meter.prices.addModelPrice({ model: 'm', effectiveFrom: T0, inputPerMTok: 2 * MILLION, cachedInputPerMTok: 0, outputPerMTok: 8 * MILLION });
    await meter.prices.addModelPrice({ model: 'm', effectiveFrom: new Date(T0.getTime() + 3_600_000), inputPerMTok: MILLION, cachedInputPerMTok: 0, outputPerMTok: 4 * MILLION });
    await run({ promptTokens: 1000, completionTokens: 500 }); // 1000×2 + 500×8 = 6000 micros
    // Started before the cut, settled after it: still the old price.
    const straddling = meter.admit(request());
    wall = new Date(T0.getTime() + 2 * 3_600_000);
    await straddling.settle({ promptTokens: 1000, completionTokens: 500 }, { ...row, requestId: straddling.requestId });
    await run({ promptTokens: 1000, completionTokens: 500 }); // 1000×1 + 500×4 = 3000 micros
    const amounts = (await store.billing.ledger({ tenantId: tenant.id })).map((e) => e.amountMicros);
    assert.deepEqual(amounts, [6000, 6000, 3000]);
    await assert.rejects(
      meter.prices.addModelPrice({ model: 'm', effectiveFrom: T0, inputPerMTok: 1, cachedInputPerMTok: 0, outputPerMTok: 1 }),
      { code: 'invalid_request', message: /past/ },
    );
  });

  it('rounds each request up to a whole micro-unit and bills cached prompt tokens at their price', async () => {
    await meter.prices.addModelPrice({ model: 'm', effectiveFrom: T0, inputPerMTok: 300_000, cachedInputPerMTok: 100_000, outputPerMTok: 1_500_000 });
    const ticket = meter.admit(request());
    await ticket.settle({ promptTokens: 10, cachedPromptTokens: 4, completionTokens: 3 }, { ...row, requestId: ticket.requestId });
    // (6×0.3 + 4×0.1 + 3×1.5) micros = 6.7 → 7
    assert.equal((await store.billing.ledger({ tenantId: tenant.id }))[0].amountMicros, 7);
  });

  it('settles a request exactly once, however often settlement is replayed', async () => {
    await meter.prices.addModelPrice({ model: 'm', effectiveFrom: T0, inputPerMTok: MILLION, cachedInputPerMTok: 0, outputPerMTok: MILLION });
    const ticket = meter.admit(request());
    const usage = { promptTokens: 10, completionTokens: 10 };
    await Promise.all([1, 2, 3].map(() => ticket.settle(usage, { ...row, requestId: ticket.requestId })));
    const entry = (await store.billing.ledger({ tenantId: tenant.id }))[0];
    // A replay at the store level (e.g. a retried batch) is ignored as well.
    await store.billing.commit({ begin: [], progress: [], settle: [{ entry: { ...entry } }], finish: [] });
    const entries = await store.billing.ledger({ tenantId: tenant.id });
    assert.equal(entries.length, 1);
    assert.equal(entries[0].amountMicros, 20);
    assert.equal(meter.budgetView(tenant.id).monthChargesMicros, 20);
    assert.deepEqual(await store.billing.inflight(), []);
  });

  it('never lets concurrent requests overspend a hard limit, and tells how much is short', async () => {
    await meter.prices.addModelPrice({ model: 'm', effectiveFrom: T0, inputPerMTok: 0, cachedInputPerMTok: 0, outputPerMTok: 10 * MILLION });
    // Each request may cost 50 × 10 = 500 micros: the limit covers exactly 3.
    await store.tenants.update(tenant.id, { monthlyLimitMicros: 1500 });
    await meter.reload();
    const tickets = [];
    const refusals = [];
    for (let i = 0; i < 10; i++) {
      try {
        tickets.push(meter.admit(request()));
      } catch (err) {
        refusals.push(err as Error & { code: string });
      }
    }
    assert.equal(tickets.length, 3);
    assert.equal(refusals.length, 7);
    assert.equal(refusals[0].code, 'insufficient_quota');
    assert.match(refusals[0].message, /0\.000500 short/);
    await Promise.all(tickets.map((t) => t.settle({ promptTokens: 5, completionTokens: 50 }, { ...row, requestId: t.requestId })));
    const total = (await store.billing.ledger({ tenantId: tenant.id })).reduce((sum, e) => sum + e.amountMicros, 0);
    assert.equal(total, 1500);
    assert.throws(() => meter.admit(request()), { code: 'insufficient_quota' });
  });

  it('serves a soft limit past its end and raises an alert', async () => {
    await meter.prices.addModelPrice({ model: 'm', effectiveFrom: T0, inputPerMTok: MILLION, cachedInputPerMTok: 0, outputPerMTok: MILLION });
    await store.tenants.update(tenant.id, { monthlyLimitMicros: 10, limitMode: 'soft' });
    const alerts: string[] = [];
    meter = new Meter({ ...deps(), onAlert: (_t, message) => alerts.push(message) });
    await meter.start();
    await run({ promptTokens: 100, completionTokens: 0 });
    assert.equal(meter.budgetView(tenant.id).overLimit, true);
    assert.equal(alerts.length, 1);
  });

  it('spends a prepaid balance and refuses once it is gone; credits are in the ledger', async () => {
    await meter.prices.addModelPrice({ model: 'm', effectiveFrom: T0, inputPerMTok: MILLION, cachedInputPerMTok: 0, outputPerMTok: MILLION });
    await store.tenants.update(tenant.id, { prepaid: true });
    await meter.reload();
    assert.throws(() => meter.admit(request()), { code: 'insufficient_quota', message: /balance/ });
    await meter.credit(tenant.id, 300, 'top-up');
    await run({ promptTokens: 100, completionTokens: 50 }, { maxTokens: 50 }); // reserves 150, costs 150
    assert.equal(meter.budgetView(tenant.id).balanceMicros, 150);
    await run({ promptTokens: 100, completionTokens: 50 });
    assert.throws(() => meter.admit(request()), { code: 'insufficient_quota' });
    const kinds = (await store.billing.ledger({ tenantId: tenant.id })).map((e) => `${e.kind} ${e.amountMicros}`).sort();
    assert.deepEqual(kinds, ['credit -300', 'usage 150', 'usage 150']);
  });

  it('draws tokens from a free allowance before money, until it expires', async () => {
    await meter.prices.addModelPrice({ model: 'm', effectiveFrom: T0, inputPerMTok: MILLION, cachedInputPerMTok: 0, outputPerMTok: 2 * MILLION });
    await store.tenants.addAllowance({ tenantId: tenant.id, model: 'm', tokens: 400, expiresAt: new Date(T0.getTime() + 86_400_000) });
    await meter.reload();
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(await run({ promptTokens: 100, completionTokens: 50 }));
    const byId = new Map((await store.billing.ledger({ tenantId: tenant.id })).map((e) => [e.requestId, e]));
    const drawn = ids.map((id) => [byId.get(id)?.allowanceTokens, byId.get(id)?.amountMicros]);
    // 400 free tokens cover two requests of at most 150; the third (100 left) is paid: 100×1 + 50×2.
    assert.deepEqual(drawn, [[150, 0], [150, 0], [0, 200]]);
    wall = new Date(T0.getTime() + 2 * 86_400_000);
    await store.tenants.addAllowance({ tenantId: tenant.id, model: 'm', tokens: 1000, expiresAt: new Date(wall.getTime() - 1) });
    await meter.reload();
    const late = await run({ promptTokens: 10, completionTokens: 10 });
    assert.equal((await store.billing.ledger({ tenantId: tenant.id })).find((e) => e.requestId === late)?.allowanceTokens, 0, 'expired allowances pay nothing');
  });

  it('refuses past a rate limit with Retry-After, gives back unused tokens, and recovers as time passes', async () => {
    await store.tenants.setRateLimit({ scope: 'key', scopeId: 'key-1', model: null, rpm: 2, tpm: null });
    await store.tenants.setRateLimit({ scope: 'tenant', scopeId: tenant.id, model: 'm', rpm: null, tpm: 600 });
    await meter.reload();
    await run({ promptTokens: 10, completionTokens: 10 }, { promptTokensMax: 100, maxTokens: 200 }); // 300 taken, 280 given back
    await run({ promptTokens: 10, completionTokens: 10 }, { promptTokensMax: 100, maxTokens: 200 });
    assert.throws(() => meter.admit(request()), (err: Error & { code: string; retryAfterSeconds: number }) =>
      err.code === 'rate_limit_exceeded' && /requests per minute/.test(err.message) && err.retryAfterSeconds === 30);
    mono += 30_000; // one request's worth refilled
    await run({ promptTokens: 10, completionTokens: 10 }, { promptTokensMax: 100, maxTokens: 200 });
    mono += 60_000;
    assert.throws(() => meter.admit(request({ promptTokensMax: 500, maxTokens: 200 })), { code: 'rate_limit_exceeded', message: /more than the tokens per minute/ });
  });

  it('refuses models outside the key allow-list', () => {
    assert.throws(() => meter.admit(request({ allowedModels: ['other'] })), { code: 'model_not_allowed' });
  });

  it('writes a streamed request\'s in-flight row with its first tokens, and none for one settled before any', async () => {
    const quiet = meter.admit(request());
    await meter.journal.drain();
    assert.deepEqual(await store.billing.inflight(), [], 'nothing delivered yet: no row');
    const commits = meter.journal.commits;
    await quiet.settle({ promptTokens: 10, completionTokens: 4 }, { ...row, requestId: quiet.requestId });
    assert.equal(meter.journal.commits, commits + 1, 'settled in one commit');
    const streaming = meter.admit(request());
    await streaming.progress(40, 1);
    assert.deepEqual((await store.billing.inflight()).map((r) => [r.requestId, r.promptTokens, r.completionTokens]), [[streaming.requestId, 40, 1]]);
    await streaming.progress(40, 2);
    assert.equal((await store.billing.inflight())[0].completionTokens, 2);
    await streaming.settle({ promptTokens: 40, completionTokens: 2 }, { ...row, requestId: streaming.requestId });
    assert.deepEqual(await store.billing.inflight(), []);
    const usage = new Map((await store.usage.list({ limit: 5 })).map((u) => [u.requestId, u.completionTokens]));
    assert.deepEqual(usage, new Map([[quiet.requestId, 4], [streaming.requestId, 2]]));
  });

  it('after a crash, bills requests in flight for the tokens journaled and leaves no reservation', async () => {
    await meter.prices.addModelPrice({ model: 'm', effectiveFrom: T0, inputPerMTok: MILLION, cachedInputPerMTok: 0, outputPerMTok: MILLION });
    await store.tenants.update(tenant.id, { monthlyLimitMicros: 1000 });
    await meter.reload();
    const ticket = meter.admit(request());
    await ticket.progress(40, 7);
    // The process dies here: no settle. A new meter on the same database recovers at start.
    const restarted = new Meter(deps());
    assert.deepEqual(await restarted.start(), { recovered: 1 });
    const [entry] = await store.billing.ledger({ tenantId: tenant.id });
    assert.deepEqual([entry.requestId, entry.promptTokens, entry.completionTokens, entry.amountMicros], [ticket.requestId, 40, 7, 47]);
    assert.deepEqual(await store.billing.inflight(), []);
    assert.deepEqual(restarted.budgetView(tenant.id), { monthChargesMicros: 47, balanceMicros: -47, reservedMicros: 0, overLimit: false });
    const usage = await store.usage.list({ limit: 5 });
    assert.equal(usage[0].outcome, 'aborted');
  });
});
