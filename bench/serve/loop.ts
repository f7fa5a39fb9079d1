/**
 * Inside the native decode loop, no HTTP: N concurrent greedy completions on the llama engine,
 * repeated, reporting per decode step the time in llama_decode and in sampling
 * (`Engine.stats().decodeLoop`). For comparing engine settings A/B: this machine's speed drifts
 * by ±15 % over minutes, so compare interleaved repetitions, not single runs.
 *
 * Usage: node --import tsx bench/serve/loop.ts [--model FILE] [--streams 4] [--repeat 3] [--threads N]
 */
import { availableParallelism } from 'node:os';
import { createLlamaEngine } from '../../src/engines/llama/index.js';
import { DEFAULT_BENCH_MODEL, flagValue } from './flags.js';

const model = flagValue('--model', DEFAULT_BENCH_MODEL);
const streams = Number(flagValue('--streams', '4'));
const repeat = Number(flagValue('--repeat', '3'));
const threads = Number(flagValue('--threads', String(availableParallelism())));

const engine = await createLlamaEngine({ name: 'loop', modelPath: model, gpu: 'off', threads, contextSize: 256, parallel: streams, native: 'require' });
const complete = async (id: string): Promise<void> => {
  const prompt = `[${id}] river stone market cloud engine harbor lamp forest signal paper orbit garden`;
  for await (const event of engine.complete({ prompt, sampling: { temperature: 0, maxTokens: 128 } }, new AbortController().signal)) void event;
};
await complete('warm-up');
console.log(`${streams} streams × 128 tokens, ${threads} threads, ${model}`);
for (let run = 1; run <= repeat; run++) {
  const before = engine.stats().decodeLoop!;
  const started = performance.now();
  await Promise.all(Array.from({ length: streams }, (_, i) => complete(`${run}.${i}`)));
  const wallMs = performance.now() - started;
  const after = engine.stats().decodeLoop!;
  const steps = after.steps - before.steps;
  console.log(
    `run ${run}: ${((streams * 128) / (wallMs / 1000)).toFixed(1)} tok/s end to end, ${steps} steps, ` +
      `llama_decode ${((after.decodeMs - before.decodeMs) / steps).toFixed(1)} ms/step, ` +
      `sampling ${((after.sampleMs - before.sampleMs) / steps).toFixed(2)} ms/step, graphs reused ${after.graphsReused - before.graphsReused}`,
  );
}
await engine.close();
