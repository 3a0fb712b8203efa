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
 * - filters that point where their input varies: part of each dense or grouped conv's
 *   weight (ALIGNED; the stem's ALIGNED_STEM) is a random combination of its input's
 *   centred k×k patches on the calibration images (`inputAligned`), as trained filters
 *   respond to their input's structure. Without it, isotropic weights leave every layer
 *   passing weight noise on at the signal's level, and the seeded FD-MobileNet 0.25×
 *   moved 12× more under weight noise than the authors' checkpoint;
 * - heavy tails: values a Gaussian scale mixture with Student-t (ν = 4) marginals (the
 *   FD-MobileNet checkpoints' 1×1 convs have per-channel kurtosis 4–7 and peak/rms 3–4);
 * - output channels of different scales: γ log-normal, near-dead channels (γ 10⁻³) in
 *   narrow layers, residual branches ending at a quarter of the gain;
 * - one-signed depthwise filters (blurs): a per-channel mean of ±DEPTHWISE_MEAN of the spread;
 * - channels whose output hardly varies get a proportionally smaller γ;
 * - β/γ of mean BETA_MEAN (most ReLU inputs positive, as in the checkpoints),
 *   squeeze-excitation gates biased open (expand bias N(1, 0.5));
 * - a classifier that reads how an image's features differ from the average image's,
 *   with logits spread like a trained one's.
 *
 * The constants are calibrated to statistics measured on the FD-MobileNet authors'
 * checkpoints (see "Calibration" below); EfficientNet and RegNet get the same rules.
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
  /** The scale of a Student t (ν = 4, unit variance) as a normal's mixture: t = normal · t4Scale. */
  const t4Scale = () => {
    let chi2 = 0;
    for (let k = 0; k < 4; k++) chi2 += normal() ** 2;
    return 1 / Math.sqrt(chi2 / 4) / Math.SQRT2;
  };
  return { uniform, normal, t4, t4Scale };
}

/** Raw (unnormalized) weight (made from the conv's input), γ and β of a conv; for convs with their own bias, the bias as β. */
interface RawConv {
  weight: (x: tf.Tensor4D) => Float32Array;
  gamma: Float32Array;
  beta: Float32Array;
}

// Calibration: each constant below is set so that the seeded FD-MobileNet 0.25× and 0.5×
// show the statistics measured on the authors' checkpoints of those widths
// (tools/quantization/statistics.ts on the report's 44 inputs; figures in RESULTS.md,
// "What the generator matches"), per layer kind, median over layers:
// - ALIGNED, ALIGNED_STEM: alignment Var(y)/(‖w‖²·Var(x)), real 1×1 1.27 / 1.34, stem
//   3.9 / 4.5 (random directions: 0.8 for 1×1, 0.7 for the stem);
// - DEPTHWISE_MEAN: depthwise alignment, real 1.25 / 1.35;
// - GAMMA_SPREAD: σ of ln|γ| in the layers of 64 channels or more, real 0.2–0.4;
// - deadShare: near-dead channels (|γ| < 5% of the median), real 2 per layer of 8–32
//   channels, hardly any in wider ones;
// - BETA_MEAN, BETA_SPREAD: β/|γ|, real median over layers 0.55–0.8, within a layer 1.0
//   (so 64–79% of ReLU inputs are positive);
// - the classifier's spread: the logits' standard deviation over classes, real 2.9–3.1.

/** Share of a dense or grouped conv's weight variance that follows its input's covariance. */
const ALIGNED = 0.05;
const ALIGNED_STEM = 0.5;
/** A depthwise filter's mean (one-signed filters: blurs), in units of its spread. */
const DEPTHWISE_MEAN = 0.55;
/** Standard deviation of ln γ. */
const GAMMA_SPREAD = 0.3;
/** β / γ: mean and standard deviation over channels. */
const BETA_MEAN = 0.5;
const BETA_SPREAD = 1;
/** Near-dead channels (γ 10⁻³): two per layer of up to 32 channels, none in wider ones. */
const deadShare = (channels: number) => (channels <= 32 ? 2 / channels : 0);
/** Input positions the covariance-following part of a weight is drawn from. */
const POSITIONS = 4096;

/**
 * Per output channel of a dense or grouped conv, a draw from N(0, Σ/σ̄²) over its input
 * patch (k×k taps × the group's channels): Σ the covariance of the conv's input patches
 * over `POSITIONS` sampled positions, σ̄² its mean variance; in the runtime layout. A random
 * combination of the input's centred patches (Hebbian), so it points along the
 * directions in which the input varies.
 */
function inputAligned(x: tf.Tensor4D, conv: ConvSpec, seed: number): Float64Array {
  const [k, , inPer, out] = convWeightShape(conv) as [number, number, number, number];
  const groups = conv.groups;
  const outPer = out / groups;
  const taps = k * k;
  const channels = conv.inChannels;
  const rng = random(`${conv.name}.aligned`, seed);
  const [n, height, width] = x.shape;
  const rows = n * height * width;
  const take = Math.min(POSITIONS, rows);
  const picked = Int32Array.from({ length: take }, () => Math.floor(rng.uniform() * rows));
  // Every position's k×k patch, tap-major as the weight's layout: [rows, taps · channels].
  const patches = tf.tidy(() => {
    const r = k >> 1;
    const padded = tf.pad(x, [
      [0, 0],
      [r, k - 1 - r],
      [r, k - 1 - r],
      [0, 0],
    ]);
    const shifted: tf.Tensor4D[] = [];
    for (let dy = 0; dy < k; dy++) {
      for (let dx = 0; dx < k; dx++) {
        shifted.push(tf.slice(padded, [0, dy, dx, 0], [n, height, width, channels]));
      }
    }
    return tf.gather(tf.reshape(tf.concat(shifted, 3), [rows, taps * channels]), picked);
  });
  const result = new Float64Array(taps * inPer * out);
  for (let g = 0; g < groups; g++) {
    const columns = Int32Array.from({ length: taps * inPer }, (_, j) => {
      const [t, i] = [Math.floor(j / inPer), j % inPer];
      return t * channels + g * inPer + i;
    });
    const a = tf.tidy(() => {
      const group = tf.gather(patches, columns, 1);
      const centred = tf.sub(group, tf.mean(group, 0));
      const meanVariance = tf.mean(tf.square(centred));
      const draws = tf.tensor2d(Float32Array.from({ length: take * outPer }, rng.normal), [
        take,
        outPer,
      ]);
      return tf.div(tf.matMul(centred, draws, true, false), tf.sqrt(tf.mul(meanVariance, take)));
    });
    const values = a.dataSync();
    a.dispose();
    for (let j = 0; j < taps * inPer; j++) {
      for (let o = 0; o < outPer; o++) {
        const v = values[j * outPer + o]!;
        result[j * out + g * outPer + o] = Number.isFinite(v) ? v : 0;
      }
    }
  }
  patches.dispose();
  return result;
}

function rawConv(conv: ConvSpec, residualLast: boolean, share: number, seed: number): RawConv {
  const shape = convWeightShape(conv);
  const channels = conv.outChannels;
  const size = shape.reduce((a, b) => a * b, 1);
  const depthwise = convKind(conv) === 'depthwise';
  const std = Math.sqrt(2 / (size / channels));
  const weight = (x: tf.Tensor4D) => {
    const rng = random(`${conv.name}.weight`, seed);
    const mean = Float64Array.from({ length: channels }, () =>
      depthwise ? DEPTHWISE_MEAN * rng.normal() : 0,
    );
    const aligned =
      !depthwise && conv.norm.kind === 'bn' && share > 0 ? inputAligned(x, conv, seed) : undefined;
    const w = new Float32Array(size);
    // Runtime layout: the output channel is the fastest axis ([k,k,I,O] and [k,k,C,1]).
    // Heavy tails as a Gaussian scale mixture (Student t, ν = 4, unit variance), which
    // keeps each value's sign, so the aligned part stays aligned.
    for (let i = 0; i < size; i++) {
      const u = aligned
        ? Math.sqrt(1 - share) * rng.normal() + Math.sqrt(share) * aligned[i]!
        : rng.normal();
      w[i] = (mean[i % channels]! + u * rng.t4Scale()) * std;
    }
    return w;
  };
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
    g.uniform() < deadShare(channels)
      ? 1e-3
      : Math.exp(GAMMA_SPREAD * g.normal() - GAMMA_SPREAD ** 2 / 2) * (residualLast ? 0.25 : 1),
  );
  const beta = gamma.map((v) => v * (BETA_MEAN + BETA_SPREAD * g.normal()));
  return { weight, gamma, beta };
}

export function act(x: tf.Tensor4D, a: Activation): tf.Tensor4D {
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
export function convolve(x: tf.Tensor4D, conv: ConvSpec, w: Float32Array): tf.Tensor4D {
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
  const weight = raw.weight(x);
  const bias = raw.beta.slice();
  if (conv.norm.kind === 'bn') {
    const { mean, variance } = tf.tidy(() => tf.moments(convolve(x, conv, weight), [0, 1, 2]));
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

/**
 * Runs `spec`'s blocks on `x` (NHWC) with `run(input, conv)` computing every conv (its
 * activation included), squeeze-excitation convs too; returns the last block's output.
 * Disposes `x` and every intermediate tensor.
 */
export function walk(
  spec: NetworkSpec,
  input: tf.Tensor4D,
  run: (x: tf.Tensor4D, conv: ConvSpec) => tf.Tensor4D,
): tf.Tensor4D {
  const squeezeExcite = (x: tf.Tensor4D, se: SqueezeExciteSpec): tf.Tensor4D => {
    const pooled = tf.mean(x, [1, 2], true) as tf.Tensor4D;
    const reduced = run(pooled, se.reduce);
    const gate = run(reduced, se.expand);
    const y = tf.mul(x, gate) as tf.Tensor4D;
    tf.dispose([pooled, reduced, gate]);
    return y;
  };
  let x = input;
  for (const block of spec.blocks) {
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
          const s = block.se ? squeezeExcite(d, block.se) : d;
          const p = run(s, block.project);
          const y = block.residual ? (tf.add(p, x) as tf.Tensor4D) : p;
          tf.dispose([e, d, s, p].filter((t) => t !== x && t !== y));
          return y;
        }
        case 'bottleneck': {
          const a = run(x, block.a);
          const b = run(a, block.b);
          const s = block.se ? squeezeExcite(b, block.se) : b;
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
  return x;
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
    const share = block === spec.blocks[0] ? ALIGNED_STEM : ALIGNED;
    for (const conv of blockConvs(block)) {
      raws.set(conv.name, rawConv(conv, conv === last, share, seed));
    }
  }
  const out = new Map<string, SourceTensor>();
  const x = walk(spec, tf.concat(inputs, 0), (h, conv) =>
    calibrateConv(h, conv, raws.get(conv.name)!, out, statistics),
  );
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
  spread = 3,
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
