import { describe, expect, it } from 'vitest';
import { SlidingWindow, fpsFromLatency, rateFps, summarize } from '../../demo/lib/stats';
import { quantile } from '../../src/numeric';

// Expected values computed independently with numpy 1.24 (np.percentile, default 'linear').
const samples = [12.5, 9.0, 11.0, 30.0, 10.0, 10.5, 9.5, 12.0, 11.5, 10.0];

describe('quantile and summarize', () => {
  it('match numpy.percentile on a latency series with an outlier', () => {
    const s = summarize(samples);
    expect(s).not.toBeNull();
    expect(s?.median).toBeCloseTo(10.75, 12);
    expect(s?.p95).toBeCloseTo(22.125, 10);
    expect(s?.mean).toBeCloseTo(12.6, 12);
    expect(s).toMatchObject({ count: 10, last: 10.0, min: 9.0, max: 30.0 });
  });

  it('interpolates between ranks on an even count', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4], 0.95)).toBeCloseTo(3.85, 12);
    expect(quantile([7], 0.95)).toBe(7);
  });

  it('does not reorder its input and returns null without samples', () => {
    const input = [3, 1, 2];
    summarize(input);
    expect(input).toEqual([3, 1, 2]);
    expect(summarize([])).toBeNull();
  });
});

describe('frame rates', () => {
  it('counts intervals over the span between completions', () => {
    // 5 completions 40 ms apart = 4 intervals in 160 ms = 25 fps.
    expect(rateFps([1000, 1040, 1080, 1120, 1160])).toBeCloseTo(25, 12);
    expect(rateFps([1000])).toBeNull();
    expect(rateFps([5, 5])).toBeNull();
  });

  it('turns a latency into back-to-back throughput', () => {
    expect(fpsFromLatency(20)).toBe(50);
  });
});

describe('SlidingWindow', () => {
  it('keeps only the most recent samples', () => {
    const w = new SlidingWindow(4);
    [50, 10, 20, 30, 40].forEach((ms, i) => w.push(ms, 100 * (i + 1)));
    expect(w.size).toBe(4);
    const s = w.summary();
    // Window = [10, 20, 30, 40] completed at 200..500 ms: 3 intervals in 300 ms.
    expect(s?.median).toBe(25);
    expect(s?.last).toBe(40);
    expect(s?.max).toBe(40);
    expect(s?.fps).toBeCloseTo(10, 12);
  });

  it('is empty after clear and refuses a bad capacity', () => {
    const w = new SlidingWindow(3);
    w.push(1, 1);
    w.clear();
    expect(w.summary()).toBeNull();
    expect(() => new SlidingWindow(0)).toThrow(/capacity must be a positive integer, got 0/);
  });
});
