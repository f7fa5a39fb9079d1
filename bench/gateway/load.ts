/**
 * The load generator: autocannon (the root devDependency) in this process, with every response's
 * time taken from autocannon's own `response` event (process.hrtime from the request's write to the
 * end of its body, in fractional milliseconds) rather than its whole-millisecond histogram, so
 * percentiles below a millisecond are real. A streamed reply counts when its last byte arrived.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { EventEmitter } from 'node:events';

interface AutocannonOptions {
  url: string;
  connections: number;
  duration: number;
  pipelining?: number;
  /** Seconds without a response before autocannon counts a timeout. */
  timeout?: number;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Cycled per connection: request i of a connection is requests[i % length]. */
  requests?: Array<{ method?: string; headers?: Record<string, string>; body?: string }>;
}

interface AutocannonResult {
  errors: number;
  timeouts: number;
  non2xx: number;
}

interface AutocannonInstance extends EventEmitter {
  stop(): void;
}

type Autocannon = (options: AutocannonOptions, done: (err: Error | null, result: AutocannonResult) => void) => AutocannonInstance;

const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

/** Response times in milliseconds, appended without per-sample allocation. */
export class Samples {
  #data = new Float64Array(1 << 16);
  #length = 0;

  push(value: number): void {
    if (this.#length === this.#data.length) {
      const bigger = new Float64Array(this.#data.length * 2);
      bigger.set(this.#data);
      this.#data = bigger;
    }
    this.#data[this.#length++] = value;
  }

  get length(): number {
    return this.#length;
  }

  /** Sorted copy (ascending). */
  sorted(): Float64Array {
    return this.#data.slice(0, this.#length).sort();
  }
}

/** Nearest-rank percentile of an ascending array (p in 0..100). */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export interface LoadSpec {
  url: string;
  connections: number;
  durationS: number;
  headers: Record<string, string>;
  /** One body, or several cycled per connection (the soak alternates streamed and not). */
  bodies: string[];
  /** Called once a second with the responses so far. */
  onTick?: (elapsedS: number, responses: number) => void;
  /** Called for every response with its time (ms); lets the soak cut the run into windows. */
  onResponse?: (ms: number, status: number) => void;
}

export interface LoadResult {
  /** Times of the 2xx responses, sorted ascending (ms). */
  times: Float64Array;
  ok: number;
  failed: number;
  wallS: number;
  /** 2xx responses per second of wall time. */
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** CPU milliseconds this process (the load generator) used. */
  cpuMs: number;
}

export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const samples = new Samples();
  let failed = 0;
  let ticks = 0;
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const requests = spec.bodies.map((body) => ({ method: 'POST', headers: spec.headers, body }));
    const instance = autocannon(
      {
        url: spec.url,
        connections: spec.connections,
        duration: spec.durationS,
        pipelining: 1,
        timeout: 30,
        method: 'POST',
        headers: spec.headers,
        body: spec.bodies[0],
        ...(requests.length > 1 ? { requests } : {}),
      },
      (err, result) => {
        if (err) return reject(err);
        const wallS = Number(process.hrtime.bigint() - started) / 1e9;
        const cpu = process.cpuUsage(cpuBefore);
        const times = samples.sorted();
        failed += result.errors + result.timeouts;
        resolve({
          times,
          ok: times.length,
          failed,
          wallS,
          rps: times.length / wallS,
          p50: percentile(times, 50),
          p90: percentile(times, 90),
          p99: percentile(times, 99),
          max: times.length ? times[times.length - 1] : NaN,
          cpuMs: (cpu.user + cpu.system) / 1000,
        });
      },
    );
    instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
      if (status >= 200 && status < 300) samples.push(ms);
      else failed += 1;
      spec.onResponse?.(ms, status);
    });
    instance.on('tick', () => spec.onTick?.(++ticks, samples.length));
  });
}

/** Linux process figures from /proc: resident memory and CPU time used so far. */
export interface ProcSample {
  rssBytes: number;
  cpuMs: number;
}

const CLOCK_TICKS_PER_S = 100; // USER_HZ, 100 on every Linux this runs on

/** User + system CPU milliseconds from a /proc `stat` file (a process's, or one thread's under task/). */
export function statCpuMs(file: string): number {
  // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
  const stat = readFileSync(file, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
}

export function procSample(pid: number): ProcSample | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
    return { rssBytes: rssKb * 1024, cpuMs: statCpuMs(`/proc/${pid}/stat`) };
  } catch {
    return undefined;
  }
}
