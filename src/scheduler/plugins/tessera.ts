/**
 * Tessera (ours). EXPERIMENTAL parameters via TESSERA_VARIANT while tuning.
 */
import type { ClusterState, DemandSpec } from '../cluster-state.js';
import type { AcceleratorSelector, ScorePlugin } from '../framework.js';
import { compileTypical, typicalDemands, type CompiledTypical } from '../fragmentation.js';
import type { PluginContext } from '../policies.js';
import { FragDeltaEvaluator } from './frag-delta.js';
import { sigmoid } from './fgd.js';

export function tesseraPlugins(ctx: PluginContext): { score: ScorePlugin; selector: AcceleratorSelector } {
  const v = JSON.parse(process.env.TESSERA_VARIANT ?? "{}") as { q?: number; pack?: number; cpu?: number; r?: number; mem?: number; th?: number; wg?: boolean; inner?: number; tol?: number; S?: number; used?: number };
  const maxima = ctx.maxima;
  const maxAccelerators = ctx.maxAcceleratorsPerNode;
  const typical: CompiledTypical = ctx.workload.length > 0 && (v.th || v.wg)
    ? compileTypical(ctx.state, typicalDemands(ctx.workload, { popularityThreshold: v.th ?? 0.95, includeCpuOnly: true, weighting: v.wg ? 'acceleratorMilli' : 'count' }))
    : ctx.typical;
  let cpuPerMilli = 0;
  {
    let c = 0, m = 0;
    for (let t = 0; t < typical.size; t++) { c += typical.weight[t]! * typical.cpu[t]!; m += typical.weight[t]! * typical.milli[t]! * typical.count[t]!; }
    cpuPerMilli = (m > 0 ? c / m : 0) * (v.r ?? 1);
  }
  let memPerMilli = 1;
  {
    let mm = 0, g = 0;
    for (const d of ctx.workload) { const a = d.accelerators; const milli = a.kind === 'whole' ? 1000 * a.count : a.kind === 'fraction' ? a.milli : 0; if (milli > 0) { mm += d.memoryMiB; g += milli; } }
    if (g > 0) memPerMilli = mm / g;
  }
  const toScore = (delta: number, state: ClusterState, node: number, spec: DemandSpec): number => {
    if (v.inner) {
      const idleAfter = state.totalFreeMilli(node) - spec.milli * spec.count;
      const cpuAfter = state.cpuFree[node]! - spec.cpuMilli;
      const strandedAfter = Math.max(0, idleAfter - cpuAfter / cpuPerMilli);
      const strandedBefore = Math.max(0, state.totalFreeMilli(node) - state.cpuFree[node]! / cpuPerMilli);
      delta -= v.inner * (strandedAfter - strandedBefore);
    }
    if (v.mem) {
      const idleAfter = state.totalFreeMilli(node) - spec.milli * spec.count;
      const memAfter = state.memFree[node]! - spec.memoryMiB;
      const sa = Math.max(0, idleAfter - memAfter / memPerMilli);
      const sb = Math.max(0, state.totalFreeMilli(node) - state.memFree[node]! / memPerMilli);
      delta -= v.mem * (sa - sb);
    }
    let s = v.q ? Math.trunc(sigmoid(delta / (v.S ?? 1000)) * v.q) : delta;
    if (v.used) {
      // Tie-break inside one quantized level: prefer nodes already running work.
      const used = state.totalFreeMilli(node) < state.totalCapMilli(node) || state.cpuFree[node]! < state.cpuCap[node]!;
      s += used ? v.used : 0;
    }
    if (v.pack) {
      const freeAfter = state.totalFreeMilli(node) - spec.milli * spec.count;
      s -= v.pack * freeAfter / maxima.acceleratorMilli;
    }
    if (v.cpu) {
      const idleAfter = state.totalFreeMilli(node) - spec.milli * spec.count;
      const cpuAfter = state.cpuFree[node]! - spec.cpuMilli;
      const cpuBefore = state.cpuFree[node]!;
      const idleBefore = state.totalFreeMilli(node);
      const strandedAfter = Math.max(0, idleAfter - cpuAfter / cpuPerMilli);
      const strandedBefore = Math.max(0, idleBefore - cpuBefore / cpuPerMilli);
      s -= v.cpu * (strandedAfter - strandedBefore);
    }
    return s;
  };
  const evaluator = new FragDeltaEvaluator(typical, toScore, maxAccelerators);
  return {
    score: {
      name: 'tessera',
      prepare: (state: ClusterState, spec: DemandSpec) => evaluator.begin(state, spec),
      score: (state: ClusterState, spec: DemandSpec, node: number) => evaluator.score(state, spec, node),
      ...(v.tol !== undefined
        ? {
            normalize(scores: Float64Array, count: number): void {
              let best = -Infinity;
              for (let j = 0; j < count; j++) best = Math.max(best, scores[j]!);
              for (let j = 0; j < count; j++) scores[j] = scores[j]! >= best - v.tol! ? 1 : 0;
            },
          }
        : {}),
    },
    selector: {
      name: 'tessera-accelerator',
      select: (state: ClusterState, spec: DemandSpec, node: number) => evaluator.select(state, spec, node),
    },
  };
}
