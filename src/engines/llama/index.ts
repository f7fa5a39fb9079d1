/**
 * The embedded llama.cpp engine (node-llama-cpp). See docs/engine-llama.md.
 */
export { createLlamaEngine, type LlamaEngineOptions } from './engine.js';
export {
  createLlamaRuntime,
  type GpuPreference,
  type LlamaLogLevelName,
  type LlamaLogSink,
  type LlamaRuntime,
  type LlamaRuntimeOptions,
} from './runtime.js';
