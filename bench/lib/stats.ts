/**
 * The benchmarks' statistics: order statistics of latencies (src/numeric.ts, numpy's
 * 'linear' quantiles), ratios, throughput, and alternated timing of synchronous calls.
 */
import { median, quantile } from '../../src/numeric';

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

/**
 * Median ms of each of `calls`, timed in `rounds` rounds that alternate their order (A B, B A,
 * …), `reps` calls a turn, after `warmup` untimed rounds: the machine's drift between
 * minutes then hits every call alike. For synchronous work (tfjs' wasm backend).
 */
export function alternateSync(
  calls: (() => void)[],
  options: { rounds: number; reps?: number; warmup?: number },
): number[] {
  return alternateSyncTimes(calls, options).map((t) => median(t));
}

/** alternateSync's timings: per call, the ms of each round (a turn's mean). */
export function alternateSyncTimes(
  calls: (() => void)[],
  { rounds, reps = 1, warmup = 2 }: { rounds: number; reps?: number; warmup?: number },
): number[][] {
  const times = calls.map((): number[] => []);
  for (let r = -warmup; r < rounds; r++) {
    const order = calls.map((_, i) => i);
    if (r % 2 !== 0) order.reverse();
    for (const i of order) {
      const t0 = performance.now();
      for (let k = 0; k < reps; k++) calls[i]!();
      if (r >= 0) times[i]!.push((performance.now() - t0) / reps);
    }
  }
  return times;
}
