/**
 * The conformance suite every Engine passes (the contract in `types.ts`). Register it from a test
 * file with a factory that makes a ready engine and a `close` that frees it and whatever it needs
 * (a model file, a mock upstream):
 *
 *     runEngineConformance('fake', async () => {
 *       const engine = createFakeEngine({ name: 'conf' });
 *       return { engine, close: () => engine.close() };
 *     });
 *
 * The factory is called once for the suite and once more for the close test. What an engine may
 * lack is read from `info.capabilities` (embeddings, tools) or declared in `caps` (determinism).
 * Every stream is read to its end, as the contract asks of consumers.
 */
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { isTesseraError } from '../core/errors.js';
import type { Engine, EngineEvent, EngineInfo, FinishReason } from './types.js';

export interface ConformanceCaps {
  /** Same request with the same seed at temperature 0 gives the same text (needed by the stop test). Default true. */
  deterministic?: boolean;
  /** Requests sent at once in the concurrency test. Default 8. */
  parallel?: number;
  /** info() fields that must have exactly these values, e.g. `{ kind: 'openai', contextLength: 256 }`. */
  expectInfo?: Partial<EngineInfo>;
  /** Per-test time limit in ms (a real model on a slow CPU needs more). Default 30 000. */
  timeoutMs?: number;
}

export type MakeEngine = () => Promise<{ engine: Engine; close(): Promise<void> }>;

type Done = Extract<EngineEvent, { type: 'done' }>;

type Collected = { events: EngineEvent[]; text: string; done: Done };

/** Reads a stream to its end and checks its shape: events, then exactly one `done`, last. */
export async function collectEvents(stream: AsyncIterable<EngineEvent>, onEvent?: (event: EngineEvent) => void): Promise<Collected> {
  const events: EngineEvent[] = [];
  for await (const event of stream) {
    assert.notEqual(events.at(-1)?.type, 'done', `an event came after done: ${JSON.stringify(event)}`);
    events.push(event);
    onEvent?.(event);
  }
  const done = events.at(-1);
  assert.ok(done?.type === 'done', `the stream ended without done (last: ${JSON.stringify(done)})`);
  const text = events.map((e) => (e.type === 'text' ? e.text : '')).join('');
  return { events, text, done };
}

function user(content: string) {
  return [{ role: 'user' as const, content }];
}

const never = new AbortController().signal;

function assertUsage(done: Done, finish: FinishReason[]): void {
  assert.ok(finish.includes(done.finishReason), `finishReason ${done.finishReason}, expected one of ${finish.join(', ')}`);
  assert.ok(Number.isInteger(done.usage.promptTokens) && done.usage.promptTokens > 0, `promptTokens ${done.usage.promptTokens}`);
  assert.ok(Number.isInteger(done.usage.completionTokens) && done.usage.completionTokens >= 0, `completionTokens ${done.usage.completionTokens}`);
}

function assertIdle(engine: Engine): void {
  const { active, queued } = engine.stats();
  assert.deepEqual({ active, queued }, { active: 0, queued: 0 }, 'the engine should be idle once every stream has ended');
}

/**
 * What a signal keeps for others: its `abort` listeners, and the signals `AbortSignal.any` made
 * from it (Node keeps those in an internal set; read through its symbol where it has one).
 */
function signalHolds(signal: AbortSignal): { listeners: number; dependants: number } {
  const symbol = Object.getOwnPropertySymbols(signal).find((s) => s.description === 'kDependantSignals');
  const dependants = symbol ? ((signal as unknown as Record<symbol, Set<unknown> | undefined>)[symbol]?.size ?? 0) : 0;
  return { listeners: getEventListeners(signal, 'abort').length, dependants };
}

/** Waits (turn by turn, not by the clock) until `check` holds; fails after `limitMs`. */
async function until(check: () => boolean, what: string, limitMs = 5000): Promise<void> {
  const deadline = performance.now() + limitMs;
  while (!check()) {
    if (performance.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await nextTurn();
  }
}

export function runEngineConformance(name: string, makeEngine: MakeEngine, caps: ConformanceCaps = {}): void {
  const deterministic = caps.deterministic ?? true;
  const opts = { timeout: caps.timeoutMs ?? 30_000 };

  describe(`engine conformance: ${name}`, () => {
    let engine: Engine;
    let closeEngine: () => Promise<void>;
    before(async () => {
      ({ engine, close: closeEngine } = await makeEngine());
    });
    after(() => closeEngine?.());

    it('describes itself in info()', opts, () => {
      const info = engine.info;
      assert.ok(typeof info.name === 'string' && info.name.length > 0);
      assert.ok(['llama', 'openai', 'fake'].includes(info.kind));
      assert.ok(Number.isInteger(info.contextLength) && info.contextLength > 0);
      for (const flag of ['chat', 'completion', 'embeddings', 'tools', 'jsonSchema'] as const) {
        assert.equal(typeof info.capabilities[flag], 'boolean', `capabilities.${flag}`);
      }
      assert.equal(typeof info.randomWeights, 'boolean');
      assert.ok(typeof info.device === 'string' && info.device.length > 0);
      for (const [key, value] of Object.entries(caps.expectInfo ?? {})) assert.deepEqual(info[key as keyof EngineInfo], value, `info.${key}`);
      const stats = engine.stats();
      assert.ok(Number.isInteger(stats.slots) && stats.slots > 0);
      assertIdle(engine);
    });

    it('streams a chat reply as text events, then exactly one done with usage', opts, async () => {
      // A model may end its reply at once (a random-weight one now and then does): try a few seeds.
      for (let seed = 1; ; seed++) {
        const stream = engine.chat({ messages: user('Say hello to the world.'), sampling: { maxTokens: 8, seed } }, never);
        const { events, text, done } = await collectEvents(stream);
        assertUsage(done, ['stop', 'length']);
        assert.ok(done.usage.completionTokens > 0 && done.usage.completionTokens <= 8, `completionTokens ${done.usage.completionTokens}`);
        assertIdle(engine);
        if (done.finishReason === 'stop' && done.usage.completionTokens === 1 && seed < 5) continue;
        assert.ok(events.filter((e) => e.type === 'text').length > 0, 'no text event');
        assert.ok(text.length > 0);
        break;
      }
    });

    it('completes a raw prompt with non-empty text', opts, async () => {
      const { text, done } = await collectEvents(engine.complete({ prompt: 'Once upon a time', sampling: { maxTokens: 6, seed: 2 } }, never));
      assert.ok(text.length > 0);
      assertUsage(done, ['stop', 'length']);
      assert.ok(done.usage.completionTokens > 0 && done.usage.completionTokens <= 6);
    });

    it('honours max_tokens: finish length with exactly that many completion tokens', opts, async () => {
      for (const stream of [
        engine.chat({ messages: user('Tell me a long story.'), sampling: { maxTokens: 5, seed: 3 } }, never),
        engine.complete({ prompt: 'Tell me a long story.', sampling: { maxTokens: 5, seed: 3 } }, never),
      ]) {
        const { text, done } = await collectEvents(stream);
        assert.equal(done.finishReason, 'length');
        assert.equal(done.usage.completionTokens, 5);
        assert.ok(text.length > 0);
      }
    });

    it('gives the same text for the same seed at temperature 0', { ...opts, skip: !deterministic && 'not deterministic' }, async () => {
      const request = () => engine.chat({ messages: user('Pick some words.'), sampling: { temperature: 0, seed: 42, maxTokens: 8 } }, never);
      const first = await collectEvents(request());
      const second = await collectEvents(request());
      assert.equal(second.text, first.text);
      assert.deepEqual(second.done, first.done);
    });

    it('ends before a stop sequence, which is not returned', { ...opts, skip: !deterministic && 'not deterministic' }, async () => {
      // Sampled (not greedy) with a fixed seed: greedy decoding of a random-weight model repeats one token.
      const sampling = { temperature: 1, seed: 5, maxTokens: 12 };
      const { text: full } = await collectEvents(engine.complete({ prompt: 'List some words:', sampling }, never));
      // A 3-character stop string from the middle of the reply — it may span token boundaries —
      // and the reply must end just before its first occurrence.
      const candidates: string[] = [];
      for (let k = Math.floor(full.length / 2); k < full.length - 2; k++) {
        const candidate = full.slice(k, k + 3);
        const first = full.indexOf(candidate);
        // Skip U+FFFD: a half-streamed multi-byte character is not text a stop string can match.
        const clean = !candidate.includes('\uFFFD') && full[first - 1] !== '\uFFFD';
        if (first > 0 && clean && candidate.trim().length > 0) candidates.push(candidate);
      }
      const stop = candidates[0];
      assert.ok(stop, `no usable stop string in ${JSON.stringify(full)}`);
      const { text, done } = await collectEvents(engine.complete({ prompt: 'List some words:', sampling: { ...sampling, stop: [stop] } }, never));
      assert.equal(text, full.slice(0, full.indexOf(stop)));
      assert.equal(done.finishReason, 'stop');
      assert.ok(!text.includes(stop));
    });

    it('ends an aborted stream with exactly one done (abort) and frees the slot', opts, async () => {
      const controller = new AbortController();
      let textBeforeAbort = 0;
      const { done } = await collectEvents(
        engine.chat({ messages: user('Write a very long essay.'), sampling: { maxTokens: 64, seed: 6 } }, controller.signal),
        (event) => {
          if (event.type === 'text' && !controller.signal.aborted) {
            textBeforeAbort += 1;
            controller.abort();
          }
        },
      );
      assert.equal(done.finishReason, 'abort');
      assert.ok(done.usage.completionTokens >= textBeforeAbort, `completionTokens ${done.usage.completionTokens} < text events seen`);
      assert.ok(done.usage.completionTokens < 64, 'the abort did not stop generation');
      assertIdle(engine);
    });

    it('ends a stream whose signal is already aborted with one done (abort) and no text', opts, async () => {
      const { events, done } = await collectEvents(engine.chat({ messages: user('Hello'), sampling: { maxTokens: 8 } }, AbortSignal.abort()));
      assert.equal(events.length, 1);
      assert.equal(done.finishReason, 'abort');
      assert.equal(done.usage.completionTokens, 0);
      assertIdle(engine);
    });

    it('leaves nothing behind on a signal shared by many requests, and still aborts on it', opts, async () => {
      // As a keep-alive connection's signal: every request on it sees the same one.
      const connection = new AbortController();
      const run = (maxTokens: number) => collectEvents(engine.complete({ prompt: 'One two three', sampling: { maxTokens, seed: 1 } }, connection.signal));
      await run(2);
      const held = signalHolds(connection.signal);
      // More requests than slots at once, so some wait in the queue too.
      await Promise.all(Array.from({ length: engine.stats().slots + 2 }, () => run(2)));
      await run(2);
      assert.deepEqual(signalHolds(connection.signal), held, 'listeners or dependants piled up on the shared signal');

      const { done } = await collectEvents(
        engine.complete({ prompt: 'Write a very long essay.', sampling: { maxTokens: 64, seed: 6 } }, connection.signal),
        (event) => {
          if (event.type === 'text') connection.abort();
        },
      );
      assert.equal(done.finishReason, 'abort');
      assertIdle(engine);
    });

    it('refuses an over-long prompt with context_length_exceeded before any event', opts, async () => {
      const long = 'word '.repeat(engine.info.contextLength * 2);
      for (const stream of [
        engine.chat({ messages: user(long), sampling: { maxTokens: 4 } }, never),
        engine.complete({ prompt: long, sampling: { maxTokens: 4 } }, never),
      ]) {
        await assert.rejects(stream[Symbol.asyncIterator]().next(), (err: unknown) => {
          assert.ok(isTesseraError(err), `not a TesseraError: ${String(err)}`);
          assert.equal(err.code, 'context_length_exceeded');
          assert.equal(err.status, 400);
          return true;
        });
      }
      assertIdle(engine);
    });

    it('completes parallel requests, never decoding more than its slots', opts, async () => {
      const count = caps.parallel ?? 8;
      let peak = 0;
      const watch = () => (peak = Math.max(peak, engine.stats().active));
      const results = await Promise.all(
        Array.from({ length: count }, (_, i) =>
          collectEvents(engine.chat({ messages: user(`Request number ${i}`), sampling: { maxTokens: 6, seed: i } }, never), watch),
        ),
      );
      for (const { text, done } of results) {
        assertUsage(done, ['stop', 'length']);
        // Text, unless the model ended its reply at once.
        if (done.finishReason === 'length' || done.usage.completionTokens > 1) assert.ok(text.length > 0);
      }
      assert.ok(peak <= engine.stats().slots, `${peak} active with ${engine.stats().slots} slots`);
      assertIdle(engine);
    });

    it('ends a request aborted while queued with done (abort) and zero completion tokens', opts, async () => {
      const { slots } = engine.stats();
      const holders = Array.from({ length: slots }, () => new AbortController());
      // Each holder has read one event, so it holds a slot until it is aborted and drained
      // (greedy: a long reply, where a sampled one may end early).
      const iterators = holders.map((h, i) =>
        engine.chat({ messages: user(`Hold slot ${i}`), sampling: { maxTokens: 1000, temperature: 0 } }, h.signal)[Symbol.asyncIterator](),
      );
      await Promise.all(iterators.map((it) => it.next()));
      const waiter = new AbortController();
      const queued = collectEvents(engine.chat({ messages: user('Waiting'), sampling: { maxTokens: 4 } }, waiter.signal));
      await until(() => engine.stats().queued === 1, 'the extra request is queued');
      waiter.abort();
      const { events, done } = await queued;
      assert.equal(events.length, 1);
      assert.equal(done.finishReason, 'abort');
      assert.equal(done.usage.completionTokens, 0);
      holders.forEach((h) => h.abort());
      const drained = await Promise.all(iterators.map((it) => collectEvents({ [Symbol.asyncIterator]: () => it })));
      for (const { done: holderDone } of drained) assert.equal(holderDone.finishReason, 'abort');
      assertIdle(engine);
    });

    it('returns embeddings of one dimension per input, or refuses them when it has none', opts, async (t) => {
      const input = ['first text', 'a second, longer text', 'third'];
      if (!engine.info.capabilities.embeddings) {
        await assert.rejects(engine.embed(input, never), (err: unknown) => isTesseraError(err));
        return t.skip('no embeddings: refusal checked');
      }
      const result = await engine.embed(input, never);
      assert.equal(result.embeddings.length, input.length);
      const dims = result.embeddings[0].length;
      assert.ok(dims > 0);
      for (const vector of result.embeddings) {
        assert.equal(vector.length, dims);
        assert.ok(vector.every(Number.isFinite));
      }
      assert.notDeepEqual(result.embeddings[0], result.embeddings[1]);
      assert.ok(result.promptTokens > 0);
    });

    it('returns a tool call when tools are offered and a call is required', opts, async (t) => {
      if (!engine.info.capabilities.tools) return t.skip('no tools');
      // Bounded, so a model with random weights also finishes the call within max_tokens.
      const parameters = { type: 'object', properties: { city: { type: 'string', maxLength: 12 } }, required: ['city'] };
      const tools = [{ name: 'get_weather', description: 'Weather for a city', parameters }];
      const { events, done } = await collectEvents(
        engine.chat({ messages: user('Weather in Paris?'), sampling: { maxTokens: 80, seed: 8 }, tools, toolChoice: 'required' }, never),
      );
      const calls = events.flatMap((e) => (e.type === 'tool_calls' ? e.calls : []));
      assert.ok(calls.length >= 1, 'no tool call');
      for (const call of calls) {
        assert.equal(call.name, 'get_weather');
        assert.ok(call.id.length > 0);
        assert.doesNotThrow(() => JSON.parse(call.arguments), `arguments are not JSON: ${call.arguments}`);
      }
      assert.equal(done.finishReason, 'tool_calls');
    });
  });

  describe(`engine conformance: ${name}: close`, () => {
    it('ends running streams with done (abort), and close() is idempotent', opts, async () => {
      const { engine, close } = await makeEngine();
      try {
        const stream = engine.chat({ messages: user('A long reply, please.'), sampling: { maxTokens: 256, seed: 9 } }, never);
        const iterator = stream[Symbol.asyncIterator]();
        const first = await iterator.next();
        assert.equal(first.done, false);
        await engine.close();
        const { done } = await collectEvents({ [Symbol.asyncIterator]: () => iterator });
        assert.equal(done.finishReason, 'abort');
        await engine.close();
        assertIdle(engine);
      } finally {
        await close();
      }
    });
  });
}
