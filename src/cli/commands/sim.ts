/**
 * `tessera sim`: the scheduler's trace simulator (local; no server).
 *
 * Contract (other tools read it):
 *   tessera sim --nodes FILE --pods FILE --policy NAME[,NAME...] [--seeds 42-51]
 *               [--mode paper|replay|quota] [--json]
 *   tessera sim --list-policies        → policy names, one per line
 * Paper mode with --json prints, per policy, one JSON object
 *   { policy, seeds, totalGpus, points: [{ arrivedPct, allocatedPct, unallocatedPct, fragPct, fragRatioPct }] }
 * with points at whole arrived percentages 0–130, each the mean over the seeds (one object per line
 * when several policies are given). Without --json it prints a table and writes an SVG plot of
 * unallocated GPU % against arrived % (one line per policy) to --plot (default sim-unallocated.svg).
 * Replay and quota modes print their own JSON objects (`mode` says which) or tables.
 * The default --nodes/--pods are the default trace in ../shared/data/alibaba-gpu-v2023/, found from the
 * package root (the folder of Tessera's package.json), then from the working directory upwards.
 */
import { Command, InvalidArgumentError } from 'commander';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  POLICIES,
  loadNodesCsv,
  loadPodsCsv,
  paperJson,
  resolvePolicyName,
  simulatePaper,
  simulateQuota,
  simulateReplay,
  unallocatedSvg,
  type PaperResult,
} from '../../scheduler/index.js';

const TRACE_DIR = join('shared', 'data', 'alibaba-gpu-v2023');
const DEFAULT_NODES = 'openb_node_list_gpu_node.csv';
const DEFAULT_PODS = 'openb_pod_list_default.csv';

/** Folders to look for ../shared from: the package root first, then the working directory upwards. */
function searchRoots(): string[] {
  const roots: string[] = [];
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'tessera') roots.push(dir);
      } catch {
        // not a readable package.json: keep walking up
      }
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  let cwd = resolve(process.cwd());
  for (let i = 0; i < 8; i++) {
    roots.push(cwd);
    const parent = dirname(cwd);
    if (parent === cwd) break;
    cwd = parent;
  }
  return roots;
}

/** The default trace file `name`, or a clear error naming where it was looked for. */
export function defaultTraceFile(name: string): string {
  const tried: string[] = [];
  for (const root of searchRoots()) {
    for (const candidate of [join(root, '..', TRACE_DIR, name), join(root, TRACE_DIR, name)]) {
      if (existsSync(candidate)) return candidate;
      tried.push(candidate);
    }
  }
  throw new Error(`default trace file ${name} not found; pass --nodes/--pods (looked in: ${[...new Set(tried)].slice(0, 4).join(', ')}, …)`);
}

/** "42-51" → 42..51, "1,5,9" → [1,5,9], "7" → [7]. */
export function parseSeeds(text: string): number[] {
  const seeds: number[] = [];
  for (const part of text.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!m) throw new InvalidArgumentError(`bad seed list "${text}" (e.g. 42-51 or 1,2,3)`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from || to - from > 10_000) throw new InvalidArgumentError(`bad seed range "${part}"`);
    for (let s = from; s <= to; s++) seeds.push(s);
  }
  return seeds;
}

function parsePolicies(text: string): string[] {
  const names = text.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (names.length === 0) throw new InvalidArgumentError('give at least one policy');
  return names.map((n) => {
    const p = resolvePolicyName(n);
    if (!p) throw new InvalidArgumentError(`unknown policy "${n}" (known: ${POLICIES.map((q) => q.name).join(', ')})`);
    return p.name;
  });
}

const fmt = (v: number, digits = 2): string => (Number.isFinite(v) ? v.toFixed(digits) : '-');

function printPaperTable(results: readonly PaperResult[], seconds: readonly number[]): void {
  const at = (r: PaperResult, pct: number) => r.points[pct];
  console.log(`Paper mode: ${results[0]?.totalGpus ?? 0} GPUs, seeds ${results[0]?.seeds.join(',')}; unallocated GPU % (frag % of capacity) at arrived %`);
  console.table(
    results.map((r, i) => ({
      policy: r.policy,
      'unalloc@50': fmt(at(r, 50)?.unallocatedPct ?? NaN),
      'unalloc@90': fmt(at(r, 90)?.unallocatedPct ?? NaN),
      'unalloc@100': fmt(at(r, 100)?.unallocatedPct ?? NaN),
      'unalloc@130': fmt(at(r, 130)?.unallocatedPct ?? NaN),
      'frag@100': fmt(at(r, 100)?.fragPct ?? NaN),
      'frag ratio@100': fmt(at(r, 100)?.fragRatioPct ?? NaN),
      placed: r.scheduled,
      refused: r.failed,
      seconds: fmt(seconds[i] ?? NaN, 1),
    })),
  );
}

export function simCommand(): Command {
  return new Command('sim')
    .description('Simulate scheduling policies on a GPU cluster trace (Alibaba openb CSVs)')
    .option('--nodes <file>', 'nodes CSV (default: the shared trace’s openb_node_list_gpu_node.csv)')
    .option('--pods <file>', 'pods CSV (default: the shared trace’s openb_pod_list_default.csv)')
    .option('--policy <names>', 'policy name, or several separated by commas', 'fgd')
    .option('--seeds <list>', 'seeds: a range 42-51 or a list 1,2,3', '42-51')
    .option('--mode <mode>', 'paper | replay | quota', 'paper')
    .option('--json', 'print JSON (one object per policy, one per line)')
    .option('--plot <file>', 'paper mode without --json: where to write the SVG plot', 'sim-unallocated.svg')
    .option('--load <factor>', 'replay/quota: compress arrival times by this factor (offered load ×factor)', '1')
    .option('--tenants <n>', 'quota mode: number of tenants the trace is split among', '4')
    .option('--list-policies', 'print the policy names, one per line, and exit')
    .action((opts: { nodes?: string; pods?: string; policy: string; seeds: string; mode: string; json?: boolean; plot: string; load: string; tenants: string; listPolicies?: boolean }) => {
      if (opts.listPolicies) {
        for (const p of POLICIES) console.log(p.name);
        return;
      }
      const policies = parsePolicies(opts.policy);
      const seeds = parseSeeds(opts.seeds);
      const mode = opts.mode;
      if (!['paper', 'replay', 'quota'].includes(mode)) throw new InvalidArgumentError(`unknown mode "${mode}" (paper, replay, quota)`);
      const load = Number(opts.load);
      const tenants = Number(opts.tenants);
      if (!(load > 0)) throw new InvalidArgumentError('--load must be a number > 0');
      if (!Number.isInteger(tenants) || tenants < 1) throw new InvalidArgumentError('--tenants must be a positive integer');
      const nodes = loadNodesCsv(opts.nodes ?? defaultTraceFile(DEFAULT_NODES));
      const pods = loadPodsCsv(opts.pods ?? defaultTraceFile(DEFAULT_PODS));

      if (mode === 'paper') {
        const results: PaperResult[] = [];
        const seconds: number[] = [];
        for (const policy of policies) {
          const started = performance.now();
          const result = simulatePaper({ nodes, workload: pods.map((p) => p.demand), policy, seeds });
          seconds.push((performance.now() - started) / 1000);
          results.push(result);
          if (opts.json) console.log(JSON.stringify(paperJson(result)));
        }
        if (opts.json) return;
        printPaperTable(results, seconds);
        writeFileSync(opts.plot, unallocatedSvg(results.map((r) => ({ label: r.policy, points: r.points }))));
        console.log(`plot: ${resolve(opts.plot)}`);
        return;
      }
      for (const policy of policies) {
        if (mode === 'replay') {
          const r = simulateReplay({ nodes, pods, policy, seeds, load });
          if (opts.json) {
            console.log(JSON.stringify(r));
            continue;
          }
          console.log(`Replay (${policy}, load ×${load}): mean allocated ${fmt(r.meanAllocatedPct)} % of ${r.totalGpus} GPUs, mean frag ratio ${fmt(r.meanFragRatioPct)} %`);
          console.table([r.waits]);
        } else {
          const r = simulateQuota({ nodes, pods, policy, seeds, load, tenants });
          if (opts.json) {
            console.log(JSON.stringify(r));
            continue;
          }
          console.log(`Quota (${policy}, load ×${load}, ${tenants} tenants in one cohort): mean allocated ${fmt(r.meanAllocatedPct)} % of ${r.totalGpus} GPUs`);
          console.table(r.tenants.map((t) => ({ tenant: t.tenant, pods: t.pods, started: t.started, 'never started': t.neverStarted, 'mean wait s': fmt(t.meanWaitS, 0), 'p99 wait s': fmt(t.p99WaitS, 0), preempted: t.preempted, 'preemptions caused': t.preemptionsCaused })));
        }
      }
    });
}
