/**
 * `tessera models …`: the local model library (`<data dir>/models`). These commands work on
 * files directly, so they run with or without a server; `add` declares an upstream model in the
 * data dir's database.
 */
import { Command, InvalidArgumentError } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  CATALOG,
  createModelLibrary,
  createTestModel,
  estimateMemory,
  formatBytes,
  inspectGguf,
  isTestModelSize,
  pullModel,
  TEST_MODEL_SIZES,
  type ModelInfo,
  type TestModelQuant,
} from '../../models/index.js';
import { modelsAddCommand } from './models-add.js';

export interface ModelsCommandDeps {
  dataDir: () => string;
  env: Record<string, string | undefined>;
}

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

const billions = (n: number): string => `${(n / 1e9).toFixed(n < 1e9 ? 2 : 1)} B`;

export function modelsCommand(deps: ModelsCommandDeps): Command {
  const models = new Command('models').description('List, inspect, import, download and generate GGUF models');
  const library = () => createModelLibrary(join(resolve(deps.dataDir()), 'models'));

  models.command('list')
    .description('Installed models (with --catalog: the models Tessera knows how to download)')
    .option('--catalog', 'list the catalog instead')
    .option('--json', 'print JSON')
    .action(async (opts) => {
      if (opts.catalog) {
        if (opts.json) return console.log(JSON.stringify(CATALOG, null, 2));
        console.table(CATALOG.map((e) => ({ name: e.name, parameters: billions(e.parameters), quant: e.quant, 'size (approx.)': formatBytes(e.approxBytes) })));
        return;
      }
      const installed = await library().list();
      if (opts.json) return console.log(JSON.stringify(installed, null, 2));
      if (installed.length === 0) return console.log(`No models installed in ${library().dir}. Try \`tessera models pull qwen2.5-0.5b-instruct\` or \`tessera models create-test\`.`);
      console.table(installed.map((m) => m.info
        ? { name: m.name, architecture: m.info.architecture, parameters: billions(m.info.parameters), quant: m.info.quantization, size: formatBytes(m.info.fileBytes), note: m.info.randomWeights ? 'random weights' : '' }
        : { name: m.name, note: `unreadable: ${m.error}` }));
    });

  models.command('inspect')
    .description('Describe a GGUF (installed name or file) and estimate the memory it needs to serve')
    .argument('<model>', 'installed model name or path to a .gguf file')
    .option('--context-size <tokens>', 'context per sequence for the estimate', integer, 4096)
    .option('--parallel <n>', 'sequences for the estimate', integer, 4)
    .option('--json', 'print JSON')
    .action(async (model: string, opts) => {
      const path = existsSync(model) ? model : library().pathOf(model);
      const info = await inspectGguf(path);
      const memory = memoryOf(info, opts.contextSize, opts.parallel);
      if (opts.json) return console.log(JSON.stringify({ ...info, memory }, null, 2));
      const rows: Array<[string, string]> = [
        ['file', `${info.path} (${formatBytes(info.fileBytes)})`],
        ['name', info.name ?? '-'],
        ['architecture', info.architecture],
        ['parameters', `${info.parameters.toLocaleString('en-US')} (${billions(info.parameters)})`],
        ['quantization', info.quantization],
        ['context length', info.contextLength?.toLocaleString('en-US') ?? '-'],
        ['layers / heads / kv heads', `${info.layers ?? '-'} / ${info.heads ?? '-'} / ${info.kvHeads ?? '-'}`],
        ['vocabulary', info.vocab?.toLocaleString('en-US') ?? '-'],
        ['chat template', info.hasChatTemplate ? 'yes' : 'no'],
      ];
      if (info.randomWeights) rows.push(['note', 'generated test model: random weights, its output is noise']);
      if (memory) {
        rows.push([`memory (${opts.parallel} × ${opts.contextSize} tokens)`,
          `${formatBytes(memory.totalBytes)} = weights ${formatBytes(memory.weightBytes)} + KV cache ${formatBytes(memory.kvCacheBytes)} + compute ${formatBytes(memory.computeBytes)} + tokenizer ${formatBytes(memory.tokenizerBytes)}`]);
        rows.push(['per extra sequence', formatBytes(memory.perSequenceBytes)]);
      }
      const width = Math.max(...rows.map(([k]) => k.length));
      for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
    });

  models.command('import')
    .description('Copy a GGUF file into the library')
    .argument('<file>', 'path to a .gguf file')
    .option('--name <name>', 'installed name (default: the file name)')
    .action(async (file: string, opts) => {
      const m = await library().import(file, opts.name);
      console.log(`Installed ${m.name} (${m.info?.architecture}, ${m.info?.quantization}, ${formatBytes(m.info?.fileBytes ?? 0)}) → ${m.path}`);
    });

  models.command('pull')
    .description('Download a catalog model or a .gguf URL (resumable, sha256-verified)')
    .argument('<source>', 'catalog name (see `models list --catalog`) or http(s) URL')
    .option('--name <name>', 'installed name')
    .option('--sha256 <hex>', 'expected sha256 of the file')
    .action(async (source: string, opts) => {
      const bar = new SingleBar({
        format: '{name} |{bar}| {percentage}% {received} / {total} {speed}',
        hideCursor: true,
      }, Presets.shades_classic);
      let started = false;
      const t0 = performance.now();
      const result = await pullModel({
        source, name: opts.name, sha256: opts.sha256, destDir: library().dir,
        onProgress: (p) => {
          const total = p.totalBytes ?? p.receivedBytes;
          const speed = `${formatBytes((p.receivedBytes - p.resumedFromBytes) / Math.max((performance.now() - t0) / 1000, 0.001))}/s`;
          const payload = { name: p.name, received: formatBytes(p.receivedBytes), total: p.totalBytes ? formatBytes(total) : '?', speed };
          if (!started) {
            started = true;
            if (p.resumedFromBytes > 0) console.log(`Resuming ${p.name} from ${formatBytes(p.resumedFromBytes)}`);
            bar.start(total, p.receivedBytes, payload);
          }
          bar.setTotal(total);
          bar.update(p.receivedBytes, payload);
        },
      }).finally(() => started && bar.stop());
      console.log(result.alreadyInstalled
        ? `${result.name} is already installed (${result.path}).`
        : `Installed ${result.name} (${formatBytes(result.bytes)}, sha256 ${result.sha256}) → ${result.path}`);
    });

  models.command('rm')
    .description('Delete an installed model (and any partial download of it)')
    .argument('<name>', 'installed model name')
    .action(async (name: string) => {
      if (!(await library().remove(name))) {
        process.exitCode = 1;
        return console.error(`No installed model is named "${name}".`);
      }
      console.log(`Removed ${name}.`);
    });

  models.command('create-test')
    .description('Write a qwen2 GGUF with seeded random weights (for tests and benchmarks; its output is noise)')
    .option('--size <size>', `one of: ${Object.keys(TEST_MODEL_SIZES).join(', ')}`, 'tiny')
    .option('--quant <quant>', 'f32 | f16 | q8_0', 'f16')
    .option('--seed <n>', 'random seed', integer, 42)
    .option('--name <name>', 'installed name (default tessera-<size>-<quant>-seed<seed>)')
    .option('--out <file>', 'write to this path instead of the library')
    .action(async (opts) => {
      if (!isTestModelSize(opts.size)) throw new InvalidArgumentError(`--size must be one of ${Object.keys(TEST_MODEL_SIZES).join(', ')}`);
      if (!['f32', 'f16', 'q8_0'].includes(opts.quant)) throw new InvalidArgumentError('--quant must be f32, f16 or q8_0');
      const path = opts.out ? resolve(opts.out) : library().pathOf(opts.name ?? `tessera-${opts.size}-${opts.quant}-seed${opts.seed}`);
      const bar = new SingleBar({ format: 'writing |{bar}| {percentage}% {tensor}', hideCursor: true }, Presets.shades_classic);
      let started = false;
      const { bytes } = await createTestModel(path, {
        size: opts.size, seed: opts.seed, quant: opts.quant as TestModelQuant,
        onProgress: (p) => {
          if (!started && p.totalBytes > 50e6) {
            started = true;
            bar.start(p.totalBytes, 0, { tensor: '' });
          }
          if (started) bar.update(p.bytesWritten, { tensor: p.tensor });
        },
      }).finally(() => started && bar.stop());
      console.log(`Wrote ${path} (${formatBytes(bytes)}; ${opts.size}, ${opts.quant}, seed ${opts.seed}; random weights).`);
    });

  models.addCommand(modelsAddCommand(deps.dataDir));
  return models;
}

function memoryOf(info: ModelInfo, contextSize: number, parallel: number) {
  const { layers, kvHeads, headDim, embedding, vocab } = info;
  if (!layers || !kvHeads || !headDim || !embedding || !vocab) return null;
  return estimateMemory({ weightBytes: info.weightBytes, layers, kvHeads, headDim, embedding, vocab, feedForward: info.feedForward ?? undefined }, { contextSize, parallel });
}
