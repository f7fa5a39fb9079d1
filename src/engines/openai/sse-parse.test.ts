import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChunkReader } from './chunk-reader.js';
import { parseSse, parseSseBatches } from './sse-parse.js';
import { upstreamMessage } from './upstream-errors.js';

async function parse(chunks: Array<string | Uint8Array>): Promise<string[]> {
  const out: string[] = [];
  for await (const data of parseSse((async function* () {
    yield* chunks;
  })())) out.push(data);
  return out;
}

describe('parseSse', () => {
  it('splits events on blank lines with any line ending, also across chunks', async () => {
    assert.deepEqual(await parse(['data: a\n\ndata: b\r\n\r\nda', 'ta: c\r', '\r', 'data: d\r', '\n\r\n']), ['a', 'b', 'c', 'd']);
  });

  it('joins multi-line data, ignores comments and other fields, keeps a space after the first', async () => {
    assert.deepEqual(await parse([': ping\nevent: x\nid: 1\ndata: one\ndata:  two\ndata\n\n']), ['one\n two\n']);
  });

  it('decodes UTF-8 split between chunks and delivers a last event without its blank line', async () => {
    const bytes = new TextEncoder().encode('data: héllo\n\ndata: [DONE]');
    assert.deepEqual(await parse([bytes.slice(0, 8), bytes.slice(8)]), ['héllo', '[DONE]']);
  });
});

describe('parseSseBatches', () => {
  it('groups the events each network chunk completed, the same events parseSse gives', async () => {
    const groups: string[][] = [];
    const chunks = ['data: a\n\ndata: b\n\nda', 'ta: c\n', '\ndata: [DONE]'];
    for await (const group of parseSseBatches((async function* () {
      yield* chunks;
    })())) groups.push(group);
    assert.deepEqual(groups, [['a', 'b'], ['c'], ['[DONE]']]);
  });
});

describe('ChunkReader', () => {
  it('takes usage (with cached tokens) from a finishing chunk and maps finish reasons', () => {
    const reader = new ChunkReader();
    const usage = { prompt_tokens: 9, completion_tokens: 1, prompt_tokens_details: { cached_tokens: 4 } };
    const events = reader.read(JSON.stringify({ choices: [{ delta: { content: 'hi' }, finish_reason: 'content_filter' }], usage }));
    assert.deepEqual(events, [{ type: 'text', text: 'hi' }]);
    assert.deepEqual(reader.usage, { promptTokens: 9, completionTokens: 1, cachedPromptTokens: 4 });
    assert.equal(reader.finishReason, 'stop');
    assert.ok(reader.finished);
  });

  it('orders parallel tool calls by index and names calls that came without an id', () => {
    const reader = new ChunkReader();
    reader.read(JSON.stringify({ choices: [{ delta: { tool_calls: [{ index: 1, function: { name: 'b', arguments: '{' } }] } }] }));
    reader.read(JSON.stringify({ choices: [{ delta: { tool_calls: [{ index: 0, id: 'c0', function: { name: 'a', arguments: '{}' } }] } }] }));
    const last = { delta: { tool_calls: [{ index: 1, function: { arguments: '}' } }] }, finish_reason: 'stop' };
    const events = reader.read(JSON.stringify({ choices: [last] }));
    const calls = [
      { id: 'c0', name: 'a', arguments: '{}' },
      { id: 'call_1', name: 'b', arguments: '{}' },
    ];
    assert.deepEqual(events, [{ type: 'tool_calls', calls }]);
    assert.equal(reader.finishReason, 'tool_calls');
    assert.deepEqual(reader.flushCalls(), [], 'calls are sent once');
  });

  it('throws an error sent inside the stream as a catalog error', () => {
    const boom = JSON.stringify({ error: { message: 'boom', code: 500 } });
    assert.throws(() => new ChunkReader().read(boom), { code: 'upstream_error', message: /boom/ });
    assert.throws(() => new ChunkReader().read(JSON.stringify({ error: { message: 'prompt exceeds the context window', code: 400 } })), {
      code: 'context_length_exceeded',
    });
  });
});

describe('upstreamMessage', () => {
  it('reads OpenAI, vLLM and plain-text error bodies', () => {
    assert.deepEqual(upstreamMessage('{"error":{"message":"m1","code":"invalid_api_key"}}'), { message: 'm1', code: 'invalid_api_key' });
    const vllm = '{"object":"error","message":"m2","type":"BadRequestError","code":400}';
    assert.deepEqual(upstreamMessage(vllm), { message: 'm2', code: 'BadRequestError' });
    assert.deepEqual(upstreamMessage('{"error":"m3"}'), { message: 'm3', code: undefined });
    assert.deepEqual(upstreamMessage('Bad Gateway'), { message: 'Bad Gateway' });
  });
});
