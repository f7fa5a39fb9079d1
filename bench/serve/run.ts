/**
 * bench/serve: aggregate decode tokens/s and time to first token for 1, 4 and 16 concurrent streams on
 * the `qwen2.5-0.5b-shape` model (Q8_0), measured in one run three ways:
 *   (a) through Tessera's HTTP API (in-process server, real HTTP on 127.0.0.1),
 *   (b) through node-llama-cpp directly (one context, N sequences, one evaluate loop per sequence),
 *   (c) llama.cpp's own `llama-batched-bench`, built from the source node-llama-cpp ships.
 * Prints the three side by side with the ratios vs native and rewrites the "bench/serve" section of
 * bench/RESULTS.md (not with --quick or --no-write).
 *
 *   node --import tsx bench/serve/run.ts [--streams 1,4,16] [--tokens 128] [--prompt-tokens 32]
 *        [--threads N] [--repeat 2] [--only native,direct,http] [--flash-attn auto|on|off]
 *        [--model FILE.gguf] [--quick] [--no-write]
 *
 * The columns never run at the same time: for each stream count, native, direct and Tessera run back
 * to back (`--repeat` times, best kept), so they never compete for the cores and a burst of outside
 * load is less likely to hit one column only.
 */
import { availableParallelism, cpus, loadavg } from 'node:os';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { REPO_ROOT, ensureNativeBuild } from './build-native.js';
import { openDirect, type DirectBench } from './direct.js';
import { runHttpLoad } from './http-load.js';
import { makePrompt, type Aggregate } from './metrics.js';
import { ensureModel, type ModelSpec } from './model.js';
import { runNative } from './native.js';
import { renderDetails, renderSection, renderTable, updateResultsFile, type ServeRow } from './report.js';
import { startTesseraForBench, type TesseraHandle } from './tessera.js';

type Column = 'native' | 'direct' | 'http';

interface Options {
  streams: number[];
  tokens: number;
  promptTokens: number;
  threads: number;
  only: Set<Column>;
  quick: boolean;
  write: boolean;
  flashAttention: 'on' | 'off' | 'auto';
  /** An existing GGUF instead of the generated one (e.g. a real Qwen2.5-0.5B Q8_0). */
  model?: string;
  repeat: number;
}

function parseArgs(argv: string[]): Options {
  const value = (flag: string): string | undefined => {
    const at = argv.indexOf(flag);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  const known = new Set(['--streams', '--tokens', '--prompt-tokens', '--threads', '--only', '--quick', '--no-write', '--flash-attn', '--model', '--repeat']);
  for (const arg of argv) if (arg.startsWith('--') && !known.has(arg)) throw new Error(`unknown option ${arg}`);
  const quick = argv.includes('--quick');
  const streams = (value('--streams') ?? '1,4,16').split(',').map(Number);
  if (streams.some((n) => !Number.isInteger(n) || n < 1)) throw new Error('--streams takes positive integers, e.g. 1,4,16');
  const int = (flag: string, fallback: number): number => {
    const n = Number(value(flag) ?? fallback);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} takes a positive integer`);
    return n;
  };
  const only = new Set((value('--only') ?? 'native,direct,http').split(',') as Column[]);
  for (const c of only) if (!['native', 'direct', 'http'].includes(c)) throw new Error(`--only: unknown column ${c}`);
  const fa = value('--flash-attn') ?? 'auto';
  if (fa !== 'on' && fa !== 'off' && fa !== 'auto') throw new Error('--flash-attn takes on, off or auto');
  return {
    streams,
    tokens: int('--tokens', quick ? 32 : 128),
    promptTokens: int('--prompt-tokens', 32),
    // The cores this process may really use; never a fixed default (4 threads on 2 cores collapses).
    threads: int('--threads', availableParallelism()),
    only,
    quick,
    write: !quick && !argv.includes('--no-write'),
    flashAttention: fa,
    model: value('--model'),
    repeat: int('--repeat', quick ? 1 : 2),
  };
}

/**
 * How busy the machine is besides us: the load average and, on Linux, the share of time some task
 * waited for a CPU (PSI, /proc/pressure/cpu). On a shared 2-vCPU machine these explain outliers:
 * llama.cpp's threads meet at a barrier per graph node, so one descheduled thread stalls the step.
 */
function machineLoad(): string {
  const load = `load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`;
  try {
    const psi = /^some avg10=(\S+) avg60=(\S+)/m.exec(readFileSync('/proc/pressure/cpu', 'utf8'));
    return psi ? `${load}, CPU pressure avg10 ${psi[1]}% avg60 ${psi[2]}%` : load;
  } catch {
    return load;
  }
}

function describe(a: Aggregate): string {
  return (
    `decode ${a.decodeTokensPerSecond.toFixed(1)} tok/s, TTFT mean ${a.ttftMeanMs.toFixed(0)} ms / all ${a.ttftAllMs.toFixed(0)} ms, ` +
    `${a.totalTokens} tokens${a.errors.length ? `, ${a.errors.length} errors: ${a.errors[0]}` : ''}`
  );
}

const t0 = Date.now();
function say(line: string): void {
  const s = ((Date.now() - t0) / 1000).toFixed(0).padStart(4);
  console.log(`[${s}s] ${line}`);
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const spec: ModelSpec = o.quick ? { size: 'tiny', quant: 'q8_0', seed: 1 } : { size: 'qwen2.5-0.5b-shape', quant: 'q8_0', seed: 1 };
  // Room for prompt + generated tokens (+ a chat template or BOS), rounded to llama.cpp's 256 cells.
  const perSequenceContext = Math.ceil((o.promptTokens + o.tokens + 64) / 256) * 256;
  const maxStreams = Math.max(...o.streams);
  const loadAtStart = machineLoad();
  say(
    `bench/serve: ${o.model ?? `${spec.size} ${spec.quant}`}, streams ${o.streams.join(',')}, ${o.tokens} tokens/stream, ` +
      `${o.promptTokens}-token prompts, ${o.threads} threads, ${loadAtStart}`,
  );

  const native = o.only.has('native') ? await ensureNativeBuild({ jobs: Math.max(1, o.threads), onProgress: say }) : undefined;
  const modelPath = o.model ? resolve(o.model) : await ensureModel(spec, say);
  const notes: string[] = [];
  const settings: string[] = [];
  const rows: ServeRow[] = [];
  let nativeCommand: string | undefined;
  let nativeSettings: string | undefined;
  const common = {
    model: modelPath,
    promptTokens: o.promptTokens,
    tokens: o.tokens,
    threads: o.threads,
    perSequenceContext,
    flashAttention: o.flashAttention,
  };

  // Open the two in-process columns once (model loads are not measured), then measure stream count
  // by stream count, the three columns back to back and `--repeat` times each, so a burst of load
  // from other processes on a shared machine hits all columns alike. The best repetition counts
  // (interference only ever slows a run down); every repetition's figure goes to the details.
  let direct: DirectBench | undefined;
  let tessera: TesseraHandle | undefined;
  try {
    if (o.only.has('direct')) {
      direct = await openDirect({ ...common, streams: o.streams, onProgress: say });
      settings.push(`direct: ${direct.settings}`);
    }
    // The direct column fixes the prompt texts; the HTTP column sends the same ones.
    const prompts = direct?.prompts ?? Array.from({ length: maxStreams }, (_, i) => makePrompt(i, o.promptTokens));
    if (o.only.has('http')) {
      try {
        tessera = await startTesseraForBench({ model: modelPath, threads: o.threads, parallel: maxStreams, perSequenceContext, onProgress: say });
        settings.push(`Tessera: threads=${o.threads}, parallel=${maxStreams}, contextSize=${perSequenceContext}, gpu=off, POST /v1/completions stream=true temperature=0`);
        say('[tessera] warm-up request');
        const warm = await runHttpLoad({ baseUrl: tessera.url, apiKey: tessera.apiKey, model: tessera.model, streams: 1, tokens: 4, prompts });
        if (warm.errors.length > 0) throw new Error(`warm-up request failed: ${warm.errors[0]}`);
      } catch (err) {
        const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
        say(`[tessera] could not run the HTTP column: ${reason}`);
        notes.push(`The Tessera HTTP column did not run: ${reason}`);
        await tessera?.close().catch(() => undefined);
        tessera = undefined;
      }
    }

    for (const n of o.streams) {
      const row: ServeRow = { streams: n, runs: { http: [], direct: [], native: [] } };
      rows.push(row);
      for (let rep = 1; rep <= o.repeat; rep++) {
        const tag = `${n} stream${n > 1 ? 's' : ''} × ${o.tokens} tokens${o.repeat > 1 ? `, run ${rep}/${o.repeat}` : ''}`;
        if (native) {
          say(`[native] ${tag} …`);
          const result = await runNative({ ...common, binary: native.batchedBench, streams: [n], onProgress: undefined });
          const r = result.rows[0];
          nativeCommand ??= result.command.replace(modelPath, 'MODEL');
          nativeSettings ??= result.settings;
          row.runs.native.push(r.decodeTokensPerSecond);
          say(`[native] ${n} streams: decode ${r.decodeTokensPerSecond.toFixed(1)} tok/s, prompt ${(r.promptSeconds * 1000).toFixed(0)} ms`);
          if (!row.native || r.decodeTokensPerSecond > row.native.decodeTokensPerSecond) row.native = r;
        }
        if (direct) {
          say(`[direct] ${tag} …`);
          const a = await direct.run(n);
          row.runs.direct.push(a.decodeTokensPerSecond);
          say(`[direct] ${n} streams: ${describe(a)}`);
          if (!row.direct || a.decodeTokensPerSecond > row.direct.decodeTokensPerSecond) row.direct = a;
        }
        if (tessera) {
          say(`[tessera] ${tag} over HTTP …`);
          const a = await runHttpLoad({ baseUrl: tessera.url, apiKey: tessera.apiKey, model: tessera.model, streams: n, tokens: o.tokens, prompts });
          row.runs.http.push(a.decodeTokensPerSecond);
          say(`[tessera] ${n} streams: ${describe(a)}`);
          if (a.totalTokens < n * o.tokens && rep === 1) {
            notes.push(`Tessera, ${n} streams: ${a.totalTokens} of ${n * o.tokens} tokens produced (early stop or errors); tok/s is over the real tokens.`);
          }
          if (!row.http || a.decodeTokensPerSecond > row.http.decodeTokensPerSecond) row.http = a;
        }
      }
    }
  } finally {
    await tessera?.close();
    await direct?.close();
  }
  if (nativeCommand) settings.push(`native (per stream count N): \`${nativeCommand}\` with -npl N and -c ${perSequenceContext}·N`, `native: ${nativeSettings ?? ''}`);

  console.log(`\n${renderTable(rows)}\n\n${renderDetails(rows)}\n`);
  for (const note of notes) console.log(`note: ${note}`);
  const loadAtEnd = machineLoad();
  say(`done, ${loadAtEnd}`);
  settings.push(`machine load: at start ${loadAtStart}; at end ${loadAtEnd}`);

  if (o.write) {
    const nlcVersion = (JSON.parse(await readFile(join(REPO_ROOT, 'node_modules', 'node-llama-cpp', 'package.json'), 'utf8')) as { version: string }).version;
    const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
    const section = renderSection(rows, {
      date: new Date().toISOString().slice(0, 10),
      machine: `${availableParallelism()} vCPU (${cpu}), no GPU, shared with other work`,
      model: o.model
        ? basename(o.model)
        : `${spec.size}, ${spec.quant.toUpperCase()}, random weights (seed ${spec.seed}), written by createTestModel`,
      threads: o.threads,
      tokens: o.tokens,
      promptTokens: o.promptTokens,
      repeat: o.repeat,
      llamaCpp: native ? `${native.tag} (${native.commit.slice(0, 12)}), CPU build, GGML_NATIVE=ON` : 'not run',
      nodeLlamaCpp: `${nlcVersion}, prebuilt CPU binary`,
      settings,
      notes,
      command: `node --import tsx bench/serve/run.ts ${process.argv.slice(2).join(' ')}`.trim(),
    });
    const path = join(REPO_ROOT, 'bench', 'RESULTS.md');
    await updateResultsFile(path, section);
    say(`wrote the "bench/serve" section of ${path}`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exitCode = 1;
});
