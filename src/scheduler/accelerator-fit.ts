/**
 * Which accelerators on one node can take a demand, and the standard ways to pick among them.
 *
 * Contracts (shared by the filter and every policy, as in the FGD simulator's Open-GPU-Share):
 * - whole devices: `count` accelerators that are entirely free, accessible, and all of one type;
 *   the default choice is the lowest free indices (the simulator's AllocateExclusiveGpuId);
 * - a fraction: one accessible accelerator with at least `milli` free; "best fit" picks the one
 *   with the least free capacity that still fits, lowest index on ties.
 * Indices returned are relative to the node (0-based), as a placement stores them.
 */
import type { ClusterState, DemandSpec } from './cluster-state.js';
import type { RandomSource } from './random.js';

/** True when the node can host the accelerator part of the demand (CPU/memory not checked). */
export function acceleratorsFit(state: ClusterState, spec: DemandSpec, node: number): boolean {
  if (spec.count === 0) return true;
  const start = state.accStart[node] as number;
  const end = state.accStart[node + 1] as number;
  if (spec.isFraction) {
    for (let k = start; k < end; k++) {
      if ((state.accFree[k] as number) >= spec.milli && state.accessible(spec, k)) return true;
    }
    return false;
  }
  return wholeIndices(state, spec, node) !== null;
}

/**
 * Lowest-index fully free accessible accelerators of one type, or null. On a node with several
 * types, the type whose `count`-th free device comes first wins.
 */
export function wholeIndices(state: ClusterState, spec: DemandSpec, node: number): number[] | null {
  const start = state.accStart[node] as number;
  const end = state.accStart[node + 1] as number;
  const mask = state.nodeTypeMask[node] as number;
  const singleType = (mask & (mask - 1)) === 0;
  if (singleType) {
    const picked: number[] = [];
    for (let k = start; k < end && picked.length < spec.count; k++) {
      if (state.accFree[k] === state.accCap[k] && state.accessible(spec, k)) picked.push(k - start);
    }
    return picked.length === spec.count ? picked : null;
  }
  const byType = new Map<number, number[]>();
  for (let k = start; k < end; k++) {
    if (state.accFree[k] !== state.accCap[k] || !state.accessible(spec, k)) continue;
    const type = state.accType[k] as number;
    const list = byType.get(type) ?? [];
    list.push(k - start);
    if (list.length === spec.count) return list;
    byType.set(type, list);
  }
  return null;
}

/** Tightest-fitting accelerator for a fraction (least free that still fits; lowest index on ties). */
export function bestFitFraction(state: ClusterState, spec: DemandSpec, node: number): number {
  const start = state.accStart[node] as number;
  const end = state.accStart[node + 1] as number;
  let best = -1;
  let bestFree = Infinity;
  for (let k = start; k < end; k++) {
    const free = state.accFree[k] as number;
    if (free >= spec.milli && free < bestFree && state.accessible(spec, k)) {
      best = k - start;
      bestFree = free;
    }
  }
  return best;
}

/** Uniformly random fitting accelerator for a fraction (reservoir sampling, as the simulator does). */
export function randomFitFraction(state: ClusterState, spec: DemandSpec, node: number, random: RandomSource): number {
  const start = state.accStart[node] as number;
  const end = state.accStart[node + 1] as number;
  let chosen = -1;
  let seen = 0;
  for (let k = start; k < end; k++) {
    if ((state.accFree[k] as number) >= spec.milli && state.accessible(spec, k)) {
      seen++;
      if (random.int(seen) === 0) chosen = k - start;
    }
  }
  return chosen;
}

/** Best-fit choice for any demand: tightest accelerator for a fraction, lowest free ones for whole. */
export function bestFitIndices(state: ClusterState, spec: DemandSpec, node: number): number[] | null {
  if (spec.count === 0) return [];
  if (spec.isFraction) {
    const idx = bestFitFraction(state, spec, node);
    return idx < 0 ? null : [idx];
  }
  return wholeIndices(state, spec, node);
}
