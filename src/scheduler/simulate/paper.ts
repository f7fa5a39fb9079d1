/**
 * Mode `paper`: the FGD artefact's experiment, per seed —
 * 1. order the workload by name and shuffle it with the seed;
 * 2. append uniformly drawn copies of workload demands while the requested accelerator total stays
 *    within `inflation` (1.3) × capacity (the simulator's tuneUpPods, including its check of one
 *    device's milli-units against the limit); if the workload already exceeds it, drop random demands;
 * 3. give the nodes a random priority order (the artefact prefixes node names with a random
 *    permutation and its Kubernetes fork breaks score ties by the smallest name);
 * 4. schedule one demand at a time, no departures and no retries, recording after each demand the
 *    arrived and used accelerator milli-units and the cluster's fragmentation.
 * The target workload of the fragmentation metric (and of FGD) is the original workload's.
 */
import { ClusterState, type DemandSpec } from '../cluster-state.js';
import { compileTypical, typicalDemands, PAPER_TYPICAL_OPTIONS, type TypicalDemand } from '../fragmentation.js';
import type { Demand, NodeSpec } from '../model.js';
import { createScheduler } from '../policies.js';
import { createRandom, shuffleInPlace, type RandomSource } from '../random.js';
import { FragMeter } from './frag-meter.js';
import type { RunSeries } from './series.js';

export interface PaperRunOptions {
  readonly nodes: readonly NodeSpec[];
  /** The workload; order does not matter (it is sorted by id first, as the simulator sorts by name). */
  readonly workload: readonly Demand[];
  readonly policy: string;
  readonly seed: number;
  /** Requested accelerators as a multiple of capacity (paper: 1.3). */
  readonly inflation?: number;
  /** Target workload; defaults to the paper's typical demands of `workload`. */
  readonly typical?: readonly TypicalDemand[];
}

function acceleratorMilli(spec: DemandSpec): number {
  return spec.milli * spec.count;
}

/** The arrival sequence of one seed, as indices into the sorted workload. */
export function paperArrivals(specs: readonly DemandSpec[], capacityMilli: number, inflation: number, random: RandomSource): number[] {
  const order = specs.map((_, i) => i);
  shuffleInPlace(order, random);
  let requested = specs.reduce((s, spec) => s + acceleratorMilli(spec), 0);
  const target = inflation * capacityMilli;
  if (requested < target) {
    for (;;) {
      const idx = random.int(specs.length);
      const spec = specs[idx] as DemandSpec;
      if (requested + spec.milli > target) break;
      requested += acceleratorMilli(spec);
      order.push(idx);
    }
  } else {
    while (requested > target && order.length > 0) {
      const at = random.int(order.length);
      requested -= acceleratorMilli(specs[order[at] as number] as DemandSpec);
      order.splice(at, 1);
    }
  }
  return order;
}

/** Rank of each node (by index) in a random permutation of the nodes sorted by name. */
export function randomRank(nodes: readonly NodeSpec[], random: RandomSource): Int32Array {
  const byName = nodes.map((_, i) => i).sort((a, b) => ((nodes[a] as NodeSpec).name < (nodes[b] as NodeSpec).name ? -1 : 1));
  const perm = byName.map((_, i) => i);
  shuffleInPlace(perm, random);
  const rank = new Int32Array(nodes.length);
  byName.forEach((node, i) => (rank[node] = perm[i] as number));
  return rank;
}

export function runPaperSeed(options: PaperRunOptions): RunSeries {
  const workload = [...options.workload].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const state = new ClusterState(options.nodes);
  const random = createRandom(options.seed);
  const typical = options.typical ?? typicalDemands(workload, PAPER_TYPICAL_OPTIONS);
  const specs = workload.map((d) => state.compile(d));
  const arrivals = paperArrivals(specs, state.totalAcceleratorMilli, options.inflation ?? 1.3, random);
  const nodeRank = randomRank(options.nodes, random);
  const scheduler = createScheduler(state, options.policy, { random, typical, nodeRank, workload });
  const meter = new FragMeter(state, compileTypical(state, typical));
  const n = arrivals.length;
  const arrivedMilli = new Float64Array(n);
  const usedMilli = new Float64Array(n);
  const fragMilli = new Float64Array(n);
  const idleMilli = new Float64Array(n);
  let arrived = 0;
  let scheduled = 0;
  for (let e = 0; e < n; e++) {
    const spec = specs[arrivals[e] as number] as DemandSpec;
    arrived += acceleratorMilli(spec);
    const decision = scheduler.schedule(state, spec);
    if (decision.code === 'scheduled') {
      scheduled++;
      meter.refresh(decision.placement.nodeIndex);
    }
    arrivedMilli[e] = arrived;
    usedMilli[e] = meter.usedMilli;
    fragMilli[e] = meter.fragMilli;
    idleMilli[e] = meter.idleMilli;
  }
  return { totalMilli: state.totalAcceleratorMilli, arrivedMilli, usedMilli, fragMilli, idleMilli, scheduled, failed: n - scheduled };
}
