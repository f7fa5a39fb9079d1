/**
 * FGD — Fragmentation Gradient Descent (the FGD paper's policy; simulator: fgd_score.go with
 * dimExtMethod=share, GPU selection by the same score).
 *
 * Idea: estimate the target workload from the popular demand shapes (../fragmentation.ts) and place
 * each demand where it increases expected fragmentation the least — a greedy step down the
 * fragmentation gradient. Score = trunc(sigmoid((frag_before − frag_after)/1000)·100); a fraction goes
 * onto the accelerator with the best score (lowest index on ties). The truncation to integers is
 * kept on purpose: it makes many nodes tie, and ties are broken at random exactly as the paper's runs
 * did, so our figures are comparable with theirs.
 */
import type { ClusterState, DemandSpec } from '../cluster-state.js';
import type { AcceleratorSelector, ScorePlugin } from '../framework.js';
import type { CompiledTypical } from '../fragmentation.js';
import { FragDeltaEvaluator } from './frag-delta.js';

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

export function fgdPlugins(typical: CompiledTypical, maxAccelerators: number): { score: ScorePlugin; selector: AcceleratorSelector } {
  const evaluator = new FragDeltaEvaluator(typical, (delta) => Math.trunc(sigmoid(delta / 1000) * 100), maxAccelerators);
  return {
    score: {
      name: 'fgd',
      prepare: (state: ClusterState, spec: DemandSpec) => evaluator.begin(state, spec),
      score: (state: ClusterState, spec: DemandSpec, node: number) => evaluator.score(state, spec, node),
    },
    selector: {
      name: 'fgd-accelerator',
      select: (state: ClusterState, spec: DemandSpec, node: number) => evaluator.select(state, spec, node),
    },
  };
}
