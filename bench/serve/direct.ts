/**
 * Column (b): node-llama-cpp used directly, the way an embedded engine would use it at best: one
 * model, one context holding `max(streams)` sequences (as Tessera's engine holds `parallel`), and
 * for N streams N concurrent `sequence.evaluate()` loops. node-llama-cpp batches the pending tokens
 * of all sequences of a context into one `llama_decode` per step, so this measures its batched path
 * with no HTTP, no gateway and no chat template, greedy sampling, EOS ignored (`yieldEogToken`).
 */
import { performance } from 'node:perf_hooks';
import { getLlama, LlamaLogLevel, type Llama, type LlamaContext, type LlamaModel, type Token } from 'node-llama-cpp';
import { aggregate, makePrompt, type Aggregate, type StreamTiming } from './metrics.js';

export interface DirectOptions {
  model: string;
  streams: number[];
  promptTokens: number;
  tokens: number;
  threads: number;
  perSequenceContext: number;
  flashAttention: 'on' | 'off' | 'auto';
  onProgress?: (line: string) => void;
}

export interface DirectBench {
  /** Prompts (text) per stream index, reused by the HTTP column so both see the same input. */
  prompts: string[];
  settings: string;
  /** Runs N concurrent evaluate loops on the first N sequences; clears them afterwards. */
  run(streams: number): Promise<Aggregate>;
  close(): Promise<void>;
}

/** Loads the model once and creates the one context every row uses. */
export async function openDirect(o: DirectOptions): Promise<DirectBench> {
  const say = o.onProgress ?? (() => undefined);
  const maxStreams = Math.max(...o.streams);
  say(`[direct] loading node-llama-cpp (CPU) and the model`);
  const llama: Llama = await getLlama({
    gpu: false,
    build: 'never',
    skipDownload: true,
    progressLogs: false,
    // No cap on the instance; every context passes its exact thread count (see the engine facts).
    maxThreads: 0,
    logLevel: LlamaLogLevel.error,
  });
  let model: LlamaModel | undefined;
  let context: LlamaContext | undefined;
  const close = async (): Promise<void> => {
    await context?.dispose();
    await model?.dispose();
    await llama.dispose();
  };
  try {
    model = await llama.loadModel({ modelPath: o.model, gpuLayers: 0 });
    const ctx = await model.createContext({
      sequences: maxStreams,
      contextSize: o.perSequenceContext,
      batchSize: Math.max(512, maxStreams * o.promptTokens),
      threads: { ideal: o.threads, min: o.threads },
      flashAttention: o.flashAttention === 'auto' ? 'auto' : o.flashAttention === 'on',
    });
    context = ctx;
    const settings =
      `node-llama-cpp ${llama.buildType} build, CPU, sequences=${maxStreams}, contextSize/seq=${ctx.contextSize}, ` +
      `batchSize=${ctx.batchSize}, threads=${ctx.idealThreads}, flashAttention=${String(ctx.flashAttention)}`;
    say(`[direct] ${settings}`);

    const prompts: string[] = [];
    const promptTokens: Token[][] = [];
    for (let i = 0; i < maxStreams; i++) {
      let words = o.promptTokens;
      let text = makePrompt(i, words);
      // Grow the text until it tokenizes to at least the target, then cut the tokens to the target.
      while (model.tokenize(text).length < o.promptTokens) text = makePrompt(i, (words += 4));
      prompts.push(text);
      promptTokens.push(model.tokenize(text).slice(0, o.promptTokens));
    }

    const sequences = Array.from({ length: maxStreams }, () => ctx.getSequence());
    // Warm-up: one short generation, so the first measured row does not pay for first-touch costs.
    await generate(sequences[0], promptTokens[0].slice(0, 8), 4);
    await sequences[0].clearHistory();

    return {
      prompts,
      settings,
      async run(n) {
        const startMs = performance.now();
        const timings = await Promise.all(
          sequences.slice(0, n).map((seq, i) => generate(seq, promptTokens[i], o.tokens, startMs)),
        );
        await Promise.all(sequences.slice(0, n).map((seq) => seq.clearHistory()));
        return aggregate(timings);
      },
      close,
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
): Promise<StreamTiming> {
  const tokenTimesMs: number[] = [];
  try {
    // Greedy (temperature 0) and EOS ignored: every stream produces exactly maxTokens tokens.
    for await (const _token of sequence.evaluate(prompt, { temperature: 0, yieldEogToken: true })) {
      tokenTimesMs.push(performance.now());
      if (tokenTimesMs.length >= maxTokens) break;
    }
    return { startMs, tokenTimesMs, tokens: tokenTimesMs.length, promptTokens: prompt.length };
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    return { startMs, tokenTimesMs, tokens: tokenTimesMs.length, promptTokens: prompt.length, error };
  }
}
