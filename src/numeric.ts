/**
 * Small numeric helpers with one algorithm each, shared by the SDK, the demo and the
 * benchmarks (pure: no tfjs, no DOM, no Node).
 */

/**
 * Python 3's `round()` (and numpy's, torch's): halves go to the even neighbour. The
 * reference implementations round this way when they size layers (pycls' RegNet widths)
 * and when they place a centre crop (torchvision's center_crop), so webnets must too.
 */
export function roundHalfEven(x: number): number {
  const r = Math.round(x); // halves up
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The q-quantile (0 ≤ q ≤ 1) by linear interpolation between order statistics (numpy's
 * default 'linear' method, Hyndman & Fan type 7), so a figure printed here is what
 * `numpy.percentile` gives on the same samples: p95 of 20 runs lies between the 19th and
 * 20th fastest. Does not reorder `values`.
 */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) throw new Error('quantile: no values');
  if (!(q >= 0 && q <= 1)) throw new Error(`quantile: q is ${q}: expected 0 ≤ q ≤ 1`);
  const sorted = [...values].sort((a, b) => a - b);
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const a = sorted[lo] as number;
  const b = sorted[Math.ceil(pos)] as number;
  return a + (b - a) * (pos - lo);
}

/** The median: the mean of the two middle values on an even count. */
export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}
