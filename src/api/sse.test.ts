import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChunkJson, JsonRest, JsonRestTemplate } from './sse.js';

describe('ChunkJson', () => {
  const base = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'm "q" \\ é' };
  const choice = (content: string) => ({ choices: [{ index: 0, delta: { content }, logprobs: null, finish_reason: null }] });
  const texts = ['', 'hello', ' "quoted" \\ back', 'line\nbreak\ttab', '\u0000 nul', 'é 漢字 🙂', '\ud800 lone surrogate', '\u2028'];

  it('gives what JSON.stringify gives for a token chunk, whatever the text holds', () => {
    const text = new ChunkJson(base).filler(new JsonRestTemplate(choice));
    for (const t of texts) {
      assert.equal(text(t).json, JSON.stringify({ ...base, ...choice(t) }));
      assert.deepEqual(JSON.parse(text(t).json), { ...base, ...choice(t) });
    }
  });

  it('gives what JSON.stringify gives for other chunks, serialised before or at the call', () => {
    const chunks = new ChunkJson(base);
    const usage = { choices: [], usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 } };
    assert.equal(chunks.of(usage).json, JSON.stringify({ ...base, ...usage }));
    assert.equal(chunks.of(new JsonRest(choice('hi'))).json, JSON.stringify({ ...base, ...choice('hi') }));
  });

  it('refuses a template without its hole exactly once, and empty objects', () => {
    assert.throws(() => new JsonRestTemplate(() => ({ a: 'none' })), /exactly once/);
    assert.throws(() => new JsonRestTemplate((hole) => ({ a: hole, b: hole })), /exactly once/);
    assert.throws(() => new JsonRest({}), /members/);
    assert.throws(() => new ChunkJson({}).of({ a: 1 }), /members/);
  });
});
