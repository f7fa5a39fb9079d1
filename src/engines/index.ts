export type * from './types.js';
export { createFakeEngine, type FakeEngineOptions } from './fake/index.js';
export { createLlamaEngine, type LlamaEngineOptions } from './llama/index.js';
export { createOpenAIUpstreamEngine, type OpenAIUpstreamEngineOptions } from './openai/index.js';
