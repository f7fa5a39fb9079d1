/**
 * Tool calling on the tiny random-weight model: a random model never chooses to call by itself,
 * so calls are forced (`required`, named choice) and the assertions are about structure: the
 * event order, names, arguments that parse and satisfy the schema, and the result round-trip.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChatRequest, Engine, ToolCall, ToolDefinition } from '../types.js';
import { TesseraError } from '../../core/errors.js';
import { collect, makeEngine, makeTinyModel, noAbort, type TinyModel } from './testing.js';

const weather: ToolDefinition = {
  name: 'get_weather',
  description: 'Current weather in a city',
  parameters: {
    type: 'object',
    properties: { city: { type: 'string', enum: ['Paris', 'Rome', 'Oslo'] }, unit: { enum: ['c', 'f'] } },
    required: ['city', 'unit'],
  },
};
const clock: ToolDefinition = { name: 'get_time', description: 'The time now', parameters: { type: 'object', properties: {} } };
const question: ChatRequest['messages'] = [{ role: 'user', content: 'Weather in Paris?' }];

function toolCallsOf(events: Awaited<ReturnType<typeof collect>>['events']): ToolCall[] {
  const withCalls = events.filter((e) => e.type === 'tool_calls');
  assert.equal(withCalls.length, 1, 'exactly one tool_calls event');
  assert.equal(events.indexOf(withCalls[0]), events.length - 2, 'tool_calls comes right before done');
  return withCalls[0].type === 'tool_calls' ? withCalls[0].calls : [];
}

describe('llama engine: tools', () => {
  let model: TinyModel;
  let engine: Engine;
  before(async () => {
    model = await makeTinyModel();
    engine = await makeEngine(model.path, { contextSize: 2048, parallel: 2 });
  });
  after(async () => {
    await engine?.close();
    await model?.remove();
  });

  it('forces a call of the named tool, with arguments valid for its schema', async () => {
    for (const seed of [1, 2]) {
      const { events, done } = await collect(
        engine.chat(
          { messages: question, sampling: { temperature: 1, seed, maxTokens: 80 }, tools: [clock, weather], toolChoice: { name: 'get_weather' } },
          noAbort(),
        ),
      );
      assert.equal(done.finishReason, 'tool_calls');
      const calls = toolCallsOf(events);
      assert.equal(calls.length, 1);
      assert.equal(calls[0].name, 'get_weather');
      assert.match(calls[0].id, /^call-/);
      const args = JSON.parse(calls[0].arguments) as { city: string; unit: string };
      assert.ok(['Paris', 'Rome', 'Oslo'].includes(args.city));
      assert.ok(['c', 'f'].includes(args.unit));
    }
  });

  it('forces some call with tool_choice required', async () => {
    const { events, done } = await collect(
      engine.chat({ messages: question, sampling: { temperature: 0, maxTokens: 80 }, tools: [clock, weather], toolChoice: 'required' }, noAbort()),
    );
    assert.equal(done.finishReason, 'tool_calls');
    const calls = toolCallsOf(events);
    assert.ok(calls.length >= 1);
    for (const call of calls) {
      assert.ok(['get_weather', 'get_time'].includes(call.name));
      assert.equal(typeof JSON.parse(call.arguments), 'object');
    }
  });

  it('offers no tools with tool_choice none', async () => {
    const { events, done } = await collect(
      engine.chat({ messages: question, sampling: { temperature: 0, maxTokens: 5 }, tools: [weather], toolChoice: 'none' }, noAbort()),
    );
    assert.equal(done.finishReason, 'length');
    assert.ok(!events.some((e) => e.type === 'tool_calls'));
  });

  it('round-trips a tool result into the next turn', async () => {
    const call: ToolCall = { id: 'call-1', name: 'get_weather', arguments: '{"city":"Paris","unit":"c"}' };
    const withResult: ChatRequest['messages'] = [
      ...question,
      { role: 'assistant', content: null, toolCalls: [call] },
      { role: 'tool', toolCallId: 'call-1', content: '{"temperature":21}' },
    ];
    const first = await collect(engine.chat({ messages: withResult, sampling: { temperature: 0, maxTokens: 4 }, tools: [weather] }, noAbort()));
    assert.ok(['length', 'stop', 'tool_calls'].includes(first.done.finishReason));
    const base = await collect(engine.chat({ messages: question, sampling: { temperature: 0, maxTokens: 1 }, tools: [weather] }, noAbort()));
    // The call and its result are rendered into the prompt.
    assert.ok(first.done.usage.promptTokens > base.done.usage.promptTokens + 20);
  });

  it('refuses unknown tool choices, unsupported schemas and tools with a response format', async () => {
    const refused = async (req: Partial<ChatRequest>, code: string) => {
      const stream = engine.chat({ messages: question, sampling: {}, ...req }, noAbort());
      await assert.rejects(stream[Symbol.asyncIterator]().next(), (err: unknown) => err instanceof TesseraError && err.code === code);
    };
    await refused({ tools: [weather], toolChoice: { name: 'nope' } }, 'invalid_request');
    await refused({ toolChoice: 'required' }, 'invalid_request');
    await refused({ tools: [weather, weather] }, 'invalid_request');
    await refused({ tools: [{ name: 'bad', parameters: { type: 'object', properties: { x: { type: 'no-such-type' } } } }] }, 'invalid_request');
    await refused({ tools: [weather], responseFormat: { type: 'json_object' } }, 'unsupported_feature');
    assert.equal(engine.stats().active, 0);
  });
});
