/**
 * The ops as stock tfjs-core compositions: what runs where webnets' kernels are not
 * registered or not chosen (src/kernels/config.ts). ops.ts picks between these and the
 * kernels once per op.
 *
 * Padding: PyTorch pads k//2 on every side. TF's 'same' pads the bottom/right more than
 * the top/left at stride 2 on even inputs, so every conv passes the explicit k//2.
 */
import { tf } from '../tf';
import type { Activation } from './spec';

/** The activations tfjs-core fuses into its conv and matmul kernels (SiLU is not one). */
type FusedActivation = 'linear' | 'relu' | 'sigmoid';

export function fusedPart(act: Activation): FusedActivation {
  return act === 'silu' ? 'linear' : act;
}

/** SiLU (swish): x · sigmoid(x). */
export function silu<T extends tf.Tensor>(x: T): T {
  return tf.mul(x, tf.sigmoid(x));
}

/** An implementation of SiLU: this file's, or webnets' kernel. */
export type Silu = <T extends tf.Tensor>(x: T) => T;

/** Applies the part of `act` that a fused kernel could not. */
export function finish<T extends tf.Tensor>(y: T, act: Activation, applySilu: Silu = silu): T {
  return act === 'silu' ? applySilu(y) : y;
}

export function activate(y: tf.Tensor4D, act: Activation, applySilu: Silu = silu): tf.Tensor4D {
  switch (act) {
    case 'linear':
      return y;
    case 'relu':
      return tf.relu(y);
    case 'sigmoid':
      return tf.sigmoid(y);
    case 'silu':
      return applySilu(y);
  }
}

/** Dense k×k conv + bias + activation. filter: HWIO. */
export function denseConv(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  bias: tf.Tensor1D,
  stride: number,
  act: Activation,
  applySilu: Silu = silu,
): tf.Tensor4D {
  const pad = filter.shape[0] >> 1;
  const y = tf.fused.conv2d({ x, filter, bias, strides: stride, pad, activation: fusedPart(act) });
  return finish(y, act, applySilu);
}

/** Depthwise k×k conv + bias + activation. filter: [k, k, C, 1]. */
export function depthwiseConv(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  bias: tf.Tensor1D,
  stride: number,
  act: Activation,
): tf.Tensor4D {
  const pad = filter.shape[0] >> 1;
  const y = tf.fused.depthwiseConv2d({
    x,
    filter,
    bias,
    strides: stride,
    pad,
    activation: fusedPart(act),
  });
  return finish(y, act);
}

/**
 * Grouped k×k conv + bias + activation (tfjs-core has none), for narrow groups. Runs as a
 * depthwise conv whose channel multiplier is the per-group output width, then sums each
 * group's inputs: the fastest stock composition measured for narrow groups (vs. one conv
 * per group, or a dense block-diagonal conv). filter: from `prepareGroupedFilter`,
 * [k, k, C_in, C_out / groups].
 */
export function groupedConv(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  bias: tf.Tensor1D,
  stride: number,
  groups: number,
  act: Activation,
): tf.Tensor4D {
  const [k, , inChannels, outPerGroup] = filter.shape;
  const y = tf.depthwiseConv2d(x, filter, stride, k >> 1);
  const [n, h, w] = y.shape;
  // y's channel c·m + j holds input channel c = g·(C_in/groups) + i through multiplier j.
  const perGroup = tf.reshape(y, [n * h * w * groups, inChannels / groups, outPerGroup]);
  const summed = tf.reshape(tf.sum(perGroup, 1), [n, h, w, groups * outPerGroup]);
  const biased = tf.add<tf.Tensor4D>(summed, bias);
  return activate(biased, act);
}

/**
 * HWIO grouped filter [k, k, C_in/groups, C_out] (output channels group by group) →
 * the depthwise filter `groupedConv` runs: [k, k, C_in, C_out/groups], where input
 * channel g·(C_in/groups) + i carries the weights from input i of group g to that
 * group's outputs.
 */
export function prepareGroupedFilter(hwio: tf.Tensor4D, groups: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [k, , inPerGroup, outChannels] = hwio.shape;
    const outPerGroup = outChannels / groups;
    const split = tf.reshape(hwio, [k, k, inPerGroup, groups, outPerGroup]);
    const grouped = tf.transpose(split, [0, 1, 3, 2, 4]);
    return tf.reshape(grouped, [k, k, groups * inPerGroup, outPerGroup]);
  });
}

/**
 * One conv per group, concatenated: for wide groups, where the depthwise form's
 * intermediate (group width × the output) costs more than it saves. Each group's conv
 * fuses its slice of the bias and the activation. filters/biases: from `splitGroupedFilter`.
 */
export function splitGroupedConv(
  x: tf.Tensor4D,
  filters: tf.Tensor4D[],
  biases: tf.Tensor1D[],
  stride: number,
  act: Activation,
): tf.Tensor4D {
  const inputs = tf.split<tf.Tensor4D>(x, filters.length, 3);
  const outputs = inputs.map((xg, g) => denseConv(xg, filters[g]!, biases[g]!, stride, act));
  return tf.concat(outputs, 3);
}

/** HWIO grouped filter and bias → one dense filter and bias per group. */
export function splitGroupedFilter(
  hwio: tf.Tensor4D,
  bias: tf.Tensor1D,
  groups: number,
): { filters: tf.Tensor4D[]; biases: tf.Tensor1D[] } {
  return { filters: tf.split(hwio, groups, 3), biases: tf.split(bias, groups) };
}

/** Residual addition, then an activation (RegNet applies ReLU after the add). */
export function addActivation(x: tf.Tensor4D, shortcut: tf.Tensor4D, act: Activation): tf.Tensor4D {
  return activate(tf.add<tf.Tensor4D>(x, shortcut), act);
}

/** Squeeze-excitation weights as matrices: the 1×1 convs run on the pooled [N, C] map. */
export interface SqueezeExciteWeights {
  reduceWeight: tf.Tensor2D; // [C, squeeze]
  reduceBias: tf.Tensor1D;
  expandWeight: tf.Tensor2D; // [squeeze, C]
  expandBias: tf.Tensor1D;
}

/** x · sigmoid(expand(act(reduce(mean(x))))), the scale broadcast over H and W. */
export function squeezeExcite(
  x: tf.Tensor4D,
  se: SqueezeExciteWeights,
  reduceAct: Activation,
): tf.Tensor4D {
  const pooled = tf.mean(x, [1, 2]) as tf.Tensor2D;
  const reduced = finish(
    tf.fused.matMul({
      a: pooled,
      b: se.reduceWeight,
      bias: se.reduceBias,
      activation: fusedPart(reduceAct),
    }),
    reduceAct,
  );
  const scale = tf.fused.matMul({
    a: reduced,
    b: se.expandWeight,
    bias: se.expandBias,
    activation: 'sigmoid',
  });
  const [n, , , c] = x.shape;
  return tf.mul(x, tf.reshape(scale, [n, 1, 1, c]));
}

/**
 * Global average pooling: [N, H, W, C] → [N, C], as one H×W average pool: tfjs' wasm Mean
 * over axes 1 and 2 transposes first, which made it slower (bench/RESULTS.md).
 */
export function globalAvgPool(x: tf.Tensor4D): tf.Tensor2D {
  const [n, h, w, c] = x.shape;
  return tf.reshape(tf.avgPool(x, [h, w], 1, 'valid'), [n, c]);
}

/** Fully connected layer: x [N, in] · weight [in, out] + bias. */
export function linear(x: tf.Tensor2D, weight: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor2D {
  return tf.fused.matMul({ a: x, b: weight, bias }) as tf.Tensor2D;
}
