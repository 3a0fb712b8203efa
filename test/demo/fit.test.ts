import { describe, expect, it } from 'vitest';
import type { LatencySample } from '../../demo/lib/fit';
import { fitLatency, leastSquares, predictLatency } from '../../demo/lib/fit';

// Complexities from the RegNet paper's tables (flops = MACs, activations), with latencies
// shaped like a WASM measurement. Expected fits computed independently with numpy 1.24
// (np.linalg.lstsq on [GMACs, M activations, 1], leave-one-out by refitting).
const G = 1e9;
const M = 1e6;
const samples: LatencySample[] = [
  { macs: 0.2 * G, activations: 2.2 * M, latencyMs: 14.2 }, // RegNetX-200MF
  { macs: 0.4 * G, activations: 3.1 * M, latencyMs: 22.9 }, // RegNetX-400MF
  { macs: 0.6 * G, activations: 4.0 * M, latencyMs: 31.5 }, // RegNetX-600MF
  { macs: 0.8 * G, activations: 5.1 * M, latencyMs: 40.8 }, // RegNetX-800MF
  { macs: 0.4 * G, activations: 6.7 * M, latencyMs: 38.0 }, // EfficientNet-B0
  { macs: 0.7 * G, activations: 10.9 * M, latencyMs: 60.1 }, // EfficientNet-B1
  { macs: 1.0 * G, activations: 13.8 * M, latencyMs: 80.3 }, // EfficientNet-B2
];

describe('fitLatency', () => {
  it('fits MACs alone as numpy does', () => {
    const f = fitLatency(samples, ['macs']);
    expect(f.a).toBeCloseTo(72.54458598726114, 9);
    expect(f.b).toBeUndefined();
    expect(f.c).toBeCloseTo(-1.376114649681536, 9);
    expect(f.r2).toBeCloseTo(0.7728994932769492, 9);
    expect(f.meanRelativeError).toBeCloseTo(0.2247575113311687, 9);
    expect(f.looRelativeError).toBeCloseTo(0.3031422434629345, 9);
  });

  it('fits activations alone as numpy does', () => {
    const f = fitLatency(samples, ['activations']);
    expect(f.b).toBeCloseTo(5.1480117441021935, 9);
    expect(f.c).toBeCloseTo(7.431580302874215, 9);
    expect(f.r2).toBeCloseTo(0.9625813346155226, 9);
    expect(f.meanRelativeError).toBeCloseTo(0.11576568541195474, 9);
    expect(f.looRelativeError).toBeCloseTo(0.1578870469128967, 9);
  });

  it('fits MACs and activations together as numpy does', () => {
    const f = fitLatency(samples, ['macs', 'activations']);
    expect(f.a).toBeCloseTo(24.886487307691493, 8);
    expect(f.b).toBeCloseTo(3.9266971885029776, 8);
    expect(f.c).toBeCloseTo(0.8460958292897511, 8);
    expect(f.r2).toBeCloseTo(0.9993623780513855, 9);
    expect(f.meanRelativeError).toBeCloseTo(0.009551153340741081, 9);
    expect(f.looRelativeError).toBeCloseTo(0.01656236629597543, 9);
    expect(f.n).toBe(7);
  });

  it('recovers exact coefficients from noiseless data', () => {
    const exact = samples.map((s) => ({
      ...s,
      latencyMs: 30 * (s.macs / G) + 2 * (s.activations / M) + 5,
    }));
    const f = fitLatency(exact, ['macs', 'activations']);
    expect(f.a).toBeCloseTo(30, 9);
    expect(f.b).toBeCloseTo(2, 9);
    expect(f.c).toBeCloseTo(5, 9);
    expect(f.r2).toBeCloseTo(1, 12);
    expect(predictLatency(f, { macs: 2 * G, activations: 10 * M })).toBeCloseTo(85, 8);
  });

  it('refuses too few models, naming how many it needs', () => {
    expect(() => fitLatency(samples.slice(0, 3), ['macs', 'activations'])).toThrow(
      /macs \+ activations needs at least 4 models, got 3/,
    );
    expect(() => fitLatency(samples.slice(0, 2), ['macs'])).toThrow(/at least 3 models, got 2/);
  });

  it('refuses non-positive latencies', () => {
    const bad = samples.map((s, i) => (i === 2 ? { ...s, latencyMs: 0 } : s));
    expect(() => fitLatency(bad, ['macs'])).toThrow(/latency must be > 0, got 0/);
  });
});

describe('leastSquares', () => {
  it('reports collinear predictors instead of returning garbage', () => {
    // Second column = 2 × first: no unique solution.
    expect(() =>
      leastSquares(
        [
          [1, 2, 1],
          [2, 4, 1],
          [3, 6, 1],
          [4, 8, 1],
        ],
        [1, 2, 3, 4],
      ),
    ).toThrow(/linearly dependent/);
  });

  it('solves a square system exactly', () => {
    // x + y = 3, x − y = 1 → x = 2, y = 1
    const x = leastSquares(
      [
        [1, 1],
        [1, -1],
      ],
      [3, 1],
    );
    expect(x[0]).toBeCloseTo(2, 12);
    expect(x[1]).toBeCloseTo(1, 12);
  });
});
