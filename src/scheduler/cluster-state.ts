/**
 * Mutable free-capacity view of a fleet, in flat typed arrays so the policies' inner loops stay fast.
 *
 * Contracts:
 * - Node `i` owns accelerators `accStart[i] .. accStart[i+1]-1`; `accFree` is milli-units left.
 * - `version[i]` increases whenever node `i` changes, so plugins may cache per-node results.
 * - `apply` and `release` are exact inverses; neither checks fit (the filter does that first).
 * - `tagCounts` counts placed accelerator demands per node by "affinity tag" (fraction, 1..8 whole),
 *   which the GPU-clustering policy reads.
 */
import type { AcceleratorDemand, Demand, NodeSpec, Placement } from './model.js';

/** Tags: 0 = fraction of one accelerator, k (1..8) = k whole accelerators. */
export const TAG_COUNT = 9;
export const MAX_WHOLE_ACCELERATORS = 8;

/** A demand compiled against one cluster's type table (types become a bitmask). */
export interface DemandSpec {
  readonly demand: Demand;
  readonly cpuMilli: number;
  readonly memoryMiB: number;
  /** Milli-units per accelerator: 1000 for whole devices, the fraction otherwise, 0 for none. */
  readonly milli: number;
  /** Accelerators asked for: `count` for whole, 1 for a fraction, 0 for none. */
  readonly count: number;
  readonly isFraction: boolean;
  /** Bitmask over the cluster's type ids; `anyType` true means no constraint. */
  readonly typeMask: number;
  readonly anyType: boolean;
  readonly minAcceleratorMemoryMiB: number;
  /** Same key ⇔ same resource shape; used to cache per-shape scores. Memory is excluded on purpose
   *  because no policy scores memory (it is only filtered). */
  readonly shapeKey: string;
  readonly tag: number;
}

export class ClusterState {
  readonly nodeCount: number;
  readonly nodeNames: readonly string[];
  readonly typeNames: readonly string[];
  readonly cpuCap: Float64Array;
  readonly cpuFree: Float64Array;
  readonly memCap: Float64Array;
  readonly memFree: Float64Array;
  readonly accStart: Int32Array;
  readonly accCap: Int32Array;
  readonly accFree: Int32Array;
  readonly accType: Uint8Array;
  readonly accMemMiB: Float64Array;
  /** Bitmask of the accelerator types present on each node. */
  readonly nodeTypeMask: Int32Array;
  readonly version: Uint32Array;
  readonly tagCounts: Int32Array;
  readonly totalAcceleratorMilli: number;
  private readonly typeIds: Map<string, number>;

  constructor(nodes: readonly NodeSpec[]) {
    const typeIds = new Map<string, number>();
    let accTotal = 0;
    for (const node of nodes) {
      accTotal += node.accelerators.length;
      for (const acc of node.accelerators) if (!typeIds.has(acc.type)) typeIds.set(acc.type, typeIds.size);
    }
    if (typeIds.size > 31) throw new RangeError('at most 31 accelerator types per cluster');
    const n = nodes.length;
    this.nodeCount = n;
    this.typeIds = typeIds;
    this.typeNames = [...typeIds.keys()];
    this.nodeNames = nodes.map((node) => node.name);
    this.cpuCap = new Float64Array(n);
    this.cpuFree = new Float64Array(n);
    this.memCap = new Float64Array(n);
    this.memFree = new Float64Array(n);
    this.accStart = new Int32Array(n + 1);
    this.accCap = new Int32Array(accTotal);
    this.accFree = new Int32Array(accTotal);
    this.accType = new Uint8Array(accTotal);
    this.accMemMiB = new Float64Array(accTotal);
    this.nodeTypeMask = new Int32Array(n);
    this.version = new Uint32Array(n);
    this.tagCounts = new Int32Array(n * TAG_COUNT);
    let k = 0;
    let milli = 0;
    nodes.forEach((node, i) => {
      this.cpuCap[i] = this.cpuFree[i] = node.cpuMilli;
      this.memCap[i] = this.memFree[i] = node.memoryMiB;
      this.accStart[i] = k;
      for (const acc of node.accelerators) {
        const id = typeIds.get(acc.type) as number;
        this.accCap[k] = this.accFree[k] = acc.capacityMilli;
        this.accType[k] = id;
        this.accMemMiB[k] = acc.memoryMiB;
        this.nodeTypeMask[i] |= 1 << id;
        milli += acc.capacityMilli;
        k++;
      }
    });
    this.accStart[n] = k;
    this.totalAcceleratorMilli = milli;
  }

  typeId(type: string): number | undefined {
    return this.typeIds.get(type);
  }

  /** Compiles a demand's type list and shape once, so per-node checks are integer operations. */
  compile(demand: Demand): DemandSpec {
    const a: AcceleratorDemand = demand.accelerators;
    const count = a.kind === 'whole' ? a.count : a.kind === 'fraction' ? 1 : 0;
    const milli = a.kind === 'whole' ? 1000 : a.kind === 'fraction' ? a.milli : 0;
    const types = demand.acceptableTypes ?? [];
    let typeMask = 0;
    for (const t of types) {
      const id = this.typeIds.get(t);
      if (id !== undefined) typeMask |= 1 << id;
    }
    const anyType = types.length === 0;
    const sortedTypes = [...types].sort().join('|');
    return {
      demand,
      cpuMilli: demand.cpuMilli,
      memoryMiB: demand.memoryMiB,
      milli,
      count,
      isFraction: a.kind === 'fraction',
      typeMask,
      anyType,
      minAcceleratorMemoryMiB: demand.minAcceleratorMemoryMiB ?? 0,
      shapeKey: `${demand.cpuMilli}/${milli}x${count}/${sortedTypes}/${demand.minAcceleratorMemoryMiB ?? 0}`,
      tag: a.kind === 'whole' ? a.count : a.kind === 'fraction' ? 0 : -1,
    };
  }

  /** Whether accelerator `k` is of a type (and memory) the demand accepts. */
  accessible(spec: DemandSpec, k: number): boolean {
    if (!spec.anyType && (spec.typeMask & (1 << (this.accType[k] as number))) === 0) return false;
    return (this.accMemMiB[k] as number) >= spec.minAcceleratorMemoryMiB;
  }

  totalFreeMilli(node: number): number {
    let sum = 0;
    for (let k = this.accStart[node] as number, end = this.accStart[node + 1] as number; k < end; k++) {
      sum += this.accFree[k] as number;
    }
    return sum;
  }

  totalCapMilli(node: number): number {
    let sum = 0;
    for (let k = this.accStart[node] as number, end = this.accStart[node + 1] as number; k < end; k++) {
      sum += this.accCap[k] as number;
    }
    return sum;
  }

  acceleratorCount(node: number): number {
    return (this.accStart[node + 1] as number) - (this.accStart[node] as number);
  }

  /** Takes the placement's resources. Caller guarantees fit. */
  apply(spec: DemandSpec, placement: Placement): void {
    this.adjust(spec, placement, -1);
  }

  /** Returns the placement's resources (inverse of `apply`). */
  release(spec: DemandSpec, placement: Placement): void {
    this.adjust(spec, placement, +1);
  }

  private adjust(spec: DemandSpec, placement: Placement, sign: 1 | -1): void {
    const i = placement.nodeIndex;
    this.cpuFree[i] = (this.cpuFree[i] as number) + sign * spec.cpuMilli;
    this.memFree[i] = (this.memFree[i] as number) + sign * spec.memoryMiB;
    const base = this.accStart[i] as number;
    for (const idx of placement.acceleratorIndices) {
      this.accFree[base + idx] = (this.accFree[base + idx] as number) + sign * placement.milliPerAccelerator;
    }
    if (spec.tag >= 0) this.tagCounts[i * TAG_COUNT + spec.tag] = (this.tagCounts[i * TAG_COUNT + spec.tag] as number) - sign;
    this.version[i] = (this.version[i] as number) + 1;
  }
}
