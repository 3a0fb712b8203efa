/**
 * Latency statistics: quantiles of timing samples, and a sliding window of the most
 * recent inferences for the live demo.
 */
import { quantile } from '../../src/numeric';

export interface LatencySummary {
  count: number;
  /** The most recent sample (last in the input order). */
  last: number;
  median: number;
  p95: number;
  mean: number;
  min: number;
  max: number;
}

/**
 * Summary of latency samples in ms (input order = time order); null when there are none.
 * Its quantiles are numpy.percentile's, so the pages' figures match an exported CSV's.
 */
export function summarize(samples: readonly number[]): LatencySummary | null {
  if (samples.length === 0) return null;
  const sorted = [...samples].sort((x, y) => x - y);
  return {
    count: samples.length,
    last: samples[samples.length - 1] as number,
    median: quantile(sorted, 0.5),
    p95: quantile(sorted, 0.95),
    mean: samples.reduce((s, v) => s + v, 0) / samples.length,
    min: sorted[0] as number,
    max: sorted[sorted.length - 1] as number,
  };
}

/**
 * Frames per second from completion timestamps (ms, ascending): intervals counted over
 * the span between the first and last completion. Null below two completions or a zero span.
 */
export function rateFps(timestampsMs: readonly number[]): number | null {
  if (timestampsMs.length < 2) return null;
  const span = (timestampsMs[timestampsMs.length - 1] as number) - (timestampsMs[0] as number);
  return span > 0 ? ((timestampsMs.length - 1) * 1000) / span : null;
}

/** Back-to-back throughput of one inference at a time: what a latency of `ms` allows. */
export function fpsFromLatency(ms: number): number {
  return ms > 0 ? 1000 / ms : Infinity;
}

export interface WindowSummary extends LatencySummary {
  /** Completed inferences per second over the window (null until two have completed). */
  fps: number | null;
}

/**
 * The last `capacity` inferences (latency and completion time). A fixed-size ring keeps
 * the live page's cost constant however long it runs.
 */
export class SlidingWindow {
  private readonly latencies: number[] = [];
  private readonly times: number[] = [];

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new Error(`SlidingWindow: capacity must be a positive integer, got ${capacity}`);
    }
  }

  /** Records one inference that took `latencyMs` and completed at `completedAtMs`. */
  push(latencyMs: number, completedAtMs: number): void {
    this.latencies.push(latencyMs);
    this.times.push(completedAtMs);
    if (this.latencies.length > this.capacity) {
      this.latencies.shift();
      this.times.shift();
    }
  }

  get size(): number {
    return this.latencies.length;
  }

  clear(): void {
    this.latencies.length = 0;
    this.times.length = 0;
  }

  summary(): WindowSummary | null {
    const s = summarize(this.latencies);
    return s && { ...s, fps: rateFps(this.times) };
  }
}
