/**
 * Data-free bias correction of quantized weights (Nagel et al., "Data-Free Quantization
 * Through Weight Equalization and Bias Correction", ICCV 2019).
 *
 * A quantized weight W + ΔW shifts each output channel's mean by ΔW·E[x], the same at
 * every position and for every image: global pooling does not average it away, and the
 * classifier reads it as a change of the features. Subtracting ΔW·E[x] from the bias
 * removes it for free (biases are stored anyway). E[x], the mean of each conv's input
 * per channel, comes without data from the batch norms that the converter folds: on the
 * data a network was trained on, the output of a conv + batch norm has per channel the
 * mean β and the standard deviation |γ| (its `PreActivation`). This module carries those
 * through the spec's blocks and activations, as Gaussians, to the mean of every conv's
 * and the classifier's input.
 */
import type { Activation, BlockSpec, ConvSpec, NetworkSpec } from '../models/spec';
import { blockConvs } from '../models/spec';

/** Per output channel: the mean and standard deviation of a conv's output before its activation. */
export interface PreActivation {
  mean: Float32Array | Float64Array;
  std: Float32Array | Float64Array;
}

/** Keyed by conv name: what batch norm says of every conv that has one. */
export type PreActivationStatistics = Map<string, PreActivation>;

/** Per-channel mean and variance of a feature map. */
interface Moments {
  mean: Float64Array;
  variance: Float64Array;
}

const SQRT2 = Math.SQRT2;
const normalPdf = (z: number) => Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
const normalCdf = (z: number) => 0.5 * erfc(-z / SQRT2);

/** erfc with relative error < 1.2e-7 (Numerical Recipes' erfcc). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t *
                              (-1.13520398 +
                                t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
const silu = (v: number) => v * sigmoid(v);

/** z and weights of Simpson's rule over ±8 standard deviations of a unit normal. */
const QUADRATURE = (() => {
  const n = 160;
  const h = 16 / n;
  return Array.from({ length: n + 1 }, (_, k) => {
    const z = -8 + k * h;
    const w = ((k === 0 || k === n ? 1 : k % 2 ? 4 : 2) * h) / 3;
    return { z, w: w * normalPdf(z) };
  });
})();

/** E[f(y)] and E[f(y)²] for y ~ N(m, s²). */
function gaussianMoments(f: (v: number) => number, m: number, s: number): [number, number] {
  if (!(s > 0)) return [f(m), f(m) ** 2];
  let e = 0;
  let e2 = 0;
  for (const { z, w } of QUADRATURE) {
    const v = f(m + s * z);
    e += w * v;
    e2 += w * v * v;
  }
  return [e, e2];
}

/** Mean and variance, per channel, of act(y) for y with the given per-channel Gaussian moments. */
function activate(y: Moments, act: Activation): Moments {
  if (act === 'linear') return y;
  const n = y.mean.length;
  const out: Moments = { mean: new Float64Array(n), variance: new Float64Array(n) };
  for (let c = 0; c < n; c++) {
    const m = y.mean[c]!;
    const s = Math.sqrt(Math.max(0, y.variance[c]!));
    let e: number;
    let e2: number;
    if (act === 'relu') {
      if (s > 0) {
        const a = m / s;
        e = m * normalCdf(a) + s * normalPdf(a);
        e2 = (m * m + s * s) * normalCdf(a) + m * s * normalPdf(a);
      } else [e, e2] = [Math.max(0, m), Math.max(0, m) ** 2];
    } else [e, e2] = gaussianMoments(act === 'silu' ? silu : sigmoid, m, s);
    out.mean[c] = e;
    out.variance[c] = Math.max(0, e2 - e * e);
  }
  return out;
}

/** A weight's float32 values in the runtime layout. */
export type WeightValues = (name: string) => Float32Array;

/** W·m + b per output channel for an input that is `m` everywhere (runtime layout, any conv kind). */
function affineOfMean(
  conv: ConvSpec,
  w: Float32Array,
  b: Float32Array,
  m: Float64Array,
): Float64Array {
  const out = Float64Array.from(b);
  const inPerGroup = conv.inChannels / conv.groups;
  const outPerGroup = conv.outChannels / conv.groups;
  const taps = conv.kernel * conv.kernel;
  for (let t = 0; t < taps; t++) {
    for (let i = 0; i < inPerGroup; i++) {
      for (let o = 0; o < conv.outChannels; o++) {
        const input = Math.floor(o / outPerGroup) * inPerGroup + i;
        out[o] = out[o]! + w[(t * inPerGroup + i) * conv.outChannels + o]! * m[input]!;
      }
    }
  }
  return out;
}

/**
 * The mean of every conv's input and of the classifier's, per input channel, keyed by
 * weight tensor name: carried from the image (mean 0: the preprocessing normalizes with
 * the data's mean) through each conv's `PreActivation` and activation as a Gaussian per
 * channel. Squeeze-excitation gates are taken at the mean input. Throws naming a conv
 * with batch norm that `statistics` lacks.
 */
export function inputMeans(
  spec: NetworkSpec,
  statistics: PreActivationStatistics,
  weight: WeightValues,
  bias: WeightValues,
): Map<string, Float64Array> {
  const means = new Map<string, Float64Array>();
  const preActivation = (conv: ConvSpec): Moments => {
    const s = statistics.get(conv.name);
    if (!s || s.mean.length !== conv.outChannels || s.std.length !== conv.outChannels) {
      throw new Error(
        `conv ${conv.name}: no batch-norm statistics for its ${conv.outChannels} output channels`,
      );
    }
    return { mean: Float64Array.from(s.mean), variance: Float64Array.from(s.std, (v) => v * v) };
  };
  /** Records the conv's input mean; returns its output's moments before activation. */
  const conv = (spec: ConvSpec, x: Moments): Moments => {
    means.set(`${spec.name}.weight`, x.mean);
    return preActivation(spec);
  };
  const run = (spec: ConvSpec, x: Moments) => activate(conv(spec, x), spec.act);
  const squeezeExcite = (block: BlockSpec, x: Moments): Moments => {
    const se = block.kind === 'mbconv' || block.kind === 'bottleneck' ? block.se : undefined;
    if (!se) return x;
    const at = (c: ConvSpec, m: Float64Array) => {
      means.set(`${c.name}.weight`, m);
      const y = affineOfMean(c, weight(`${c.name}.weight`), bias(`${c.name}.bias`), m);
      return activate({ mean: y, variance: new Float64Array(y.length) }, c.act).mean;
    };
    const gate = at(se.expand, at(se.reduce, x.mean));
    return {
      mean: x.mean.map((v, c) => v * gate[c]!),
      variance: x.variance.map((v, c) => v * gate[c]! ** 2),
    };
  };
  const sum = (a: Moments, b: Moments): Moments => ({
    mean: a.mean.map((v, c) => v + b.mean[c]!),
    variance: a.variance.map((v, c) => v + b.variance[c]!),
  });
  const channels = 3;
  let x: Moments = {
    mean: new Float64Array(channels),
    variance: new Float64Array(channels).fill(1),
  };
  for (const block of spec.blocks) {
    switch (block.kind) {
      case 'conv':
        x = run(block.conv, x);
        break;
      case 'dwsep':
        x = run(block.pointwise, run(block.depthwise, x));
        break;
      case 'mbconv': {
        const e = block.expand ? run(block.expand, x) : x;
        const d = squeezeExcite(block, run(block.depthwise, e));
        const p = conv(block.project, d);
        x = block.residual ? sum(p, x) : p;
        break;
      }
      case 'bottleneck': {
        const b = squeezeExcite(block, run(block.b, run(block.a, x)));
        const c = conv(block.c, b);
        const shortcut = block.shortcut ? conv(block.shortcut, x) : x;
        x = activate(sum(c, shortcut), 'relu');
        break;
      }
    }
  }
  means.set(`${spec.classifier.name}.weight`, x.mean);
  return means;
}

/** A conv or the classifier: what `correctedBias` needs of a layer. */
export type Layer = ConvSpec | { inFeatures: number; outFeatures: number };

const asConv = (layer: Layer): ConvSpec =>
  'inFeatures' in layer
    ? {
        name: '',
        inChannels: layer.inFeatures,
        outChannels: layer.outFeatures,
        kernel: 1,
        stride: 1,
        groups: 1,
        act: 'linear',
        norm: { kind: 'bias' },
      }
    : layer;

/**
 * The bias of a layer whose weight `exact` is stored as `stored`, given its input's
 * mean: bias − (stored − exact)·mean per output channel.
 */
export function correctedBias(
  layer: Layer,
  exact: Float32Array,
  stored: Float32Array,
  bias: Float32Array,
  mean: Float64Array,
): Float32Array {
  const error = Float32Array.from(stored, (v, i) => v - exact[i]!);
  const conv = asConv(layer);
  const shift = affineOfMean(conv, error, new Float32Array(conv.outChannels), mean);
  return Float32Array.from(bias, (b, o) => b - shift[o]!);
}

/** Every conv of the spec by weight name, and the classifier's. */
export function layersByWeight(spec: NetworkSpec): Map<string, Layer> {
  const out = new Map<string, Layer>();
  for (const conv of spec.blocks.flatMap(blockConvs)) out.set(`${conv.name}.weight`, conv);
  out.set(`${spec.classifier.name}.weight`, spec.classifier);
  return out;
}
