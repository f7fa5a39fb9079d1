/**
 * GPU clustering (baseline "GpuClustering"; simulator: gpu_clustering_score.go).
 *
 * Idea: keep work of the same accelerator shape together (fractions with fractions, 2-device jobs
 * with 2-device jobs, ...) so that shapes do not fragment each other. Score bands:
 * 75–100 the node only runs work of this shape; 50–75 it runs this shape among others;
 * 25–50 it runs no accelerator work yet; 0–25 it runs only other shapes. Within a band, nodes with
 * less free accelerator capacity score higher: band + trunc(25·(maxMilli − free)/maxMilli).
 * CPU-only work scores 0 everywhere.
 */
import { TAG_COUNT, type ClusterState, type DemandSpec } from '../cluster-state.js';
import type { ScorePlugin } from '../framework.js';
import type { ClusterMaxima } from './cluster-maxima.js';

export function gpuClusteringScore(max: ClusterMaxima): ScorePlugin {
  return {
    name: 'gpu-clustering',
    score(state: ClusterState, spec: DemandSpec, node: number): number {
      if (spec.count === 0) return 0;
      const base = node * TAG_COUNT;
      let tagsPresent = 0;
      for (let t = 0; t < TAG_COUNT; t++) if ((state.tagCounts[base + t] as number) > 0) tagsPresent++;
      const fill = Math.trunc((25 * (max.acceleratorMilli - state.totalFreeMilli(node))) / max.acceleratorMilli);
      if ((state.tagCounts[base + spec.tag] as number) > 0) return fill + (tagsPresent === 1 ? 75 : 50);
      return fill + (tagsPresent === 0 ? 25 : 0);
    },
  };
}
