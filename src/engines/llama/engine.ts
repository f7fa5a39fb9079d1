/**
 * The `llama` engine: one GGUF model loaded in-process through node-llama-cpp, serving many
 * concurrent requests from ONE context with `parallel` sequences that are decoded together
 * (continuous batching; see sequence-pool.ts and docs/engine-llama.md).
 */
import { stat } from 'node:fs/promises';
import { resolveChatWrapper, type LlamaContext, type LlamaModel } from 'node-llama-cpp';
import type { Engine, EngineInfo } from '../types.js';
import { TesseraError } from '../../core/errors.js';
import { planChat } from './chat.js';
import { planCompletion } from './completion.js';
import { createEmbedder } from './embeddings.js';
import { runGeneration, type RunEnvironment } from './generation-run.js';
import type { LoadedModel } from './loaded-model.js';
import { backendDeviceName, createLlamaRuntime, type GpuPreference, type LlamaLogSink, type LlamaRuntime } from './runtime.js';
import { createSequencePool } from './sequence-pool.js';
import { loadNativeAddon, type NativeAddon } from './native/binding.js';
import { createNativeEngine } from './native/engine.js';

export interface LlamaEngineOptions {
  /** The name clients use in `model`. */
  name: string;
  modelPath: string;
  gpu: GpuPreference;
  /** CPU threads for decoding, computed by the caller from the cores actually available. */
  threads: number;
  /** Tokens per sequence: the longest prompt + completion one request can have. */
  contextSize: number;
  /** Sequences decoded together: requests served at once; more wait in a FIFO queue. */
  parallel: number;
  onLog?: LlamaLogSink;
  /**
   * The process-wide llama.cpp runtime, shared by all llama engines. Without one the engine
   * loads a private one. Either way `close()` leaves the runtime loaded (see runtime.ts).
   */
  runtime?: LlamaRuntime;
  /**
   * The generation loop: `auto` (default) uses Tessera's native decode loop when it was built
   * (scripts/build-native.mjs) and the backend is the one it links, else node-llama-cpp's;
   * `off` always node-llama-cpp's; `require` fails when the native loop cannot be used.
   */
  native?: 'auto' | 'off' | 'require';
  /** Native loop only: reuse KV cache of shared prompt prefixes across requests (default on). */
  prefixReuse?: boolean;
}

export async function createLlamaEngine(options: LlamaEngineOptions): Promise<Engine> {
  checkOptions(options);
  const log: LlamaLogSink = options.onLog ?? (() => {});
  const runtime = options.runtime ?? createLlamaRuntime({ onLog: log });

  const file = await stat(options.modelPath).catch(() => null);
  if (!file?.isFile()) throw new TesseraError('invalid_gguf', `Model file not found: ${options.modelPath}`);

  let model: LlamaModel | undefined;
  let context: LlamaContext | undefined;
  try {
    const llama = await runtime.load(options.gpu);
    const addon = nativeLoop(llama, options.native ?? 'auto', log);
    if (addon) {
      model = await loadModel(llama, options.modelPath, true);
      const loaded: LoadedModel = { llama, model, chatWrapper: resolveChatWrapper(model), contextSize: Math.min(options.contextSize, trainContextSize(model)) };
      const engine = await createNativeEngine(addon, loaded, {
        name: options.name,
        modelPath: options.modelPath,
        threads: options.threads,
        contextSize: loaded.contextSize,
        parallel: options.parallel,
        // On an accelerator build (see nativeLoop), every layer goes to the device.
        gpuLayers: llama.gpu === false ? 0 : -1,
        prefixReuse: options.prefixReuse,
        device: backendDeviceName(llama),
        randomWeights: hasRandomWeights(model),
        // Tools and embeddings: node-llama-cpp's loop on the same file (mapped, not copied, on CPU).
        fallback: () => createLlamaEngine({ ...options, runtime, native: 'off', parallel: Math.min(options.parallel, 2) }),
      });
      log('info', `${options.name}: native decode loop, backend ${backendDeviceName(llama)}, chat template ${loaded.chatWrapper.wrapperName}, ` +
        `${options.parallel} sequences x ${loaded.contextSize} tokens, ${options.threads} threads`);
      return engine;
    }
    model = await loadModel(llama, options.modelPath);
    const contextSize = Math.min(options.contextSize, model.trainContextSize);
    if (contextSize < options.contextSize) {
      log('warn', `contextSize ${options.contextSize} exceeds what ${options.name} was trained on; using ${contextSize}.`);
    }
    context = await model.createContext({ sequences: options.parallel, contextSize, threads: options.threads });
    const chatWrapper = resolveChatWrapper(model);
    log('info', `${options.name}: backend ${backendDeviceName(llama)}, chat template ${chatWrapper.wrapperName}, ` +
      `${options.parallel} sequences x ${context.contextSize} tokens, ${options.threads} threads`);

    const loaded: LoadedModel = { llama, model, chatWrapper, contextSize: context.contextSize };
    return assembleEngine(options, loaded, context, log);
  } catch (err) {
    await context?.dispose().catch(() => {});
    await model?.dispose().catch(() => {});
    throw err;
  }
}

function assembleEngine(
  options: LlamaEngineOptions,
  loaded: LoadedModel,
  context: LlamaContext,
  log: LlamaLogSink,
): Engine {
  const sequences = Array.from({ length: options.parallel }, () => context.getSequence());
  const pool = createSequencePool(sequences, (err) => log('warn', `clearing a sequence failed: ${String(err)}`));
  const closing = new AbortController();
  const running = new Set<Promise<void>>();
  const env: RunEnvironment = {
    pool,
    closeSignal: closing.signal,
    track(run) {
      running.add(run);
      void run.finally(() => running.delete(run));
    },
  };
  const embedder = createEmbedder(loaded, options.threads);
  const info: EngineInfo = {
    name: options.name,
    kind: 'llama',
    contextLength: loaded.contextSize,
    capabilities: { chat: true, completion: true, embeddings: true, tools: true, jsonSchema: true },
    randomWeights: hasRandomWeights(loaded.model),
    device: backendDeviceName(loaded.llama),
  };
  let closed: Promise<void> | null = null;

  return {
    info,
    chat: (req, signal) => runGeneration(env, signal, () => planChat(loaded, req)),
    complete: (req, signal) => runGeneration(env, signal, async () => planCompletion(loaded, req)),
    embed: (input, signal) => embedder.embed(input, signal),
    stats: () => ({ active: pool.active, queued: pool.queued, slots: pool.slots }),
    close() {
      closed ??= (async () => {
        closing.abort(new TesseraError('model_not_ready', 'The model has been unloaded.'));
        pool.close();
        await Promise.allSettled([...running]);
        await embedder.dispose();
        await context.dispose();
        await loaded.model.dispose();
      })();
      return closed;
    },
  };
}

/**
 * The native addon when this engine may use it: built, and linked against the same llama.cpp
 * binaries node-llama-cpp loaded (its prebuilt CPU backend, or another build the addon was built
 * against with TESSERA_LLAMA_LIB_DIR, see scripts/build-native.mjs); otherwise null, or an error
 * when `require`d.
 */
function nativeLoop(llama: LoadedModel['llama'], mode: 'auto' | 'off' | 'require', log: LlamaLogSink): NativeAddon | null {
  if (mode === 'off') return null;
  const refuse = (reason: string): null => {
    if (mode === 'require') throw new TesseraError('invalid_config', `The native decode loop cannot be used: ${reason}`);
    log('info', `native decode loop not used: ${reason}; generating with node-llama-cpp's loop.`);
    return null;
  };
  const loaded = loadNativeAddon();
  if (!loaded.ok) return refuse(loaded.reason);
  if (llama.gpu !== false && loaded.manifest.prebuiltCpu) {
    return refuse(`it is built against node-llama-cpp's CPU binaries, and the backend is ${backendDeviceName(llama)} (rebuild with TESSERA_LLAMA_LIB_DIR)`);
  }
  if (!loaded.addon.initBackend()) return refuse('llama.cpp has no CPU device registered');
  return loaded.addon;
}

async function loadModel(llama: LoadedModel['llama'], modelPath: string, vocabOnly = false): Promise<LlamaModel> {
  try {
    return await llama.loadModel({ modelPath, vocabOnly });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new TesseraError('invalid_gguf', `llama.cpp could not load ${modelPath}: ${reason}`, { cause: err });
  }
}

/** A vocabulary-only model reports no training context; the GGUF's metadata has it. */
function trainContextSize(model: LlamaModel): number {
  if (model.trainContextSize > 0) return model.trainContextSize;
  const metadata = model.fileInfo.metadata as Record<string, unknown>;
  const arch = (metadata.general as { architecture?: string } | undefined)?.architecture ?? '';
  const length = (metadata[arch] as { context_length?: unknown } | undefined)?.context_length;
  return typeof length === 'number' && length > 0 ? length : Number.MAX_SAFE_INTEGER;
}

/** Generated test models say so in their metadata (`tessera.random_weights`, see src/models). */
function hasRandomWeights(model: LlamaModel): boolean {
  const tessera = (model.fileInfo.metadata as Record<string, unknown>).tessera as { random_weights?: unknown } | undefined;
  return tessera?.random_weights === true;
}

function checkOptions(options: LlamaEngineOptions): void {
  const positiveInteger = (value: number, name: string, min: number): void => {
    if (!Number.isInteger(value) || value < min) {
      throw new TesseraError('invalid_config', `llama engine "${options.name}": ${name} must be an integer >= ${min} (got ${value}).`);
    }
  };
  positiveInteger(options.threads, 'threads', 1);
  positiveInteger(options.contextSize, 'contextSize', 16);
  positiveInteger(options.parallel, 'parallel', 1);
}
