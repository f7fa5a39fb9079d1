/**
 * Best-fit (baseline "BestFit"; simulator: best_fit_score.go).
 *
 * Idea: put work where the least capacity would be left over. The leftover after placement is
 * ½·(free CPU − request)/maxCPU + ½·(free accelerator milli − request)/maxAcceleratorMilli, where the
 * maxima are the largest node of the cluster (128 cores and 8 GPUs on the Alibaba trace, the
 * simulator's MaxSpecCpu/MaxSpecGpu). Score = trunc((1 − leftover)·100), then min–max normalized.
 * Accelerators: the tightest-fitting device for a fraction, the lowest free indices for whole ones.
 */
import type { ClusterState, DemandSpec } from '../cluster-state.js';
import type { ScorePlugin } from '../framework.js';
import { normalizeToHundred } from './normalize.js';
import type { ClusterMaxima } from './cluster-maxima.js';

export function bestFitScore(max: ClusterMaxima): ScorePlugin {
  return {
    name: 'best-fit',
    score(state: ClusterState, spec: DemandSpec, node: number): number {
      const cpuLeft = (state.cpuFree[node] as number) - spec.cpuMilli;
      const accLeft = state.totalFreeMilli(node) - spec.milli * spec.count;
      const leftover = (cpuLeft / max.cpuMilli) * 0.5 + (accLeft / max.acceleratorMilli) * 0.5;
      return Math.trunc((1 - leftover) * 100);
    },
    normalize: normalizeToHundred,
  };
}
