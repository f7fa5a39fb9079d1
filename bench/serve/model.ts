/**
 * The benchmark's model: a random-weight GGUF written by the project's own generator
 * (`createTestModel` in src/models), cached under bench/work/models by size, quantisation and seed.
 * Random weights give real shapes and real kernels; the text they produce is noise.
 */
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { WORK_DIR } from './build-native.js';

export type ModelSize = 'tiny' | 'qwen2.5-0.5b-shape';
export type ModelQuant = 'f32' | 'f16' | 'q8_0';

export interface ModelSpec {
  size: ModelSize;
  quant: ModelQuant;
  seed: number;
}

export async function ensureModel(spec: ModelSpec, say: (line: string) => void): Promise<string> {
  const dir = join(WORK_DIR, 'models');
  const file = join(dir, `${spec.size}-${spec.quant}-seed${spec.seed}.gguf`);
  if (existsSync(file)) {
    say(`[model] using ${file} (${mib((await stat(file)).size)})`);
    return file;
  }
  await mkdir(dir, { recursive: true });
  const { createTestModel } = await import('../../src/models/index.js');
  say(`[model] generating ${spec.size} (${spec.quant}, seed ${spec.seed}) → ${file}`);
  const started = Date.now();
  let lastReport = 0;
  // Written to a temporary name and renamed, so an interrupted run never leaves a truncated model.
  const partial = `${file}.partial`;
  await rm(partial, { force: true });
  await createTestModel(partial, {
    size: spec.size,
    seed: spec.seed,
    quant: spec.quant,
    onProgress: (...args: unknown[]) => {
      const now = Date.now();
      if (now - lastReport < 2000) return;
      lastReport = now;
      say(`[model]   ${describeProgress(args[0])}`);
    },
  });
  await rename(partial, file);
  say(`[model] written in ${((Date.now() - started) / 1000).toFixed(1)} s (${mib((await stat(file)).size)})`);
  return file;
}

/** The generator's progress shape is its own; show the common fields when present. */
function describeProgress(p: unknown): string {
  if (typeof p === 'number') return `${(p * (p <= 1 ? 100 : 1)).toFixed(0)}%`;
  if (p && typeof p === 'object') {
    const o = p as Record<string, unknown>;
    const done = o.bytesWritten ?? o.written ?? o.done ?? o.tensorsWritten;
    const total = o.totalBytes ?? o.total ?? o.tensors;
    if (typeof done === 'number' && typeof total === 'number' && total > 0) {
      return `${((done / total) * 100).toFixed(0)}%${typeof o.tensor === 'string' ? ` (${o.tensor})` : ''}`;
    }
    return JSON.stringify(p).slice(0, 120);
  }
  return String(p);
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(0)} MiB`;
}
