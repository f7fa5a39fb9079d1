/**
 * GPU fragmentation as defined by the FGD paper (ATC '23) and its simulator (pkg/utils/frag.go).
 *
 * Target workload ("typical demands"): the most popular demand shapes of the workload, taken in
 * decreasing popularity until they cover `popularityThreshold` of all demands, then renormalized so
 * their weights sum to 1. A shape is (cpu, milli per accelerator, accelerator count, type list).
 *
 * Fragment of one node for one typical demand t (milli-units of idle accelerator it cannot use):
 * - t needs no accelerator                                  → all idle accelerator capacity;
 * - node lacks CPU for t, or fewer than t.count accessible
 *   accelerators have ≥ t.milli free                         → all idle accelerator capacity;
 * - otherwise ("Q3", t fits)                                 → the idle capacity t cannot use:
 *   accelerators with less than t.milli free, and accelerators of a type t does not accept.
 * Node fragmentation = Σ_t weight_t · fragment_t; the cluster's is the sum over nodes. The frag ratio
 * is fragmentation / idle capacity. (For single-type nodes this is exactly the simulator's
 * NodeGpuShareFragAmountScore; the per-accelerator type rule generalises it to mixed nodes.)
 */
import type { ClusterState } from './cluster-state.js';
import type { Demand } from './model.js';

export interface TypicalDemand {
  readonly cpuMilli: number;
  readonly milli: number;
  readonly count: number;
  readonly acceptableTypes: readonly string[];
  /** Share of the target workload, 0..1; all weights sum to 1. */
  readonly weight: number;
}

export interface TypicalOptions {
  /** Fraction of demands the chosen shapes must cover (simulator default for the paper: 0.95). */
  readonly popularityThreshold: number;
  /** Count CPU-only demands as shapes (paper: true). */
  readonly includeCpuOnly: boolean;
  /** How a shape's popularity is counted: one per demand (paper) or by accelerator milli-units
   *  requested (CPU-only demands then count as one accelerator's worth). */
  readonly weighting?: 'count' | 'acceleratorMilli';
}

export const PAPER_TYPICAL_OPTIONS: TypicalOptions = { popularityThreshold: 0.95, includeCpuOnly: true };

interface Shape {
  cpuMilli: number;
  milli: number;
  count: number;
  typeKey: string;
  acceptableTypes: readonly string[];
  n: number;
}

function shapeOf(d: Demand): Omit<Shape, 'n'> {
  const a = d.accelerators;
  const count = a.kind === 'whole' ? a.count : a.kind === 'fraction' ? 1 : 0;
  const milli = a.kind === 'whole' ? 1000 : a.kind === 'fraction' ? a.milli : 0;
  const acceptableTypes = d.acceptableTypes ?? [];
  return { cpuMilli: d.cpuMilli, milli, count, acceptableTypes, typeKey: acceptableTypes.join('|') };
}

/** Most popular shapes covering the threshold, ordered as the simulator orders them. */
export function typicalDemands(workload: readonly Demand[], options: TypicalOptions = PAPER_TYPICAL_OPTIONS): TypicalDemand[] {
  const shapes = new Map<string, Shape>();
  let total = 0;
  for (const d of workload) {
    const s = shapeOf(d);
    if (!options.includeCpuOnly && s.count === 0) continue;
    const key = `${s.cpuMilli}/${s.milli}/${s.count}/${s.typeKey}`;
    const weight = options.weighting === 'acceleratorMilli' ? (s.count === 0 ? 1 : (s.milli * s.count) / 1000) : 1;
    const found = shapes.get(key);
    if (found) found.n += weight;
    else shapes.set(key, { ...s, n: weight });
    total += weight;
  }
  // Decreasing count; ties by decreasing (cpu, milli, count, type) — sort.Reverse of the simulator's Less.
  const list = [...shapes.values()].sort(
    (a, b) =>
      b.n - a.n ||
      b.cpuMilli - a.cpuMilli ||
      b.milli - a.milli ||
      b.count - a.count ||
      (a.typeKey < b.typeKey ? 1 : a.typeKey > b.typeKey ? -1 : 0),
  );
  const expected = options.popularityThreshold * total;
  let covered = 0;
  let taken = 0;
  while (covered < expected && taken < list.length) covered += (list[taken++] as Shape).n;
  return list.slice(0, taken).map((s) => ({
    cpuMilli: s.cpuMilli,
    milli: s.milli,
    count: s.count,
    acceptableTypes: s.acceptableTypes,
    weight: s.n / covered,
  }));
}

/** Typical demands compiled against one cluster's type table, in flat arrays for the hot loop. */
export interface CompiledTypical {
  readonly size: number;
  readonly cpu: Float64Array;
  readonly milli: Int32Array;
  readonly count: Int32Array;
  readonly typeMask: Int32Array;
  readonly anyType: Uint8Array;
  readonly weight: Float64Array;
  /** Σ weight of the shapes that need no accelerator (their fragment is always all idle capacity). */
  readonly cpuOnlyWeight: number;
}

export function compileTypical(state: ClusterState, typical: readonly TypicalDemand[]): CompiledTypical {
  const gpuShapes = typical.filter((t) => t.count > 0);
  const size = gpuShapes.length;
  const out = {
    size,
    cpu: new Float64Array(size),
    milli: new Int32Array(size),
    count: new Int32Array(size),
    typeMask: new Int32Array(size),
    anyType: new Uint8Array(size),
    weight: new Float64Array(size),
    cpuOnlyWeight: typical.filter((t) => t.count === 0).reduce((s, t) => s + t.weight, 0),
  };
  gpuShapes.forEach((t, i) => {
    out.cpu[i] = t.cpuMilli;
    out.milli[i] = t.milli;
    out.count[i] = t.count;
    out.anyType[i] = t.acceptableTypes.length === 0 ? 1 : 0;
    let mask = 0;
    for (const type of t.acceptableTypes) {
      const id = state.typeId(type);
      if (id !== undefined) mask |= 1 << id;
    }
    out.typeMask[i] = mask;
    out.weight[i] = t.weight;
  });
  return out;
}

/**
 * Fragmentation (milli-units) of a node whose free CPU is `cpuFree` and whose accelerators have
 * `free[0..len)` milli-units free with type ids `types[0..len)`.
 */
export function nodeFragmentation(
  typical: CompiledTypical,
  cpuFree: number,
  free: Int32Array,
  types: Uint8Array,
  len: number,
): number {
  let idle = 0;
  for (let i = 0; i < len; i++) idle += free[i] as number;
  if (idle === 0) return 0;
  let frag = typical.cpuOnlyWeight * idle;
  for (let t = 0; t < typical.size; t++) {
    const w = typical.weight[t] as number;
    if (cpuFree < (typical.cpu[t] as number)) {
      frag += w * idle;
      continue;
    }
    const m = typical.milli[t] as number;
    const any = typical.anyType[t] === 1;
    const mask = typical.typeMask[t] as number;
    let fits = 0;
    let unusable = 0;
    for (let i = 0; i < len; i++) {
      const f = free[i] as number;
      if (f >= m && (any || (mask & (1 << (types[i] as number))) !== 0)) fits++;
      else unusable += f;
    }
    frag += w * (fits >= (typical.count[t] as number) ? unusable : idle);
  }
  return frag;
}

/** Copies node `node`'s accelerator state into scratch buffers; returns the accelerator count. */
export function loadNode(state: ClusterState, node: number, free: Int32Array, types: Uint8Array): number {
  const start = state.accStart[node] as number;
  const len = (state.accStart[node + 1] as number) - start;
  for (let i = 0; i < len; i++) {
    free[i] = state.accFree[start + i] as number;
    types[i] = state.accType[start + i] as number;
  }
  return len;
}

/** Current fragmentation of one node. `free`/`types` are scratch buffers of at least the node's size. */
export function currentNodeFragmentation(
  state: ClusterState,
  typical: CompiledTypical,
  node: number,
  free: Int32Array,
  types: Uint8Array,
): number {
  const len = loadNode(state, node, free, types);
  return nodeFragmentation(typical, state.cpuFree[node] as number, free, types, len);
}
