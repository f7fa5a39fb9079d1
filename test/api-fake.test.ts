/**
 * The HTTP layer on the deterministic fake engine with a real SQLite store: OpenAI wire format
 * (JSON and SSE), auth, error shape, usage rows. The llama engine end to end is test/openai-api.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import type { Store } from '../src/store/index.js';
import { openFakeStack, type FakeStack } from './support/fake-stack.js';

describe('OpenAI API on the fake engine', () => {
  let dir: string;
  let stack: FakeStack;
  let store: Store;
  let url: string;
  let client: OpenAI;
  let secret: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tessera-api-'));
    stack = await openFakeStack({
      file: join(dir, 'db.sqlite'),
      now: () => new Date(),
      metering: false,
      maxQueue: 8,
      engines: [{ name: 'fake', contextLength: 50, slots: 2, tokenDelayMs: 2 }],
    });
    store = stack.store;
    ({ url } = await stack.serve());
    secret = (await store.keys.create({ name: 'admin', role: 'admin' })).secret;
    client = new OpenAI({ baseURL: `${url}/v1`, apiKey: secret, maxRetries: 0 });
  });

  after(async () => {
    await stack?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers a chat completion in OpenAI shape and records usage', async () => {
    const reply = await client.chat.completions.create({ model: 'fake', messages: [{ role: 'user', content: 'one two three' }], max_tokens: 4 });
    assert.equal(reply.object, 'chat.completion');
    assert.equal(reply.choices[0].finish_reason, 'length');
    assert.equal(reply.choices[0].message.content?.trim().split(' ').length, 4);
    assert.deepEqual(reply.usage, { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 });
    const [row] = (await store.usage.list({ limit: 5 })).filter((r) => r.requestId === reply.id);
    assert.equal(row.completionTokens, 4);
    assert.equal(row.outcome, 'ok');
  });

  it('streams chunks that add up to the same reply, ending with usage and [DONE]', async () => {
    const request = { model: 'fake', messages: [{ role: 'user' as const, content: 'hello' }], max_tokens: 5 };
    const whole = await client.chat.completions.create(request);
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ...request, stream: true, stream_options: { include_usage: true } }),
    });
    assert.equal(response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    const events = (await response.text()).trim().split('\n\n').map((e) => e.replace(/^data: /, ''));
    assert.equal(events.at(-1), '[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
    assert.equal(chunks[0].choices[0].delta.role, 'assistant');
    const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
    assert.equal(text, whole.choices[0].message.content);
    assert.equal(chunks.at(-1).usage.completion_tokens, 5);
    assert.deepEqual(chunks.at(-1).choices, []);
  });

  it('cuts at a stop string', async () => {
    const free = await client.completions.create({ model: 'fake', prompt: 'x', max_tokens: 6 });
    const words = free.choices[0].text.trim().split(' ');
    const stopped = await client.completions.create({ model: 'fake', prompt: 'x', max_tokens: 6, stop: [words[2]] });
    assert.ok(!stopped.choices[0].text.includes(words[2]));
    assert.equal(stopped.choices[0].finish_reason, 'stop');
  });

  it('returns embeddings as floats and base64', async () => {
    const floats = await client.embeddings.create({ model: 'fake', input: ['a b', 'c'], encoding_format: 'float' });
    const b64 = await client.embeddings.create({ model: 'fake', input: ['a b', 'c'] });
    assert.equal(floats.data.length, 2);
    assert.ok(Math.abs(floats.data[0].embedding[0] - b64.data[0].embedding[0]) < 1e-6);
    assert.equal(floats.usage.prompt_tokens, 3);
  });

  it('refuses bad input with catalog codes', async () => {
    const call = async (body: string, key: string | null = secret) => {
      const r = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
        body,
      });
      return { status: r.status, error: ((await r.json()) as { error: { code: string; param: string | null } }).error };
    };
    assert.deepEqual(await call('{"model":'), { status: 400, error: (await call('{"model":')).error });
    assert.equal((await call('{"model":')).error.code, 'invalid_json');
    assert.equal((await call('{}', null)).error.code, 'missing_api_key');
    assert.equal((await call('{}', 'sk-wrong')).status, 401);
    const unknown = await call(JSON.stringify({ model: 'fake', messages: [{ role: 'user', content: 'x' }], temprature: 1 }));
    assert.deepEqual([unknown.status, unknown.error.code, unknown.error.param], [400, 'unknown_parameter', 'temprature']);
    const typed = await call(JSON.stringify({ model: 'fake', messages: [{ role: 'user', content: 5 }] }));
    assert.deepEqual([typed.status, typed.error.param], [400, 'messages[0].content']);
    const missing = await call(JSON.stringify({ model: 'nope', messages: [{ role: 'user', content: 'x' }] }));
    assert.deepEqual([missing.status, missing.error.code], [404, 'model_not_found']);
    const long = await call(JSON.stringify({ model: 'fake', messages: [{ role: 'user', content: 'w '.repeat(60) }] }));
    assert.deepEqual([long.status, long.error.code], [400, 'context_length_exceeded']);
    const big = await call(JSON.stringify({ model: 'fake', messages: [{ role: 'user', content: 'x'.repeat(70_000) }] }));
    assert.deepEqual([big.status, big.error.code], [413, 'request_too_large']);
  });

  it('records an aborted stream with the tokens produced and frees the slot', async () => {
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: 'fake', messages: [{ role: 'user', content: 'go' }], max_tokens: 500, stream: true },
      { signal: controller.signal },
    );
    let seen = 0;
    // The SDK may end the iteration quietly or throw an AbortError: either way the client is gone.
    await (async () => {
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta.content) seen += 1;
        if (seen === 3) controller.abort();
      }
    })().catch(() => undefined);
    let aborted;
    for (let i = 0; i < 200 && !aborted; i++) {
      aborted = (await store.usage.list({ limit: 20 })).find((r) => r.outcome === 'aborted');
      if (!aborted) await new Promise((r) => setTimeout(r, 10));
    }
    assert.ok(aborted, 'aborted request recorded');
    assert.ok(aborted.completionTokens >= 3 && aborted.completionTokens < 500);
  });

  it('serves metrics and the OpenAPI document', async () => {
    const metrics = await (await fetch(`${url}/metrics`)).text();
    assert.match(metrics, /tessera_requests_total\{model="fake",endpoint="chat",outcome="ok"\} [1-9]/);
    const doc = (await (await fetch(`${url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    assert.ok(doc.paths['/v1/chat/completions']);
  });
});
