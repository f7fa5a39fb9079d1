/**
 * The shared Engine conformance suite on the embedded llama.cpp engine, with a generated tiny
 * qwen2 model (real inference; the text is noise, the contract is what is checked), on both
 * generation loops: Tessera's native decode loop (when built; prefix reuse off, since a reused
 * prefix may change the last bits of the logits and the suite checks exact reproducibility) and
 * node-llama-cpp's.
 */
import { runEngineConformance } from '../conformance.js';
import { loadNativeAddon } from './native/binding.js';
import { makeEngine, makeTinyModel } from './testing.js';

const loops = [
  ...(loadNativeAddon().ok ? [{ label: 'native loop', native: 'require', prefixReuse: false } as const] : []),
  { label: "node-llama-cpp's loop", native: 'off', prefixReuse: false } as const,
];

for (const loop of loops) {
  runEngineConformance(
    `llama (tiny test model, ${loop.label})`,
    async () => {
      const model = await makeTinyModel();
      const engine = await makeEngine(model.path, { name: 'llama-conformance', contextSize: 1024, parallel: 4, native: loop.native, prefixReuse: loop.prefixReuse });
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
}
