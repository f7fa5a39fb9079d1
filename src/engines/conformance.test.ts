/**
 * Runs the shared Engine conformance suite against every engine that needs no model file: the
 * fake, and the openai engine over real HTTP to the mock upstream. (The llama engine's run sits
 * with its own tests, which own the tiny test model.)
 */
import { createFakeEngine } from './fake/index.js';
import { runEngineConformance } from './conformance.js';
import { startMockUpstream } from './mock-upstream.js';
import { createOpenAIUpstreamEngine } from './openai/index.js';

runEngineConformance(
  'fake',
  async () => {
    const engine = createFakeEngine({ name: 'fake-conformance', contextLength: 256, slots: 4 });
    return { engine, close: () => engine.close() };
  },
  { expectInfo: { name: 'fake-conformance', kind: 'fake', contextLength: 256, randomWeights: false } },
);

runEngineConformance(
  'openai → mock upstream',
  async () => {
    const upstream = await startMockUpstream({ apiKey: 'sk-upstream-test', models: ['mock-model'], contextLength: 256 });
    // No contextLength: the engine reads it from the upstream's /models (max_model_len).
    const engine = await createOpenAIUpstreamEngine({
      name: 'upstream-conformance',
      baseUrl: upstream.url,
      apiKey: 'sk-upstream-test',
      upstreamModel: 'mock-model',
      slots: 4,
    });
    return {
      engine,
      async close() {
        await engine.close();
        await upstream.close();
      },
    };
  },
  { expectInfo: { name: 'upstream-conformance', kind: 'openai', contextLength: 256, randomWeights: false } },
);
