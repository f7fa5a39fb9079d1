/**
 * The benchmark's model: a random-weight GGUF written by the project's own generator
 * (`createTestModel` in src/models), cached under bench/work/models by size, quantisation and seed.
 * Random weights give real shapes and real kernels; the text they produce is noise.
 */
import { existsSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { WORK_DIR } from './build-native.js';

export type ModelSize = 'tiny' | 'qwen2.5-0.5b-shape' | 'qwen2.5-7b-shape';
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
  // createTestModel writes through a temporary file: an interrupted run never leaves a truncated model.
  await createTestModel(file, {
    size: spec.size,
    seed: spec.seed,
    quant: spec.quant,
    onProgress: (p) => {
      const now = Date.now();
      if (now - lastReport < 2000) return;
      lastReport = now;
      say(`[model]   ${((p.bytesWritten / p.totalBytes) * 100).toFixed(0)}% (${p.tensorsWritten}/${p.tensors} tensors, ${mib(p.bytesWritten)})`);
    },
  });
  say(`[model] written in ${((Date.now() - started) / 1000).toFixed(1)} s (${mib((await stat(file)).size)})`);
  return file;
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(0)} MiB`;
}
