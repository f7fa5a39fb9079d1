/**
 * What a simulation records after each demand, and how the per-demand series become the points
 * the CLI prints: one point per whole arrived percentage, as the FGD artefact's merge scripts do
 * (events are bucketed by arrived % rounded half-to-even; an empty bucket borrows its ±1 neighbours;
 * allocated % is rounded to 2 decimals per event before averaging).
 */

export interface RunSeries {
  readonly totalMilli: number;
  /** Per event (demand attempted), in milli-units of accelerator. */
  readonly arrivedMilli: Float64Array;
  readonly usedMilli: Float64Array;
  readonly fragMilli: Float64Array;
  readonly idleMilli: Float64Array;
  readonly scheduled: number;
  readonly failed: number;
}

export interface Point {
  readonly arrivedPct: number;
  readonly allocatedPct: number;
  readonly unallocatedPct: number;
  readonly fragPct: number;
  readonly fragRatioPct: number;
}

/** Python's round(): half to even. */
function roundHalfEven(x: number, digits = 0): number {
  const f = 10 ** digits;
  const y = x * f;
  const r = Math.round(y);
  const isHalf = Math.abs(y - Math.trunc(y)) === 0.5;
  return (isHalf && r % 2 !== 0 ? r - 1 : r) / f;
}

interface Bucket {
  alloc: number;
  frag: number;
  ratio: number;
  n: number;
}

function bucketsOf(series: RunSeries, maxPct: number): Bucket[] {
  const buckets: Bucket[] = Array.from({ length: maxPct + 1 }, () => ({ alloc: 0, frag: 0, ratio: 0, n: 0 }));
  const total = series.totalMilli;
  for (let e = 0; e < series.arrivedMilli.length; e++) {
    const pct = roundHalfEven(((series.arrivedMilli[e] as number) / total) * 100);
    if (pct < 0 || pct > maxPct) continue;
    const b = buckets[pct] as Bucket;
    b.alloc += roundHalfEven(((series.usedMilli[e] as number) / total) * 100, 2);
    b.frag += ((series.fragMilli[e] as number) / total) * 100;
    const idle = series.idleMilli[e] as number;
    b.ratio += idle > 0 ? ((series.fragMilli[e] as number) / idle) * 100 : 0;
    b.n++;
  }
  return buckets;
}

/** Points 0..maxPct of one run (NaN where no event is within ±1 of the percentage). */
export function pointsOfRun(series: RunSeries, maxPct = 130): Point[] {
  const buckets = bucketsOf(series, maxPct + 1);
  const points: Point[] = [];
  for (let pct = 0; pct <= maxPct; pct++) {
    let b = buckets[pct] as Bucket;
    if (b.n === 0) {
      b = { alloc: 0, frag: 0, ratio: 0, n: 0 };
      for (const k of [pct - 1, pct, pct + 1]) {
        const nb = buckets[k];
        if (!nb) continue;
        b.alloc += nb.alloc;
        b.frag += nb.frag;
        b.ratio += nb.ratio;
        b.n += nb.n;
      }
    }
    const allocatedPct = b.n > 0 ? roundHalfEven(b.alloc / b.n, 2) : NaN;
    points.push({
      arrivedPct: pct,
      allocatedPct,
      unallocatedPct: 100 - allocatedPct,
      fragPct: b.n > 0 ? b.frag / b.n : NaN,
      fragRatioPct: b.n > 0 ? b.ratio / b.n : NaN,
    });
  }
  return points;
}

/** Mean of several runs' points, point by point (NaN entries are skipped). */
export function meanPoints(runs: readonly Point[][]): Point[] {
  const first = runs[0] ?? [];
  return first.map((p, i) => {
    const avg = (pick: (q: Point) => number): number => {
      let sum = 0;
      let n = 0;
      for (const run of runs) {
        const v = pick(run[i] as Point);
        if (!Number.isNaN(v)) {
          sum += v;
          n++;
        }
      }
      return n > 0 ? sum / n : NaN;
    };
    const allocatedPct = avg((q) => q.allocatedPct);
    return {
      arrivedPct: p.arrivedPct,
      allocatedPct,
      unallocatedPct: 100 - allocatedPct,
      fragPct: avg((q) => q.fragPct),
      fragRatioPct: avg((q) => q.fragRatioPct),
    };
  });
}
