/**
 * The `llama` engine on Tessera's native decode loop (decoder.cc): chat and completions run on a
 * native decoder with `parallel` sequences; node-llama-cpp is still used for what it does well —
 * the chat template, tokenizer and JSON-schema grammars — through a vocabulary-only model.
 *
 * Requests with tools, and embeddings, go to a node-llama-cpp engine on the same file (function
 * calling switches grammars mid-generation, which only node-llama-cpp's loop does), loaded on
 * first use: on CPU both map the same file, so the weights are in memory once.
 *
 * Contracts: those of `Engine` and of runGeneration (generation-run.ts): refusals before any
 * event; exactly one `done`, after the sequence is back in the pool; aborts report what was
 * produced. Prompt prefixes are reused across requests (slot-pool.ts) and reported as
 * `cachedPromptTokens`.
 */
import type { ChatRequest, CompletionRequest, Engine, EngineEvent, EngineInfo, FinishReason, Usage } from '../../types.js';
import { linkSignals } from '../../../core/abort.js';
import { TesseraError } from '../../../core/errors.js';
import { StopScanner } from '../../stop-strings.js';
import { prepareChat } from '../chat.js';
import { prepareCompletion } from '../completion.js';
import { EventChannel, relay } from '../event-channel.js';
import type { LoadedModel } from '../loaded-model.js';
import type { LlamaSamplingOptions } from '../sampling.js';
import type { NativeAddon, NativeSampling } from './binding.js';
import { NativeFinish } from './binding.js';
import { NativeDecoder, type NativeStep } from './decoder.js';
import { createSlotPool, type SlotLease, type SlotPool } from './slot-pool.js';

export interface NativeEngineOptions {
  name: string;
  modelPath: string;
  threads: number;
  contextSize: number;
  parallel: number;
  gpuLayers: number;
  /** Tokens per decode step (prompt chunks + one per generating sequence). */
  batchSize?: number;
  prefixReuse?: boolean;
  device: string;
  randomWeights: boolean;
  /** The node-llama-cpp engine for tools and embeddings, created on first use. */
  fallback: () => Promise<Engine>;
}

interface NativePlan {
  prompt: Int32Array;
  sampling: NativeSampling;
  stop: string[];
}

export async function createNativeEngine(addon: NativeAddon, loaded: LoadedModel, options: NativeEngineOptions): Promise<Engine> {
  const decoder = await NativeDecoder.open(addon, {
    modelPath: options.modelPath,
    sequences: options.parallel,
    contextSize: loaded.contextSize,
    threads: options.threads,
    batchSize: options.batchSize ?? 512,
    gpuLayers: options.gpuLayers,
    flashAttention: 'auto',
    // Each sequence in its own KV cells: attention then reads a sequence's own tokens only. One
    // unified buffer made decode steps ~20 % slower at 16 streams (bench/RESULTS.md).
    unifiedKv: false,
  });
  const pool = createSlotPool(options.parallel, { prefixReuse: options.prefixReuse ?? true });
  const closing = new AbortController();
  const running = new Set<Promise<void>>();
  let fallback: Promise<Engine> | null = null;
  const getFallback = (): Promise<Engine> => {
    fallback ??= options.fallback();
    fallback.catch(() => (fallback = null));
    return fallback;
  };

  const info: EngineInfo = {
    name: options.name,
    kind: 'llama',
    contextLength: loaded.contextSize,
    capabilities: { chat: true, completion: true, embeddings: true, tools: true, jsonSchema: true },
    randomWeights: options.randomWeights,
    device: options.device,
  };
  const env: RunEnv = { decoder, pool, closeSignal: closing.signal, track: (run) => {
    running.add(run);
    void run.finally(() => running.delete(run));
  } };
  let closed: Promise<void> | null = null;

  return {
    info,
    chat(req: ChatRequest, signal: AbortSignal) {
      if (req.tools && req.tools.length > 0 && req.toolChoice !== 'none') return delegate(getFallback, (engine) => engine.chat(req, signal));
      return run(env, signal, async () => {
        const prepared = await prepareChat(loaded, req);
        return {
          prompt: Int32Array.from(prepared.promptTokens),
          sampling: toNativeSampling(prepared.sampling, prepared.grammar?.grammar),
          stop: prepared.sampling.customStopTriggers ?? [],
        };
      });
    },
    complete(req: CompletionRequest, signal: AbortSignal) {
      return run(env, signal, async () => {
        const prepared = prepareCompletion(loaded, req);
        const prompt = prepared.bos === null ? prepared.tokens : [prepared.bos, ...prepared.tokens];
        return { prompt: Int32Array.from(prompt), sampling: toNativeSampling(prepared.sampling), stop: prepared.sampling.customStopTriggers ?? [] };
      });
    },
    async embed(input, signal) {
      if (closing.signal.aborted) throw new TesseraError('model_not_ready', 'The model has been unloaded.');
      return (await getFallback()).embed(input, signal);
    },
    stats: () => {
      const { steps, decodeMs, sampleMs, busyMs, graphsReused } = decoder.info;
      return { active: pool.active, queued: pool.queued, slots: pool.slots, decodeLoop: { steps, decodeMs, sampleMs, busyMs, graphsReused } };
    },
    close() {
      closed ??= (async () => {
        closing.abort(new TesseraError('model_not_ready', 'The model has been unloaded.'));
        pool.close();
        decoder.close();
        await Promise.allSettled([...running]);
        const engine = await fallback?.catch(() => null);
        await engine?.close();
        await loaded.model.dispose();
      })();
      return closed;
    },
  };
}

interface RunEnv {
  decoder: NativeDecoder;
  pool: SlotPool;
  closeSignal: AbortSignal;
  track(run: Promise<void>): void;
}

async function* delegate(getEngine: () => Promise<Engine>, call: (engine: Engine) => AsyncIterable<EngineEvent>): AsyncGenerator<EngineEvent, void, undefined> {
  yield* call(await getEngine());
}

async function* run(env: RunEnv, requestSignal: AbortSignal, prepare: () => Promise<NativePlan>): AsyncGenerator<EngineEvent, void, undefined> {
  if (env.closeSignal.aborted) throw new TesseraError('model_not_ready', 'The model has been unloaded.');
  const plan = await prepare();

  const consumerGone = new AbortController();
  // Both sources outlive the request (a connection's signal, the engine's): unlinked when it ends.
  const { signal, unlink } = linkSignals([requestSignal, env.closeSignal, consumerGone.signal]);
  const lease = await env.pool.acquire(plan.prompt, signal).catch((err: unknown) => {
    unlink();
    throw err;
  });
  if (!lease) {
    unlink();
    yield { type: 'done', finishReason: 'abort', usage: { promptTokens: 0, completionTokens: 0 } };
    return;
  }
  const channel = new EventChannel<EngineEvent>();
  env.track(execute(env.decoder, plan, lease, signal, channel).finally(unlink));
  yield* relay(channel, () => consumerGone.abort());
}

/** Runs the plan on the leased slot and reports into `channel`. Never rejects. */
function execute(decoder: NativeDecoder, plan: NativePlan, lease: SlotLease, signal: AbortSignal, channel: EventChannel<EngineEvent>): Promise<void> {
  return new Promise<void>((resolve) => {
    const promptTokens = plan.prompt.length;
    const usage = (completionTokens: number): Usage =>
      lease.reuse > 0 ? { promptTokens, completionTokens, cachedPromptTokens: lease.reuse } : { promptTokens, completionTokens };
    const scanner = new StopScanner(plan.stop);
    const sampled: number[] = [];
    let stoppedAt: number | null = null; // completion tokens when a stop string ended it
    let id = 0;

    const onAbort = (): void => decoder.cancel(id);
    const finish = (step: NativeStep): void => {
      signal.removeEventListener('abort', onAbort);
      // What the slot's KV cache holds now: the prompt, then the completion tokens decoded.
      const cached = step.finish === NativeFinish.Error ? null : [...plan.prompt, ...sampled].slice(0, step.nPast);
      lease.release(cached);
      if (stoppedAt !== null) {
        channel.push({ type: 'done', finishReason: 'stop', usage: usage(stoppedAt) });
      } else if (step.finish === NativeFinish.Error) {
        channel.fail(new TesseraError('internal_error', `llama engine: ${step.error ?? 'decoding failed'}`));
        resolve();
        return;
      } else {
        const rest = scanner.flush();
        if (rest !== '') channel.push({ type: 'text', text: rest, usage: usage(step.generated) });
        channel.push({ type: 'done', finishReason: finishReasonOf(step.finish), usage: usage(step.generated) });
      }
      channel.end();
      resolve();
    };

    try {
      id = decoder.start({ slot: lease.slot, prompt: plan.prompt, reuse: lease.reuse, sampling: plan.sampling }, (step) => {
        if (step.token >= 0) sampled.push(step.token);
        if (stoppedAt === null && step.text !== '') {
          const { text, stopped } = scanner.push(step.text);
          if (text !== '') channel.push({ type: 'text', text, usage: usage(step.generated) });
          if (stopped) {
            stoppedAt = step.generated;
            if (step.finish === NativeFinish.None) decoder.cancel(id);
          }
        }
        if (step.finish !== NativeFinish.None) finish(step);
      });
    } catch (err) {
      lease.release(null);
      channel.fail(err);
      resolve();
      return;
    }
    if (signal.aborted) decoder.cancel(id);
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}

function finishReasonOf(finish: NativeFinish): FinishReason {
  switch (finish) {
    case NativeFinish.Length:
      return 'length';
    case NativeFinish.Abort:
      return 'abort';
    default:
      return 'stop';
  }
}

function toNativeSampling(s: LlamaSamplingOptions, grammar?: string): NativeSampling {
  return {
    temperature: s.temperature,
    topK: s.topK,
    topP: s.topP,
    seed: s.seed,
    maxTokens: s.maxTokens,
    presencePenalty: s.repeatPenalty === false ? 0 : s.repeatPenalty.presencePenalty,
    frequencyPenalty: s.repeatPenalty === false ? 0 : s.repeatPenalty.frequencyPenalty,
    // Read by the loop only when a penalty is set.
    penaltyWindow: s.repeatPenalty === false ? 0 : s.repeatPenalty.lastTokens,
    ...(grammar ? { grammar } : {}),
  };
}
