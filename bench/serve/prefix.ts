/**
 * Prompt-prefix reuse: time to first token of chats that share a long system prompt, with the
 * native loop's prefix reuse on and off (the baseline, measured in the same run on the same
 * model). Each chat is a different user question after the same system prompt, sent one after
 * another, as users of one assistant would; the first chat of each run fills the cache and is
 * reported apart.
 *
 * Usage: node --import tsx bench/serve/prefix.ts [--model FILE] [--system-tokens 1000] [--chats 8] [--threads N]
 */
import { availableParallelism } from 'node:os';
import { createLlamaEngine } from '../../src/engines/llama/index.js';
import type { Engine } from '../../src/engines/types.js';
import { DEFAULT_BENCH_MODEL, flagValue } from './flags.js';

const model = flagValue('--model', DEFAULT_BENCH_MODEL);
const systemWords = Number(flagValue('--system-tokens', '1000'));
const chats = Number(flagValue('--chats', '8'));
const threads = Number(flagValue('--threads', String(availableParallelism())));

const system = `You are the support assistant of Tessera. ${Array.from({ length: systemWords }, (_, i) => `rule${i}`).join(' ')}`;

interface Run {
  first: number;
  rest: number[];
  promptTokens: number;
  cached: number;
}

async function ttft(engine: Engine, question: string): Promise<{ ms: number; promptTokens: number; cached: number }> {
  const started = performance.now();
  let first = 0;
  let promptTokens = 0;
  let cached = 0;
  for await (const event of engine.chat(
    { messages: [{ role: 'system', content: system }, { role: 'user', content: question }], sampling: { temperature: 0, maxTokens: 2 } },
    new AbortController().signal,
  )) {
    if (event.type === 'text' && first === 0) first = performance.now() - started;
    if (event.type === 'done') {
      if (first === 0) first = performance.now() - started;
      promptTokens = event.usage.promptTokens;
      cached = event.usage.cachedPromptTokens ?? 0;
    }
  }
  return { ms: first, promptTokens, cached };
}

async function run(prefixReuse: boolean): Promise<Run> {
  const engine = await createLlamaEngine({ name: 'm', modelPath: model, gpu: 'off', threads, contextSize: 4096, parallel: 4, native: 'require', prefixReuse });
  try {
    const first = await ttft(engine, 'Hello, who are you?');
    const rest: number[] = [];
    let promptTokens = 0;
    let cached = 0;
    for (let i = 0; i < chats; i++) {
      const r = await ttft(engine, `Question ${i}: how do I rotate my API key number ${i}?`);
      rest.push(r.ms);
      promptTokens = r.promptTokens;
      cached = r.cached;
    }
    return { first: first.ms, rest, promptTokens, cached };
  } finally {
    await engine.close();
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

console.log(`[prefix] model ${model}, system prompt of ~${systemWords} words, ${chats} chats, ${threads} threads`);
const off = await run(false);
const on = await run(true);
console.log('\n| prefix reuse | prompt tokens | cached tokens | first chat TTFT ms | later chats TTFT p50 ms |');
console.log('|---|---:|---:|---:|---:|');
console.log(`| off (baseline) | ${off.promptTokens} | ${off.cached} | ${off.first.toFixed(0)} | ${median(off.rest).toFixed(0)} |`);
console.log(`| on | ${on.promptTokens} | ${on.cached} | ${on.first.toFixed(0)} | ${median(on.rest).toFixed(0)} (${(median(off.rest) / median(on.rest)).toFixed(1)}× faster) |`);
