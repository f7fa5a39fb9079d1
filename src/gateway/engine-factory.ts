/**
 * Model declaration → running engine. The one place that knows which engine kind runs a
 * declaration; the llama backend (CPU/CUDA/Vulkan/Metal) is chosen inside the llama engine.
 */
import type { ModelDeclaration } from '../core/config.js';
import { createFakeEngine, createLlamaEngine, createOpenAIUpstreamEngine } from '../engines/index.js';
import type { Engine } from '../engines/types.js';
import { chooseParallel, inspectGguf, type ParallelChoice } from '../models/index.js';
import { freemem } from 'node:os';

export interface EngineFactoryOptions {
  gpu: 'auto' | 'off' | 'cuda' | 'vulkan' | 'metal';
  threads: number;
  contextSize: number;
  /** Sequences per llama model; undefined = chosen per model from free memory (chooseParallel). */
  parallel?: number;
  /** The llama engine's generation loop (see docs/engine-llama.md). */
  nativeLoop?: 'auto' | 'off' | 'require';
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

export type EngineFactory = (decl: ModelDeclaration) => Promise<Engine>;

export function createEngineFactory(options: EngineFactoryOptions): EngineFactory {
  return async (decl) => {
    switch (decl.engine) {
      case 'llama': {
        const parallel = await parallelFor(decl.file!, decl.contextLength ?? options.contextSize, options.parallel);
        if (options.parallel === undefined) options.log.info({ model: decl.name }, `parallel sequences: ${parallel.reason}`);
        return createLlamaEngine({
          name: decl.name,
          modelPath: decl.file!,
          gpu: options.gpu,
          threads: options.threads,
          contextSize: decl.contextLength ?? options.contextSize,
          parallel: parallel.parallel,
          native: options.nativeLoop,
          onLog: (level, message) =>
            level === 'warn' || level === 'error'
              ? options.log.warn({ model: decl.name }, message)
              : options.log.info({ model: decl.name }, message),
        });
      }
      case 'openai':
        return createOpenAIUpstreamEngine({
          name: decl.name,
          baseUrl: decl.url!,
          apiKey: decl.apiKey,
          upstreamModel: decl.upstreamModel,
          contextLength: decl.contextLength,
        });
      case 'fake':
        return createFakeEngine({ name: decl.name, contextLength: decl.contextLength });
    }
  };
}

/** The configured sequence count, or one chosen from the model's shape and the free memory. */
export async function parallelFor(file: string, contextSize: number, requested: number | undefined): Promise<ParallelChoice | { parallel: number; reason: string }> {
  if (requested !== undefined) return { parallel: requested, reason: 'configured' };
  const info = await inspectGguf(file).catch(() => null);
  const { layers, kvHeads, headDim, embedding, vocab } = info ?? {};
  if (!info || !layers || !kvHeads || !headDim || !embedding || !vocab) return { parallel: 4, reason: '4 (the model file does not say its shape)' };
  return chooseParallel({ weightBytes: info.weightBytes, layers, kvHeads, headDim, embedding, vocab, feedForward: info.feedForward ?? undefined }, { contextSize, freeBytes: freemem() });
}
