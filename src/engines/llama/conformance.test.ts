/**
 * The shared Engine conformance suite on the embedded llama.cpp engine, with a generated tiny
 * qwen2 model (real inference; the text is noise, the contract is what is checked).
 */
import { runEngineConformance } from '../conformance.js';
import { makeEngine, makeTinyModel } from './testing.js';

runEngineConformance(
  'llama (tiny test model)',
  async () => {
    const model = await makeTinyModel();
    const engine = await makeEngine(model.path, { name: 'llama-conformance', contextSize: 1024, parallel: 4 });
    return {
      engine,
      async close() {
        await engine.close();
        await model.remove();
      },
    };
  },
  { expectInfo: { name: 'llama-conformance', kind: 'llama', randomWeights: true }, parallel: 8, timeoutMs: 60_000 },
);
