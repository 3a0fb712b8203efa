/**
 * The primitive ops the blocks (layers.ts) are made of: the seam between the network
 * and the tfjs backends. Each op is one function with a narrow signature, written here
 * with stock tfjs-core ops; a backend with a faster kernel for one of them can be
 * dispatched to from that function alone. Weight layout work a backend needs happens
 * once, in the `prepare*` functions that createNetwork calls, never per forward call.
 *
 * Padding: PyTorch pads k//2 on every side. TF's 'same' pads the bottom/right more than
 * the top/left at stride 2 on even inputs, so every conv passes the explicit k//2.
 *
 * Custom kernels (src/kernels: WASM SIMD, WGSL) serve an op whenever the active backend
 * has them registered — checked per call, so a network keeps working on a backend
 * without them — and the stock composition below serves otherwise. Measured in headless
 * Chromium, 1 WASM thread: RegNetX-400MF 2.2×, RegNetY-400MF 1.9×, EfficientNet-B0 1.5×
 * faster than the stock ops (kernels helper, 2026-11-23).
 */
import * as K from '../kernels';
import type { KernelActivation } from '../kernels';
import { getThreadsCount, tf } from '../tf';
import { convKind } from './spec';
import type { Activation, ConvSpec } from './spec';

/** The activations tfjs-core fuses into its conv and matmul kernels (SiLU is not one). */
type FusedActivation = 'linear' | 'relu' | 'sigmoid';

function fusedPart(act: Activation): FusedActivation {
  return act === 'silu' ? 'linear' : act;
}

/** The activation as a custom kernel takes it, or null (sigmoid) for the stock path. */
function kernelAct(act: Activation): KernelActivation | null {
  return act === 'sigmoid' ? null : act;
}

/**
 * Dense convs go to webnets' kernel on WASM when it has at least as many threads as
 * XNNPACK's pool: thread for thread it beats XNNPACK on these shapes.
 * (WebGPU's stock convs are tuned; the WGSL kernel is for grouped convs only.)
 */
function denseOnKernel(): boolean {
  return (
    tf.getBackend() === 'wasm' &&
    K.hasKernel(K.GROUP_CONV2D) &&
    getThreadsCount() <= K.wasmKernelThreads()
  );
}

/** SiLU (swish): x · sigmoid(x). */
export function silu<T extends tf.Tensor>(x: T): T {
  if (K.hasKernel(K.SILU)) return K.silu(x);
  return tf.mul(x, tf.sigmoid(x));
}

/** Applies the part of `act` that a fused kernel could not. */
function finish<T extends tf.Tensor>(y: T, act: Activation): T {
  return act === 'silu' ? silu(y) : y;
}

/**
 * 1×1 dense convs with at least this many inputs run on a packed weight on WASM (see
 * K.packDenseFilter). Measured (2026-11-23, 2-core VM), packed / in place, per conv in
 * Node: FD-MobileNet's 7²×256→512 1.46×, 14²×128→128 1.27×, RegNetX's 7²×384→384 1.24×,
 * EfficientNet-B0's 7²×192→1152 1.16×, 28²×64→64 1.02×, but 0.87–0.91× at 16–32 inputs;
 * whole networks in Chromium (one page, alternating, three runs): FD-MobileNet 0.5×
 * 1.07–1.11×, RegNetY-400MF 0.98–1.12×, EfficientNet-B0 1.00–1.12×, RegNetX-400MF 0.98–1.05×.
 */
export const PACKED_DENSE_MIN_INPUTS = 64;

/** Whether a 1×1 stride-1 dense conv (or the classifier) with `inputs` inputs runs packed here. */
function packsInputs(inputs: number): boolean {
  return inputs >= PACKED_DENSE_MIN_INPUTS && denseOnKernel();
}

/** Whether a dense conv of `spec` runs on a packed weight here (see PACKED_DENSE_MIN_INPUTS). */
function packsDense(spec: ConvSpec): boolean {
  return (
    spec.kernel === 1 &&
    spec.stride === 1 &&
    kernelAct(spec.act) !== null &&
    packsInputs(spec.inChannels)
  );
}

/** Dense k×k conv + bias [+ residual] + activation. filter: HWIO, or packed (1×1 only). */
export function denseConv(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  bias: tf.Tensor1D,
  stride: number,
  act: Activation,
  residual?: tf.Tensor4D,
  packed = false,
): tf.Tensor4D {
  const activation = kernelAct(act);
  if (activation && denseOnKernel()) {
    const attrs = { strides: stride, groups: 1, activation, packed };
    return K.groupConv2d(x, filter, bias, attrs, residual);
  }
  if (packed) {
    // Only after a move to a backend without the kernel: back to HWIO, once per call.
    return tf.tidy(() => denseConv(x, K.unpackDenseFilter(filter), bias, stride, act, residual));
  }
  const pad = filter.shape[0] >> 1;
  if (residual) {
    const y = tf.fused.conv2d({ x, filter, bias, strides: stride, pad });
    return residualAdd(y, residual, act);
  }
  const y = tf.fused.conv2d({ x, filter, bias, strides: stride, pad, activation: fusedPart(act) });
  return finish(y, act);
}

/** Depthwise k×k conv + bias + activation. filter: [k, k, C, 1]. */
export function depthwiseConv(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  bias: tf.Tensor1D,
  stride: number,
  act: Activation,
): tf.Tensor4D {
  const activation = kernelAct(act);
  if (activation && K.hasKernel(K.DEPTHWISE_CONV2D)) {
    return K.depthwiseConv2d(x, filter, bias, { strides: stride, activation });
  }
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
 * Grouped k×k conv + bias + activation (tfjs-core has none), for narrow groups (see
 * DEPTHWISE_GROUPED_MAX_WIDTH). Runs as a depthwise conv whose channel multiplier is the
 * per-group output width, then sums each group's inputs: the fastest stock composition
 * measured for narrow groups (vs. one conv per group, or a dense block-diagonal conv).
 * filter: from `prepareGroupedFilter`, [k, k, C_in, C_out / groups].
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
 * Grouped conv on webnets' kernel, reading the HWIO grouped weight in place; if the
 * backend lacks the kernel (e.g. after a move to another backend), the stock form.
 */
export function groupedConvKernel(
  x: tf.Tensor4D,
  hwio: tf.Tensor4D,
  bias: tf.Tensor1D,
  stride: number,
  groups: number,
  act: Activation,
): tf.Tensor4D {
  const activation = kernelAct(act);
  if (activation && K.hasKernel(K.GROUP_CONV2D)) {
    return K.groupConv2d(x, hwio, bias, { strides: stride, groups, activation });
  }
  return groupedConv(x, prepareGroupedFilter(hwio, groups), bias, stride, groups, act);
}

function activate(y: tf.Tensor4D, act: Activation): tf.Tensor4D {
  switch (act) {
    case 'linear':
      return y;
    case 'relu':
      return tf.relu(y);
    case 'sigmoid':
      return tf.sigmoid(y);
    case 'silu':
      return silu(y);
  }
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

/**
 * Group widths up to this run as one depthwise conv + group sum (measured fastest for
 * RegNetX/Y-400MF, group widths 16 and 8); wider groups run one conv per group, since
 * the depthwise form's intermediate is group-width times the output (232× at
 * RegNetY-32GF: half a gigabyte for one layer) and its sum then dominates.
 */
export const DEPTHWISE_GROUPED_MAX_WIDTH = 16;

/** A conv ready to run: the op that runs it and its weights in the layout that op reads. */
export type PreparedConv =
  | {
      op: 'dense' | 'depthwise' | 'grouped' | 'grouped-kernel';
      filter: tf.Tensor4D;
      bias: tf.Tensor1D;
      stride: number;
      groups: number;
      act: Activation;
      /** A dense 1×1 filter in K.packDenseFilter's layout. */
      packed?: boolean;
    }
  | {
      op: 'grouped-split';
      filters: tf.Tensor4D[];
      biases: tf.Tensor1D[];
      stride: number;
      act: Activation;
    };

/**
 * Prepares a conv's runtime-layout weight (see spec.ts) for its op, once: grouped convs
 * keep the HWIO weight where the backend has webnets' grouped kernel, else take the
 * layout of the stock composition; wide 1×1 convs on WASM take the packed layout.
 */
export function prepareConv(spec: ConvSpec, weight: tf.Tensor4D, bias: tf.Tensor1D): PreparedConv {
  const { stride, groups, act } = spec;
  const kind = convKind(spec);
  if (kind === 'dense' && packsDense(spec)) {
    return { op: kind, filter: K.packDenseFilter(weight), bias, stride, groups, act, packed: true };
  }
  if (kind !== 'grouped') return { op: kind, filter: weight, bias, stride, groups, act };
  if (K.hasKernel(K.GROUP_CONV2D))
    return { op: 'grouped-kernel', filter: weight, bias, stride, groups, act };
  if (spec.inChannels / groups <= DEPTHWISE_GROUPED_MAX_WIDTH) {
    const filter = prepareGroupedFilter(weight, groups);
    return { op: 'grouped', filter, bias, stride, groups, act };
  }
  return { op: 'grouped-split', ...splitGroupedFilter(weight, bias, groups), stride, act };
}

/** The tensors a prepared conv holds. */
export function preparedTensors(p: PreparedConv): tf.Tensor[] {
  return p.op === 'grouped-split' ? [...p.filters, ...p.biases] : [p.filter, p.bias];
}

/** Runs a prepared conv with its op. */
export function conv(x: tf.Tensor4D, p: PreparedConv): tf.Tensor4D {
  switch (p.op) {
    case 'dense':
      return denseConv(x, p.filter, p.bias, p.stride, p.act, undefined, p.packed);
    case 'depthwise':
      return depthwiseConv(x, p.filter, p.bias, p.stride, p.act);
    case 'grouped':
      return groupedConv(x, p.filter, p.bias, p.stride, p.groups, p.act);
    case 'grouped-kernel':
      return groupedConvKernel(x, p.filter, p.bias, p.stride, p.groups, p.act);
    case 'grouped-split':
      return splitGroupedConv(x, p.filters, p.biases, p.stride, p.act);
  }
}

/**
 * act(conv(x) + residual): a block's last conv and its shortcut. Dense convs take the
 * residual inside the kernel's epilogue (one pass fewer); others add it after.
 */
export function convResidual(
  x: tf.Tensor4D,
  p: PreparedConv,
  residual: tf.Tensor4D,
  act: 'linear' | 'relu',
): tf.Tensor4D {
  if (p.op === 'dense' && p.act === 'linear') {
    return denseConv(x, p.filter, p.bias, p.stride, act, residual, p.packed);
  }
  return residualAdd(conv(x, p), residual, act);
}

/** Squeeze-excitation weights as matrices: the 1×1 convs run on the pooled [N, C] map. */
export interface PreparedSqueezeExcite {
  reduceWeight: tf.Tensor2D; // [C, squeeze]
  reduceBias: tf.Tensor1D;
  reduceAct: Activation;
  expandWeight: tf.Tensor2D; // [squeeze, C]
  expandBias: tf.Tensor1D;
}

/** 1×1 HWIO conv weight → the [in, out] matrix it is on a 1×1 map. */
export function pointwiseMatrix(weight: tf.Tensor4D): tf.Tensor2D {
  const [, , inChannels, outChannels] = weight.shape;
  return tf.reshape(weight, [inChannels, outChannels]);
}

/** x · sigmoid(expand(act(reduce(mean(x))))), the scale broadcast over H and W. */
export function squeezeExcite(x: tf.Tensor4D, se: PreparedSqueezeExcite): tf.Tensor4D {
  if (K.hasKernel(K.SQUEEZE_EXCITE) && (se.reduceAct === 'relu' || se.reduceAct === 'silu')) {
    return K.squeezeExcite(x, se, { activation: se.reduceAct });
  }
  const pooled = tf.mean(x, [1, 2]) as tf.Tensor2D;
  const reduced = finish(
    tf.fused.matMul({
      a: pooled,
      b: se.reduceWeight,
      bias: se.reduceBias,
      activation: fusedPart(se.reduceAct),
    }),
    se.reduceAct,
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

/** Residual addition, then an activation (RegNet applies ReLU after the add). */
export function residualAdd(x: tf.Tensor4D, shortcut: tf.Tensor4D, act: Activation): tf.Tensor4D {
  const activation = kernelAct(act);
  if (activation && K.hasKernel(K.ADD_ACTIVATION)) return K.addActivation(x, shortcut, activation);
  const sum = tf.add<tf.Tensor4D>(x, shortcut);
  return activate(sum, act);
}

/**
 * Global average pooling: [N, H, W, C] → [N, C], as one H×W average pool: tfjs' wasm Mean
 * over axes 1 and 2 transposes first (measured 2–2.5× slower on 7×7×512 … 7×7×1280).
 */
export function globalAvgPool(x: tf.Tensor4D): tf.Tensor2D {
  const [n, h, w, c] = x.shape;
  return tf.reshape(tf.avgPool(x, [h, w], 1, 'valid'), [n, c]);
}

/**
 * The classifier's weights as `linear` reads them: [in, out], or on WASM with webnets'
 * kernels (≥ PACKED_DENSE_MIN_INPUTS inputs) packed as a 1×1 dense conv's filter. Its
 * weight is read once per inference from beyond the caches, which is all its time: in Node,
 * caches flushed, 512→1000 took 0.17 ms as tfjs' matMul and 0.11 ms as the packed conv
 * (FD-MobileNet's, ~3% of its inference), 1280→1000 0.27 → 0.22, 440→1000 0.12 → 0.08.
 */
export interface PreparedLinear {
  weight: tf.Tensor;
  bias: tf.Tensor1D;
  outputs: number;
  packed: boolean;
}

export function prepareLinear(weight: tf.Tensor2D, bias: tf.Tensor1D): PreparedLinear {
  const [inputs, outputs] = weight.shape;
  if (packsInputs(inputs)) {
    const filter = tf.tidy(() => K.packDenseFilter(tf.reshape(weight, [1, 1, inputs, outputs])));
    return { weight: filter, bias, outputs, packed: true };
  }
  return { weight, bias, outputs, packed: false };
}

/** Fully connected layer: x [N, in] · weight [in, out] + bias. */
export function linear(
  x: tf.Tensor2D,
  { weight, bias, outputs, packed }: PreparedLinear,
): tf.Tensor2D {
  if (!packed) return tf.fused.matMul({ a: x, b: weight as tf.Tensor2D, bias }) as tf.Tensor2D;
  const [n, inputs] = x.shape;
  const pixels = tf.reshape(x, [n, 1, 1, inputs]) as tf.Tensor4D;
  const y = denseConv(pixels, weight as tf.Tensor4D, bias, 1, 'linear', undefined, true);
  return tf.reshape(y, [n, outputs]);
}
