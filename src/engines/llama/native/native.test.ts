/**
 * What only the native decode loop does: prompt-prefix reuse across requests (reported as cached
 * prompt tokens), on real llama.cpp inference with the tiny generated model. The Engine contract
 * itself is checked on this loop by the shared conformance suite (../conformance.test.ts).
 *
 * Skipped when the addon was not built (CI builds with TESSERA_REQUIRE_NATIVE=1, so there a
 * missing addon fails the build before the tests run).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Engine, Sampling } from '../../types.js';
import { collect, makeEngine, makeTinyModel, noAbort, type TinyModel } from '../testing.js';
import { loadNativeAddon } from './binding.js';

const native = loadNativeAddon();
const skip = native.ok ? false : `native addon not built: ${native.reason}`;

describe('llama engine: native decode loop', { skip }, () => {
  let model: TinyModel;
  let engine: Engine;
  const system = `You are a careful assistant. ${'Answer briefly and cite your sources. '.repeat(12)}`;
  const ask = (question: string) =>
    collect(engine.chat({ messages: [{ role: 'system', content: system }, { role: 'user', content: question }], sampling: { maxTokens: 4, seed: 3 } }, noAbort()));

  before(async () => {
    model = await makeTinyModel();
    engine = await makeEngine(model.path, { contextSize: 512, parallel: 2, native: 'require' });
  });
  after(async () => {
    await engine?.close();
    await model?.remove();
  });

  it('reuses the KV cache of a shared system prompt and reports it as cached prompt tokens', async () => {
    const first = await ask('What is the capital of France?');
    assert.equal(first.done.usage.cachedPromptTokens, undefined);
    const second = await ask('And of Italy?');
    const cached = second.done.usage.cachedPromptTokens ?? 0;
    // At least the system turn is shared; never the whole prompt (the questions differ).
    assert.ok(cached > 100, `cached ${cached}`);
    assert.ok(cached < second.done.usage.promptTokens);
    // Text events carry the same usage, so a crash mid-stream bills cached tokens correctly too.
    for (const event of second.events) {
      if (event.type === 'text') assert.equal(event.usage?.cachedPromptTokens, cached);
    }
  });

  it('continues a conversation from the cached history', async () => {
    const history = [
      { role: 'system' as const, content: system },
      { role: 'user' as const, content: 'Tell me a story.' },
    ];
    const turn = await collect(engine.chat({ messages: history, sampling: { maxTokens: 6, temperature: 0 } }, noAbort()));
    const followUp = await collect(
      engine.chat({ messages: [...history, { role: 'assistant', content: turn.text }, { role: 'user', content: 'Go on.' }], sampling: { maxTokens: 4, temperature: 0 } }, noAbort()),
    );
    assert.ok((followUp.done.usage.cachedPromptTokens ?? 0) >= turn.done.usage.promptTokens - 1);
  });

  it('samples top_k / top_p without sorting the vocabulary: the edge cases equal greedy, seeds repeat', async () => {
    const once = async (sampling: Sampling) =>
      (await collect(engine.complete({ prompt: 'Sampling check', sampling: { maxTokens: 12, ...sampling } }, noAbort()))).text;
    const greedy = await once({ temperature: 0 });
    assert.equal(await once({ temperature: 1, topK: 1, seed: 5 }), greedy, 'top_k 1 is greedy');
    assert.equal(await once({ temperature: 1, topP: 1e-6, seed: 6 }), greedy, 'a tiny nucleus is the top token');
    for (const sampling of [{ topK: 40 }, { topP: 0.9 }, { topK: 40, topP: 0.9 }]) {
      const a = await once({ temperature: 0.8, seed: 7, ...sampling });
      assert.equal(await once({ temperature: 0.8, seed: 7, ...sampling }), a, JSON.stringify(sampling));
      assert.ok(a.length > 0);
    }
  });

  it('reuses nothing when prefix reuse is off', async () => {
    const plain = await makeEngine(model.path, { contextSize: 512, parallel: 1, native: 'require', prefixReuse: false });
    try {
      for (let i = 0; i < 2; i++) {
        const { done } = await collect(plain.chat({ messages: [{ role: 'system', content: system }, { role: 'user', content: `Q${i}` }], sampling: { maxTokens: 2 } }, noAbort()));
        assert.equal(done.usage.cachedPromptTokens, undefined);
      }
    } finally {
      await plain.close();
    }
  });
});
