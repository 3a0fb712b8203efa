/**
 * The custom kernels webnets registers with tfjs backends: their names, inputs and
 * attributes. Tensors are float32; activations are NHWC (see src/models/spec.ts).
 */

/**
 * Grouped 2-D convolution with bias, optional residual and activation:
 * y = activation(conv(x) + bias [+ residual]). groups = 1 is a dense conv (1×1 convs
 * included: faster than tfjs' XNNPACK conv on the wasm backend).
 * inputs: x [N, H, W, Cin]; filter [k, k, Cin / groups, Cout] (webnets' grouped HWIO,
 * output channels group by group); bias [Cout]; residual (optional) shaped like y.
 * attrs: strides (one number, both axes), pad (symmetric, usually ⌊k/2⌋ as in
 * PyTorch), groups, activation. Output [N, ⌊(H + 2·pad − k) / s⌋ + 1, …, Cout].
 */
export const GROUP_CONV2D = 'WebnetsGroupConv2D';

/**
 * Depthwise 2-D convolution with bias and activation: y = activation(dwconv(x) + bias).
 * inputs: x [N, H, W, C]; filter [k, k, C, 1] (tfjs' depthwise layout); bias [C].
 * attrs: strides, pad, activation, as for GROUP_CONV2D. WASM only.
 */
export const DEPTHWISE_CONV2D = 'WebnetsDepthwiseConv2D';

/** x · sigmoid(x) in one pass. inputs: x (any shape). */
export const SILU = 'WebnetsSilu';

/**
 * Squeeze-excitation: y = x' · sigmoid(expand(act(reduce(mean_hw(x'))))), x' =
 * inputActivation(x). inputs: x [N, H, W, C]; reduceWeight [C, Cs]; reduceBias [Cs];
 * expandWeight [Cs, C]; expandBias [C] (the 1×1 conv weights [1, 1, C, Cs] and
 * [1, 1, Cs, C] reshaped). attrs: activation (of the reduce conv), inputActivation.
 */
export const SQUEEZE_EXCITE = 'WebnetsSqueezeExcite';

/** y = activation(a + b), a and b of one shape (a residual sum). attrs: activation. */
export const ADD_ACTIVATION = 'WebnetsAddActivation';

/**
 * The network's input from pixels in one pass: bilinear resize (half-pixel centres,
 * edges clamped), center crop and normalize, computing only the cropped pixels.
 * inputs: x [1, H, W, 3] (float32 or int32, 0–255), or x [1, H, W, 1] int32 whose every
 * element holds one pixel's 4 bytes R, G, B, A (a canvas's ImageData as it is, read through
 * an Int32Array; alpha ignored). attrs: resizedHeight, resizedWidth
 * (the virtual resize), top, left (the crop's corner in it), size, scale and shift (3
 * each: y = v · scale − shift). Output [1, size, size, 3] float32. WASM only.
 */
export const RESIZE_CROP_NORMALIZE = 'WebnetsResizeCropNormalize';

/**
 * The area pre-shrink of packed RGBA pixels: each factor × factor block of a region becomes
 * its mean RGB (alpha dropped). inputs: x [1, H, W, 1] int32 of packed RGBA bytes (as for
 * RESIZE_CROP_NORMALIZE). attrs: top, left, height, width (the region; height and width
 * multiples of factor), factor ≥ 2. Output [1, height / factor, width / factor, 3] float32,
 * 0–255. WASM only.
 */
export const AREA_SHRINK_RGBA = 'WebnetsAreaShrinkRgba';

export const KERNEL_NAMES = [
  GROUP_CONV2D,
  DEPTHWISE_CONV2D,
  SILU,
  SQUEEZE_EXCITE,
  ADD_ACTIVATION,
  RESIZE_CROP_NORMALIZE,
  AREA_SHRINK_RGBA,
] as const;
export type KernelName = (typeof KERNEL_NAMES)[number];

export type KernelActivation = 'linear' | 'relu' | 'silu';

/** Activation codes shared with the C and WGSL kernels (ACT_* in wasm/c/simd.h). */
export const ACTIVATION_CODES: Record<KernelActivation, number> = { linear: 0, relu: 1, silu: 2 };

export interface GroupConv2DAttrs {
  strides: number;
  pad: number;
  groups: number;
  activation: KernelActivation;
  /**
   * The filter holds a 1×1 dense conv's weight as `packDenseFilter` lays it out (wasm
   * only; k = 1, stride 1, groups 1, pad 0).
   */
  packed?: boolean;
}

export type DepthwiseConv2DAttrs = Omit<GroupConv2DAttrs, 'groups' | 'packed'>;

export interface SqueezeExciteAttrs {
  activation: 'relu' | 'silu';
  inputActivation: 'linear' | 'silu';
}

export interface AddActivationAttrs {
  activation: KernelActivation;
}

export interface ResizeCropNormalizeAttrs {
  resizedHeight: number;
  resizedWidth: number;
  top: number;
  left: number;
  size: number;
  scale: readonly [number, number, number];
  shift: readonly [number, number, number];
}

export interface AreaShrinkRgbaAttrs {
  top: number;
  left: number;
  height: number;
  width: number;
  factor: number;
}
