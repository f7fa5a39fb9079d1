/**
 * What only the openai engine does, over real HTTP to the mock upstream: the request it sends,
 * usage and tool calls taken from the stream, upstream failures mapped to catalog errors, and
 * aborts that reach the upstream. The shared contract is checked by conformance.test.ts.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { isTesseraError } from '../../core/errors.js';
import { collectEvents } from '../conformance.js';
import { startMockUpstream, type MockUpstream } from '../mock-upstream.js';
import { EVENT_GROUPS, isGrouped } from '../event-groups.js';
import type { Engine, EngineEvent } from '../types.js';
import { createOpenAIUpstreamEngine } from './engine.js';

const KEY = 'sk-upstream-secret';
const never = new AbortController().signal;

function user(content: string) {
  return [{ role: 'user' as const, content }];
}

function groupsOf(stream: AsyncIterable<EngineEvent>): AsyncIterator<EngineEvent[]> {
  assert.ok(isGrouped(stream), 'the openai engine offers its events in groups');
  return stream[EVENT_GROUPS]();
}

function refusedWith(code: string, status: number) {
  return (err: unknown) => {
    assert.ok(isTesseraError(err), `not a TesseraError: ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.equal(err.status, status);
    return true;
  };
}

// A broken abort would leave waitForCancelled pending forever: the time limit turns that into a failure.
describe('openai upstream engine', { timeout: 10_000 }, () => {
  let upstream: MockUpstream;
  let engine: Engine;

  before(async () => {
    upstream = await startMockUpstream({ apiKey: KEY, models: ['served-model'], contextLength: 64 });
    engine = await createOpenAIUpstreamEngine({
      name: 'public-name',
      baseUrl: `${upstream.url}/`, // a trailing slash, as operators type it
      apiKey: KEY,
      upstreamModel: 'served-model',
      slots: 2,
    });
  });
  afterEach(() => upstream.set({ failure: undefined, tokenDelayMs: 0, sendUsage: true, reply: undefined, replyTokens: 16 }));
  after(async () => {
    await engine.close();
    await upstream.close();
  });

  it('describes the upstream: its host, the context length its /models reports', () => {
    assert.equal(engine.info.kind, 'openai');
    assert.equal(engine.info.name, 'public-name');
    assert.equal(engine.info.contextLength, 64);
    assert.equal(engine.info.device, new URL(upstream.url).host);
    assert.equal(engine.info.randomWeights, false);
  });

  it('sends the upstream model name, its key, the sampling fields and streaming with usage', async () => {
    await collectEvents(
      engine.chat(
        {
          messages: [
            { role: 'system', content: 'Be brief.' },
            { role: 'assistant', content: null, toolCalls: [{ id: 'call_1', name: 'lookup', arguments: '{"q":"x"}' }] },
            { role: 'tool', content: '42', toolCallId: 'call_1' },
            { role: 'user', content: 'And now?' },
          ],
          sampling: { temperature: 0.5, topP: 0.9, seed: 7, maxTokens: 5, stop: ['END'], presencePenalty: 0.1, frequencyPenalty: 0.2 },
          responseFormat: { type: 'json_object' },
          raw: { model: 'public-name', user: 'end-user-1', stream: true },
        },
        never,
      ),
    );
    assert.equal(upstream.last?.path, '/v1/chat/completions');
    assert.equal(upstream.last?.authorization, `Bearer ${KEY}`);
    assert.deepEqual(upstream.last?.body, {
      model: 'served-model',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } }] },
        { role: 'tool', content: '42', tool_call_id: 'call_1' },
        { role: 'user', content: 'And now?' },
      ],
      temperature: 0.5,
      top_p: 0.9,
      seed: 7,
      max_tokens: 5,
      stop: ['END'],
      presence_penalty: 0.1,
      frequency_penalty: 0.2,
      response_format: { type: 'json_object' },
      stream: true,
      stream_options: { include_usage: true },
      user: 'end-user-1',
    });
  });

  it("reports the upstream's usage and finish reason, text in order", async () => {
    upstream.set({ reply: 'one two three', replyTokens: 3 });
    const { events, text, done } = await collectEvents(engine.chat({ messages: user('count for me please'), sampling: {} }, never));
    assert.deepEqual(events.slice(0, -1), [
      { type: 'text', text: 'one ' },
      { type: 'text', text: 'two ' },
      { type: 'text', text: 'three ' },
    ]);
    assert.equal(text, 'one two three ');
    assert.deepEqual(done, { type: 'done', finishReason: 'stop', usage: { promptTokens: 4, completionTokens: 3 } });
  });

  it('joins streamed tool call fragments into one tool_calls event', async () => {
    const tools = [{ name: 'lookup', parameters: { type: 'object' } }, { name: 'weather' }];
    const { events, done } = await collectEvents(
      engine.chat({ messages: user('Weather in Oslo'), sampling: {}, tools, toolChoice: { name: 'weather' } }, never),
    );
    assert.deepEqual(upstream.last?.body.tool_choice, { type: 'function', function: { name: 'weather' } });
    assert.deepEqual(events.slice(0, -1), [
      { type: 'tool_calls', calls: [{ id: 'call_mock0', name: 'weather', arguments: JSON.stringify({ query: 'Weather in Oslo' }) }] },
    ]);
    assert.equal(done.finishReason, 'tool_calls');
    assert.equal(done.usage.completionTokens, 3);
  });

  it('asks for one JSON reply when the client does not stream, with the same events and usage', async () => {
    upstream.set({ reply: 'one two three', replyTokens: 3, sendUsage: true });
    const chat = await collectEvents(engine.chat({ messages: user('count for me please'), sampling: {}, raw: { stream: false } }, never));
    assert.equal(upstream.last?.body.stream, false);
    assert.equal(upstream.last?.body.stream_options, undefined);
    assert.equal(chat.text, 'one two three ');
    assert.deepEqual(chat.done, { type: 'done', finishReason: 'stop', usage: { promptTokens: 4, completionTokens: 3 } });

    const completion = await collectEvents(engine.complete({ prompt: 'count', sampling: {}, raw: {} }, never));
    assert.equal(upstream.last?.body.stream, false);
    assert.equal(completion.text, 'one two three ');

    const tools = [{ name: 'weather' }];
    const called = await collectEvents(engine.chat({ messages: user('Weather in Oslo'), sampling: {}, tools, toolChoice: { name: 'weather' }, raw: { stream: false } }, never));
    assert.deepEqual(called.events.slice(0, -1), [
      { type: 'tool_calls', calls: [{ id: 'call_mock0', name: 'weather', arguments: JSON.stringify({ query: 'Weather in Oslo' }) }] },
    ]);
    assert.equal(called.done.finishReason, 'tool_calls');
  });

  it('estimates usage when the upstream reports none', async () => {
    upstream.set({ sendUsage: false, reply: 'a b c d', replyTokens: 4 });
    const { done } = await collectEvents(engine.complete({ prompt: 'x'.repeat(40), sampling: {} }, never));
    // 40 characters / 4 per token; one token per streamed chunk.
    assert.deepEqual(done.usage, { promptTokens: 10, completionTokens: 4 });
  });

  const failures: Array<[string, { status: number; message?: string; code?: string; retryAfterS?: number }, string, number]> = [
    ['a prompt too long, in vLLM wording', { status: 400, message: "This model's maximum context length is 64 tokens." }, 'context_length_exceeded', 400],
    ['a request the upstream refuses', { status: 400, message: 'top_k must be positive' }, 'invalid_request', 400],
    ["Tessera's upstream key refused", { status: 403, message: 'forbidden' }, 'upstream_auth_failed', 502],
    ['a rate limit', { status: 429, message: 'slow down', retryAfterS: 3 }, 'engine_overloaded', 503],
    ['an unknown upstream model', { status: 404, message: 'no such model' }, 'upstream_error', 502],
    ['a server error', { status: 500, message: 'CUDA error' }, 'upstream_error', 502],
    ['an unavailable server', { status: 503, message: 'loading' }, 'upstream_unavailable', 503],
  ];
  for (const [what, failure, code, status] of failures) {
    it(`maps ${what} (HTTP ${failure.status}) to ${code}, before any event`, async () => {
      upstream.set({ failure: { type: 'status', ...failure } });
      const iterator = engine.chat({ messages: user('hi'), sampling: {} }, never)[Symbol.asyncIterator]();
      await assert.rejects(iterator.next(), (err: unknown) => {
        refusedWith(code, status)(err);
        if (failure.message) assert.match((err as Error).message, new RegExp(failure.message));
        if (failure.retryAfterS) assert.match((err as Error).message, /Retry after 3 s/);
        return true;
      });
      assert.deepEqual(engine.stats(), { active: 0, queued: 0, slots: 2 });
    });
  }

  it('maps a wrong upstream key (401) to upstream_auth_failed, for generation and embeddings', async () => {
    const wrongKey = await createOpenAIUpstreamEngine({ name: 'x', baseUrl: upstream.url, apiKey: 'sk-wrong', upstreamModel: 'served-model' });
    try {
      const first = wrongKey.chat({ messages: user('hi'), sampling: {} }, never)[Symbol.asyncIterator]().next();
      await assert.rejects(first, refusedWith('upstream_auth_failed', 502));
      await assert.rejects(wrongKey.embed(['hi'], never), refusedWith('upstream_auth_failed', 502));
    } finally {
      await wrongKey.close();
    }
  });

  it('maps an unreachable upstream to upstream_unavailable, and starts anyway with the default context length', async () => {
    const gone = await startMockUpstream();
    await gone.close();
    const unreachable = await createOpenAIUpstreamEngine({ name: 'gone', baseUrl: gone.url });
    try {
      assert.equal(unreachable.info.contextLength, 8192);
      await assert.rejects(unreachable.complete({ prompt: 'hi', sampling: {} }, never)[Symbol.asyncIterator]().next(), (err: unknown) => {
        refusedWith('upstream_unavailable', 503)(err);
        assert.match((err as Error).message, /ECONNREFUSED/);
        return true;
      });
      assert.equal(unreachable.stats().active, 0);
    } finally {
      await unreachable.close();
    }
  });

  // Read event by event (the Engine contract) and by group (what the gateway does).
  for (const byGroup of [false, true]) {
    it(`throws upstream_unavailable when the stream breaks midway, after the text it had (${byGroup ? 'by group' : 'by event'})`, async () => {
      upstream.set({ failure: { type: 'break', afterTokens: 3 } });
      const stream = engine.chat({ messages: user('tell me more'), sampling: {} }, never);
      const events: EngineEvent[] = [];
      await assert.rejects(async () => {
        if (!byGroup) for await (const event of stream) events.push(event);
        else for await (const group of { [Symbol.asyncIterator]: () => groupsOf(stream) }) events.push(...group);
      }, refusedWith('upstream_unavailable', 503));
      assert.deepEqual(events.map((e) => e.type), ['text', 'text', 'text']);
      assert.deepEqual(engine.stats(), { active: 0, queued: 0, slots: 2 });
    });
  }

  it('cancels the upstream request when the signal aborts', async () => {
    upstream.set({ tokenDelayMs: 5, replyTokens: 10_000 });
    const cancelledBefore = upstream.cancelled;
    const controller = new AbortController();
    const { done } = await collectEvents(engine.chat({ messages: user('go on forever'), sampling: {} }, controller.signal), (event) => {
      if (event.type === 'text') controller.abort();
    });
    assert.equal(done.finishReason, 'abort');
    assert.ok(done.usage.completionTokens >= 1 && done.usage.completionTokens < 100);
    await upstream.waitForCancelled(cancelledBefore + 1);
    assert.equal(engine.stats().active, 0);
  });

  it('cancels the upstream request when the signal aborts while the upstream is still thinking', async () => {
    upstream.set({ tokenDelayMs: 60_000 });
    const [requestsBefore, cancelledBefore] = [upstream.requests, upstream.cancelled];
    const controller = new AbortController();
    const iterator = engine.chat({ messages: user('think hard'), sampling: {} }, controller.signal)[Symbol.asyncIterator]();
    const first = iterator.next();
    await upstream.waitForRequests(requestsBefore + 1);
    controller.abort();
    // No token came, so done is the first event; the prompt was sent, so its (estimated) tokens count.
    assert.deepEqual(await first, { done: false, value: { type: 'done', finishReason: 'abort', usage: { promptTokens: 3, completionTokens: 0 } } });
    assert.equal((await iterator.next()).done, true);
    await upstream.waitForCancelled(cancelledBefore + 1);
    assert.equal(engine.stats().active, 0);
  });

  it('cancels the upstream request and frees the slot when a consumer stops reading early', async () => {
    upstream.set({ tokenDelayMs: 5, replyTokens: 10_000 });
    const cancelledBefore = upstream.cancelled;
    for await (const event of engine.complete({ prompt: 'go on', sampling: {} }, never)) {
      if (event.type === 'text') break;
    }
    await upstream.waitForCancelled(cancelledBefore + 1);
    assert.equal(engine.stats().active, 0);
  });

  describe('read by group (what the gateway does)', () => {
    it('hands over what one upstream read completed as one group, the same events as one by one', async () => {
      const request = () => engine.chat({ messages: user('count for me please'), sampling: { seed: 1 } }, never);
      const groups: EngineEvent[][] = [];
      const iterator = groupsOf(request());
      for (let step = await iterator.next(); !step.done; step = await iterator.next()) groups.push(step.value);
      const { events } = await collectEvents(request());
      assert.deepEqual(groups.flat(), events);
      // The mock writes the whole reply at once: far fewer groups than events.
      assert.ok(groups.length <= 3 && events.length === 17, `${groups.length} groups of ${events.length} events`);
      assert.equal(groups.at(-1)!.at(-1)!.type, 'done');
    });

    it('cancels the upstream request and frees the slot when the reader returns early', async () => {
      upstream.set({ tokenDelayMs: 5, replyTokens: 10_000 });
      const cancelledBefore = upstream.cancelled;
      const iterator = groupsOf(engine.complete({ prompt: 'go on', sampling: {} }, never));
      assert.equal((await iterator.next()).value?.[0]?.type, 'text');
      await iterator.return?.(undefined);
      await upstream.waitForCancelled(cancelledBefore + 1);
      assert.equal(engine.stats().active, 0);
    });
  });

  it('embeds through the upstream with its token count', async () => {
    const result = await engine.embed(['one two', 'three'], never);
    assert.deepEqual(upstream.last?.body, { model: 'served-model', input: ['one two', 'three'] });
    assert.equal(result.embeddings.length, 2);
    assert.equal(result.embeddings[0].length, 8);
    assert.equal(result.promptTokens, 3);
  });
});

describe('openai upstream engine: close', { timeout: 10_000 }, () => {
  it('aborts running requests upstream and refuses later ones with model_not_ready', async () => {
    const upstream = await startMockUpstream({ tokenDelayMs: 5, replyTokens: 10_000 });
    const engine = await createOpenAIUpstreamEngine({ name: 'mock-model', baseUrl: upstream.url, contextLength: 100 });
    try {
      assert.equal(engine.info.contextLength, 100);
      assert.equal(upstream.requests, 0, 'a declared context length needs no /models call');
      const iterator = engine.chat({ messages: user('long'), sampling: {} }, never)[Symbol.asyncIterator]();
      assert.equal((await iterator.next()).done, false);
      await engine.close();
      const { done } = await collectEvents({ [Symbol.asyncIterator]: () => iterator });
      assert.equal(done.finishReason, 'abort');
      await upstream.waitForCancelled(1);
      const later = engine.chat({ messages: user('again'), sampling: {} }, never)[Symbol.asyncIterator]().next();
      await assert.rejects(later, refusedWith('model_not_ready', 503));
      await assert.rejects(engine.embed(['again'], never), refusedWith('model_not_ready', 503));
    } finally {
      await engine.close();
      await upstream.close();
    }
  });
});
