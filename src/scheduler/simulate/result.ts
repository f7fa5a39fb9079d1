/**
 * The result of a multi-seed paper-mode run, in the shape the CLI contract prints with --json:
 * `{ policy, seeds, totalGpus, points: [{ arrivedPct, allocatedPct, unallocatedPct, fragPct,
 * fragRatioPct }] }`, points at whole arrived percentages 0–130, each the mean over the seeds.
 */
import type { Demand, NodeSpec } from '../model.js';
import { runPaperSeed } from './paper.js';
import { meanPoints, pointsOfRun, type Point } from './series.js';

export interface PaperResult {
  readonly policy: string;
  readonly seeds: readonly number[];
  readonly totalGpus: number;
  readonly points: readonly Point[];
  /** Demands placed and refused, summed over the seeds (not part of the CLI's JSON contract). */
  readonly scheduled: number;
  readonly failed: number;
}

export interface PaperOptions {
  readonly nodes: readonly NodeSpec[];
  readonly workload: readonly Demand[];
  readonly policy: string;
  readonly seeds: readonly number[];
  readonly inflation?: number;
}

export function simulatePaper(options: PaperOptions): PaperResult {
  const runs: Point[][] = [];
  let scheduled = 0;
  let failed = 0;
  let totalMilli = 0;
  for (const seed of options.seeds) {
    const series = runPaperSeed({ nodes: options.nodes, workload: options.workload, policy: options.policy, seed, ...(options.inflation ? { inflation: options.inflation } : {}) });
    totalMilli = series.totalMilli;
    scheduled += series.scheduled;
    failed += series.failed;
    runs.push(pointsOfRun(series, 130));
  }
  return { policy: options.policy, seeds: [...options.seeds], totalGpus: totalMilli / 1000, points: meanPoints(runs), scheduled, failed };
}

/** The CLI's JSON object (exactly the contract's keys). NaN (no event near a percentage) becomes null. */
export function paperJson(result: PaperResult): object {
  const num = (v: number): number | null => (Number.isFinite(v) ? Math.round(v * 10000) / 10000 : null);
  return {
    policy: result.policy,
    seeds: result.seeds,
    totalGpus: result.totalGpus,
    points: result.points.map((p) => ({
      arrivedPct: p.arrivedPct,
      allocatedPct: num(p.allocatedPct),
      unallocatedPct: num(p.unallocatedPct),
      fragPct: num(p.fragPct),
      fragRatioPct: num(p.fragRatioPct),
    })),
  };
}
