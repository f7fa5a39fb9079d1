/**
 * Billing end to end, as issue 5 asks: concurrent requests against a budget that covers exactly
 * ten, and a server killed with SIGKILL in the middle of a stream that bills, after the restart,
 * every token the client received — with no reservation left dangling.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileConfig } from '../src/core/config.js';
import { startTessera } from '../src/main.js';
import { openStore } from '../src/store/index.js';
import { makeTinyModel, startTestServer, type TestServer } from './support/server.js';

const bin = join(fileURLToPath(new URL('../../', import.meta.url)), 'bin', 'tessera.js');
const MICROS_PER_TOKEN = 1000; // output price 1,000,000,000 micros per million tokens

describe('budgets under concurrency', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ extra: { models: [{ name: 'fake-model', engine: 'fake' }] } });
  });
  after(() => t?.stop());

  it('runs at most 10 of 50 concurrent requests when the budget covers exactly 10, and the ledger equals the spend', async () => {
    const { store, meter, url } = { ...t.server, url: t.server.url };
    const tenant = await store.tenants.create({ name: 'budgeted', kind: 'external', monthlyLimitMicros: 10 * 4 * MICROS_PER_TOKEN });
    const { secret } = await store.keys.create({ name: 'app', role: 'member', tenantId: tenant.id });
    await meter.prices.addModelPrice({ model: 'fake-model', effectiveFrom: new Date(), inputPerMTok: 0, cachedInputPerMTok: 0, outputPerMTok: MICROS_PER_TOKEN * 1_000_000 });
    await meter.reload();

    const send = () =>
      fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'fake-model', messages: [{ role: 'user', content: 'hello' }], max_tokens: 4 }),
      }).then(async (res) => ({ status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } }));
    const results = await Promise.all(Array.from({ length: 50 }, send));
    const ok = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status === 402);
    assert.equal(ok.length, 10);
    assert.equal(refused.length, 40);
    assert.ok(refused.every((r) => r.body.error?.code === 'insufficient_quota' && /short/.test(r.body.error.message)));

    const ledger = await store.billing.ledger({ tenantId: tenant.id });
    assert.equal(ledger.length, 10);
    assert.equal(ledger.reduce((sum, e) => sum + e.amountMicros, 0), 40 * MICROS_PER_TOKEN);
    assert.deepEqual(meter.budgetView(tenant.id), { monthChargesMicros: 40_000, balanceMicros: -40_000, reservedMicros: 0, overLimit: false });
    assert.deepEqual(await store.billing.inflight(), []);
  });
});

describe('rate limits over HTTP', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ extra: { models: [{ name: 'fake-model', engine: 'fake' }] } });
  });
  after(() => t?.stop());

  it('answers 429 rate_limit_exceeded with Retry-After once a key uses its requests per minute', async () => {
    const { store, meter, url } = t.server;
    const { key, secret } = await store.keys.create({ name: 'limited', role: 'member' });
    await store.tenants.setRateLimit({ scope: 'key', scopeId: key.id, model: null, rpm: 2, tpm: null });
    await meter.reload();
    const send = () =>
      fetch(`${url}/v1/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'fake-model', prompt: 'hi', max_tokens: 2 }),
      });
    assert.equal((await send()).status, 200);
    assert.equal((await send()).status, 200);
    const refused = await send();
    assert.equal(refused.status, 429);
    assert.equal(refused.headers.get('retry-after'), '30');
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'rate_limit_exceeded');
    // Another key of the same tenant is not limited by this key's limit.
    const other = await store.keys.create({ name: 'other', role: 'member' });
    const fine = await fetch(`${url}/v1/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${other.secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'fake-model', prompt: 'hi', max_tokens: 2 }),
    });
    assert.equal(fine.status, 200);
  });
});

describe('a server killed mid-stream', () => {
  let dataDir: string;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tessera-sigkill-'));
  });
  after(() => rm(dataDir, { recursive: true, force: true }));

  it('bills every streamed token after a restart and leaves nothing in flight', async () => {
    const modelPath = await makeTinyModel(dataDir, 'tiny');
    const store = await openStore({ kind: 'sqlite', file: join(dataDir, 'tessera.db') }, { now: () => new Date() });
    const tenant = await store.tenants.create({ name: 'streamer', kind: 'internal' });
    const { secret } = await store.keys.create({ name: 'app', role: 'member', tenantId: tenant.id });
    await store.billing.addModelPrice({ model: 'tiny', effectiveFrom: new Date(Date.now() - 1000), inputPerMTok: 0, cachedInputPerMTok: 0, outputPerMTok: 1_000_000 });
    await store.close();

    const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--data-dir', dataDir, '--model', modelPath, '--offline', '--gpu', 'off', '--threads', '1', '--parallel', '1', '--context-size', '4096'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    let url = '';
    for (const deadline = Date.now() + 60_000; Date.now() < deadline && !url; ) {
      const match = /serving on (http:\/\/[\d.:]+)/.exec(output);
      if (match && (await fetch(`${match[1]}/readyz`).catch(() => null))?.status === 200) url = match[1];
      else await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(url, `server did not start:\n${output}`);

    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      // Greedy: the tiny random-weight model then never ends its reply by itself (sampled, it may).
      body: JSON.stringify({ model: 'tiny', messages: [{ role: 'user', content: 'Talk for a long time.' }], max_tokens: 3500, temperature: 0, stream: true }),
    });
    assert.equal(res.status, 200);
    let received = 0;
    const decoder = new TextDecoder();
    const reader = res.body!.getReader();
    let buffered = '';
    while (received < 25) {
      const { value, done } = await reader.read();
      if (done) break;
      buffered += decoder.decode(value, { stream: true });
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      received += lines.filter((l) => l.startsWith('data: {') && l.includes('"content":"') && !l.includes('"content":""')).length;
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    await reader.cancel().catch(() => undefined);
    assert.ok(received >= 25, `only ${received} chunks arrived`);

    const restarted = await startTessera(
      compileConfig({ port: 0, dataDir, model: modelPath, gpu: 'off', threads: 1, offline: true, logLevel: 'silent' }),
      { print: () => undefined },
    );
    try {
      const ledger = await restarted.store.billing.ledger({ tenantId: tenant.id });
      assert.equal(ledger.length, 1);
      const [entry] = ledger;
      assert.ok(entry.completionTokens >= received, `billed ${entry.completionTokens} tokens, the client received ${received} chunks`);
      assert.ok(entry.completionTokens < 3500);
      assert.equal(entry.amountMicros, entry.completionTokens); // 1 micro per completion token
      assert.deepEqual(await restarted.store.billing.inflight(), []);
      assert.equal(restarted.meter.budgetView(tenant.id).reservedMicros, 0);
      const [usage] = await restarted.store.usage.list({ limit: 1 });
      assert.deepEqual([usage.outcome, usage.errorCode, usage.completionTokens], ['aborted', 'interrupted', entry.completionTokens]);
    } finally {
      await restarted.close();
    }
  });
});
