/**
 * Min–max normalization to the integer range 0..100, with the integer arithmetic of the
 * simulator's NormalizeScore (plugin_utils.go): (s - lowest) * 100 / (highest - lowest), truncated;
 * all nodes score 0 when every score is equal.
 */
export function normalizeToHundred(scores: Float64Array, count: number): void {
  let hi = -Infinity;
  let lo = Infinity;
  for (let j = 0; j < count; j++) {
    const s = scores[j] as number;
    if (s > hi) hi = s;
    if (s < lo) lo = s;
  }
  const range = hi - lo;
  for (let j = 0; j < count; j++) {
    scores[j] = range === 0 ? 0 : Math.trunc((((scores[j] as number) - lo) * 100) / range);
  }
}
