/** The benchmark's statistics: order statistics of latencies, ratios, throughput. */

/**
 * The q-quantile (0 ≤ q ≤ 1) with linear interpolation between order statistics
 * (numpy's default, 'linear'): p95 of 20 runs lies between the 19th and 20th fastest.
 */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) throw new Error('quantile: no values');
  if (!(q >= 0 && q <= 1)) throw new Error(`quantile: q is ${q}: expected 0 ≤ q ≤ 1`);
  const sorted = [...values].sort((a, b) => a - b);
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (pos - lo);
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

export function p95(values: readonly number[]): number {
  return quantile(values, 0.95);
}

/** webnets time over ORT time: below 1 means webnets is faster (0.5 = twice as fast). */
export function ratio(numerator: number, denominator: number): number {
  return numerator / denominator;
}

/**
 * Per-round ratios a[i] / b[i] of two sides timed back to back in each round, as
 * median and interquartile range. The machine's speed drifts more between minutes than
 * between the two runs of a round, so these show how much one ratio can be trusted.
 * Null when the rounds do not pair up.
 */
export function pairedRatios(
  a: readonly number[],
  b: readonly number[],
): { q25: number; median: number; q75: number } | null {
  if (a.length === 0 || a.length !== b.length) return null;
  const ratios = a.map((x, i) => x / (b[i] as number));
  return { q25: quantile(ratios, 0.25), median: median(ratios), q75: quantile(ratios, 0.75) };
}

/** Achieved GFLOP/s: 2 FLOPs per multiply-accumulate, over the latency. */
export function gflops(macs: number, ms: number): number {
  return (2 * macs) / (ms * 1e6);
}
