/**
 * Scheduling framework: filter → score → select host → pick accelerators → reserve.
 *
 * Modelled on the Kubernetes scheduler framework, as the FGD simulator runs it:
 * - every filter plugin must pass a node; the first failing plugin's reason is counted;
 * - each score plugin scores every feasible node, optionally normalizes, and is weighted;
 * - the host is a node with the highest total score; ties go to the node of lowest `rank` when a
 *   rank is given (the FGD artefact's Kubernetes fork picks the lexicographically smallest node name,
 *   and names carry a per-seed random prefix — in effect a fixed random priority order), otherwise to a
 *   uniformly random one (stock Kubernetes' selectHost), drawn from the injected random source;
 * - the accelerator selector of the policy picks the device indices on the chosen node;
 * - reserve plugins run after the state has been updated; if one refuses, every reserve already
 *   done is undone (unreserve) and the state is restored.
 * Expected refusals are returned as `{ code: 'unschedulable', reasons }`; nothing here throws for them.
 */
import { bestFitIndices } from './accelerator-fit.js';
import type { ClusterState, DemandSpec } from './cluster-state.js';
import type { Decision, Placement, RejectionReason } from './model.js';
import type { RandomSource } from './random.js';

export interface FilterPlugin {
  readonly name: string;
  /** null = node passes; a string = why it does not. */
  filter(state: ClusterState, spec: DemandSpec, node: number): string | null;
}

export interface ScorePlugin {
  readonly name: string;
  /** Called once per decision with the feasible nodes, before any `score` call. */
  prepare?(state: ClusterState, spec: DemandSpec, feasible: Int32Array, count: number): void;
  /** Higher is better. */
  score(state: ClusterState, spec: DemandSpec, node: number): number;
  /** Rewrites `scores[0..count)` in place (e.g. min–max to 0..100). */
  normalize?(scores: Float64Array, count: number): void;
}

/** Picks the accelerator indices on the chosen node; null means none fit (should not happen after filter). */
export interface AcceleratorSelector {
  readonly name: string;
  select(state: ClusterState, spec: DemandSpec, node: number): number[] | null;
}

export interface ReservePlugin {
  readonly name: string;
  /** null = accepted; a string = refused (the framework then unreserves). */
  reserve(state: ClusterState, spec: DemandSpec, placement: Placement): string | null;
  unreserve(state: ClusterState, spec: DemandSpec, placement: Placement): void;
}

export interface WeightedScore {
  readonly plugin: ScorePlugin;
  readonly weight: number;
}

export interface Profile {
  readonly name: string;
  readonly filters: readonly FilterPlugin[];
  readonly scores: readonly WeightedScore[];
  readonly selector: AcceleratorSelector;
  readonly reserves: readonly ReservePlugin[];
}

export const bestFitSelector: AcceleratorSelector = {
  name: 'best-fit-accelerator',
  select: bestFitIndices,
};

/** One scheduler instance: a profile plus scratch buffers sized to the cluster. Not re-entrant. */
export class Scheduler {
  private feasible = new Int32Array(0);
  private totals = new Float64Array(0);
  private partial = new Float64Array(0);

  /**
   * @param nodeRank optional tie-break priority per node index (lower wins); without it ties are
   *   broken uniformly at random.
   */
  constructor(
    readonly profile: Profile,
    private readonly random: RandomSource,
    private readonly nodeRank?: Int32Array,
  ) {}

  /** Decides and reserves. On success the state already holds the placement. */
  schedule(state: ClusterState, spec: DemandSpec): Decision {
    const n = state.nodeCount;
    if (this.feasible.length < n) {
      this.feasible = new Int32Array(n);
      this.totals = new Float64Array(n);
      this.partial = new Float64Array(n);
    }
    const count = this.filterNodes(state, spec);
    if (count < 0) return { code: 'unschedulable', reasons: this.lastReasons };
    const node = this.selectHost(state, spec, count);
    const indices = this.profile.selector.select(state, spec, node);
    if (indices === null) {
      return { code: 'unschedulable', reasons: [{ plugin: this.profile.selector.name, reason: 'no accelerator fits', nodes: 1 }] };
    }
    const placement: Placement = {
      demandId: spec.demand.id,
      nodeIndex: node,
      nodeName: state.nodeNames[node] as string,
      acceleratorIndices: indices,
      milliPerAccelerator: spec.milli,
    };
    state.apply(spec, placement);
    const done: ReservePlugin[] = [];
    for (const plugin of this.profile.reserves) {
      const refusal = plugin.reserve(state, spec, placement);
      if (refusal !== null) {
        for (const d of done.reverse()) d.unreserve(state, spec, placement);
        state.release(spec, placement);
        return { code: 'unschedulable', reasons: [{ plugin: plugin.name, reason: refusal, nodes: 1 }] };
      }
      done.push(plugin);
    }
    return { code: 'scheduled', placement };
  }

  /** Undoes a placement made by `schedule` (unreserve plugins in reverse, then free the state). */
  unschedule(state: ClusterState, spec: DemandSpec, placement: Placement): void {
    for (const plugin of [...this.profile.reserves].reverse()) plugin.unreserve(state, spec, placement);
    state.release(spec, placement);
  }

  private lastReasons: RejectionReason[] = [];

  /** Fills `feasible`; returns the count, or -1 (with `lastReasons`) when no node passes. */
  private filterNodes(state: ClusterState, spec: DemandSpec): number {
    const filters = this.profile.filters;
    let count = 0;
    let reasons: Map<string, number> | null = null;
    for (let node = 0; node < state.nodeCount; node++) {
      let refusal: string | null = null;
      let by = '';
      for (let f = 0; f < filters.length; f++) {
        const plugin = filters[f] as FilterPlugin;
        refusal = plugin.filter(state, spec, node);
        if (refusal !== null) {
          by = plugin.name;
          break;
        }
      }
      if (refusal === null) this.feasible[count++] = node;
      else {
        reasons ??= new Map();
        const key = `${by}\u0000${refusal}`;
        reasons.set(key, (reasons.get(key) ?? 0) + 1);
      }
    }
    if (count > 0) return count;
    this.lastReasons = [...(reasons ?? new Map<string, number>()).entries()]
      .map(([key, nodes]) => {
        const [plugin, reason] = key.split('\u0000') as [string, string];
        return { plugin, reason, nodes };
      })
      .sort((a, b) => b.nodes - a.nodes);
    if (this.lastReasons.length === 0) this.lastReasons = [{ plugin: 'framework', reason: 'cluster has no nodes', nodes: 0 }];
    return -1;
  }

  private selectHost(state: ClusterState, spec: DemandSpec, count: number): number {
    const feasible = this.feasible;
    const totals = this.totals;
    totals.fill(0, 0, count);
    for (const { plugin, weight } of this.profile.scores) {
      plugin.prepare?.(state, spec, feasible, count);
      const partial = this.partial;
      for (let j = 0; j < count; j++) partial[j] = plugin.score(state, spec, feasible[j] as number);
      plugin.normalize?.(partial, count);
      for (let j = 0; j < count; j++) totals[j] = (totals[j] as number) + weight * (partial[j] as number);
    }
    if (count === 1) return feasible[0] as number;
    const rank = this.nodeRank;
    if (rank) {
      let best = feasible[0] as number;
      let bestScore = totals[0] as number;
      for (let j = 1; j < count; j++) {
        const s = totals[j] as number;
        const node = feasible[j] as number;
        if (s > bestScore || (s === bestScore && (rank[node] as number) < (rank[best] as number))) {
          bestScore = s;
          best = node;
        }
      }
      return best;
    }
    // Stock Kubernetes selectHost: uniform among the maxima, by reservoir sampling in node order.
    let best = feasible[0] as number;
    let bestScore = totals[0] as number;
    let ties = 1;
    for (let j = 1; j < count; j++) {
      const s = totals[j] as number;
      if (s > bestScore) {
        bestScore = s;
        best = feasible[j] as number;
        ties = 1;
      } else if (s === bestScore) {
        ties++;
        if (this.random.int(ties) === 0) best = feasible[j] as number;
      }
    }
    return best;
  }
}
