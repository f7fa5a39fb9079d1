/**
 * Tessera (ours). Placeholder until the policy is designed: exact FGD without quantization.
 */
import type { ClusterState, DemandSpec } from '../cluster-state.js';
import type { AcceleratorSelector, ScorePlugin } from '../framework.js';
import type { CompiledTypical } from '../fragmentation.js';
import type { ClusterMaxima } from './cluster-maxima.js';
import { FragDeltaEvaluator } from './frag-delta.js';

export function tesseraPlugins(
  typical: CompiledTypical,
  maxAccelerators: number,
  _maxima: ClusterMaxima,
): { score: ScorePlugin; selector: AcceleratorSelector } {
  const evaluator = new FragDeltaEvaluator(typical, (delta) => delta, maxAccelerators);
  return {
    score: {
      name: 'tessera',
      prepare: (state: ClusterState, spec: DemandSpec) => evaluator.begin(state, spec),
      score: (state: ClusterState, spec: DemandSpec, node: number) => evaluator.score(state, spec, node),
    },
    selector: {
      name: 'tessera-accelerator',
      select: (state: ClusterState, spec: DemandSpec, node: number) => evaluator.select(state, spec, node),
    },
  };
}
