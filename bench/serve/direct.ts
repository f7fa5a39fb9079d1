/**
 * Column (b): node-llama-cpp used directly, the way an embedded engine would use it at best: one
 * model, one context holding N sequences (as Tessera's engine holds `parallel`), and for N streams
 * N concurrent `sequence.evaluate()` loops. node-llama-cpp batches the pending tokens
 * of all sequences of a context into one `llama_decode` per step, so this measures its batched path
 * with no HTTP, no gateway and no chat template, greedy sampling, EOS ignored (`yieldEogToken`).
 */
import { performance } from 'node:perf_hooks';
import { getLlama, LlamaLogLevel, type Llama, type LlamaContext, type LlamaModel, type Token } from 'node-llama-cpp';
import type { Backend } from './build-native.js';
import { aggregate, makePrompt, type Aggregate, type StreamTiming, type TokenCounter } from './metrics.js';

export interface DirectOptions {
  model: string;
  streams: number[];
  promptTokens: number;
  tokens: number;
  threads: number;
  perSequenceContext: number;
  flashAttention: 'on' | 'off' | 'auto';
  /** Default `cpu`; `cuda` offloads every layer (needs node-llama-cpp's CUDA build, no download). */
  backend?: Backend;
  onProgress?: (line: string) => void;
}

export interface DirectBench {
  /** Prompts (text) per stream index, reused by the HTTP column so both see the same input. */
  prompts: string[];
  /** The settings of the last context created. */
  readonly settings: string;
  /** Creates the context for N streams (and warms it up) unless it exists already. */
  prepare(streams: number): Promise<void>;
  /** Runs N concurrent evaluate loops, one per sequence of the N-stream context. */
  run(streams: number, counter?: TokenCounter): Promise<Aggregate>;
  close(): Promise<void>;
}

/**
 * Loads the model once; every `run(n)` creates a fresh context with exactly n sequences (as Tessera
 * is started with `parallel` = n and llama-server with `-np n`), measures, and disposes it.
 */
export async function openDirect(o: DirectOptions): Promise<DirectBench> {
  const say = o.onProgress ?? (() => undefined);
  const maxStreams = Math.max(...o.streams);
  const cuda = o.backend === 'cuda';
  say(`[direct] loading node-llama-cpp (${cuda ? 'CUDA' : 'CPU'}) and the model`);
  const llama: Llama = await getLlama({
    gpu: cuda ? 'cuda' : false,
    build: 'never',
    skipDownload: true,
    progressLogs: false,
    // No cap on the instance; every context passes its exact thread count (see the engine facts).
    maxThreads: 0,
    logLevel: LlamaLogLevel.error,
  }).catch((err: unknown) => {
    if (!cuda) throw err;
    throw new Error(
      `node-llama-cpp has no CUDA build here (${err instanceof Error ? err.message : String(err)}); ` +
        'build one offline first: npx node-llama-cpp source build --gpu cuda (see bench/README.md)',
    );
  });
  let model: LlamaModel | undefined;
  const close = async (): Promise<void> => {
    await model?.dispose();
    await llama.dispose();
  };
  try {
    const loaded = await llama.loadModel({ modelPath: o.model, gpuLayers: cuda ? 'max' : 0 });
    model = loaded;
    const prompts: string[] = [];
    const promptTokens: Token[][] = [];
    for (let i = 0; i < maxStreams; i++) {
      let words = o.promptTokens;
      let text = makePrompt(i, words);
      // Grow the text until it tokenizes to at least the target, then cut it to the target.
      while (loaded.tokenize(text).length < o.promptTokens) text = makePrompt(i, (words += 4));
      const tokens = loaded.tokenize(text).slice(0, o.promptTokens);
      promptTokens.push(tokens);
      // The text of exactly those tokens, so the HTTP columns send the same prompt.
      prompts.push(loaded.detokenize(tokens));
    }

    let settings = '';
    let context: LlamaContext | undefined;
    let contextStreams = 0;
    const prepare = async (n: number): Promise<void> => {
      if (context && contextStreams === n) return;
      await context?.dispose();
      context = undefined;
      // What Tessera's llama engine does: n sequences of contextSize tokens each, exact threads,
      // node-llama-cpp's default batch size; flash attention as asked (its default is "auto").
      const ctx = await loaded.createContext({
        sequences: n,
        contextSize: o.perSequenceContext,
        threads: { ideal: o.threads, min: o.threads },
        ...(o.flashAttention === 'auto' ? {} : { flashAttention: o.flashAttention === 'on' }),
      });
      context = ctx;
      contextStreams = n;
      settings =
        `node-llama-cpp ${llama.buildType} build, CPU, one context per stream count with sequences=N, ` +
        `contextSize/seq=${ctx.contextSize}, batchSize=${ctx.batchSize}, threads=${ctx.idealThreads}, ` +
        `flashAttention=${String(ctx.flashAttention)}, greedy, yieldEogToken`;
      // Warm-up: one short generation, so the measured run does not pay for first-touch costs.
      const seq = ctx.getSequence();
      await generate(seq, promptTokens[0].slice(0, 8), 4);
      seq.dispose();
    };
    return {
      prompts,
      get settings() {
        return settings;
      },
      prepare,
      async run(n, counter) {
        await prepare(n);
        const ctx = context!;
        const sequences = Array.from({ length: n }, () => ctx.getSequence());
        try {
          const startMs = performance.now();
          const timings = await Promise.all(sequences.map((seq, i) => generate(seq, promptTokens[i], o.tokens, startMs, counter)));
          return aggregate(timings);
        } finally {
          for (const seq of sequences) seq.dispose();
        }
      },
      async close() {
        await context?.dispose();
        await close();
      },
    };
  } catch (err) {
    await close();
    throw err;
  }
}

async function generate(
  sequence: ReturnType<LlamaContext['getSequence']>,
  prompt: Token[],
  maxTokens: number,
  startMs = performance.now(),
  counter?: TokenCounter,
): Promise<StreamTiming> {
  const tokenTimesMs: number[] = [];
  try {
    // Greedy (temperature 0) and EOS ignored: every stream produces exactly maxTokens tokens.
    for await (const _token of sequence.evaluate(prompt, { temperature: 0, yieldEogToken: true })) {
      tokenTimesMs.push(performance.now());
      if (counter) counter.tokens += 1;
      if (tokenTimesMs.length >= maxTokens) break;
      if (counter?.signal?.aborted) throw new Error(`stopped at the time limit after ${tokenTimesMs.length} tokens`);
    }
    return { startMs, tokenTimesMs, tokens: tokenTimesMs.length, promptTokens: prompt.length };
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    return { startMs, tokenTimesMs, tokens: tokenTimesMs.length, promptTokens: prompt.length, error };
  }
}
