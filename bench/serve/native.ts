/**
 * The baseline column: llama.cpp's own `llama-batched-bench`, run once per stream count N.
 *
 * What it measures (and why it is an upper bound, not a server): it clears the KV cache, decodes N
 * prompts of `promptTokens` random tokens in one batch (T_PP), then runs `tokens` decode steps of N
 * tokens each (one per sequence, random input tokens, no sampling, no detokenising) and reports
 * S_TG = N·tokens / T_TG. Its context holds N sequences of `perSequenceContext` cells, as the other
 * columns' contexts do.
 */
import { spawn } from 'node:child_process';

export interface NativeOptions {
  binary: string;
  model: string;
  streams: number[];
  promptTokens: number;
  tokens: number;
  threads: number;
  /** Tokens per sequence; the context is `perSequenceContext · max(streams)` cells. */
  perSequenceContext: number;
  /** Logical / physical batch, as llama.cpp's examples use them. */
  batch?: number;
  ubatch?: number;
  flashAttention: 'on' | 'off' | 'auto';
  /** Layers offloaded to the GPU (`-ngl`); absent on a CPU build. */
  gpuLayers?: number;
  onProgress?: (line: string) => void;
  /** Kills the run (it then fails) when aborted. */
  signal?: AbortSignal;
}

export interface NativeRow {
  promptTokens: number;
  tokens: number;
  streams: number;
  /** Seconds to process every stream's prompt in one batch: the time until all first tokens exist. */
  promptSeconds: number;
  promptTokensPerSecond: number;
  decodeSeconds: number;
  /** Aggregate decode throughput over all streams (S_TG). */
  decodeTokensPerSecond: number;
}

export interface NativeResult {
  rows: NativeRow[];
  command: string;
  /** The `main: n_kv_max = …, flash_attn = …, n_threads = …` line, for the record. */
  settings: string;
}

export function nativeArgs(o: NativeOptions): string[] {
  const maxStreams = Math.max(...o.streams);
  return [
    '-m', o.model,
    '-c', String(o.perSequenceContext * maxStreams),
    '-b', String(o.batch ?? 2048),
    '-ub', String(o.ubatch ?? 512),
    '-npp', String(o.promptTokens),
    '-ntg', String(o.tokens),
    '-npl', o.streams.join(','),
    '-t', String(o.threads),
    '-tb', String(o.threads),
    '-fa', o.flashAttention,
    ...(o.gpuLayers === undefined ? [] : ['-ngl', String(o.gpuLayers)]),
  ];
}

/**
 * llama.cpp's logger writes from a worker thread and is never flushed at exit (a known upstream
 * limitation), so on a busy machine the last lines of a short run can be lost. A run whose table
 * is missing a row is repeated, up to `attempts` times.
 */
export async function runNative(o: NativeOptions, attempts = 3): Promise<NativeResult> {
  const say = o.onProgress ?? (() => undefined);
  const args = nativeArgs(o);
  const command = ['llama-batched-bench', ...args].join(' ');
  say(`[native] ${command}`);
  let output = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    output = await runOnce(o.binary, args, say, o.signal);
    const rows = parseBatchedBenchTable(output);
    const missing = o.streams.filter((n) => !rows.some((r) => r.streams === n));
    if (missing.length === 0) {
      const settings = /n_kv_max = [^\n]*/.exec(output)?.[0] ?? '';
      return { rows, command, settings };
    }
    if (attempt < attempts) say(`[native] llama-batched-bench printed no row for ${missing.join(',')} streams; running it again`);
  }
  throw new Error(`llama-batched-bench printed no table row after ${attempts} attempts:\n${output.slice(-2000)}`);
}

function runOnce(binary: string, args: string[], say: (line: string) => void, signal?: AbortSignal): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    if (signal?.aborted) return reject(new Error('stopped at the time limit'));
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const stop = () => child.kill('SIGKILL');
    signal?.addEventListener('abort', stop, { once: true });
    child.on('close', () => signal?.removeEventListener('abort', stop));
    let all = '';
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      all += text;
      // Each finished row is printed as it completes: echo it so a long run shows life.
      for (const line of text.split('\n')) if (/^\|\s*\d+\s*\|/.test(line)) say(`[native] ${line.trim()}`);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(all)
        : reject(new Error(signal?.aborted ? 'stopped at the time limit' : `llama-batched-bench exited with ${code}:\n${all.slice(-3000)}`)),
    );
  });
}

/**
 * Parses the markdown table `llama-batched-bench` prints:
 * `|    PP |     TG |    B |   N_KV |   T_PP s | S_PP t/s |   T_TG s | S_TG t/s |      T s |    S t/s |`.
 * Header, separator and log lines are skipped.
 */
export function parseBatchedBenchTable(text: string): NativeRow[] {
  const rows: NativeRow[] = [];
  for (const line of text.split('\n')) {
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    if (cells.length !== 10 || !/^\d+$/.test(cells[0] ?? '')) continue;
    const n = cells.map(Number);
    if (n.some((v) => !Number.isFinite(v))) continue;
    rows.push({
      promptTokens: n[0],
      tokens: n[1],
      streams: n[2],
      promptSeconds: n[4],
      promptTokensPerSecond: n[5],
      decodeSeconds: n[6],
      decodeTokensPerSecond: n[7],
    });
  }
  return rows;
}
