/**
 * Shared engine of the fragmentation-aware policies: for a demand and a node, the change of the
 * node's fragmentation (see ../fragmentation.ts) if the demand were placed there, turned into a score
 * by a policy-supplied function, and the accelerator index that achieves the best score.
 *
 * Placement rule it evaluates (as the FGD simulator does): a fraction is tried on every accessible
 * accelerator with room, best score wins, lowest index on ties; whole devices take the lowest free
 * indices; CPU-only work only changes free CPU.
 *
 * Speed contract: results are cached per (demand shape, node) and reused while `state.version[node]`
 * is unchanged, so a decision only re-evaluates nodes touched since the last demand of that shape.
 * The node's current fragmentation is cached the same way.
 */
import { wholeIndices } from '../accelerator-fit.js';
import type { ClusterState, DemandSpec } from '../cluster-state.js';
import { loadNode, nodeFragmentation, type CompiledTypical } from '../fragmentation.js';

/** Maps (fragmentation before − after, in milli-units; state; node; demand; the device index tried for a
 *  fraction, −1 otherwise) to a score, higher is better. */
export type DeltaScore = (deltaMilli: number, state: ClusterState, node: number, spec: DemandSpec, index: number) => number;

interface ShapeCache {
  score: Float64Array;
  index: Int8Array;
  /** version + 1 of the node when cached; 0 = empty. */
  stamp: Uint32Array;
}

export class FragDeltaEvaluator {
  private readonly free: Int32Array;
  private readonly types: Uint8Array;
  private readonly seenFree: Int32Array;
  private readonly seenType: Uint8Array;
  private nodeFrag = new Float64Array(0);
  private nodeStamp = new Uint32Array(0);
  private readonly shapes = new Map<string, ShapeCache>();
  private current: ShapeCache | null = null;

  constructor(
    readonly typical: CompiledTypical,
    private readonly toScore: DeltaScore,
    maxAcceleratorsPerNode: number,
  ) {
    this.free = new Int32Array(maxAcceleratorsPerNode);
    this.types = new Uint8Array(maxAcceleratorsPerNode);
    this.seenFree = new Int32Array(maxAcceleratorsPerNode);
    this.seenType = new Uint8Array(maxAcceleratorsPerNode);
  }

  /** Selects the cache for this demand's shape; call once per decision before `score`. */
  begin(state: ClusterState, spec: DemandSpec): void {
    const n = state.nodeCount;
    if (this.nodeFrag.length !== n) {
      this.nodeFrag = new Float64Array(n);
      this.nodeStamp = new Uint32Array(n);
      this.shapes.clear();
    }
    let cache = this.shapes.get(spec.shapeKey);
    if (!cache) {
      cache = { score: new Float64Array(n), index: new Int8Array(n), stamp: new Uint32Array(n) };
      this.shapes.set(spec.shapeKey, cache);
    }
    this.current = cache;
  }

  /** Current fragmentation of a node (cached by version). */
  fragmentation(state: ClusterState, node: number): number {
    const stamp = (state.version[node] as number) + 1;
    if (this.nodeStamp[node] === stamp) return this.nodeFrag[node] as number;
    const len = loadNode(state, node, this.free, this.types);
    const frag = nodeFragmentation(this.typical, state.cpuFree[node] as number, this.free, this.types, len);
    this.nodeFrag[node] = frag;
    this.nodeStamp[node] = stamp;
    return frag;
  }

  score(state: ClusterState, spec: DemandSpec, node: number): number {
    const cache = this.current as ShapeCache;
    const stamp = (state.version[node] as number) + 1;
    if (cache.stamp[node] !== stamp) this.evaluate(state, spec, node, cache, stamp);
    return cache.score[node] as number;
  }

  /** Best accelerator indices on `node` under this policy's score. */
  select(state: ClusterState, spec: DemandSpec, node: number): number[] | null {
    if (spec.count === 0) return [];
    if (!spec.isFraction) return wholeIndices(state, spec, node);
    this.begin(state, spec);
    this.score(state, spec, node);
    const idx = (this.current as ShapeCache).index[node] as number;
    return idx < 0 ? null : [idx];
  }

  private evaluate(state: ClusterState, spec: DemandSpec, node: number, cache: ShapeCache, stamp: number): void {
    const before = this.fragmentation(state, node);
    const cpuAfter = (state.cpuFree[node] as number) - spec.cpuMilli;
    const free = this.free;
    const types = this.types;
    const len = loadNode(state, node, free, types);
    if (!spec.isFraction) {
      if (spec.count > 0) {
        const picked = wholeIndices(state, spec, node);
        if (picked === null) {
          cache.score[node] = -Infinity;
          cache.index[node] = -1;
          cache.stamp[node] = stamp;
          return;
        }
        for (const i of picked) free[i] = (free[i] as number) - spec.milli;
      }
      const after = nodeFragmentation(this.typical, cpuAfter, free, types, len);
      cache.score[node] = this.toScore(before - after, state, node, spec, -1);
      cache.index[node] = -1;
      cache.stamp[node] = stamp;
      return;
    }
    const start = state.accStart[node] as number;
    let best = -Infinity;
    let bestIndex = -1;
    let seen = 0;
    for (let i = 0; i < len; i++) {
      const f = free[i] as number;
      if (f < spec.milli || !state.accessible(spec, start + i)) continue;
      // Devices with the same free capacity and type give the same result; the lowest index stands.
      let duplicate = false;
      for (let s = 0; s < seen; s++) {
        if (this.seenFree[s] === f && this.seenType[s] === types[i]) {
          duplicate = true;
          break;
        }
      }
      if (duplicate) continue;
      this.seenFree[seen] = f;
      this.seenType[seen] = types[i] as number;
      seen++;
      free[i] = f - spec.milli;
      const after = nodeFragmentation(this.typical, cpuAfter, free, types, len);
      free[i] = f;
      const s = this.toScore(before - after, state, node, spec, i);
      if (bestIndex < 0 || s > best) {
        best = s;
        bestIndex = i;
      }
    }
    cache.score[node] = best;
    cache.index[node] = bestIndex;
    cache.stamp[node] = stamp;
  }
}
