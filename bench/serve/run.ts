/**
 * bench/serve: aggregate decode tokens/s and time to first token for 1, 4 and 16 concurrent streams on
 * the `qwen2.5-0.5b-shape` model (Q8_0), measured in one run four ways:
 *   native  llama.cpp's own `llama-batched-bench`, built from the source node-llama-cpp ships (baseline),
 *   server  llama.cpp's own `llama-server` from the same build, `-np N`, N concurrent /v1/completions,
 *   direct  node-llama-cpp directly (one context with N sequences, one evaluate loop per sequence),
 *   http    Tessera's HTTP API (its own process, `parallel` = N, real HTTP on 127.0.0.1).
 * Prints them side by side as ratios to the native baseline and rewrites the "Serving (bench/serve)"
 * section of bench/serve/results.md (not with --quick or --no-write).
 *
 *   node --import tsx bench/serve/run.ts [--streams 1,4,16] [--tokens 128] [--prompt-tokens 32]
 *        [--threads N] [--repeat 1] [--only native,server,direct,http] [--flash-attn auto|on|off]
 *        [--skip-build] [--model FILE.gguf] [--results FILE] [--quick] [--no-write]
 *
 * The columns never run at the same time: for each stream count every column is configured for
 * exactly N sequences, then they run back to back (`--repeat` times, best kept), so they never
 * compete for the cores and a burst of outside load is less likely to hit one column only.
 */
import { setMaxListeners } from 'node:events';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { REPO_ROOT, ensureNativeBuild, type Backend, type NativeBuild } from './build-native.js';
import { ensureCudaBinding } from './cuda-binding.js';
import { openDirect, type DirectBench } from './direct.js';
import { runHttpLoad } from './http-load.js';
import { startLlamaServer, type LlamaServerHandle } from './llama-server.js';
import { makePrompt, type Aggregate, type TokenCounter } from './metrics.js';
import { ensureModel, type ModelSpec } from './model.js';
import { runNative } from './native.js';
import { COLUMN_TITLES, renderDetails, renderSection, renderTable, updateResultsFile, type Column, type ServeRow } from './report.js';
import { startTesseraForBench, type TesseraHandle } from './tessera.js';

const ALL_COLUMNS: Column[] = ['native', 'server', 'direct', 'http'];
/** The machine counts as calm when other processes keep less than this share of all cores busy. */
const CALM_BUSY = 0.15;

interface Options {
  streams: number[];
  tokens: number;
  promptTokens: number;
  threads: number;
  columns: Column[];
  quick: boolean;
  write: boolean;
  results: string;
  skipBuild: boolean;
  /** Longest wait, in seconds, for the other processes to leave the cores idle before a run. */
  calmSeconds: number;
  /** A run still going after this many seconds is stopped; its partial figures are kept and noted. */
  maxRunSeconds: number;
  flashAttention: 'on' | 'off' | 'auto';
  /** What the HTTP columns ask for: greedy, or temperature 0.8 with top_p 0.95 (a chat app's). */
  sampling: 'greedy' | 'nucleus';
  /** An existing GGUF instead of the generated one (e.g. a real Qwen2.5-0.5B Q8_0). */
  model?: string;
  /** Where every column runs: the CPU, or CUDA with every layer on the GPU. */
  gpu: Backend;
  /** The generated model's shape and quantisation (when no --model is given). */
  shape: ModelSpec['size'];
  quant: ModelSpec['quant'];
  repeat: number;
}

const USAGE = `usage: node --import tsx bench/serve/run.ts [options]
  --streams 1,4,16       concurrent streams per row (default 1,4,16)
  --tokens 128           new tokens per stream (default 128; 32 with --quick)
  --prompt-tokens 32     prompt tokens per stream (default 32)
  --threads N            threads for every column (default: os.availableParallelism())
  --repeat 1             runs per column and row, best kept (default 1)
  --only a,b             columns among native,server,direct,http (default: all four)
  --flash-attn auto      auto|on|off, the same for every column that takes it (default auto)
  --sampling greedy      greedy|nucleus: what the HTTP columns request (nucleus: temperature 0.8, top_p 0.95)
  --skip-build           use the llama.cpp binaries already in bench/work; never clone or build
  --calm 30              before each run, wait up to this many seconds for the cores to be idle
                         (other processes below ${CALM_BUSY * 100}% of the machine); 0: never wait
  --max-run 180          stop a run still going after this many seconds (partial figures, noted)
  --model FILE.gguf      an existing model instead of the generated one
  --shape 0.5b           shape of the generated model: 0.5b (Qwen2.5-0.5B) or 7b (Qwen2.5-7B)
  --quant q8_0           its quantisation: q8_0, f16 or f32
  --gpu off              off | cuda: CUDA build of llama.cpp's tools (CUDA_ARCHITECTURES, default 90),
                         every layer offloaded in every column; Tessera started with --gpu cuda.
                         Not yet run on a GPU machine by this script: see bench/README.md
  --results FILE         where the results section goes (default bench/serve/results.md)
  --quick                smoke run: tiny model, 32 tokens, writes nothing
  --no-write             print only`;

function parseArgs(argv: string[]): Options {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    process.exit(0);
  }
  const flags = new Set(['--quick', '--no-write', '--skip-build']);
  const withValue = new Set(['--gpu', '--shape', '--quant', '--max-run', '--calm', '--streams', '--tokens', '--prompt-tokens', '--threads', '--only', '--flash-attn', '--model', '--repeat', '--results', '--sampling']);
  for (let i = 0; i < argv.length; i++) {
    if (withValue.has(argv[i])) i += 1;
    else if (!flags.has(argv[i])) throw new Error(`unknown argument ${argv[i]}\n${USAGE}`);
  }
  const value = (flag: string): string | undefined => {
    const at = argv.indexOf(flag);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  const quick = argv.includes('--quick');
  const streams = (value('--streams') ?? '1,4,16').split(',').map(Number);
  if (streams.some((n) => !Number.isInteger(n) || n < 1)) throw new Error('--streams takes positive integers, e.g. 1,4,16');
  const int = (flag: string, fallback: number): number => {
    const n = Number(value(flag) ?? fallback);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} takes a positive integer`);
    return n;
  };
  const nonNegative = (flag: string, fallback: number): number => {
    const n = Number(value(flag) ?? fallback);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} takes a whole number of seconds`);
    return n;
  };
  const columns = (value('--only') ?? ALL_COLUMNS.join(',')).split(',') as Column[];
  for (const c of columns) if (!ALL_COLUMNS.includes(c)) throw new Error(`--only: unknown column ${c} (known: ${ALL_COLUMNS.join(', ')})`);
  const sampling = value('--sampling') ?? 'greedy';
  if (sampling !== 'greedy' && sampling !== 'nucleus') throw new Error('--sampling takes greedy or nucleus');
  const gpu = value('--gpu') ?? 'off';
  if (gpu !== 'off' && gpu !== 'cuda') throw new Error('--gpu takes off or cuda');
  const shapes = { '0.5b': 'qwen2.5-0.5b-shape', '7b': 'qwen2.5-7b-shape' } as const;
  const shape = value('--shape') ?? '0.5b';
  if (!Object.hasOwn(shapes, shape)) throw new Error('--shape takes 0.5b or 7b');
  const quant = value('--quant') ?? 'q8_0';
  if (quant !== 'q8_0' && quant !== 'f16' && quant !== 'f32') throw new Error('--quant takes q8_0, f16 or f32');
  const fa = value('--flash-attn') ?? 'auto';
  if (fa !== 'on' && fa !== 'off' && fa !== 'auto') throw new Error('--flash-attn takes on, off or auto');
  return {
    streams,
    tokens: int('--tokens', quick ? 32 : 128),
    promptTokens: int('--prompt-tokens', 32),
    // The cores this process may really use; never a fixed default (4 threads on 2 cores collapses).
    threads: int('--threads', availableParallelism()),
    columns: ALL_COLUMNS.filter((c) => columns.includes(c)),
    quick,
    write: !quick && !argv.includes('--no-write'),
    results: resolve(value('--results') ?? join(REPO_ROOT, 'bench', 'serve', 'results.md')),
    skipBuild: argv.includes('--skip-build'),
    flashAttention: fa,
    sampling,
    model: value('--model'),
    gpu: gpu === 'cuda' ? 'cuda' : 'cpu',
    shape: shapes[shape as keyof typeof shapes],
    quant,
    repeat: int('--repeat', 1),
    calmSeconds: nonNegative('--calm', quick ? 0 : 30),
    maxRunSeconds: int('--max-run', 180),
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
    `decode ${a.decodeTokensPerSecond.toFixed(1)} tok/s, TTFT all ${a.ttftAllMs.toFixed(0)} ms / mean ${a.ttftMeanMs.toFixed(0)} ms, ` +
    `${a.totalTokens} tokens in ${(a.wallMs / 1000).toFixed(1)} s${a.errors.length ? `, ${a.errors.length} errors: ${a.errors[0]}` : ''}`
  );
}

const t0 = Date.now();
/** Printed under the tables and written with them. */
const notes: string[] = [];
function say(line: string): void {
  const s = ((Date.now() - t0) / 1000).toFixed(0).padStart(4);
  console.log(`[${s}s] ${line}`);
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0];
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const spec: ModelSpec = o.quick ? { size: 'tiny', quant: 'q8_0', seed: 1 } : { size: o.shape, quant: o.quant, seed: 1 };
  // Room for prompt + generated tokens (+ BOS or a re-tokenised prompt), rounded to 256 cells.
  const perSequenceContext = Math.ceil((o.promptTokens + o.tokens + 64) / 256) * 256;
  const maxStreams = Math.max(...o.streams);
  const has = (c: Column) => o.columns.includes(c);
  const loadAtStart = machineLoad();
  say(
    `bench/serve: ${o.model ?? `${spec.size} ${spec.quant}`}, streams ${o.streams.join(',')}, ${o.tokens} tokens/stream, ` +
      `${o.promptTokens}-token prompts, ${o.threads} threads, columns ${o.columns.join(',')}, ${loadAtStart}`,
  );

  let native: NativeBuild | undefined;
  if (has('native') || has('server')) {
    native = await ensureNativeBuild({ jobs: o.threads, skipBuild: o.skipBuild, backend: o.gpu, onProgress: say });
  }
  // node-llama-cpp's CUDA build and Tessera's native loop against it (direct and HTTP columns).
  if (o.gpu === 'cuda' && (has('direct') || has('http'))) await ensureCudaBinding({ skipBuild: o.skipBuild, onProgress: say });
  const modelPath = o.model ? resolve(o.model) : await ensureModel(spec, say);
  const settings: string[] = [];
  const rows: ServeRow[] = [];
  const common = {
    model: modelPath,
    promptTokens: o.promptTokens,
    tokens: o.tokens,
    threads: o.threads,
    perSequenceContext,
    flashAttention: o.flashAttention,
    // Every layer on the GPU (llama.cpp caps the count at the model's layers).
    gpuLayers: o.gpu === 'cuda' ? 999 : undefined,
  };
  let nativeCommand: string | undefined;
  let nativeSettings: string | undefined;
  let serverCommand: string | undefined;
  let tesseraFailed = false;

  // The model is loaded once for the direct column (model loads are not measured); each stream
  // count then gets its own context / server, sized for exactly N sequences.
  let direct: DirectBench | undefined;
  try {
    if (has('direct')) direct = await openDirect({ ...common, backend: o.gpu, streams: o.streams, onProgress: say });
    // The direct column fixes the prompt texts (exactly promptTokens tokens); the HTTP columns send
    // the same ones. The warm-up requests use another prompt, so no server can reuse a cached prefix.
    const prompts = direct?.prompts ?? Array.from({ length: maxStreams }, (_, i) => makePrompt(i, o.promptTokens));
    const warmPrompt = [makePrompt(9999, 8)];

    for (const n of o.streams) {
      say(`── ${n} stream${n > 1 ? 's' : ''} × ${o.tokens} tokens ──`);
      const row: ServeRow = { streams: n, runs: { native: [], server: [], direct: [], http: [] } };
      rows.push(row);
      let server: LlamaServerHandle | undefined;
      let tessera: TesseraHandle | undefined;
      try {
        if (direct) {
          say(`[direct] creating a context with ${n} sequence${n > 1 ? 's' : ''} (+ warm-up)`);
          await direct.prepare(n);
        }
        if (has('server') && native) {
          try {
            server = await startLlamaServer({ ...common, binary: native.server, slots: n, onProgress: say });
            serverCommand ??= server.command.replace(`-np ${n}`, '-np N').replace(`-c ${perSequenceContext * n}`, `-c ${perSequenceContext}·N`);
            const warm = await runHttpLoad({ baseUrl: server.url, model: 'bench', streams: 1, tokens: 4, prompts: warmPrompt });
            if (warm.errors.length > 0) throw new Error(`warm-up request failed: ${warm.errors[0]}`);
          } catch (err) {
            say(`[llama-server] could not run: ${firstLine(err)}`);
            notes.push(`llama-server, ${n} streams, did not run: ${firstLine(err)}`);
            await server?.close();
            server = undefined;
          }
        }
        if (has('http') && !tesseraFailed) {
          try {
            tessera = await startTesseraForBench({ model: modelPath, backend: o.gpu, threads: o.threads, parallel: n, perSequenceContext, onProgress: say });
            const warm = await runHttpLoad({ baseUrl: tessera.url, apiKey: tessera.apiKey, model: tessera.model, streams: 1, tokens: 4, prompts: warmPrompt });
            if (warm.errors.length > 0) throw new Error(`warm-up request failed: ${warm.errors[0]}`);
          } catch (err) {
            say(`[tessera] could not run the HTTP column: ${firstLine(err)}`);
            notes.push(`The Tessera HTTP column did not run: ${firstLine(err)}`);
            await tessera?.close().catch(() => undefined);
            tessera = undefined;
            tesseraFailed = true;
          }
        }

        for (let rep = 1; rep <= o.repeat; rep++) {
          const tag = `${n} stream${n > 1 ? 's' : ''}${o.repeat > 1 ? `, run ${rep}/${o.repeat}` : ''}`;
          // The HTTP columns get prompts no earlier row or run sent, so neither server can serve
          // them from a cached prefix (Tessera reuses prefixes by default; llama-server is told not to).
          const httpPrompts = prompts.map((p) => `[${n}.${rep}] ${p}`);
          const samplingBody = o.sampling === 'nucleus' ? { temperature: 0.8, top_p: 0.95, seed: 1 } : {};
          if (has('native') && native) {
            await waitForCalm(o.calmSeconds, 'native');
            say(`[native] ${tag}: llama-batched-bench …`);
            try {
              const pressure = pressureProbe();
              const result = await runNative({ ...common, binary: native.batchedBench, streams: [n], signal: AbortSignal.timeout(o.maxRunSeconds * 1000) });
              const cpuPressure = pressure();
              const r = result.rows[0];
              nativeCommand ??= result.command.replace(modelPath, 'MODEL').replace(`-npl ${n}`, '-npl N').replace(`-c ${perSequenceContext * n}`, `-c ${perSequenceContext}·N`);
              nativeSettings ??= result.settings;
              row.runs.native.push({ decodeTokensPerSecond: r.decodeTokensPerSecond, cpuPressure });
              say(
                `[native] ${tag}: decode ${r.decodeTokensPerSecond.toFixed(1)} tok/s, prompts ${(r.promptSeconds * 1000).toFixed(0)} ms` +
                  (cpuPressure === undefined ? '' : `, CPU pressure ${(cpuPressure * 100).toFixed(0)}%`),
              );
              if (!row.native || r.decodeTokensPerSecond > row.native.decodeTokensPerSecond) row.native = r;
            } catch (err) {
              say(`[native] ${tag}: failed: ${firstLine(err)}`);
              notes.push(`llama-batched-bench, ${n} streams, run ${rep}, failed: ${firstLine(err)}`);
            }
          }
          if (server) {
            await waitForCalm(o.calmSeconds, 'llama-server');
            say(`[llama-server] ${tag}: ${n} concurrent /v1/completions …`);
            const a = await withHeartbeat('llama-server', n * o.tokens, o.maxRunSeconds, (counter) =>
              runHttpLoad({
                baseUrl: server!.url,
                model: 'bench',
                streams: n,
                tokens: o.tokens,
                prompts: httpPrompts,
                // Fixed length as in the other columns; no prompt cache between repetitions.
                extraBody: { ignore_eos: true, cache_prompt: false, ...samplingBody },
                counter,
              }),
            );
            record(row, 'server', a, tag);
          }
          if (direct) {
            await waitForCalm(o.calmSeconds, 'direct');
            say(`[direct] ${tag}: ${n} evaluate loop${n > 1 ? 's' : ''} …`);
            record(row, 'direct', await withHeartbeat('direct', n * o.tokens, o.maxRunSeconds, (counter) => direct!.run(n, counter)), tag);
          }
          if (tessera) {
            await waitForCalm(o.calmSeconds, 'tessera');
            say(`[tessera] ${tag}: ${n} concurrent /v1/completions …`);
            const t = tessera;
            const loopBefore = await t.loopCounters().catch(() => undefined);
            const a = await withHeartbeat('tessera', n * o.tokens, o.maxRunSeconds, (counter) =>
              runHttpLoad({ baseUrl: t.url, apiKey: t.apiKey, model: t.model, streams: n, tokens: o.tokens, prompts: httpPrompts, extraBody: samplingBody, counter }),
            );
            record(row, 'http', a, tag);
            const loopAfter = await t.loopCounters().catch(() => undefined);
            if (loopBefore && loopAfter && loopAfter.steps > loopBefore.steps) {
              // Where the decode thread's time went in this run (the native loop's own counters).
              const steps = loopAfter.steps - loopBefore.steps;
              const perStep = (key: 'decodeS' | 'samplingS' | 'busyS') => (((loopAfter[key] - loopBefore[key]) / steps) * 1000).toFixed(1);
              const line = `Tessera, ${n} streams, run ${rep}: ${steps} decode steps; per step ${perStep('decodeS')} ms in llama_decode, ${perStep('samplingS')} ms sampling, ${perStep('busyS')} ms of loop work in all`;
              say(`[tessera] ${line}`);
              notes.push(line);
            }
            if (a.totalTokens < n * o.tokens) {
              notes.push(`Tessera, ${n} streams, run ${rep}: ${a.totalTokens} of ${n * o.tokens} tokens produced (EOS or errors); tok/s is over the real tokens.`);
            }
          }
        }
      } finally {
        await server?.close();
        await tessera?.close();
      }
    }
    if (direct) settings.push(`node-llama-cpp direct: ${direct.settings}`);
  } finally {
    await direct?.close();
  }
  if (nativeCommand) settings.push(`llama-batched-bench (per stream count N): \`${nativeCommand}\`; ${nativeSettings ?? ''}`);
  if (serverCommand) {
    settings.push(
      `llama-server (per stream count N): \`${serverCommand}\`; N concurrent streaming /v1/completions, ` +
        `temperature 0, max_tokens ${o.tokens}, ignore_eos, cache_prompt false`,
    );
  }
  if (has('http') && !tesseraFailed) {
    settings.push(
      `Tessera (per stream count N): startTessera in a child process (as tessera serve), gpu ${o.gpu === 'cuda' ? 'cuda' : 'off'}, threads ${o.threads}, parallel N, contextSize ${perSequenceContext}; ` +
        `N concurrent streaming POST /v1/completions, temperature 0, max_tokens ${o.tokens} (no ignore_eos in the OpenAI API)` +
        (o.flashAttention === 'auto' ? '' : `; Tessera has no flash-attention setting, so it ran with node-llama-cpp's default (auto)`),
    );
  }

  const loadAtEnd = machineLoad();
  console.log(`\n${renderTable(rows, o.columns)}\n\n${renderDetails(rows, o.columns)}\n`);
  for (const note of notes) console.log(`note: ${note}`);
  say(`done, ${loadAtEnd}`);
  settings.push(`machine load: at start ${loadAtStart}; at end ${loadAtEnd}`);

  if (o.write) {
    const nlcVersion = (JSON.parse(await readFile(join(REPO_ROOT, 'node_modules', 'node-llama-cpp', 'package.json'), 'utf8')) as { version: string }).version;
    const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
    const section = renderSection(rows, o.columns, {
      date: new Date().toISOString().slice(0, 10),
      machine:
        `${availableParallelism()} vCPU (${cpu}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${o.gpu === 'cuda' ? 'CUDA GPU' : 'no GPU'}, Node ${process.version}; ` +
        `shared with other work during the run (see the load figures in the details)`,
      model: o.model
        ? basename(o.model)
        : `${spec.size}, ${spec.quant.toUpperCase()}, random weights (seed ${spec.seed}), written by createTestModel`,
      threads: o.threads,
      tokens: o.tokens,
      promptTokens: o.promptTokens,
      sampling: o.sampling,
      repeat: o.repeat,
      llamaCpp: native
        ? `${native.tag} (commit ${native.commit.slice(0, 12)}, from node-llama-cpp's bundle), ${o.gpu === 'cuda' ? 'CUDA build, every layer offloaded' : 'CPU build, GGML_NATIVE=ON'}`
        : 'not run',
      nodeLlamaCpp: `${nlcVersion}, ${o.gpu === 'cuda' ? 'CUDA build' : 'prebuilt CPU binary'}`,
      settings,
      notes,
      command: `npm run bench:serve${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
      durationSeconds: (Date.now() - t0) / 1000,
    });
    await updateResultsFile(o.results, section);
    say(`wrote the "Serving (bench/serve)" section of ${relative(process.cwd(), o.results) || o.results}`);
  }
}

/** Prints the tokens received so far every 15 s while a measurement runs (rows can take minutes). */
async function withHeartbeat<T>(
  label: string,
  expected: number,
  maxSeconds: number,
  work: (counter: TokenCounter) => Promise<T>,
): Promise<T & { cpuPressure?: number }> {
  const signal = AbortSignal.timeout(maxSeconds * 1000);
  // Every stream's request listens on it: 16 or more listeners are expected, not a leak.
  setMaxListeners(1024, signal);
  const counter: TokenCounter = { tokens: 0, signal };
  const pressure = pressureProbe();
  const started = Date.now();
  const timer = setInterval(() => {
    say(`[${label}]   … ${counter.tokens}/${expected} tokens after ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }, 15_000);
  try {
    const result = await work(counter);
    return { ...result, cpuPressure: pressure() };
  } finally {
    clearInterval(timer);
  }
}

/** Busy and total jiffies of all CPUs together (Linux /proc/stat), or undefined elsewhere. */
function cpuTimes(): { busy: number; total: number } | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
    const total = fields.reduce((a, b) => a + b, 0);
    return { busy: total - fields[3] - fields[4], total };
  } catch {
    return undefined;
  }
}

/**
 * Before each run, while the benchmark itself is idle: waits (up to `maxSeconds`) until the other
 * processes on the machine use less than CALM_BUSY of all its cores, sampling one second at a time.
 * llama.cpp's threads meet at a barrier per graph node, so on a 2-core machine one busy process
 * elsewhere can cut a run's throughput several-fold; the CPU pressure recorded with every figure
 * says how well this worked.
 */
async function waitForCalm(maxSeconds: number, label: string): Promise<void> {
  if (maxSeconds <= 0) return;
  const started = Date.now();
  let lastSaid = started;
  for (;;) {
    const a = cpuTimes();
    await new Promise((r) => setTimeout(r, 1000));
    const b = cpuTimes();
    if (!a || !b || b.total <= a.total) return;
    const busy = (b.busy - a.busy) / (b.total - a.total);
    const waited = (Date.now() - started) / 1000;
    if (busy < CALM_BUSY) {
      if (waited > 2) say(`[${label}]   the machine is calm now (${(busy * 100).toFixed(0)}% busy) after ${waited.toFixed(0)} s`);
      return;
    }
    if (waited >= maxSeconds) {
      say(`[${label}]   other processes still keep ${(busy * 100).toFixed(0)}% of the CPUs busy after ${waited.toFixed(0)} s; measuring anyway`);
      return;
    }
    if (Date.now() - lastSaid >= 10_000 || lastSaid === started) {
      say(`[${label}]   waiting for the machine to calm down: other processes keep ${(busy * 100).toFixed(0)}% of the CPUs busy`);
      lastSaid = Date.now();
    }
  }
}

/**
 * Starts measuring CPU pressure (Linux PSI: the share of wall time in which some runnable task
 * waited for a CPU); the returned function gives the share since the start, or undefined off Linux.
 */
function pressureProbe(): () => number | undefined {
  const read = (): number | undefined => {
    try {
      const m = /^some .*total=(\d+)/m.exec(readFileSync('/proc/pressure/cpu', 'utf8'));
      return m ? Number(m[1]) : undefined;
    } catch {
      return undefined;
    }
  };
  const startTotal = read();
  const startMs = performance.now();
  return () => {
    const endTotal = read();
    const wallUs = (performance.now() - startMs) * 1000;
    return startTotal === undefined || endTotal === undefined || wallUs <= 0 ? undefined : (endTotal - startTotal) / wallUs;
  };
}

function record(row: ServeRow, column: 'server' | 'direct' | 'http', a: Aggregate & { cpuPressure?: number }, tag: string): void {
  row.runs[column].push({ decodeTokensPerSecond: a.decodeTokensPerSecond, cpuPressure: a.cpuPressure });
  const pressure = a.cpuPressure === undefined ? '' : `, CPU pressure ${(a.cpuPressure * 100).toFixed(0)}%`;
  say(`[${column === 'server' ? 'llama-server' : column === 'http' ? 'tessera' : 'direct'}] ${tag}: ${describe(a)}${pressure}`);
  if (a.errors.length > 0) {
    notes.push(`${COLUMN_TITLES[column]}, ${tag}: ${a.errors.length} stream(s) ended with an error, e.g. "${a.errors[0].split('\n')[0]}"; rates are over the tokens received.`);
  }
  const best = row[column];
  if (!best || a.decodeTokensPerSecond > best.decodeTokensPerSecond) row[column] = a;
}

// Ctrl-C: exit through process.exit so that the llama-server children are stopped ('exit' hook).
process.once('SIGINT', () => process.exit(130));
process.once('SIGTERM', () => process.exit(143));

main().then(
  // Tessera's and node-llama-cpp's handles can keep the loop alive after close; the run is over.
  () => process.exit(process.exitCode ?? 0),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  },
);
