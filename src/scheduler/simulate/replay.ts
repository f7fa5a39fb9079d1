/**
 * Mode `replay`: the trace as it happened — pods arrive at their creation time and leave after
 * their traced duration; pods that do not fit wait (FIFO) and are retried when capacity frees.
 * Reported: time-weighted allocation and fragmentation, and how long pods waited.
 */
import type { NodeSpec } from '../model.js';
import type { TracePod } from '../trace.js';
import { runTimeline, type TimelinePoint, type TimelineResult } from './timeline.js';

export interface WaitSummary {
  readonly pods: number;
  readonly started: number;
  readonly neverStarted: number;
  readonly meanWaitS: number;
  readonly p50WaitS: number;
  readonly p99WaitS: number;
  readonly evictions: number;
}

export interface ReplayResult {
  readonly policy: string;
  readonly mode: 'replay';
  readonly seeds: readonly number[];
  readonly totalGpus: number;
  readonly meanAllocatedPct: number;
  readonly meanFragRatioPct: number;
  readonly waits: WaitSummary;
  readonly points: readonly TimelinePoint[];
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

/** Wait statistics over pods (all seeds pooled). */
export function summarizeWaits(outcomes: readonly { started: boolean; waitS: number; evictions: number }[]): WaitSummary {
  const startedWaits = outcomes.filter((o) => o.started).map((o) => o.waitS).sort((a, b) => a - b);
  return {
    pods: outcomes.length,
    started: startedWaits.length,
    neverStarted: outcomes.length - startedWaits.length,
    meanWaitS: startedWaits.length > 0 ? startedWaits.reduce((s, w) => s + w, 0) / startedWaits.length : 0,
    p50WaitS: quantile(startedWaits, 0.5),
    p99WaitS: quantile(startedWaits, 0.99),
    evictions: outcomes.reduce((s, o) => s + o.evictions, 0),
  };
}

/** Point-by-point mean of several runs' timeline points. */
export function meanTimeline(runs: readonly TimelineResult[]): TimelinePoint[] {
  const first = runs[0]?.points ?? [];
  return first.map((p, i) => {
    const avg = (f: (q: TimelinePoint) => number) => runs.reduce((s, r) => s + f(r.points[i] as TimelinePoint), 0) / runs.length;
    return { timePct: p.timePct, allocatedPct: avg((q) => q.allocatedPct), fragPct: avg((q) => q.fragPct), fragRatioPct: avg((q) => q.fragRatioPct), waiting: avg((q) => q.waiting) };
  });
}

export function simulateReplay(options: { nodes: readonly NodeSpec[]; pods: readonly TracePod[]; policy: string; seeds: readonly number[]; load?: number }): ReplayResult {
  const runs = options.seeds.map((seed) => runTimeline({ nodes: options.nodes, pods: options.pods, policy: options.policy, seed, ...(options.load ? { load: options.load } : {}) }));
  return {
    policy: options.policy,
    mode: 'replay',
    seeds: [...options.seeds],
    totalGpus: runs[0]?.totalGpus ?? 0,
    meanAllocatedPct: runs.reduce((s, r) => s + r.meanAllocatedPct, 0) / Math.max(1, runs.length),
    meanFragRatioPct: runs.reduce((s, r) => s + r.meanFragRatioPct, 0) / Math.max(1, runs.length),
    waits: summarizeWaits(runs.flatMap((r) => r.outcomes)),
    points: meanTimeline(runs),
  };
}
