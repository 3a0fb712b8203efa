/**
 * Which complexity measure predicts this device's latency? Ordinary least squares of
 * latency ≈ a·MACs + b·activations + c, as the RegNet paper (Radosavovic et al. 2020,
 * "Designing Network Design Spaces", §5) observes that GPU runtime follows activations
 * as well as flops.
 *
 * The intercept c is included: every inference pays a fixed cost whatever the network
 * (preprocessing the frame, uploading it, dispatching, reading the scores back), and on
 * WebGPU that cost is several ms. Forcing the fit through zero would push that cost into
 * the slopes and overstate how much the small models cost per MAC.
 */

/** One measured model: its complexity and median latency. */
export interface LatencySample {
  macs: number;
  activations: number;
  latencyMs: number;
}

export type Predictor = 'macs' | 'activations';

/** The fitted models the latency page compares, simplest first. */
export const PREDICTOR_SETS: readonly (readonly Predictor[])[] = [
  ['macs'],
  ['activations'],
  ['macs', 'activations'],
];

/** Predictors are scaled to readable units: coefficients are ms per GMAC / per M activations. */
const UNIT: Record<Predictor, number> = { macs: 1e9, activations: 1e6 };

export interface LatencyFit {
  predictors: readonly Predictor[];
  /** ms per 10⁹ MACs, ms per 10⁶ activations (absent when not a predictor). */
  a?: number;
  b?: number;
  /** Fixed cost per inference, ms. */
  c: number;
  n: number;
  /** Coefficient of determination on the fitted samples. */
  r2: number;
  /** Mean of |predicted − measured| / measured on the fitted samples. */
  meanRelativeError: number;
  /**
   * The same error when each model is predicted by a fit to the others (leave-one-out):
   * honest when there are few models, where in-sample error flatters the larger fit.
   * Null when leaving some model out makes the predictors collinear.
   */
  looRelativeError: number | null;
}

/**
 * Least-squares solution of `rows · x ≈ y` by Householder QR (stable where MACs and
 * activations are nearly collinear, unlike the normal equations). Columns are scaled to
 * unit max first; throws when the columns are linearly dependent.
 */
export function leastSquares(rows: readonly (readonly number[])[], y: readonly number[]): number[] {
  const m = rows.length;
  const k = rows[0]?.length ?? 0;
  if (m !== y.length) throw new Error(`leastSquares: ${m} rows but ${y.length} targets`);
  if (k === 0 || m < k) throw new Error(`leastSquares: need at least ${k} rows, got ${m}`);
  const scale = Array.from({ length: k }, (_, j) =>
    Math.max(...rows.map((r) => Math.abs(r[j] as number)), Number.MIN_VALUE),
  );
  const a = rows.map((r) => r.map((v, j) => v / (scale[j] as number)));
  const b = [...y];
  const at = (i: number, j: number): number => (a[i] as number[])[j] as number;
  for (let j = 0; j < k; j++) {
    let norm = 0;
    for (let i = j; i < m; i++) norm += at(i, j) ** 2;
    norm = Math.sqrt(norm);
    if (norm < 1e-12) throw new Error('leastSquares: the predictors are linearly dependent');
    const alpha = at(j, j) > 0 ? -norm : norm;
    const v = Array.from({ length: m - j }, (_, t) => at(j + t, j) - (t === 0 ? alpha : 0));
    const vv = v.reduce((s, x) => s + x * x, 0);
    const reflect = (get: (i: number) => number, set: (i: number, x: number) => void): void => {
      let dot = 0;
      for (let t = 0; t < v.length; t++) dot += (v[t] as number) * get(j + t);
      const f = (2 * dot) / vv;
      for (let t = 0; t < v.length; t++) set(j + t, get(j + t) - f * (v[t] as number));
    };
    for (let c = j; c < k; c++) {
      reflect(
        (i) => at(i, c),
        (i, x) => ((a[i] as number[])[c] = x),
      );
    }
    reflect(
      (i) => b[i] as number,
      (i, x) => (b[i] = x),
    );
  }
  const x = new Array<number>(k).fill(0);
  const diag = Math.max(...Array.from({ length: k }, (_, j) => Math.abs(at(j, j))));
  for (let j = k - 1; j >= 0; j--) {
    if (Math.abs(at(j, j)) < 1e-10 * diag) {
      throw new Error('leastSquares: the predictors are linearly dependent');
    }
    let s = b[j] as number;
    for (let c = j + 1; c < k; c++) s -= at(j, c) * (x[c] as number);
    x[j] = s / at(j, j);
  }
  return x.map((v, j) => v / (scale[j] as number));
}

function designRow(s: LatencySample, predictors: readonly Predictor[]): number[] {
  return [...predictors.map((p) => s[p] / UNIT[p]), 1];
}

function solve(samples: readonly LatencySample[], predictors: readonly Predictor[]): number[] {
  return leastSquares(
    samples.map((s) => designRow(s, predictors)),
    samples.map((s) => s.latencyMs),
  );
}

function predictWith(coef: readonly number[], s: LatencySample, p: readonly Predictor[]): number {
  return designRow(s, p).reduce((sum, v, i) => sum + v * (coef[i] as number), 0);
}

function relativeError(predicted: number, measured: number): number {
  return Math.abs(predicted - measured) / measured;
}

/** Minimum number of models a fit with these predictors needs (one more than unknowns). */
export function minimumSamples(predictors: readonly Predictor[]): number {
  return predictors.length + 2;
}

/**
 * Fits latency to the given predictors plus an intercept. Throws when there are fewer
 * than `minimumSamples(predictors)` samples (an exact fit through as many points as
 * unknowns says nothing) or the predictors are collinear on these samples.
 */
export function fitLatency(
  samples: readonly LatencySample[],
  predictors: readonly Predictor[],
): LatencyFit {
  const need = minimumSamples(predictors);
  if (samples.length < need) {
    throw new Error(
      `fitLatency: a fit on ${predictors.join(' + ')} needs at least ${need} models, got ${samples.length}`,
    );
  }
  for (const s of samples) {
    if (!(s.latencyMs > 0)) throw new Error(`fitLatency: latency must be > 0, got ${s.latencyMs}`);
  }
  const coef = solve(samples, predictors);
  const predicted = samples.map((s) => predictWith(coef, s, predictors));
  const mean = samples.reduce((sum, s) => sum + s.latencyMs, 0) / samples.length;
  const ssTot = samples.reduce((sum, s) => sum + (s.latencyMs - mean) ** 2, 0);
  const ssRes = samples.reduce(
    (sum, s, i) => sum + (s.latencyMs - (predicted[i] as number)) ** 2,
    0,
  );
  const mre =
    samples.reduce((sum, s, i) => sum + relativeError(predicted[i] as number, s.latencyMs), 0) /
    samples.length;
  const fit: LatencyFit = {
    predictors,
    c: coef[coef.length - 1] as number,
    n: samples.length,
    r2: ssTot > 0 ? 1 - ssRes / ssTot : ssRes === 0 ? 1 : 0,
    meanRelativeError: mre,
    looRelativeError: leaveOneOutError(samples, predictors),
  };
  predictors.forEach((p, i) => {
    if (p === 'macs') fit.a = coef[i] as number;
    else fit.b = coef[i] as number;
  });
  return fit;
}

/** Mean relative error of predicting each sample from a fit to all the others. */
function leaveOneOutError(
  samples: readonly LatencySample[],
  predictors: readonly Predictor[],
): number | null {
  let total = 0;
  for (let i = 0; i < samples.length; i++) {
    const rest = samples.filter((_, j) => j !== i);
    let coef: number[];
    try {
      coef = solve(rest, predictors);
    } catch {
      return null; // collinear without this sample: no honest estimate
    }
    const s = samples[i] as LatencySample;
    total += relativeError(predictWith(coef, s, predictors), s.latencyMs);
  }
  return total / samples.length;
}

/** The fit's latency estimate for a model, in ms. */
export function predictLatency(fit: LatencyFit, s: Omit<LatencySample, 'latencyMs'>): number {
  return (
    (fit.a ?? 0) * (s.macs / UNIT.macs) + (fit.b ?? 0) * (s.activations / UNIT.activations) + fit.c
  );
}
