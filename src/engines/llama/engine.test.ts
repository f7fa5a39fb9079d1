/**
 * The llama engine on a tiny random-weight model: real llama.cpp inference, noise for output.
 * Assertions are about structure and contracts (token counts, JSON validity under a grammar,
 * tool calls, stop strings, refusals), never about content.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChatRequest, Engine } from '../types.js';
import { TesseraError } from '../../core/errors.js';
import { collect, makeEngine, makeTinyModel, noAbort, type TinyModel } from './testing.js';

const user = (content: string): ChatRequest['messages'] => [{ role: 'user', content }];

async function assertRefused(stream: AsyncIterable<unknown>, code: string): Promise<void> {
  const iterator = stream[Symbol.asyncIterator]();
  await assert.rejects(iterator.next(), (err: unknown) => err instanceof TesseraError && err.code === code);
}

describe('llama engine: requests', () => {
  let model: TinyModel;
  let engine: Engine;
  before(async () => {
    model = await makeTinyModel();
    engine = await makeEngine(model.path, { contextSize: 1024 });
  });
  after(async () => {
    await engine?.close();
    await model?.remove();
  });

  it('describes itself', () => {
    assert.equal(engine.info.kind, 'llama');
    assert.equal(engine.info.device, 'cpu');
    assert.equal(engine.info.randomWeights, true);
    assert.ok(engine.info.contextLength >= 1024);
    assert.deepEqual({ ...engine.stats(), decodeLoop: undefined }, { active: 0, queued: 0, slots: 4, decodeLoop: undefined });
  });

  it('honours max_tokens exactly and counts prompt tokens', async () => {
    const { done, events } = await collect(
      engine.chat({ messages: user('Hello'), sampling: { temperature: 0, maxTokens: 7 } }, noAbort()),
    );
    assert.equal(done.finishReason, 'length');
    assert.equal(done.usage.completionTokens, 7);
    assert.ok(done.usage.promptTokens > 5);
    assert.ok(events.some((e) => e.type === 'text'));
    // A longer message costs exactly its extra tokens (the template around it is the same).
    const longer = await collect(
      engine.chat({ messages: user('Hello Hello'), sampling: { temperature: 0, maxTokens: 1 } }, noAbort()),
    );
    assert.ok(longer.done.usage.promptTokens > done.usage.promptTokens);
  });

  it('is reproducible with a seed, greedy or sampled', async () => {
    const run = (seed: number | undefined, temperature: number) =>
      collect(engine.chat({ messages: user('Tell me'), sampling: { temperature, seed, maxTokens: 12 } }, noAbort()));
    assert.equal((await run(undefined, 0)).text, (await run(undefined, 0)).text);
    assert.equal((await run(42, 1)).text, (await run(42, 1)).text);
    const others = await Promise.all([1, 2, 3].map((seed) => run(seed, 1)));
    assert.ok(new Set(others.map((o) => o.text)).size > 1, 'different seeds give different samples');
  });

  it('cuts at a stop string, which is not returned', async () => {
    const request = { messages: user('Go on'), sampling: { temperature: 1, seed: 5, maxTokens: 24 } };
    const free = await collect(engine.chat(request, noAbort()));
    // A printable character whose first occurrence follows complete text: an incomplete UTF-8
    // sequence (shown as U+FFFD while streaming) right before a stop is dropped, not returned.
    const chars = [...free.text];
    const at = chars.findIndex(
      (ch, i) => i >= 2 && /[\x21-\x7e]/.test(ch) && chars[i - 1] !== '\uFFFD' && chars.indexOf(ch) === i,
    );
    assert.ok(at > 0, `no printable character to stop at in ${JSON.stringify(free.text)}`);
    const stop = chars[at];
    const cut = await collect(engine.chat({ ...request, sampling: { ...request.sampling, stop: [stop] } }, noAbort()));
    assert.equal(cut.done.finishReason, 'stop');
    assert.equal(cut.text, free.text.slice(0, free.text.indexOf(stop)));
    assert.ok(cut.done.usage.completionTokens < free.done.usage.completionTokens);
  });

  it('produces JSON valid for a json_schema response format', async () => {
    const schema = {
      type: 'object',
      properties: { ok: { type: 'boolean' }, size: { enum: ['s', 'm', 'l'] }, count: { type: 'integer' } },
      required: ['ok', 'size'],
    };
    for (const seed of [1, 2, 3]) {
      const { text, done } = await collect(
        engine.chat(
          { messages: user('JSON please'), sampling: { temperature: 1, seed, maxTokens: 200 }, responseFormat: { type: 'json_schema', schema } },
          noAbort(),
        ),
      );
      assert.equal(done.finishReason, 'stop', text);
      const value = JSON.parse(text) as { ok: unknown; size: unknown };
      assert.equal(typeof value.ok, 'boolean');
      assert.ok(['s', 'm', 'l'].includes(value.size as string));
    }
  });

  it('constrains json_object output to a JSON object', async () => {
    const { text, done } = await collect(
      engine.chat({ messages: user('JSON'), sampling: { temperature: 0, maxTokens: 64 }, responseFormat: { type: 'json_object' } }, noAbort()),
    );
    assert.match(text.trimStart(), /^\{/);
    if (done.finishReason === 'stop') assert.equal(typeof JSON.parse(text), 'object');
  });

  it('refuses a prompt longer than the context before any event', async () => {
    await assertRefused(engine.chat({ messages: user('word '.repeat(3000)), sampling: {} }, noAbort()), 'context_length_exceeded');
    await assertRefused(engine.complete({ prompt: 'word '.repeat(3000), sampling: {} }, noAbort()), 'context_length_exceeded');
    assert.equal(engine.stats().active, 0);
  });

  it('refuses out-of-range sampling and malformed messages', async () => {
    await assertRefused(engine.chat({ messages: user('x'), sampling: { temperature: 3 } }, noAbort()), 'invalid_request');
    await assertRefused(engine.chat({ messages: user('x'), sampling: { maxTokens: 0 } }, noAbort()), 'invalid_request');
    await assertRefused(engine.chat({ messages: user('x'), sampling: { stop: ['a', 'b', 'c', 'd', 'e'] } }, noAbort()), 'invalid_request');
    await assertRefused(engine.chat({ messages: [], sampling: {} }, noAbort()), 'invalid_request');
    await assertRefused(
      engine.chat({ messages: [...user('x'), { role: 'tool', content: '1', toolCallId: 'nope' }], sampling: {} }, noAbort()),
      'invalid_request',
    );
    await assertRefused(engine.complete({ prompt: '', sampling: {} }, noAbort()), 'invalid_request');
  });

  it('accepts presence and frequency penalties', async () => {
    const { done } = await collect(
      engine.chat({ messages: user('Hi'), sampling: { temperature: 0, maxTokens: 6, presencePenalty: 1.5, frequencyPenalty: -0.5 } }, noAbort()),
    );
    assert.equal(done.usage.completionTokens, 6);
  });

  it('completes raw text with max_tokens honoured exactly', async () => {
    const { done, text } = await collect(engine.complete({ prompt: 'Once upon a time', sampling: { temperature: 0, maxTokens: 9 } }, noAbort()));
    assert.equal(done.finishReason, 'length');
    assert.equal(done.usage.completionTokens, 9);
    assert.ok(done.usage.promptTokens > 0);
    assert.ok(text.length > 0);
  });

  it('embeds each input and counts its tokens', async () => {
    const result = await engine.embed(['hello', 'a longer sentence to embed'], noAbort());
    assert.equal(result.embeddings.length, 2);
    assert.ok(result.embeddings[0].length > 0);
    assert.equal(result.embeddings[0].length, result.embeddings[1].length);
    assert.ok(result.embeddings.flat().every(Number.isFinite));
    assert.ok(result.promptTokens > 5);
    await assert.rejects(engine.embed(['word '.repeat(3000)], noAbort()), (err: unknown) => err instanceof TesseraError && err.code === 'context_length_exceeded');
  });
});
