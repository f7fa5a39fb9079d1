import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonTemplate } from './sse.js';

describe('jsonTemplate', () => {
  const shape = (content: string) => ({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'm "q"', choices: [{ index: 0, delta: { content }, logprobs: null, finish_reason: null }] });

  it('gives what JSON.stringify gives, whatever the text holds', () => {
    const chunk = jsonTemplate(shape);
    for (const text of ['', 'hello', ' "quoted" \\ back', 'line\nbreak\ttab', '\u0000 nul', 'é 漢字 🙂', '\ud800 lone surrogate']) {
      assert.equal(chunk(text).json, JSON.stringify(shape(text)));
      assert.deepEqual(JSON.parse(chunk(text).json), shape(text));
    }
  });

  it('refuses a shape that does not hold the hole exactly once', () => {
    assert.throws(() => jsonTemplate(() => ({ a: 'none' }))('x'), /exactly once/);
    assert.throws(() => jsonTemplate((hole) => ({ a: hole, b: hole }))('x'), /exactly once/);
  });
});
