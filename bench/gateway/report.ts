/**
 * Tables for bench/gateway: every point as a ratio to the direct baseline of the same mode and
 * connection count, measured in the same run, plus the results file (only the benchmark's own
 * sections of bench/gateway/results.md are replaced; anything else in it is kept).
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';

export type Target = 'direct' | 'relay' | 'tessera' | 'portkey';
export type Mode = 'json' | 'stream';

export const TARGET_TITLES: Record<Target, string> = {
  direct: 'direct (baseline)',
  relay: 'bare Node.js relay (floor)',
  tessera: 'Tessera, metering ON',
  portkey: 'Portkey 1.15.2',
};
export const MODE_TITLES: Record<Mode, string> = { json: 'non-streaming', stream: 'streaming (SSE)' };

export interface Point {
  target: Target;
  mode: Mode;
  connections: number;
  ok: number;
  failed: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** CPU ms per response of the gateway process (Tessera or Portkey), the mock, and the load generator. */
  gatewayCpuMsPerReq?: number;
  mockCpuMsPerReq: number;
  loadgenCpuMsPerReq: number;
  /** Tessera only: metering journal transactions per response (streamed progress and settlements). */
  journalCommitsPerReq?: number;
  /** Peak resident memory of the gateway process during the point (bytes). */
  gatewayPeakRss?: number;
}

export function ms(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '–';
  if (Math.abs(value) < 10) return value.toFixed(3);
  if (Math.abs(value) < 100) return value.toFixed(2);
  return value.toFixed(1);
}

export function signedMs(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '–';
  return `${value >= 0 ? '+' : '−'}${ms(Math.abs(value))}`;
}

export function ratio(value: number | undefined, base: number | undefined): string {
  if (value === undefined || base === undefined || !Number.isFinite(value) || !base) return '–';
  const r = value / base;
  return `${r >= 10 ? r.toFixed(1) : r.toFixed(2)}×`;
}

export function count(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

export function mb(bytes: number | undefined): string {
  return bytes === undefined ? '–' : `${(bytes / 2 ** 20).toFixed(1)}`;
}

export function baselineOf(points: Point[], p: Pick<Point, 'mode' | 'connections'>): Point | undefined {
  return points.find((q) => q.target === 'direct' && q.mode === p.mode && q.connections === p.connections);
}

/** One markdown table per mode: every target and connection count against direct. */
export function renderTable(points: Point[], mode: Mode): string {
  const rows = points.filter((p) => p.mode === mode);
  const lines = [
    '| target | conns | req/s | × direct | p50 ms | p99 ms | added p50 ms | added p99 ms | gateway CPU ms/req | mock CPU ms/req | loadgen CPU ms/req | failed |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const p of rows) {
    const base = baselineOf(points, p);
    const added = (v: number, b: number | undefined) => (p.target === 'direct' || b === undefined ? '–' : signedMs(v - b));
    lines.push(
      `| ${TARGET_TITLES[p.target]} | ${p.connections} | ${count(p.rps)} | ${p.target === 'direct' ? '1.00×' : ratio(p.rps, base?.rps)} | ` +
        `${ms(p.p50)} | ${ms(p.p99)} | ${added(p.p50, base?.p50)} | ${added(p.p99, base?.p99)} | ` +
        `${p.gatewayCpuMsPerReq === undefined ? '–' : p.gatewayCpuMsPerReq.toFixed(3)} | ${p.mockCpuMsPerReq.toFixed(3)} | ${p.loadgenCpuMsPerReq.toFixed(3)} | ${p.failed} |`,
    );
  }
  return lines.join('\n');
}

/** Highest req/s over the connection counts, per target and mode, with the ratio to direct's. */
export function renderMaxTable(points: Point[], targets: Target[], modes: Mode[]): string {
  const best = (t: Target, m: Mode) =>
    points.filter((p) => p.target === t && p.mode === m).reduce<Point | undefined>((a, p) => (!a || p.rps > a.rps ? p : a), undefined);
  const lines = ['| target | ' + modes.map((m) => `max req/s ${MODE_TITLES[m]} (conns)`).join(' | ') + ' |', '|---|' + modes.map(() => '---:|').join('')];
  for (const t of targets) {
    const cells = modes.map((m) => {
      const p = best(t, m);
      const d = best('direct', m);
      return p ? `${count(p.rps)} (${p.connections})${t === 'direct' ? '' : ` = ${ratio(p.rps, d?.rps)} direct`}` : '–';
    });
    lines.push(`| ${TARGET_TITLES[t]} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

export interface MachineLoad {
  loadavg1: number;
  /** Share of all cores busy over a one-second look (0..1). */
  busy: number;
}

function cpuTimes(): { idle: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = line[3] + (line[4] ?? 0);
  return { idle, total: line.reduce((a, b) => a + b, 0) };
}

/** How busy the machine is right now (other benchmarks may share it). */
export async function machineLoad(): Promise<MachineLoad> {
  try {
    const a = cpuTimes();
    await new Promise((r) => setTimeout(r, 1000));
    const b = cpuTimes();
    return { loadavg1: loadavg()[0], busy: 1 - (b.idle - a.idle) / Math.max(1, b.total - a.total) };
  } catch {
    return { loadavg1: loadavg()[0], busy: NaN };
  }
}

export function describeLoad(load: MachineLoad): string {
  return `load average ${load.loadavg1.toFixed(2)}, ${(load.busy * 100).toFixed(0)} % of both cores busy`;
}

export function machineLine(): string {
  const cpu = cpus();
  return `${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, Linux`;
}

/** Replaces the section that starts with `heading` (a `## ` line) up to the next `## `, or appends it. */
export async function writeSection(file: string, heading: string, body: string): Promise<void> {
  const title = '# bench/gateway results\n\nWritten by `bench/gateway` (see bench/gateway/README.md); each run replaces its own section.\n';
  const text = existsSync(file) ? await readFile(file, 'utf8') : title;
  const section = `${heading}\n\n${body.trim()}\n`;
  const start = text.indexOf(`${heading}\n`);
  let next: string;
  if (start < 0) next = `${text.trimEnd()}\n\n${section}`;
  else {
    const end = text.indexOf('\n## ', start + heading.length);
    next = text.slice(0, start) + section + (end < 0 ? '' : `\n${text.slice(end + 1)}`);
  }
  await writeFile(file, next.endsWith('\n') ? next : `${next}\n`);
}
