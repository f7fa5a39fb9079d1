/**
 * The reader's learned frame shape must never change what a stream means: every sequence of frames
 * reads to the same events, token count, usage and finish as parsing each frame whole, and the
 * shortcut must actually be taken on an ordinary stream.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EngineEvent } from '../types.js';
import { ChunkReader } from './chunk-reader.js';

interface Outcome {
  events: EngineEvent[];
  contentChunks: number;
  usage: unknown;
  finishReason: string;
}

function readAll(reader: ChunkReader, frames: Array<string | object>): Outcome {
  const events: EngineEvent[] = [];
  for (const frame of frames) events.push(...reader.read(frame as string));
  events.push(...reader.flushCalls());
  return { events, contentChunks: reader.contentChunks, usage: reader.usage, finishReason: reader.finishReason };
}

/** The frames as text through one reader, and as already-parsed objects (no shape) through another. */
function bothWays(frames: string[]): { fast: Outcome; whole: Outcome; parsed: number } {
  const reader = new ChunkReader();
  const fast = readAll(reader, frames);
  const whole = readAll(new ChunkReader(), frames.map((frame) => JSON.parse(frame) as object));
  return { fast, whole, parsed: reader.framesParsed };
}

const openaiFrame = (delta: object, finish: string | null = null, extra: object = {}) =>
  JSON.stringify({
    id: 'chatcmpl-AbC123',
    object: 'chat.completion.chunk',
    created: 1733270400,
    model: 'qwen2.5-0.5b-instruct',
    system_fingerprint: 'fp_44709d6fcb',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    usage: null,
    ...extra,
  });

const texts = ['Hello', ',', ' "quoted"', ' back\\slash', ' line\nbreak', ' café', ' 🙂', ' \u2028', ' tab\t', '', ' end'];

describe('ChunkReader', () => {
  it('reads an ordinary chat stream as whole parsing does, parsing only the frames that differ in more than their text', () => {
    const frames = [
      openaiFrame({ role: 'assistant', content: '' }),
      ...texts.map((content) => openaiFrame({ content })),
      openaiFrame({}, 'stop'),
      JSON.stringify({ id: 'chatcmpl-AbC123', object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 9, completion_tokens: 10 } }),
    ];
    const { fast, whole, parsed } = bothWays(frames);
    assert.deepEqual(fast, whole);
    assert.equal(fast.events.map((e) => (e.type === 'text' ? e.text : '')).join(''), texts.join(''));
    assert.deepEqual(fast.usage, { promptTokens: 9, completionTokens: 10 });
    // The role frame, the first text frame (the shape is learned there), the finish and the usage.
    assert.equal(parsed, 4);
  });

  it('reads completion streams (text instead of delta) through a learned shape too', () => {
    const frame = (text: string, finish: string | null = null) =>
      JSON.stringify({ id: 'cmpl-1', object: 'text_completion', created: 1, model: 'm', choices: [{ text, index: 0, logprobs: null, finish_reason: finish }] });
    const { fast, whole, parsed } = bothWays([...texts.map((t) => frame(t)), frame('', 'length')]);
    assert.deepEqual(fast, whole);
    assert.equal(fast.finishReason, 'length');
    assert.equal(parsed, 2);
  });

  it('parses whole a frame whose hole holds more than one string, or no string', () => {
    const first = openaiFrame({ content: 'a' });
    const [prefix, suffix] = first.split('"a"');
    const frames = [
      first,
      `${prefix}"b","content":"c"${suffix}`, // a duplicate key: the last one wins
      `${prefix}"d","extra":1${suffix}`,
      `${prefix}null${suffix}`,
      `${prefix}"e"${suffix}`,
    ];
    const { fast, whole, parsed } = bothWays(frames);
    assert.deepEqual(fast, whole);
    assert.deepEqual(fast.events.map((e) => (e.type === 'text' ? e.text : '')), ['a', 'c', 'd', 'e']);
    assert.equal(parsed, frames.length, 'each odd frame is parsed whole (and teaches its own shape, which the next one misses)');
  });

  it('learns no shape where the text also appears elsewhere in the frame, and stays right', () => {
    const frame = (content: string) =>
      JSON.stringify({ id: 'x', model: 'hi', choices: [{ index: 0, delta: { content }, finish_reason: null }] });
    const { fast, whole, parsed } = bothWays([frame('hi'), frame('hi'), frame('there'), frame('hi')]);
    assert.deepEqual(fast, whole);
    assert.equal(parsed, 3, "a frame whose text is also the model's name teaches nothing; 'there' does, and the last 'hi' is read through it");
  });

  it('proves the shape where the frame has escapes: a text written as \\u escapes is not the model name it equals', () => {
    const frame = (model: string) => `{"id":"x","model":"${model}","choices":[{"index":0,"delta":{"content":"\\u0068i"},"finish_reason":null}]}`;
    const { fast, whole } = bothWays([frame('hi'), frame('yo'), frame('hi')]);
    assert.deepEqual(fast, whole);
    assert.deepEqual(fast.events.map((e) => (e.type === 'text' ? e.text : '')), ['hi', 'hi', 'hi']);
  });

  it('stays right for upstreams whose frames change in more than the text (a per-frame nonce), and stops trying to learn', () => {
    const frames = texts.map((content, i) => openaiFrame({ content }, null, { obfuscation: 'x'.repeat(i + 1) }));
    const { fast, whole, parsed } = bothWays(frames);
    assert.deepEqual(fast, whole);
    assert.equal(parsed, frames.length);
  });

  it('still handles tool calls, in-band errors and usage on the finishing frame', () => {
    const frames = [
      openaiFrame({ content: 'Let me look.' }),
      openaiFrame({ tool_calls: [{ index: 0, id: 'call_1', function: { name: 'search', arguments: '{"q":' } }] }),
      openaiFrame({ tool_calls: [{ index: 0, function: { arguments: '"x"}' } }] }),
      openaiFrame({}, 'tool_calls', { usage: { prompt_tokens: 3, completion_tokens: 4 } }),
    ];
    const { fast, whole } = bothWays(frames);
    assert.deepEqual(fast, whole);
    assert.equal(fast.finishReason, 'tool_calls');
    assert.deepEqual(fast.events.at(-1), { type: 'tool_calls', calls: [{ id: 'call_1', name: 'search', arguments: '{"q":"x"}' }] });
    const reader = new ChunkReader();
    reader.read(openaiFrame({ content: 'a' }));
    assert.throws(() => reader.read(JSON.stringify({ error: { message: 'upstream overloaded', type: 'server_error' } })), /overloaded/);
  });
});
