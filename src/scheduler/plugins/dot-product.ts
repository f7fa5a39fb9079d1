/**
 * Dot-product (baseline "DotProd", after Tetris; simulator: dot_product_score.go with
 * dimExtMethod=merge, normMethod=max, GPU selection best-fit).
 *
 * Idea: compare the demand vector with the node's free vector, both normalised by the largest node:
 * node = (free CPU / maxCPU, free accelerator milli / maxAcceleratorMilli), demand likewise. The
 * simulator scores trunc((1 − dot/2)·100), so among fitting nodes it prefers the one whose free
 * vector is least aligned with (and smallest along) the demand. Nodes without the CPU score 0.
 */
import type { ClusterState, DemandSpec } from '../cluster-state.js';
import type { ScorePlugin } from '../framework.js';
import type { ClusterMaxima } from './cluster-maxima.js';

export function dotProductScore(max: ClusterMaxima): ScorePlugin {
  return {
    name: 'dot-product',
    score(state: ClusterState, spec: DemandSpec, node: number): number {
      const cpuFree = state.cpuFree[node] as number;
      if (cpuFree < spec.cpuMilli) return 0;
      const accFree = state.totalFreeMilli(node);
      const dot =
        (cpuFree / max.cpuMilli) * (spec.cpuMilli / max.cpuMilli) +
        (accFree / max.acceleratorMilli) * ((spec.milli * spec.count) / max.acceleratorMilli);
      return Math.trunc(100 * (1 - dot / 2));
    },
  };
}
