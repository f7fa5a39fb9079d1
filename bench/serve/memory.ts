/**
 * Memory per loaded model and per sequence, measured against the models code's estimate
 * (src/models/memory.ts): for each `parallel`, a fresh child process records its RSS, loads the
 * model with Tessera's llama engine (native loop when built), runs one request on every sequence
 * so every weight page and KV cell has been touched, and records RSS and peak RSS again. The
 * model's share is RSS after minus before; a sequence's share is the slope between two `parallel`
 * values. With `--gpu cuda` the model is offloaded whole and the accelerator memory the device
 * has in use (node-llama-cpp's `getVramState()`) is read the same way, before and after: the
 * weights, KV cache and compute buffers then live there, and the estimate is read against it
 * (without the vocabulary, which stays in host memory). Not yet run on a GPU.
 *
 * Usage: node --import tsx bench/serve/memory.ts [--model FILE] [--context 512] [--parallel 1,16] [--gpu off|cuda]
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { estimateMemory, formatBytes, inspectGguf } from '../../src/models/index.js';
import { cudaCmakeEnv } from './cuda-binding.js';
import { DEFAULT_BENCH_MODEL, flagValue } from './flags.js';

interface Sample {
  parallel: number;
  beforeBytes: number;
  afterBytes: number;
  peakBytes: number;
  native: boolean;
  /** Accelerator memory in use before and after (`--gpu cuda` only). */
  acceleratorBeforeBytes?: number;
  acceleratorAfterBytes?: number;
}

type Gpu = 'off' | 'cuda';

const MiB = 1024 * 1024;

function statusBytes(field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  return match ? Number(match[1]) * 1024 : NaN;
}

async function child(model: string, context: number, parallel: number, gpu: Gpu): Promise<void> {
  const { createLlamaEngine } = await import('../../src/engines/llama/index.js');
  const { loadNativeAddon } = await import('../../src/engines/llama/native/binding.js');
  // Load the runtime and the addon before the baseline, so it counts the model only.
  loadNativeAddon();
  const { createLlamaRuntime } = await import('../../src/engines/llama/runtime.js');
  const runtime = createLlamaRuntime();
  const llama = await runtime.load(gpu);
  const vramUsed = async () => (gpu === 'off' ? undefined : (await llama.getVramState()).used);
  const acceleratorBeforeBytes = await vramUsed();
  const beforeBytes = statusBytes('VmRSS');
  const engine = await createLlamaEngine({ name: 'm', modelPath: model, gpu, threads: 2, contextSize: context, parallel, runtime });
  const signal = new AbortController().signal;
  await Promise.all(
    Array.from({ length: parallel }, async (_, i) => {
      for await (const event of engine.complete({ prompt: `Sequence ${i}: a short prompt.`, sampling: { temperature: 0, maxTokens: 4 } }, signal)) void event;
    }),
  );
  const sample: Sample = {
    parallel, beforeBytes, afterBytes: statusBytes('VmRSS'), peakBytes: statusBytes('VmHWM'), native: loadNativeAddon().ok,
    acceleratorBeforeBytes, acceleratorAfterBytes: await vramUsed(),
  };
  process.send!(sample);
  await engine.close();
  await runtime.dispose();
}

function measure(model: string, context: number, parallel: number, gpu: Gpu): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const proc = fork(fileURLToPath(import.meta.url), ['--child', model, String(context), String(parallel), gpu], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    let result: Sample | undefined;
    proc.on('message', (message) => (result = message as Sample));
    proc.on('exit', (code) => (result ? resolve(result) : reject(new Error(`child exited ${code}`))));
  });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--child') return child(args[1]!, Number(args[2]), Number(args[3]), args[4] as Gpu);
  const value = (flag: string, fallback: string) => flagValue(flag, fallback, args);
  const model = value('--model', DEFAULT_BENCH_MODEL);
  const context = Number(value('--context', '512'));
  const parallels = value('--parallel', '1,16').split(',').map(Number);
  const gpu = value('--gpu', 'off') as Gpu;
  if (gpu !== 'off' && gpu !== 'cuda') throw new Error('--gpu takes off or cuda');
  // The CUDA build bench/serve made is found by its CMake options (cuda-binding.ts).
  if (gpu === 'cuda') Object.assign(process.env, cudaCmakeEnv());
  const info = await inspectGguf(model);
  const shape = {
    weightBytes: info.weightBytes,
    layers: info.layers ?? 0,
    kvHeads: info.kvHeads ?? 0,
    headDim: info.headDim ?? 0,
    embedding: info.embedding ?? 0,
    vocab: info.vocab ?? 0,
    feedForward: info.feedForward ?? undefined,
  };
  console.log(`model ${model} (${info.quantization}, weights ${formatBytes(info.weightBytes)}), ${context} tokens per sequence`);
  const rows: string[] = [];
  const samples: Sample[] = [];
  for (const parallel of parallels) {
    console.log(`[memory] parallel ${parallel}: loading in a fresh process…`);
    const sample = await measure(model, context, parallel, gpu);
    samples.push(sample);
    const estimate = estimateMemory(shape, { contextSize: context, parallel });
    const measured = sample.afterBytes - sample.beforeBytes;
    rows.push(
      `| ${parallel} | ${sample.native ? 'native' : 'node-llama-cpp'} | ${(measured / MiB).toFixed(0)} | ${(sample.peakBytes / MiB).toFixed(0)} | ` +
        `${(estimate.totalBytes / MiB).toFixed(0)} (weights ${(estimate.weightBytes / MiB).toFixed(0)}, KV ${(estimate.kvCacheBytes / MiB).toFixed(0)}, compute ${(estimate.computeBytes / MiB).toFixed(0)}) | ` +
        `${((estimate.totalBytes / measured - 1) * 100).toFixed(1)} % |` +
        (gpu === 'off' ? '' : acceleratorCells(sample, estimate)),
    );
  }
  const gpuHead = gpu === 'off' ? ['', ''] : [' accelerator MiB (after − before load) | estimate without vocabulary MiB | vs measured |', '---:|---:|---:|'];
  console.log(`\n| parallel | loop | model RSS MiB (after − before load) | process peak RSS MiB | estimate MiB | estimate vs measured |${gpuHead[0]}`);
  console.log(`|---:|---|---:|---:|---|---:|${gpuHead[1]}`);
  for (const row of rows) console.log(row);
  if (samples.length >= 2) {
    const [a, b] = [samples[0]!, samples.at(-1)!];
    const perSequence = (b.afterBytes - b.beforeBytes - (a.afterBytes - a.beforeBytes)) / (b.parallel - a.parallel);
    const estimated = estimateMemory(shape, { contextSize: context, parallel: 1 }).perSequenceBytes;
    console.log(`\nper sequence (${context} tokens): measured ${(perSequence / MiB).toFixed(2)} MiB, estimated ${(estimated / MiB).toFixed(2)} MiB (${((estimated / perSequence - 1) * 100).toFixed(1)} %)`);
  }
}

/** On the accelerator: weights, KV cache and compute buffers; the vocabulary stays in host memory. */
function acceleratorCells(sample: Sample, estimate: ReturnType<typeof estimateMemory>): string {
  const measured = (sample.acceleratorAfterBytes ?? NaN) - (sample.acceleratorBeforeBytes ?? NaN);
  const expected = estimate.totalBytes - estimate.tokenizerBytes;
  return ` ${(measured / MiB).toFixed(0)} | ${(expected / MiB).toFixed(0)} | ${((expected / measured - 1) * 100).toFixed(1)} % |`;
}

await main();
