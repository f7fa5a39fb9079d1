/**
 * Continuous batching on one context: concurrent requests decode together, extra requests queue
 * (FIFO), and every way a request can end (completion, abort mid-stream, abort while queued, a
 * consumer that stops reading, engine close) frees its sequence and reports what was produced.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChatRequest, Engine, EngineEvent } from '../types.js';
import { TesseraError } from '../../core/errors.js';
import { collect, makeEngine, makeTinyModel, noAbort, type TinyModel } from './testing.js';

// Greedy: the tiny random-weight model then repeats one token and never ends its reply early,
// so these requests run until max_tokens or an abort.
const long = (seed: number): ChatRequest => ({
  messages: [{ role: 'user', content: `Story ${seed}` }],
  sampling: { temperature: 0, maxTokens: 400 },
});

describe('llama engine: batching and lifecycle', () => {
  let model: TinyModel;
  let engine: Engine;
  before(async () => {
    model = await makeTinyModel();
    engine = await makeEngine(model.path, { contextSize: 512, parallel: 8 });
  });
  after(async () => {
    await engine?.close();
    await model?.remove();
  });

  it('decodes 8 concurrent requests together on 8 sequences', async () => {
    let maxActive = 0;
    const watch = (): void => {
      maxActive = Math.max(maxActive, engine.stats().active);
    };
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        collect(engine.chat({ messages: [{ role: 'user', content: `Hi ${i}` }], sampling: { temperature: 1, seed: i, maxTokens: 24 } }, noAbort()), watch),
      ),
    );
    for (const { done } of results) {
      assert.ok(done.finishReason === 'length' || done.finishReason === 'stop');
      assert.ok(done.usage.completionTokens >= 1 && done.usage.completionTokens <= 24);
    }
    assert.ok(maxActive > 1, `sequences decoded at the same time: ${maxActive}`);
    assert.equal(engine.stats().queued, 0);
    assert.equal(engine.stats().active, 0);
  });

  it('queues requests beyond the sequences and serves them all', async () => {
    let maxQueued = 0;
    const watch = (): void => {
      maxQueued = Math.max(maxQueued, engine.stats().queued);
    };
    const streams = Array.from({ length: 11 }, (_, i) =>
      collect(engine.chat({ messages: [{ role: 'user', content: `Q ${i}` }], sampling: { temperature: 0, maxTokens: 200 } }, noAbort()), watch),
    );
    const results = await Promise.all(streams);
    assert.equal(maxQueued, 3, 'three of eleven waited for a sequence');
    assert.equal(results.length, 11);
    assert.deepEqual({ ...engine.stats(), decodeLoop: undefined }, { active: 0, queued: 0, slots: 8, decodeLoop: undefined });
  });

  it('stops on abort mid-stream, frees the sequence and reports the tokens produced', async () => {
    const controller = new AbortController();
    let texts = 0;
    const { done } = await collect(engine.chat(long(1), controller.signal), (event: EngineEvent) => {
      if (event.type === 'text' && ++texts === 3) controller.abort();
    });
    assert.equal(done.finishReason, 'abort');
    assert.ok(done.usage.completionTokens >= 3 && done.usage.completionTokens < 400, String(done.usage.completionTokens));
    assert.ok(done.usage.promptTokens > 0);
    assert.equal(engine.stats().active, 0);
  });

  it('ends a request aborted while queued with abort and zero usage', async () => {
    const blockers = new AbortController();
    const running = Array.from({ length: 8 }, (_, i) => collect(engine.chat(long(10 + i), blockers.signal)));
    const queuedAbort = new AbortController();
    const queued = collect(engine.chat(long(99), queuedAbort.signal));
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(engine.stats().queued, 1);
    queuedAbort.abort();
    const { done } = await queued;
    assert.deepEqual(done, { type: 'done', finishReason: 'abort', usage: { promptTokens: 0, completionTokens: 0 } });
    assert.equal(engine.stats().queued, 0);
    blockers.abort();
    for (const { done: ended } of await Promise.all(running)) assert.equal(ended.finishReason, 'abort');
    assert.equal(engine.stats().active, 0);
  });

  it('frees the sequence when the consumer stops reading early', async () => {
    for await (const event of engine.chat(long(5), noAbort())) {
      if (event.type === 'text') break;
    }
    for (let i = 0; i < 50 && engine.stats().active > 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(engine.stats().active, 0);
  });

  it('ends running and queued requests with abort on close, and refuses new ones', async () => {
    const closing = await makeEngine(model.path, { contextSize: 2048, parallel: 1 });
    // Close while the first is surely mid-stream (it has sent text, and has 1,500 tokens to go)
    // and the second waits for its sequence.
    let firstText!: () => void;
    const firstStarted = new Promise<void>((resolve) => (firstText = resolve));
    const longer = (seed: number): ChatRequest => ({ ...long(seed), sampling: { ...long(seed).sampling, maxTokens: 1500 } });
    const first = collect(closing.chat(longer(1), noAbort()), (event) => event.type === 'text' && firstText());
    const second = collect(closing.chat(longer(2), noAbort()));
    await firstStarted;
    assert.equal(closing.stats().queued, 1);
    await Promise.all([closing.close(), closing.close()]);
    assert.equal((await first).done.finishReason, 'abort');
    assert.equal((await second).done.finishReason, 'abort');
    const after = closing.chat(long(3), noAbort())[Symbol.asyncIterator]();
    await assert.rejects(after.next(), (err: unknown) => err instanceof TesseraError && err.code === 'model_not_ready');
    await closing.close();
  });
});
