/** Seeded test data: the same inputs on every run, so a failure reproduces. */
export function randomArray(length: number, seed: number, scale = 1): Float32Array {
  let state = seed >>> 0 || 1;
  const next = (): number => {
    // mulberry32
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = (next() * 2 - 1) * scale;
  return out;
}

/**
 * Largest violation of |actual − expected| ≤ atol + rtol·|expected|, as a ratio (≤ 1
 * passes), with the index where it happens: one number to assert, one place to look.
 */
export function closeness(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rtol = 1e-4,
  atol = 1e-5,
): { worst: number; index: number; actual: number; expected: number } {
  if (actual.length !== expected.length)
    throw new Error(`length ${actual.length} != ${expected.length}`);
  let worst = 0;
  let index = -1;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    const ratio = Number.isNaN(a) ? Infinity : Math.abs(a - e) / (atol + rtol * Math.abs(e));
    if (ratio > worst || index < 0) {
      worst = ratio;
      index = i;
    }
  }
  return { worst, index, actual: actual[index] ?? NaN, expected: expected[index] ?? NaN };
}
