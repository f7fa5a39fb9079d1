/**
 * bench/sched — scheduler speed.
 *
 *   node --import tsx bench/sched/run.ts            # full: 10 seeds per policy, 1×/10×/100× nodes
 *   node --import tsx bench/sched/run.ts --quick    # 2 seeds, 1×/10× only, writes nothing
 *   options: --policies fgd,tessera  --seeds 42-51  --no-write
 *
 * Measures, on the default shared trace (1 213 nodes, 6 212 GPUs):
 * 1. wall time of a full `paper` run (all seeds) per policy, and its ratio to the FGD port's time
 *    measured in the same run;
 * 2. the latency of single placement decisions (`Scheduler.schedule`, filter + score + select +
 *    reserve) at 1×, 10× and 100× the nodes (the node list replicated), p50/p99 per policy, with the
 *    ratio to the Random policy measured in the same run. The cluster is first brought to a
 *    realistic state: the 1× cluster runs the paper arrivals of seed 42 up to 70 % arrived under
 *    the policy, and that allocation is copied onto every replica; then decisions are timed for
 *    the next arrivals (replicated workload).
 * Results are printed and written as the section "## Scheduler (bench/sched)" of bench/RESULTS.md.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ClusterState, type DemandSpec } from '../../src/scheduler/cluster-state.js';
import { typicalDemands } from '../../src/scheduler/fragmentation.js';
import type { Demand, NodeSpec, Placement } from '../../src/scheduler/model.js';
import { POLICIES, createScheduler } from '../../src/scheduler/policies.js';
import { createRandom } from '../../src/scheduler/random.js';
import { paperArrivals, randomRank } from '../../src/scheduler/simulate/paper.js';
import { simulatePaper } from '../../src/scheduler/simulate/result.js';
import { loadNodesCsv, loadPodsCsv } from '../../src/scheduler/trace.js';

const here = dirname(fileURLToPath(import.meta.url));
/** Repo root: the nearest ancestor with a package.json (works from bench/sched and from a build dir). */
function repoRoot(): string {
  for (const start of [here, resolve(process.cwd())]) {
    let dir = start;
    for (let i = 0; i < 8; i++) {
      if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'bench'))) return dir;
      dir = dirname(dir);
    }
  }
  return resolve(process.cwd());
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function percentile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

const quick = process.argv.includes('--quick');
const write = !quick && !process.argv.includes('--no-write');
const root = repoRoot();
const traceDir = join(root, '..', 'shared', 'data', 'alibaba-gpu-v2023');
const nodes = loadNodesCsv(join(traceDir, 'openb_node_list_gpu_node.csv'));
const workload: Demand[] = loadPodsCsv(join(traceDir, 'openb_pod_list_default.csv'))
  .map((p) => p.demand)
  .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
const policies = (arg('--policies') ?? POLICIES.map((p) => p.name).join(',')).split(',');
const seedText = arg('--seeds') ?? (quick ? '42-43' : '42-51');
const [s0, s1] = seedText.split('-').map(Number) as [number, number | undefined];
const seeds = Array.from({ length: (s1 ?? s0) - s0 + 1 }, (_, i) => s0 + i);
const scales = quick ? [1, 10] : [1, 10, 100];
/** 1-minute load average at the start: other work on the same cores slows every figure. */
const loadAtStart = loadavg()[0] as number;

// 1. Full paper runs.
const runSeconds = new Map<string, number>();
const unallocated = new Map<string, number>();
for (const policy of policies) {
  const t = performance.now();
  const r = simulatePaper({ nodes, workload, policy, seeds });
  runSeconds.set(policy, (performance.now() - t) / 1000);
  unallocated.set(policy, r.points[130]?.unallocatedPct ?? NaN);
  console.log(`paper ${policy}: ${seeds.length} seeds in ${(runSeconds.get(policy) as number).toFixed(1)} s (unallocated at 130 %: ${(unallocated.get(policy) as number).toFixed(2)} %)`);
}

// 2. Decision latency at several scales.
function replicate(list: readonly NodeSpec[], times: number): NodeSpec[] {
  const out: NodeSpec[] = [];
  for (let r = 0; r < times; r++) for (const n of list) out.push(r === 0 ? n : { ...n, name: `${n.name}-r${r}` });
  return out;
}

interface Latency {
  p50: number;
  p99: number;
  n: number;
}

function measureDecisions(policy: string, scale: number): Latency {
  const typical = typicalDemands(workload);
  // Warm-up state on the 1× cluster: paper arrivals of seed 42 up to 70 % arrived.
  const base = new ClusterState(nodes);
  const random = createRandom(42);
  const specs1 = workload.map((d) => base.compile(d));
  const arrivals = paperArrivals(specs1, base.totalAcceleratorMilli, 1.3, random);
  const warm = createScheduler(base, policy, { random, typical, nodeRank: randomRank(nodes, random), workload });
  const placed: { spec: DemandSpec; placement: Placement }[] = [];
  let arrived = 0;
  let e = 0;
  for (; e < arrivals.length && arrived < 0.7 * base.totalAcceleratorMilli; e++) {
    const spec = specs1[arrivals[e] as number] as DemandSpec;
    arrived += spec.milli * spec.count;
    const d = warm.schedule(base, spec);
    if (d.code === 'scheduled') placed.push({ spec, placement: d.placement });
  }
  // The scaled cluster with the same allocation on every replica.
  const big = replicate(nodes, scale);
  const state = new ClusterState(big);
  for (let r = 0; r < scale; r++) {
    for (const { spec, placement } of placed) {
      state.apply(state.compile(spec.demand), { ...placement, nodeIndex: placement.nodeIndex + r * nodes.length });
    }
  }
  const rnd = createRandom(7);
  const scheduler = createScheduler(state, policy, { random: rnd, typical, nodeRank: randomRank(big, rnd), workload });
  const count = scale >= 100 ? 200 : 1000;
  const times = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const demand = workload[arrivals[(e + i) % arrivals.length] as number] as Demand;
    const spec = state.compile(demand);
    const t = performance.now();
    scheduler.schedule(state, spec);
    times[i] = performance.now() - t;
  }
  times.sort();
  return { p50: percentile(times, 0.5), p99: percentile(times, 0.99), n: count };
}

const latencyPolicies = policies.filter((p) => ['random', 'best-fit', 'fgd', 'tessera'].includes(p));
const latency = new Map<string, Latency>();
for (const scale of scales) {
  for (const policy of latencyPolicies) {
    const l = measureDecisions(policy, scale);
    latency.set(`${policy}@${scale}`, l);
    console.log(`decision ${policy} ×${scale} (${nodes.length * scale} nodes): p50 ${l.p50.toFixed(3)} ms, p99 ${l.p99.toFixed(3)} ms (n=${l.n})`);
  }
}

// Report.
const fgdSeconds = runSeconds.get('fgd');
const lines: string[] = [];
const date = new Date().toISOString().slice(0, 10);
const cpu = cpus();
lines.push('## Scheduler (bench/sched)');
lines.push('');
lines.push(`Measured ${date} on ${cpu.length} vCPU (${cpu[0]?.model.trim() ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; ` + '`node --import tsx bench/sched/run.ts`' + ` (seeds ${seedText}). Single-threaded; the default trace: ${nodes.length} nodes, ${nodes.reduce((s, n) => s + n.accelerators.length, 0)} GPUs, ${workload.length} pods. Load average (1 min) at start / end: ${loadAtStart.toFixed(2)} / ${(loadavg()[0] as number).toFixed(2)} (above ~1 means other work shared the cores).`);
lines.push('');
lines.push(`Full \`paper\` run, ${seeds.length} seeds (issue target: < 60 s per policy):`);
lines.push('');
lines.push('| policy | seconds | × FGD port | unallocated at 130 % |');
lines.push('|---|---:|---:|---:|');
for (const p of policies) {
  const s = runSeconds.get(p) as number;
  lines.push(`| ${p} | ${s.toFixed(1)} | ${fgdSeconds ? (s / fgdSeconds).toFixed(2) : '-'} | ${(unallocated.get(p) as number).toFixed(2)} % |`);
}
lines.push('');
lines.push('Single placement decision (filter + score + select + reserve), ms; the cluster pre-filled to 70 % arrived and replicated (issue target: p50 < 0.5 ms at 1×):');
lines.push('');
lines.push(`| policy | ${scales.map((s) => `×${s} (${nodes.length * s} nodes) p50 / p99`).join(' | ')} | p50 × Random at ${scales.map((s) => `×${s}`).join(' / ')} |`);
lines.push(`|---|${scales.map(() => '---:').join('|')}|---:|`);
for (const p of latencyPolicies) {
  const cells = scales.map((s) => {
    const l = latency.get(`${p}@${s}`) as Latency;
    return `${l.p50.toFixed(3)} / ${l.p99.toFixed(3)}`;
  });
  const ratios = scales.map((s) => {
    const base = latency.get(`random@${s}`);
    const l = latency.get(`${p}@${s}`) as Latency;
    return base ? (l.p50 / base.p50).toFixed(1) : '-';
  });
  lines.push(`| ${p} | ${cells.join(' | ')} | ${ratios.join(' / ')} |`);
}
lines.push('');
lines.push('Growth with nodes: decision time is linear in the node count (every node is filtered and scored); FGD and Tessera cache per-(shape, node) scores by node version, so after the first decision of a shape only the nodes changed since are re-evaluated — p99 is the first decision of a shape at that scale.');
const section = lines.join('\n') + '\n';
console.log('\n' + section);

if (write) {
  const file = join(root, 'bench', 'RESULTS.md');
  const old = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n';
  const start = old.indexOf('## Scheduler (bench/sched)');
  let next = start >= 0 ? old.indexOf('\n## ', start + 1) : -1;
  if (next >= 0) next += 1;
  const updated = start >= 0 ? old.slice(0, start) + section + (next >= 0 ? '\n' + old.slice(next) : '') : old.replace(/\n*$/, '\n\n') + section;
  writeFileSync(file, updated);
  console.log(`wrote ${file}`);
}
