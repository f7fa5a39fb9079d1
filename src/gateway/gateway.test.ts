/**
 * The gateway's streamed path against a real meter and SQLite store: events the engine has ready
 * together travel as one batch after one journal commit, tokens are durable before they are
 * handed on, and the request is settled before the batch with `done`.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { TesseraError } from '../core/errors.js';
import type { Engine, EngineEvent } from '../engines/types.js';
import { Meter } from '../metering/index.js';
import { openStore, type Store, type TenantRecord } from '../store/index.js';
import { Gateway, type RequestContext } from './gateway.js';
import { createGatewayMetrics } from './metrics.js';
import { ModelRouter } from './router.js';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

function engineOf(events: () => AsyncGenerator<EngineEvent>): Engine {
  return {
    info: { name: 'm', kind: 'fake', contextLength: 1000, capabilities: { chat: true, completion: true, embeddings: false, tools: false, jsonSchema: false }, randomWeights: false, device: 'cpu' },
    chat: () => events(),
    complete: () => events(),
    embed: () => Promise.reject(new Error('no embeddings')),
    stats: () => ({ active: 0, queued: 0, slots: 1 }),
    close: async () => undefined,
  };
}

const text = (n: number): EngineEvent => ({ type: 'text', text: `t${n} `, usage: { promptTokens: 7, completionTokens: n } });
const done = (n: number): EngineEvent => ({ type: 'done', finishReason: 'stop', usage: { promptTokens: 7, completionTokens: n } });

describe('Gateway, streamed', () => {
  let dir: string;
  let store: Store;
  let meter: Meter;
  let tenant: TenantRecord;
  let n = 0;

  before(async () => { dir = await mkdtemp(join(tmpdir(), 'tessera-gateway-')); });
  after(async () => {
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await store?.close();
    store = await openStore({ kind: 'sqlite', file: join(dir, `g${++n}.db`) }, { now: () => new Date() });
    tenant = await store.tenants.create({ name: `t${n}`, kind: 'external' });
    meter = new Meter({ store, now: () => new Date(), monotonicMs: () => performance.now() });
    await meter.start();
  });

  /** Runs one streamed request; `onBatch` sees each batch when the gateway hands it on. */
  async function run(
    events: () => AsyncGenerator<EngineEvent>,
    onBatch: (batch: EngineEvent[]) => Promise<void>,
    onUsageError: (err: unknown) => void = (err) => { throw err; },
  ) {
    const router = new ModelRouter();
    const engine = engineOf(events);
    await router.load('m', async () => engine, new Date());
    const gateway = new Gateway({
      router, metrics: createGatewayMetrics(new Registry(), router), recordUsage: async () => undefined,
      monotonicMs: () => performance.now(), maxQueue: 4, onUsageError, meter,
    });
    const ctx: RequestContext = {
      requestId: `req-${++n}`, keyId: 'key-1', tenantId: tenant.id, allowedModels: null, model: 'm', endpoint: 'chat',
      promptTokensMax: 100, maxTokens: 50, streamed: true,
    };
    const commits = meter.journal.commits;
    const batches: EngineEvent[][] = [];
    for await (const batch of gateway.generate(ctx, engine, (e, s) => e.chat({ messages: [], sampling: {} }, s), new AbortController().signal)) {
      batches.push(batch);
      await onBatch(batch);
    }
    return { batches, commits: meter.journal.commits - commits, requestId: ctx.requestId };
  }

  const ledgerTokens = async () => (await store.billing.ledger({ tenantId: tenant.id })).map((e) => e.completionTokens);

  it('hands on events that were ready together as one batch, settled in one commit before it is handed on', async () => {
    const result = await run(async function* () {
      for (let i = 1; i <= 5; i++) yield text(i);
      yield done(5);
    }, async () => {
      assert.deepEqual(await ledgerTokens(), [5], 'the ledger holds every token before any is handed on');
    });
    assert.deepEqual(result.batches.map((b) => b.length), [6]);
    assert.equal(result.commits, 1, 'no in-flight row, no progress commit: one settlement');
    assert.deepEqual(await store.billing.inflight(), []);
  });

  it('journals each batch before handing it on when tokens arrive over time', async () => {
    const seen: Array<[number, number | undefined]> = [];
    const result = await run(async function* () {
      yield text(1);
      yield text(2);
      await nextTurn();
      yield text(3);
      await nextTurn();
      yield done(3);
    }, async (batch) => {
      const last = batch.at(-1)!;
      if (last.type === 'text') seen.push([last.usage!.completionTokens, (await store.billing.inflight())[0]?.completionTokens]);
    });
    assert.deepEqual(result.batches.map((b) => b.map((e) => e.type)), [['text', 'text'], ['text'], ['done']]);
    assert.deepEqual(seen, [[2, 2], [3, 3]], 'the in-flight row already counts the tokens of the batch handed on');
    assert.equal(result.commits, 3);
    assert.deepEqual(await store.billing.inflight(), []);
    assert.deepEqual(await ledgerTokens(), [3]);
  });

  it('hands on the events before an engine failure, then throws it, billing what was handed on', async () => {
    const batches: EngineEvent[][] = [];
    await assert.rejects(run(async function* () {
      yield text(1);
      yield text(2);
      throw new TesseraError('upstream_error', 'the upstream went away');
    }, async (batch) => void batches.push(batch)), { code: 'upstream_error' });
    assert.deepEqual(batches.map((b) => b.length), [2]);
    assert.deepEqual(await ledgerTokens(), [2]);
    const [usage] = await store.usage.list({ limit: 1 });
    assert.deepEqual([usage.outcome, usage.errorCode, usage.completionTokens], ['error', 'upstream_error', 2]);
  });

  it('releases the reservation of a request whose engine refuses before its stream starts', async () => {
    await meter.prices.addModelPrice({ model: 'm', effectiveFrom: new Date(), inputPerMTok: 1_000_000, cachedInputPerMTok: 0, outputPerMTok: 1_000_000 });
    const router = new ModelRouter();
    const engine: Engine = { ...engineOf(async function* () {}), chat: () => { throw new TesseraError('model_not_ready', 'unloaded'); } };
    await router.load('m', async () => engine, new Date());
    const gateway = new Gateway({
      router, metrics: createGatewayMetrics(new Registry(), router), recordUsage: async () => undefined,
      monotonicMs: () => performance.now(), maxQueue: 4, onUsageError: (err) => { throw err; }, meter,
    });
    const ctx: RequestContext = {
      requestId: `req-${++n}`, keyId: 'key-1', tenantId: tenant.id, allowedModels: null, model: 'm', endpoint: 'chat',
      promptTokensMax: 100, maxTokens: 50, streamed: false,
    };
    const stream = gateway.generate(ctx, engine, (e, s) => e.chat({ messages: [], sampling: {} }, s), new AbortController().signal);
    await assert.rejects(stream.next(), { code: 'model_not_ready' });
    assert.equal(meter.budgetView(tenant.id).reservedMicros, 0, 'nothing stays reserved');
    const [usage] = await store.usage.list({ limit: 1 });
    assert.deepEqual([usage.requestId, usage.outcome, usage.errorCode], [ctx.requestId, 'error', 'model_not_ready']);
  });

  it('sends none of a last batch whose settlement fails, and lets the engine finish', async () => {
    const failures: unknown[] = [];
    const batches: EngineEvent[][] = [];
    let engineFinished = false;
    store.billing.commit = async () => { throw new Error('disk full'); };
    await assert.rejects(run(async function* () {
      try {
        yield text(1);
        yield done(1);
      } finally {
        engineFinished = true;
      }
    }, async (batch) => void batches.push(batch), (err) => void failures.push(err)), { code: 'internal_error' });
    assert.deepEqual(batches, [], 'unbilled tokens are not handed on');
    assert.match(String(failures[0]), /disk full/);
    await nextTurn();
    assert.ok(engineFinished, "the engine's stream was closed");
  });
});
