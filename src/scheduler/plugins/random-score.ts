/**
 * Random (baseline "Random" in the FGD paper; simulator: random_score.go).
 *
 * Idea: no preference at all. Before scoring, one feasible node is drawn uniformly at random and
 * gets the maximum score, every other node the minimum. A fraction goes onto a uniformly random
 * accelerator that fits (the simulator's "random" GPU selection); whole devices take the lowest
 * free indices.
 */
import { randomFitFraction, wholeIndices } from '../accelerator-fit.js';
import type { ClusterState, DemandSpec } from '../cluster-state.js';
import type { AcceleratorSelector, ScorePlugin } from '../framework.js';
import type { RandomSource } from '../random.js';

export function randomScore(random: RandomSource): ScorePlugin {
  let chosen = -1;
  return {
    name: 'random',
    prepare(_state: ClusterState, _spec: DemandSpec, feasible: Int32Array, count: number): void {
      chosen = feasible[random.int(count)] as number;
    },
    score(_state: ClusterState, _spec: DemandSpec, node: number): number {
      return node === chosen ? 100 : 0;
    },
  };
}

export function randomFitSelector(random: RandomSource): AcceleratorSelector {
  return {
    name: 'random-fit-accelerator',
    select(state: ClusterState, spec: DemandSpec, node: number): number[] | null {
      if (spec.count === 0) return [];
      if (!spec.isFraction) return wholeIndices(state, spec, node);
      const idx = randomFitFraction(state, spec, node, random);
      return idx < 0 ? null : [idx];
    },
  };
}
