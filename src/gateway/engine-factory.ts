/**
 * Model declaration → running engine. The one place that knows which engine kind runs a
 * declaration; the llama backend (CPU/CUDA/Vulkan/Metal) is chosen inside the llama engine.
 */
import type { ModelDeclaration } from '../core/config.js';
import { createFakeEngine, createLlamaEngine, createOpenAIUpstreamEngine } from '../engines/index.js';
import type { Engine } from '../engines/types.js';

export interface EngineFactoryOptions {
  gpu: 'auto' | 'off' | 'cuda' | 'vulkan' | 'metal';
  threads: number;
  contextSize: number;
  parallel: number;
  /** The llama engine's generation loop (see docs/engine-llama.md). */
  nativeLoop?: 'auto' | 'off' | 'require';
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

export type EngineFactory = (decl: ModelDeclaration) => Promise<Engine>;

export function createEngineFactory(options: EngineFactoryOptions): EngineFactory {
  return async (decl) => {
    switch (decl.engine) {
      case 'llama':
        return createLlamaEngine({
          name: decl.name,
          modelPath: decl.file!,
          gpu: options.gpu,
          threads: options.threads,
          contextSize: decl.contextLength ?? options.contextSize,
          parallel: options.parallel,
          native: options.nativeLoop,
          onLog: (level, message) =>
            level === 'warn' || level === 'error'
              ? options.log.warn({ model: decl.name }, message)
              : options.log.info({ model: decl.name }, message),
        });
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
