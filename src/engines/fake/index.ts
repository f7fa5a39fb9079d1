/**
 * The deterministic fake engine, for tests of the layers above the engines. Behaviour, exactly:
 * - a token is a whitespace-separated word; prompt tokens = words in all message contents;
 * - the reply is words from a fixed list, chosen by a hash of (last message, seed), one per token,
 *   each streamed as "word " after `tokenDelayMs`; it ends after `maxTokens` (default 16) with
 *   finish `length`, or before a stop string (finish `stop`);
 * - a prompt longer than `contextLength` words throws `context_length_exceeded` before any event;
 * - at most `slots` requests generate at once; the rest wait in FIFO order;
 * - abort ends the stream with `done`/`abort` and the tokens produced so far;
 * - embeddings are unit vectors derived from a hash of the text.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { TesseraError } from '../../core/errors.js';
import type { ChatRequest, CompletionRequest, Engine, EngineEvent, Sampling } from '../types.js';
import { StopScanner } from '../stop-strings.js';

const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet', 'kilo', 'lima'];

export interface FakeEngineOptions {
  name: string;
  contextLength?: number;
  slots?: number;
  tokenDelayMs?: number;
  embeddingDims?: number;
}

function hash(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function countWords(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

export function createFakeEngine(options: FakeEngineOptions): Engine {
  const contextLength = options.contextLength ?? 4096;
  const slots = options.slots ?? 4;
  const waiting: Array<() => void> = [];
  let active = 0;
  let closed = false;

  async function acquire(signal: AbortSignal): Promise<boolean> {
    if (active < slots) {
      active += 1;
      return true;
    }
    await new Promise<void>((resolve) => {
      // An aborted waiter leaves the queue, so a later release wakes someone who still waits.
      const onAbort = () => {
        const index = waiting.indexOf(wake);
        if (index >= 0) waiting.splice(index, 1);
        resolve();
      };
      // The signal may outlive the request (a connection's): a woken waiter stops listening.
      const wake = () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      waiting.push(wake);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    if (signal.aborted) {
      // Woken by a release and aborted in the same turn: pass the free slot on.
      if (active < slots) waiting.shift()?.();
      return false;
    }
    active += 1;
    return true;
  }

  function release(): void {
    active -= 1;
    waiting.shift()?.();
  }

  async function* generate(promptText: string, seedText: string, sampling: Sampling, signal: AbortSignal): AsyncGenerator<EngineEvent> {
    const promptTokens = countWords(promptText);
    if (promptTokens > contextLength) {
      throw new TesseraError('context_length_exceeded', `The prompt has ${promptTokens} tokens; the context holds ${contextLength}.`);
    }
    const maxTokens = sampling.maxTokens ?? 16;
    const digest = hash(`${seedText}\u0000${sampling.seed ?? 0}`);
    if (!(await acquire(signal))) {
      yield { type: 'done', finishReason: 'abort', usage: { promptTokens, completionTokens: 0 } };
      return;
    }
    const scanner = new StopScanner(sampling.stop ?? []);
    let produced = 0;
    try {
      for (; produced < maxTokens; produced++) {
        if (signal.aborted || closed) {
          yield { type: 'done', finishReason: 'abort', usage: { promptTokens, completionTokens: produced } };
          return;
        }
        if (options.tokenDelayMs) await sleep(options.tokenDelayMs);
        const { text, stopped } = scanner.push(`${WORDS[digest[produced % digest.length] % WORDS.length]} `);
        if (text !== '') yield { type: 'text', text, usage: { promptTokens, completionTokens: produced + 1 } };
        if (stopped) {
          yield { type: 'done', finishReason: 'stop', usage: { promptTokens, completionTokens: produced + 1 } };
          return;
        }
      }
      const rest = scanner.flush();
      if (rest !== '') yield { type: 'text', text: rest, usage: { promptTokens, completionTokens: produced } };
      yield { type: 'done', finishReason: 'length', usage: { promptTokens, completionTokens: produced } };
    } finally {
      release();
    }
  }

  return {
    info: {
      name: options.name,
      kind: 'fake',
      contextLength,
      capabilities: { chat: true, completion: true, embeddings: true, tools: false, jsonSchema: false },
      randomWeights: false,
      device: 'cpu',
    },
    chat(req: ChatRequest, signal: AbortSignal) {
      const all = req.messages.map((m) => m.content ?? '').join(' ');
      return generate(all, req.messages.at(-1)?.content ?? '', req.sampling, signal);
    },
    complete(req: CompletionRequest, signal: AbortSignal) {
      return generate(req.prompt, req.prompt, req.sampling, signal);
    },
    async embed(input: string[]) {
      const dims = options.embeddingDims ?? 8;
      const embeddings = input.map((text) => {
        const digest = hash(text);
        const vector = Array.from({ length: dims }, (_, i) => digest[i % digest.length] / 255 - 0.5);
        const norm = Math.hypot(...vector) || 1;
        return vector.map((v) => v / norm);
      });
      return { embeddings, promptTokens: input.reduce((n, text) => n + countWords(text), 0) };
    },
    stats: () => ({ active, queued: waiting.length, slots }),
    async close() {
      closed = true;
    },
  };
}
