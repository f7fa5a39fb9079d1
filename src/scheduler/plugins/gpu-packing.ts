/**
 * GPU packing (baseline "GpuPacking"; simulator: gpu_packing_score.go).
 *
 * Idea: keep whole accelerators and whole nodes free by filling partly used devices first.
 * Score bands, highest first:
 * 1. the demand fits on devices already partly used: 100 − (Σ free% of the devices it would use)/10,
 *    at least 50;
 * 2. it must use entirely free devices on a node that is already in use: 50 − devices used, at least 33;
 * 3. the node is entirely free: 33 − its device count, at least its device count.
 * Devices are considered in increasing order of free capacity. CPU-only work scores 0 everywhere.
 */
import type { ClusterState, DemandSpec } from '../cluster-state.js';
import type { ScorePlugin } from '../framework.js';

export function gpuPackingScore(): ScorePlugin {
  const order: number[] = [];
  return {
    name: 'gpu-packing',
    score(state: ClusterState, spec: DemandSpec, node: number): number {
      if (spec.count === 0) return 0;
      const start = state.accStart[node] as number;
      const end = state.accStart[node + 1] as number;
      const devices = end - start;
      let fullyFree = 0;
      for (let k = start; k < end; k++) if (state.accFree[k] === state.accCap[k]) fullyFree++;
      if (fullyFree === devices) return Math.max(33 - fullyFree, fullyFree);
      order.length = 0;
      for (let k = start; k < end; k++) order.push(k);
      // Stable ascending by free capacity (Array.prototype.sort is stable).
      order.sort((a, b) => (state.accFree[a] as number) - (state.accFree[b] as number));
      let needed = spec.count;
      let freeUsed = 0;
      let freePercentSum = 0;
      for (const k of order) {
        if (needed === 0) break;
        const free = state.accFree[k] as number;
        if (spec.milli <= free && state.accessible(spec, k)) {
          needed--;
          if (free === state.accCap[k]) freeUsed++;
          freePercentSum += Math.trunc((free * 100) / (state.accCap[k] as number));
        }
      }
      if (needed !== 0) return 0;
      if (freeUsed > 0) return Math.max(50 - freeUsed, 33);
      return Math.max(100 - Math.trunc(freePercentSum / 10), 50);
    },
  };
}
