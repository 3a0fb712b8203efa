/**
 * webnets' custom kernels: registration per backend and typed calls.
 *
 *   await tf.setBackend('wasm');           // or 'webgpu'
 *   await registerKernels();               // once per backend instance
 *   if (hasKernel(GROUP_CONV2D)) y = groupConv2d(x, w, b, { strides: 2, groups: 4, activation: 'relu' });
 *
 * The calls run through `tf.engine().runKernel`, so they work inside `tf.tidy` like any op.
 * They throw when the kernel is not registered for the active backend: callers check
 * `hasKernel` and fall back to their stock-op composition.
 */
import { tf } from '../tf';
import type {
  AddActivationAttrs,
  AreaShrinkRgbaAttrs,
  DepthwiseConv2DAttrs,
  GroupConv2DAttrs,
  KernelActivation,
  KernelName,
  ResizeCropNormalizeAttrs,
  SqueezeExciteAttrs,
} from './names';
import {
  ADD_ACTIVATION,
  AREA_SHRINK_RGBA,
  DEPTHWISE_CONV2D,
  GROUP_CONV2D,
  RESIZE_CROP_NORMALIZE,
  SILU,
  SQUEEZE_EXCITE,
} from './names';
import { registerWasmKernels } from './wasm/register';
import { registerWebGpuKernels } from './webgpu/register';

export * from './names';
export {
  registerWasmKernels,
  useWasmKernelThreads,
  wasmKernelSplitCalls,
  wasmKernelThreads,
  wasmKernelVariant,
} from './wasm/register';
export type { WasmKernelVariant } from './wasm/register';
export { registerWebGpuKernels } from './webgpu/register';

/** Which kernels each backend provides once registered. */
export const BACKEND_KERNELS: Record<string, readonly KernelName[]> = {
  wasm: [
    GROUP_CONV2D,
    DEPTHWISE_CONV2D,
    SILU,
    SQUEEZE_EXCITE,
    ADD_ACTIVATION,
    RESIZE_CROP_NORMALIZE,
    AREA_SHRINK_RGBA,
  ],
  webgpu: [GROUP_CONV2D],
};

/**
 * Registers webnets' kernels for `backendName` (default: the active backend), which must
 * be initialized. Resolves false when that backend has no webnets kernels or this engine
 * cannot run them (e.g. WebAssembly without SIMD): the stock ops then stay in use.
 * `threads` (wasm): threads for the group conv where tfjs' memory is shared (default 1).
 */
export async function registerKernels(
  backendName: string = tf.getBackend(),
  options: { threads?: number } = {},
): Promise<boolean> {
  if (backendName === 'wasm') return registerWasmKernels(options.threads);
  if (backendName === 'webgpu') return registerWebGpuKernels();
  return false;
}

/** Whether `name` is registered for `backendName` (default: the active backend). */
export function hasKernel(name: KernelName, backendName: string = tf.getBackend()): boolean {
  return tf.getKernel(name, backendName) !== undefined;
}

/**
 * activation(conv(x) + bias [+ residual]), grouped (groups = 1: dense); `pad` defaults
 * to ⌊k/2⌋ (PyTorch's padding=k//2).
 */
export function groupConv2d(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  bias: tf.Tensor1D,
  attrs: Omit<GroupConv2DAttrs, 'pad'> & { pad?: number },
  residual?: tf.Tensor4D,
): tf.Tensor4D {
  const pad = attrs.pad ?? Math.floor((filter.shape[0] ?? 1) / 2);
  const full: GroupConv2DAttrs = { ...attrs, pad };
  const inputs: tf.NamedTensorMap = { x, filter, bias };
  if (residual) inputs.residual = residual;
  return tf.engine().runKernel(GROUP_CONV2D, inputs, { ...full });
}

/**
 * A 1×1 dense conv's filter [1, 1, Cin, Cout] in the layout the wasm kernel reads with
 * `packed: true`: per 16 output channels a contiguous [Cin, 16] panel, then the last
 * Cout mod 16 channels as [Cin, rest]. Same shape, same values, another order.
 */
export function packDenseFilter(filter: tf.Tensor4D): tf.Tensor4D {
  const [k, , cin, cout] = filter.shape;
  if (k !== 1 || filter.shape[1] !== 1) {
    throw new Error(
      `packDenseFilter: expected a [1, 1, Cin, Cout] filter, got [${filter.shape.join(', ')}]`,
    );
  }
  return tf.tidy(() => {
    const matrix = tf.reshape(filter, [cin, cout]);
    const full = Math.floor(cout / 16);
    const rest = cout - 16 * full;
    const parts: tf.Tensor[] = [];
    if (full > 0) {
      const panels = tf.reshape(tf.slice(matrix, [0, 0], [cin, 16 * full]), [cin, full, 16]);
      parts.push(tf.reshape(tf.transpose(panels, [1, 0, 2]), [-1]));
    }
    if (rest > 0) parts.push(tf.reshape(tf.slice(matrix, [0, 16 * full], [cin, rest]), [-1]));
    return tf.reshape(parts.length === 1 ? parts[0]! : tf.concat(parts), [1, 1, cin, cout]);
  });
}

/** The inverse of packDenseFilter: the [1, 1, Cin, Cout] HWIO filter back. */
export function unpackDenseFilter(packed: tf.Tensor4D): tf.Tensor4D {
  const [, , cin, cout] = packed.shape;
  return tf.tidy(() => {
    const flat = tf.reshape(packed, [-1]);
    const full = Math.floor(cout / 16);
    const rest = cout - 16 * full;
    const parts: tf.Tensor2D[] = [];
    if (full > 0) {
      const panels = tf.reshape(tf.slice(flat, 0, 16 * full * cin), [full, cin, 16]);
      parts.push(tf.reshape(tf.transpose(panels, [1, 0, 2]), [cin, 16 * full]));
    }
    if (rest > 0) parts.push(tf.reshape(tf.slice(flat, 16 * full * cin, rest * cin), [cin, rest]));
    return tf.reshape(parts.length === 1 ? parts[0]! : tf.concat(parts, 1), [1, 1, cin, cout]);
  });
}

/** activation(depthwise conv(x) + bias); filter [k, k, C, 1]; `pad` defaults to ⌊k/2⌋. */
export function depthwiseConv2d(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  bias: tf.Tensor1D,
  attrs: Omit<DepthwiseConv2DAttrs, 'pad'> & { pad?: number },
): tf.Tensor4D {
  const full: DepthwiseConv2DAttrs = {
    ...attrs,
    pad: attrs.pad ?? Math.floor((filter.shape[0] ?? 1) / 2),
  };
  return tf.engine().runKernel(DEPTHWISE_CONV2D, { x, filter, bias }, { ...full });
}

/** x · sigmoid(x). */
export function silu<T extends tf.Tensor>(x: T): T {
  return tf.engine().runKernel(SILU, { x });
}

/** activation(a + b) for same-shaped a and b. */
export function addActivation<T extends tf.Tensor>(a: T, b: T, activation: KernelActivation): T {
  const attrs: AddActivationAttrs = { activation };
  return tf.engine().runKernel(ADD_ACTIVATION, { a, b }, { ...attrs });
}

/** Squeeze-excitation weights: the two 1×1 convs' [C, Cs] / [Cs, C] matrices and biases. */
export interface SqueezeExciteWeights {
  reduceWeight: tf.Tensor2D;
  reduceBias: tf.Tensor1D;
  expandWeight: tf.Tensor2D;
  expandBias: tf.Tensor1D;
}

/** y = x' · sigmoid(expand(act(reduce(mean_hw(x'))))) with x' = inputActivation(x). */
export function squeezeExcite(
  x: tf.Tensor4D,
  weights: SqueezeExciteWeights,
  attrs: Omit<SqueezeExciteAttrs, 'inputActivation'> & Partial<SqueezeExciteAttrs>,
): tf.Tensor4D {
  const full: SqueezeExciteAttrs = { inputActivation: 'linear', ...attrs };
  return tf.engine().runKernel(SQUEEZE_EXCITE, { x, ...weights }, { ...full });
}

/**
 * Pixels [1, H, W, 3] (0–255), or [1, H, W, 1] int32 of packed RGBA bytes → the normalized
 * [1, size, size, 3] crop of their resize.
 */
export function resizeCropNormalize(x: tf.Tensor4D, attrs: ResizeCropNormalizeAttrs): tf.Tensor4D {
  return tf.engine().runKernel(RESIZE_CROP_NORMALIZE, { x }, { ...attrs });
}

/** Packed RGBA pixels [1, H, W, 1] int32 → the mean RGB of each factor² block of a region. */
export function areaShrinkRgba(x: tf.Tensor4D, attrs: AreaShrinkRgbaAttrs): tf.Tensor4D {
  return tf.engine().runKernel(AREA_SHRINK_RGBA, { x }, { ...attrs });
}
