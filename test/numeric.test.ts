/** src/numeric.ts: the one copy of the rounding and order statistics the SDK, demo and bench share. */
import { describe, expect, it } from 'vitest';
import { median, quantile, roundHalfEven } from '../src/numeric';

describe('roundHalfEven', () => {
  it("rounds as Python 3's round() does: ties to the even neighbour", () => {
    // Python 3.11: [round(x) for x in (0.5, 1.5, 2.5, 3.5, -0.5, -1.5, -2.5, 2.4999, 2.5001, 7)]
    const xs = [0.5, 1.5, 2.5, 3.5, -0.5, -1.5, -2.5, 2.4999, 2.5001, 7];
    expect(xs.map(roundHalfEven)).toEqual([0, 2, 2, 4, -0, -2, -2, 2, 3, 7]);
  });

  it('is exact on the ties width quantization meets (round(w / 8) · 8) and on large integers', () => {
    expect(roundHalfEven(52 / 8) * 8).toBe(48); // 6.5 → 6
    expect(roundHalfEven(60 / 8) * 8).toBe(64); // 7.5 → 8
    expect(roundHalfEven(2 ** 53 + 2)).toBe(2 ** 53 + 2);
  });
});

describe('quantile and median', () => {
  // numpy 1.24: np.percentile([1, 2, 3, 4], [50, 95]) = 2.5, 3.85; np.median of the odd list = 3.
  it("interpolate between order statistics as numpy's default does", () => {
    expect(quantile([4, 1, 3, 2], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4], 0.95)).toBeCloseTo(3.85, 12);
    expect(quantile([7], 0.95)).toBe(7);
    expect(median([5, 3, 1, 4, 2])).toBe(3);
    expect(median([10, 20])).toBe(15);
  });

  it('leaves the input in its order', () => {
    const input = [3, 1, 2];
    expect(quantile(input, 0)).toBe(1);
    expect(input).toEqual([3, 1, 2]);
  });

  it('rejects an empty list and a q outside [0, 1], naming the value', () => {
    expect(() => quantile([], 0.5)).toThrow(/no values/);
    expect(() => quantile([1], 1.5)).toThrow(/q is 1.5: expected 0 ≤ q ≤ 1/);
    expect(() => quantile([1], 95)).toThrow(/q is 95/);
    expect(() => quantile([1], NaN)).toThrow(/q is NaN/);
  });
});
