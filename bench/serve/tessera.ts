/**
 * Starts Tessera for the HTTP column exactly as `tessera serve` would (composition root
 * `startTessera`), in a child process (tessera-child.ts), on a fresh data dir under bench/work,
 * serving one GGUF file on the CPU with the benchmark's thread count and one sequence per stream.
 * The bench talks to it over real HTTP on 127.0.0.1, as it talks to llama-server: neither server
 * shares its event loop with the load generator.
 */
import { spawn } from 'node:child_process';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT, WORK_DIR, type Backend } from './build-native.js';
import type { TesseraChildMessage, TesseraChildSettings } from './tessera-child.js';

export interface TesseraHandle {
  url: string;
  apiKey: string;
  model: string;
  /** The native decode loop's counters from /metrics (undefined on node-llama-cpp's loop). */
  loopCounters(): Promise<LoopCounters | undefined>;
  close(): Promise<void>;
}

export interface LoopCounters {
  steps: number;
  decodeS: number;
  samplingS: number;
  busyS: number;
}

const LOOP_METRICS: Record<keyof LoopCounters, string> = {
  steps: 'tessera_decode_steps_total',
  decodeS: 'tessera_decode_seconds_total',
  samplingS: 'tessera_decode_sampling_seconds_total',
  busyS: 'tessera_decode_busy_seconds_total',
};

async function readLoopCounters(url: string): Promise<LoopCounters | undefined> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = (name: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${name}{`));
    return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
  };
  const entries = Object.entries(LOOP_METRICS).map(([key, name]) => [key, value(name)] as const);
  if (entries.some(([, v]) => v === undefined)) return undefined;
  return Object.fromEntries(entries) as unknown as LoopCounters;
}

export interface TesseraOptions {
  model: string;
  threads: number;
  parallel: number;
  perSequenceContext: number;
  /** Default `cpu`. */
  backend?: Backend;
  onProgress?: (line: string) => void;
}

const START_TIMEOUT_MS = 300_000;

export async function startTesseraForBench(o: TesseraOptions): Promise<TesseraHandle> {
  const say = o.onProgress ?? (() => undefined);
  const settings: TesseraChildSettings = {
    model: o.model,
    dataDir: join(WORK_DIR, 'tessera-data'),
    threads: o.threads,
    parallel: o.parallel,
    perSequenceContext: o.perSequenceContext,
    gpu: o.backend === 'cuda' ? 'cuda' : 'off',
  };
  const self = fileURLToPath(import.meta.url);
  const ext = extname(self);
  const script = join(self, '..', `tessera-child${ext}`);
  const loader = ext === '.ts' ? ['--import', 'tsx'] : [];
  say(`[tessera] starting (threads=${o.threads}, parallel=${o.parallel}, contextSize=${o.perSequenceContext}) and loading the model`);
  const proc = spawn(process.execPath, [...loader, script, JSON.stringify(settings)], { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const close = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      if (proc.connected) proc.send({ type: 'stop' });
      else proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
  };
  try {
    const ready = await new Promise<Extract<TesseraChildMessage, { type: 'ready' }>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Tessera did not start in ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
      proc.on('message', (message: TesseraChildMessage) => {
        clearTimeout(timer);
        if (message.type === 'ready') resolve(message);
        else reject(new Error(message.message));
      });
      proc.once('exit', (code) => (clearTimeout(timer), reject(new Error(`Tessera exited with ${code} before it was ready`))));
    });
    say(`[tessera] ready at ${ready.url} (pid ${proc.pid}), model "${ready.model}"`);
    return { url: ready.url, apiKey: ready.apiKey, model: ready.model, loopCounters: () => readLoopCounters(ready.url), close };
  } catch (err) {
    await close();
    throw err;
  }
}
