/**
 * Seeded weights with the statistics of trained, batch-norm-folded ConvNets, for measuring
 * what quantization does to networks whose real checkpoints are not at hand (EfficientNet,
 * RegNet). What matters to a quantizer, and plain random weights lack:
 *
 * - batch norm that matches the data: every conv followed by batch norm is folded with the
 *   per-channel mean and standard deviation its output really has on calibration images
 *   (as running statistics are in a trained network), then scaled by γ and shifted by β.
 *   Without this a deep random network's activations drift to a large common offset, its
 *   features hardly differ between images, and the smallest weight change flips its
 *   answers (float16 alone then moved B0's probabilities by up to 0.95);
 * - heavy tails: raw values from a Student t with 4 degrees of freedom (the FD-MobileNet
 *   checkpoints' 1×1 convs have per-channel kurtosis 4–7 and peak/rms 3–4);
 * - output channels of very different scales: γ log-normal (σ 0.6), 2% near-dead channels
 *   (γ 10⁻³), residual branches ending at a quarter of the gain;
 * - one-signed depthwise filters (blurs): a per-channel mean of ±0.8 of the spread;
 * - channels whose output hardly varies get a proportionally smaller γ;
 * - β of N(0, 0.7)·γ, squeeze-excitation gates biased open (expand bias N(1, 0.5));
 * - a classifier that reads how an image's features differ from the average image's,
 *   with logits spread like a trained one's (standard deviation 4 over images and classes;
 *   the FD-MobileNet checkpoints give 2.9–5.4 on the test photos).
 *
 * The calibration forward pass is plain tfjs (TF-style 'same' padding: statistics only).
 * Each raw tensor depends only on (seed, tensor name). Tools only: not part of the SDK.
 */
import type { SourceTensor } from '../../src/convert/state-dict';
import type { Activation, ConvSpec, NetworkSpec, SqueezeExciteSpec } from '../../src/models/spec';
import { blockConvs, convKind, convWeightShape } from '../../src/models/spec';
import { tf } from '../../src/tf';
import type { PreActivationStatistics } from '../../src/weights/bias-correction';

/** FNV-1a of the name, mixed with the seed. */
function hashSeed(name: string, seed: number): number {
  let h = 0x811c9dc5 ^ seed;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** A seeded source of uniform, normal and Student-t numbers (mulberry32 + Box–Muller). */
export function random(name: string, seed: number) {
  let state = hashSeed(name, seed);
  const uniform = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  /** Student t, ν = 4, scaled to unit variance (its variance is ν/(ν−2) = 2). */
  const t4 = () => {
    let chi2 = 0;
    for (let k = 0; k < 4; k++) chi2 += normal() ** 2;
    return normal() / Math.sqrt(chi2 / 4) / Math.SQRT2;
  };
  return { uniform, normal, t4 };
}

/** Raw (unnormalized) weight, γ and β of a conv; for convs with their own bias, the bias as β. */
interface RawConv {
  weight: Float32Array;
  gamma: Float32Array;
  beta: Float32Array;
}

function rawConv(conv: ConvSpec, residualLast: boolean, seed: number): RawConv {
  const shape = convWeightShape(conv);
  const rng = random(`${conv.name}.weight`, seed);
  const channels = conv.outChannels;
  const size = shape.reduce((a, b) => a * b, 1);
  const depthwise = convKind(conv) === 'depthwise';
  const std = Math.sqrt(2 / (size / channels));
  const mean = Float64Array.from({ length: channels }, () => (depthwise ? 0.8 * rng.normal() : 0));
  const weight = new Float32Array(size);
  // Runtime layout: the output channel is the fastest axis ([k,k,I,O] and [k,k,C,1]).
  for (let i = 0; i < size; i++) weight[i] = (mean[i % channels]! + rng.t4()) * std;
  const g = random(`${conv.name}.bias`, seed);
  if (conv.norm.kind === 'bias') {
    const se = conv.act === 'sigmoid';
    return {
      weight,
      gamma: new Float32Array(channels).fill(1),
      beta: Float32Array.from({ length: channels }, () =>
        se ? 1 + 0.5 * g.normal() : 0.1 * g.normal(),
      ),
    };
  }
  const gamma = Float32Array.from({ length: channels }, () =>
    g.uniform() < 0.02 ? 1e-3 : Math.exp(0.6 * g.normal() - 0.18) * (residualLast ? 0.25 : 1),
  );
  const beta = gamma.map((v) => 0.7 * v * g.normal());
  return { weight, gamma, beta };
}

function act(x: tf.Tensor4D, a: Activation): tf.Tensor4D {
  switch (a) {
    case 'linear':
      return x;
    case 'relu':
      return tf.relu(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'silu':
      return tf.mul(x, tf.sigmoid(x));
  }
}

/** conv(x, w) without bias, any group count. */
function convolve(x: tf.Tensor4D, conv: ConvSpec, w: Float32Array): tf.Tensor4D {
  const shape = convWeightShape(conv) as [number, number, number, number];
  const filter = tf.tensor4d(w, shape);
  const stride = conv.stride;
  if (convKind(conv) === 'depthwise') return tf.depthwiseConv2d(x, filter, stride, 'same');
  if (conv.groups === 1) return tf.conv2d(x, filter, stride, 'same');
  const xs = tf.split(x, conv.groups, 3);
  const ws = tf.split(filter, conv.groups, 3);
  return tf.concat(
    xs.map((xi, i) => tf.conv2d(xi as tf.Tensor4D, ws[i] as tf.Tensor4D, stride, 'same')),
    3,
  );
}

/**
 * Runs one conv on the calibration batch and sets its folded weight and bias in `out`:
 * batch norm with the output's own per-channel mean and deviation, γ and β.
 */
function calibrateConv(
  x: tf.Tensor4D,
  conv: ConvSpec,
  raw: RawConv,
  out: Map<string, SourceTensor>,
  statistics?: PreActivationStatistics,
): tf.Tensor4D {
  const channels = conv.outChannels;
  const weight = raw.weight.slice();
  const bias = raw.beta.slice();
  if (conv.norm.kind === 'bn') {
    const { mean, variance } = tf.tidy(() => tf.moments(convolve(x, conv, raw.weight), [0, 1, 2]));
    const mu = mean.dataSync();
    const sd = variance.dataSync().map((v) => Math.sqrt(v + 1e-5));
    tf.dispose([mean, variance]);
    // A channel whose output hardly varies carries no signal: training shrinks its γ in
    // proportion (weight decay), so its folded weights do not blow up by 1/σ.
    const typical = [...sd].sort((a, b) => a - b)[sd.length >> 1]!;
    const scale = raw.gamma.map((g, c) => (g * Math.min(1, sd[c]! / typical)) / sd[c]!);
    for (let i = 0; i < weight.length; i++) weight[i] = weight[i]! * scale[i % channels]!;
    for (let c = 0; c < channels; c++) bias[c] = raw.beta[c]! - mu[c]! * scale[c]!;
    // As a trained network's batch norm says them: the output's mean β and deviation γ.
    statistics?.set(conv.name, { mean: raw.beta, std: scale.map((s, c) => s * sd[c]!) });
  }
  out.set(`${conv.name}.weight`, { shape: convWeightShape(conv), data: weight });
  out.set(`${conv.name}.bias`, { shape: [channels], data: bias });
  return tf.tidy(() =>
    act(tf.add(convolve(x, conv, weight), tf.tensor1d(bias)) as tf.Tensor4D, conv.act),
  );
}

function squeezeExcite(
  x: tf.Tensor4D,
  se: SqueezeExciteSpec,
  raws: Map<string, RawConv>,
  out: Map<string, SourceTensor>,
): tf.Tensor4D {
  const pooled = tf.mean(x, [1, 2], true) as tf.Tensor4D;
  const reduced = calibrateConv(pooled, se.reduce, raws.get(se.reduce.name)!, out);
  const gate = calibrateConv(reduced, se.expand, raws.get(se.expand.name)!, out);
  const y = tf.mul(x, gate) as tf.Tensor4D;
  tf.dispose([pooled, reduced, gate]);
  return y;
}

/**
 * Trained-like weights for `spec`, batch norm calibrated on `inputs` (preprocessed NHWC
 * images), the classifier set by `calibrateClassifier` on their pooled features.
 * `statistics`, if given, receives each batch norm's β and γ by conv name.
 */
export function trainedLikeWeights(
  spec: NetworkSpec,
  inputs: tf.Tensor4D[],
  seed = 0,
  statistics?: PreActivationStatistics,
): Map<string, SourceTensor> {
  const raws = new Map<string, RawConv>();
  for (const block of spec.blocks) {
    const last =
      block.kind === 'mbconv' && block.residual
        ? block.project
        : block.kind === 'bottleneck'
          ? block.c
          : undefined;
    for (const conv of blockConvs(block)) raws.set(conv.name, rawConv(conv, conv === last, seed));
  }
  const out = new Map<string, SourceTensor>();
  let x = tf.concat(inputs, 0);
  for (const block of spec.blocks) {
    const run = (h: tf.Tensor4D, conv: ConvSpec) =>
      calibrateConv(h, conv, raws.get(conv.name)!, out, statistics);
    const next = ((): tf.Tensor4D => {
      switch (block.kind) {
        case 'conv':
          return run(x, block.conv);
        case 'dwsep': {
          const h = run(x, block.depthwise);
          const y = run(h, block.pointwise);
          h.dispose();
          return y;
        }
        case 'mbconv': {
          const e = block.expand ? run(x, block.expand) : x;
          const d = run(e, block.depthwise);
          const s = block.se ? squeezeExcite(d, block.se, raws, out) : d;
          const p = run(s, block.project);
          const y = block.residual ? (tf.add(p, x) as tf.Tensor4D) : p;
          tf.dispose([e, d, s, p].filter((t) => t !== x && t !== y));
          return y;
        }
        case 'bottleneck': {
          const a = run(x, block.a);
          const b = run(a, block.b);
          const s = block.se ? squeezeExcite(b, block.se, raws, out) : b;
          const c = run(s, block.c);
          const shortcut = block.shortcut ? run(x, block.shortcut) : x;
          const y = tf.relu(tf.add(c, shortcut)) as tf.Tensor4D;
          tf.dispose([a, b, s, c, shortcut].filter((t) => t !== x));
          return y;
        }
      }
    })();
    x.dispose();
    x = next;
  }
  const pooled = tf.mean(x, [1, 2]);
  const features = pooled.arraySync() as number[][];
  tf.dispose([x, pooled]);
  const fc = spec.classifier;
  const rng = random(`${fc.name}.weight`, seed);
  out.set(`${fc.name}.weight`, {
    shape: [fc.inFeatures, fc.outFeatures],
    data: Float32Array.from({ length: fc.inFeatures * fc.outFeatures }, () => rng.t4()),
  });
  out.set(`${fc.name}.bias`, {
    shape: [fc.outFeatures],
    data: new Float32Array(fc.outFeatures),
  });
  calibrateClassifier(
    spec,
    out,
    features.map((f) => Float32Array.from(f)),
  );
  return out;
}

/**
 * Scales the classifier so that its logits, for features measured from their mean over
 * the calibration images, have standard deviation `spread`; the bias removes the mean.
 */
export function calibrateClassifier(
  spec: NetworkSpec,
  weights: Map<string, SourceTensor>,
  features: Float32Array[],
  spread = 4,
): void {
  const fc = spec.classifier;
  const w = weights.get(`${fc.name}.weight`)!.data;
  const [n, d, k] = [features.length, fc.inFeatures, fc.outFeatures];
  const mean = new Float64Array(d);
  for (const f of features) f.forEach((v, i) => (mean[i] = mean[i]! + v / n));
  let sum = 0;
  let sumSq = 0;
  for (const f of features) {
    for (let j = 0; j < k; j++) {
      let logit = 0;
      for (let i = 0; i < d; i++) logit += (f[i]! - mean[i]!) * w[i * k + j]!;
      sum += logit;
      sumSq += logit * logit;
    }
  }
  const std = Math.sqrt(Math.max(0, sumSq / (n * k) - (sum / (n * k)) ** 2));
  const scale = std > 0 ? spread / std : 1;
  w.forEach((v, i) => (w[i] = v * scale));
  const bias = weights.get(`${fc.name}.bias`)!.data;
  for (let j = 0; j < k; j++) {
    let shift = 0;
    for (let i = 0; i < d; i++) shift += mean[i]! * w[i * k + j]!;
    bias[j] = bias[j]! - shift;
  }
}
