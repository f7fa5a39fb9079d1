export { createOpenAIUpstreamEngine, type OpenAIUpstreamEngineOptions } from './engine.js';
