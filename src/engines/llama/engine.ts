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

async function loadModel(llama: LoadedModel['llama'], modelPath: string): Promise<LlamaModel> {
  try {
    return await llama.loadModel({ modelPath });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new TesseraError('invalid_gguf', `llama.cpp could not load ${modelPath}: ${reason}`, { cause: err });
  }
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
