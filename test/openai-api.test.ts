/**
 * End-to-end: the official `openai` client against a real Tessera server running real llama.cpp
 * inference on a tiny random-weight model. Output is noise, so assertions are about structure and
 * contracts (lengths, JSON validity, usage, concurrency), never about content.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from './support/server.js';

describe('OpenAI API end to end (llama engine, tiny model)', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ parallel: 8 });
  });
  after(async () => {
    await t?.stop();
  });

  it('lists the model and says its weights are random', async () => {
    const models = await t.client.models.list();
    const entry = models.data.find((m) => m.id === t.model) as unknown as { tessera: { random_weights: boolean; engine: string } };
    assert.ok(entry, 'model listed');
    assert.equal(entry.tessera.random_weights, true);
    assert.equal(entry.tessera.engine, 'llama');
  });

  it('answers a non-streaming chat with usage', async () => {
    const reply = await t.client.chat.completions.create({
      model: t.model,
      messages: [{ role: 'user', content: 'Hello there' }],
      max_tokens: 8,
      temperature: 0,
    });
    assert.match(reply.id, /^chatcmpl-/);
    assert.equal(reply.object, 'chat.completion');
    assert.equal(reply.choices[0].message.role, 'assistant');
    assert.equal(typeof reply.choices[0].message.content, 'string');
    assert.ok(reply.usage && reply.usage.prompt_tokens > 0);
    assert.ok(reply.usage.completion_tokens >= 1 && reply.usage.completion_tokens <= 8);
    assert.equal(reply.usage.total_tokens, reply.usage.prompt_tokens + reply.usage.completion_tokens);
  });

  it('honours max_tokens exactly when generation is not stopped earlier', async () => {
    const reply = await t.client.completions.create({ model: t.model, prompt: 'Once upon a time', max_tokens: 5, temperature: 0 });
    assert.ok(reply.usage!.completion_tokens <= 5);
    if (reply.choices[0].finish_reason === 'length') assert.equal(reply.usage!.completion_tokens, 5);
  });

  it('streams a chat whose chunks add up to the non-streamed reply, with usage last', async () => {
    const request = { model: t.model, messages: [{ role: 'user' as const, content: 'Count to three' }], max_tokens: 12, temperature: 0, seed: 1 };
    const whole = await t.client.chat.completions.create(request);
    const stream = await t.client.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let finish: string | null = null;
    let usage: { completion_tokens: number } | undefined;
    for await (const chunk of stream) {
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices[0];
      if (choice?.delta.content) text += choice.delta.content;
      if (choice?.finish_reason) finish = choice.finish_reason;
    }
    assert.equal(text, whole.choices[0].message.content);
    assert.ok(finish === 'stop' || finish === 'length');
    assert.equal(usage?.completion_tokens, whole.usage?.completion_tokens);
  });

  it('stops at a stop string and does not return it', async () => {
    const free = await t.client.completions.create({ model: t.model, prompt: 'abc', max_tokens: 24, temperature: 0 });
    const text = free.choices[0].text;
    // Pick a stop string from inside what greedy decoding produces, then ask again with it.
    const stop = text.slice(Math.floor(text.length / 2), Math.floor(text.length / 2) + 1);
    if (!stop.trim()) return; // nothing printable to stop on in this sample
    const stopped = await t.client.completions.create({ model: t.model, prompt: 'abc', max_tokens: 24, temperature: 0, stop: [stop] });
    assert.equal(stopped.choices[0].text, text.slice(0, text.indexOf(stop)));
    assert.equal(stopped.choices[0].finish_reason, 'stop');
  });

  it('returns JSON that matches the schema under structured output', async () => {
    const reply = await t.client.chat.completions.create({
      model: t.model,
      messages: [{ role: 'user', content: 'Give me a city' }],
      max_tokens: 60,
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'city',
          schema: {
            type: 'object',
            properties: { name: { type: 'string', maxLength: 8 }, population: { type: 'integer' } },
            required: ['name', 'population'],
            additionalProperties: false,
          },
        },
      },
    });
    const content = reply.choices[0].message.content ?? '';
    const parsed = JSON.parse(content);
    assert.equal(typeof parsed.name, 'string', content);
    // node-llama-cpp's integer grammar allows an exponent ("637e333"), which JSON.parse turns into
    // Infinity; the literal is still an integer in JSON's grammar (docs/engine-llama.md, limits).
    const literal = /"population"\s*:\s*(-?\d+(?:[eE][-+]?\d+)?)\s*[,}]/.exec(content)?.[1];
    assert.ok(literal !== undefined && (Number.isInteger(parsed.population) || /[eE]/.test(literal)), content);
  });

  it('round-trips a tool call', async () => {
    const tools = [
      {
        type: 'function' as const,
        function: {
          name: 'get_weather',
          description: 'Weather for a city',
          parameters: { type: 'object', properties: { city: { type: 'string', maxLength: 10 } }, required: ['city'] },
        },
      },
    ];
    const first = await t.client.chat.completions.create({
      model: t.model,
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      tools,
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      max_tokens: 60,
    });
    const call = first.choices[0].message.tool_calls?.[0];
    assert.ok(call, 'a tool call was returned');
    assert.equal(first.choices[0].finish_reason, 'tool_calls');
    assert.equal(call.type, 'function');
    assert.equal(call.function.name, 'get_weather');
    assert.equal(typeof JSON.parse(call.function.arguments).city, 'string');
    const answerWith = (result: string) =>
      t.client.chat.completions.create({
        model: t.model,
        messages: [
          { role: 'user', content: 'Weather in Paris?' },
          first.choices[0].message,
          { role: 'tool', tool_call_id: call.id, content: result },
        ],
        tools,
        tool_choice: 'none',
        max_tokens: 8,
      });
    const second = await answerWith('{"temperature": 21}');
    assert.equal(typeof second.choices[0].message.content, 'string');
    assert.equal(second.choices[0].message.tool_calls, undefined, 'no call under tool_choice none');
    const empty = await answerWith('');
    assert.ok(second.usage!.prompt_tokens > empty.usage!.prompt_tokens, 'the tool result is part of the prompt');
  });

  it('embeds text into equal-length vectors, as floats and as base64', async () => {
    const floats = await t.client.embeddings.create({ model: t.model, input: ['hello', 'world'], encoding_format: 'float' });
    assert.equal(floats.data.length, 2);
    assert.ok(floats.data[0].embedding.length > 0);
    assert.equal(floats.data[0].embedding.length, floats.data[1].embedding.length);
    assert.ok(floats.usage.prompt_tokens > 0);
    const b64 = await t.client.embeddings.create({ model: t.model, input: 'hello' }); // the SDK asks for base64
    assert.equal(b64.data[0].embedding.length, floats.data[0].embedding.length);
    assert.ok(Math.abs(b64.data[0].embedding[0] - floats.data[0].embedding[0]) < 1e-6);
  });

  it('decodes 8 concurrent streams together in one context', async () => {
    const engine = t.server.router.engine(t.model);
    let peak = 0;
    const poll = setInterval(() => (peak = Math.max(peak, engine.stats().active)), 2);
    try {
      const results = await Promise.all(
        Array.from({ length: 8 }, async (_, i) => {
          const stream = await t.client.chat.completions.create({
            model: t.model,
            messages: [{ role: 'user', content: `Stream number ${i}` }],
            max_tokens: 24,
            stream: true,
            stream_options: { include_usage: true },
          });
          let tokens = 0;
          for await (const chunk of stream) if (chunk.usage) tokens = chunk.usage.completion_tokens;
          return tokens;
        }),
      );
      assert.equal(results.length, 8);
      for (const tokens of results) assert.ok(tokens > 0);
    } finally {
      clearInterval(poll);
    }
    assert.ok(peak > 1, `sequences decoded together (peak active ${peak})`);
    assert.equal(engine.stats().active, 0);
  });

  it('frees the sequence of an aborted stream and records the tokens produced', async () => {
    const controller = new AbortController();
    const stream = await t.client.chat.completions.create(
      // Greedy: the tiny random-weight model then never ends its reply by itself.
      { model: t.model, messages: [{ role: 'user', content: 'Talk for a long time' }], max_tokens: 400, temperature: 0, stream: true },
      { signal: controller.signal },
    );
    let chunks = 0;
    // The SDK may end the iteration quietly or throw an AbortError: either way the client is gone.
    await (async () => {
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta.content) chunks += 1;
        if (chunks === 3) controller.abort();
      }
    })().catch(() => undefined);
    const engine = t.server.router.engine(t.model);
    for (let i = 0; i < 200 && engine.stats().active > 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(engine.stats().active, 0, 'sequence freed');
    let aborted;
    for (let i = 0; i < 100 && !aborted; i++) {
      aborted = (await t.server.store.usage.list({ limit: 5 })).find((u) => u.outcome === 'aborted');
      if (!aborted) await new Promise((r) => setTimeout(r, 10));
    }
    assert.ok(aborted, 'usage row for the aborted request');
    assert.ok(aborted.completionTokens >= 3 && aborted.completionTokens < 400, `tokens produced: ${aborted.completionTokens}`);
  });

  it('exposes Prometheus metrics for requests, tokens and latency', async () => {
    const text = await (await fetch(`${t.server.url}/metrics`)).text();
    assert.match(text, /tessera_requests_total\{model="[^"]+",endpoint="chat",outcome="ok"\} \d+/);
    assert.match(text, /tessera_tokens_total\{model="[^"]+",kind="completion"\} \d+/);
    assert.match(text, /tessera_time_to_first_token_seconds_count\{model="[^"]+"\} \d+/);
    assert.match(text, /tessera_inter_token_latency_seconds_bucket/);
    assert.match(text, /tessera_queue_depth/);
    assert.match(text, /tessera_models_loaded\{state="ready"\} 1/);
    // On the native decode loop (CI requires it): where the loop's time goes.
    if (t.server.router.engine(t.model).stats().decodeLoop) {
      assert.ok(Number(/tessera_decode_steps_total\{model="[^"]+"\} (\d+)/.exec(text)?.[1]) > 0, 'decode steps counted');
      assert.ok(Number(/tessera_decode_seconds_total\{model="[^"]+"\} ([\d.e-]+)/.exec(text)?.[1]) > 0, 'time in llama_decode');
      assert.match(text, /tessera_decode_busy_seconds_total\{model="[^"]+"\}/);
    }
  });
});
