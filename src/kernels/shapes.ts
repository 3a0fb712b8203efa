/**
 * Shape checks and geometry of the custom kernels, shared by every backend's
 * implementation: a bad call throws before any output is allocated.
 */
import type {
  AreaShrinkRgbaAttrs,
  DepthwiseConv2DAttrs,
  GroupConv2DAttrs,
  KernelActivation,
  ResizeCropNormalizeAttrs,
  SqueezeExciteAttrs,
} from './names';
import {
  ACTIVATION_CODES,
  AREA_SHRINK_RGBA,
  DEPTHWISE_CONV2D,
  GROUP_CONV2D,
  RESIZE_CROP_NORMALIZE,
  SQUEEZE_EXCITE,
} from './names';

export interface TensorLike {
  shape: readonly number[];
  dtype: string;
}

function describe(t: TensorLike): string {
  return `[${t.shape.join(', ')}] ${t.dtype}`;
}

function expectFloat(
  kernel: string,
  name: string,
  t: TensorLike | undefined,
  rank?: number,
): TensorLike {
  if (t === undefined) throw new Error(`${kernel}: input '${name}' is missing`);
  if (t.dtype !== 'float32')
    throw new Error(`${kernel}: '${name}' must be float32, got ${describe(t)}`);
  if (rank !== undefined && t.shape.length !== rank) {
    throw new Error(`${kernel}: '${name}' must have rank ${rank}, got ${describe(t)}`);
  }
  return t;
}

export function activationCode(kernel: string, attr: string, value: unknown): number {
  const code = ACTIVATION_CODES[value as KernelActivation];
  if (typeof value !== 'string' || code === undefined) {
    const known = Object.keys(ACTIVATION_CODES).join(', ');
    throw new Error(`${kernel}: attr '${attr}' must be one of ${known}, got ${String(value)}`);
  }
  return code;
}

function positiveInt(kernel: string, attr: string, value: unknown, min = 1): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new Error(`${kernel}: attr '${attr}' must be an integer >= ${min}, got ${String(value)}`);
  }
  return value;
}

/** Output height and width of a k×k conv (symmetric pad), or a thrown Error when empty. */
function outputSize(
  K: string,
  x: TensorLike,
  k: number,
  stride: number,
  pad: number,
): [number, number] {
  const [, height = 0, width = 0] = x.shape;
  const outHeight = Math.floor((height + 2 * pad - k) / stride) + 1;
  const outWidth = Math.floor((width + 2 * pad - k) / stride) + 1;
  if (outHeight < 1 || outWidth < 1 || pad >= k) {
    throw new Error(
      `${K}: x ${describe(x)} is too small for a ${k}×${k} filter with pad ${pad} (pad must be < k)`,
    );
  }
  return [outHeight, outWidth];
}

export interface GroupConvGeometry {
  batch: number;
  height: number;
  width: number;
  inChannels: number;
  outChannels: number;
  kernel: number;
  stride: number;
  pad: number;
  groups: number;
  outHeight: number;
  outWidth: number;
  activation: number;
  /** The filter is packed (see GroupConv2DAttrs.packed). */
  packed: boolean;
}

export function groupConvGeometry(
  inputs: { x?: TensorLike; filter?: TensorLike; bias?: TensorLike; residual?: TensorLike },
  attrs: Partial<GroupConv2DAttrs>,
): GroupConvGeometry {
  const K = GROUP_CONV2D;
  const x = expectFloat(K, 'x', inputs.x, 4);
  const filter = expectFloat(K, 'filter', inputs.filter, 4);
  const bias = expectFloat(K, 'bias', inputs.bias, 1);
  const [batch = 0, height = 0, width = 0, inChannels = 0] = x.shape;
  const [kh = 0, kw = 0, groupIn = 0, outChannels = 0] = filter.shape;
  const stride = positiveInt(K, 'strides', attrs.strides);
  const groups = positiveInt(K, 'groups', attrs.groups);
  const pad = positiveInt(K, 'pad', attrs.pad, 0);
  const activation = activationCode(K, 'activation', attrs.activation);
  if (kh !== kw)
    throw new Error(
      `${K}: filter must be square [k, k, Cin/groups, Cout], got ${describe(filter)}`,
    );
  if (inChannels % groups !== 0 || outChannels % groups !== 0 || groupIn * groups !== inChannels) {
    throw new Error(
      `${K}: with groups=${groups}, x ${describe(x)} and filter ${describe(filter)} must satisfy ` +
        `Cin % groups == 0, Cout % groups == 0 and filter[2] == Cin / groups`,
    );
  }
  if (bias.shape[0] !== outChannels) {
    throw new Error(`${K}: bias must be [${outChannels}] (Cout), got ${describe(bias)}`);
  }
  const [outHeight, outWidth] = outputSize(K, x, kh, stride, pad);
  const packed = attrs.packed === true;
  if (packed && (kh !== 1 || stride !== 1 || groups !== 1 || pad !== 0)) {
    throw new Error(
      `${K}: a packed filter is a 1×1 dense conv's (k 1, strides 1, groups 1, pad 0), got ` +
        `k ${kh}, strides ${stride}, groups ${groups}, pad ${pad}`,
    );
  }
  if (inputs.residual !== undefined) {
    const residual = expectFloat(K, 'residual', inputs.residual, 4);
    const outShape = [batch, outHeight, outWidth, outChannels];
    if (residual.shape.join() !== outShape.join()) {
      throw new Error(
        `${K}: residual must be the output's shape [${outShape.join(', ')}], got ${describe(residual)}`,
      );
    }
  }
  return {
    batch,
    height,
    width,
    inChannels,
    outChannels,
    kernel: kh,
    stride,
    pad,
    groups,
    outHeight,
    outWidth,
    activation,
    packed,
  };
}

export type DepthwiseGeometry = Omit<
  GroupConvGeometry,
  'inChannels' | 'outChannels' | 'groups' | 'packed'
> & {
  channels: number;
};

export function depthwiseGeometry(
  inputs: { x?: TensorLike; filter?: TensorLike; bias?: TensorLike },
  attrs: Partial<DepthwiseConv2DAttrs>,
): DepthwiseGeometry {
  const K = DEPTHWISE_CONV2D;
  const x = expectFloat(K, 'x', inputs.x, 4);
  const filter = expectFloat(K, 'filter', inputs.filter, 4);
  const bias = expectFloat(K, 'bias', inputs.bias, 1);
  const [batch = 0, height = 0, width = 0, channels = 0] = x.shape;
  const [kh = 0, kw = 0, filterChannels = 0, multiplier = 0] = filter.shape;
  const stride = positiveInt(K, 'strides', attrs.strides);
  const pad = positiveInt(K, 'pad', attrs.pad, 0);
  const activation = activationCode(K, 'activation', attrs.activation);
  if (kh !== kw || filterChannels !== channels || multiplier !== 1) {
    throw new Error(
      `${K}: filter must be [k, k, ${channels}, 1] for x ${describe(x)}, got ${describe(filter)}`,
    );
  }
  if (bias.shape[0] !== channels)
    throw new Error(`${K}: bias must be [${channels}], got ${describe(bias)}`);
  const [outHeight, outWidth] = outputSize(K, x, kh, stride, pad);
  return {
    batch,
    height,
    width,
    channels,
    kernel: kh,
    stride,
    pad,
    outHeight,
    outWidth,
    activation,
  };
}

export interface SqueezeExciteGeometry {
  batch: number;
  pixels: number;
  channels: number;
  squeezed: number;
  activation: number;
  inputActivation: number;
}

export function squeezeExciteGeometry(
  inputs: Record<string, TensorLike | undefined>,
  attrs: Partial<SqueezeExciteAttrs>,
): SqueezeExciteGeometry {
  const K = SQUEEZE_EXCITE;
  const x = expectFloat(K, 'x', inputs.x, 4);
  const reduceWeight = expectFloat(K, 'reduceWeight', inputs.reduceWeight, 2);
  const reduceBias = expectFloat(K, 'reduceBias', inputs.reduceBias, 1);
  const expandWeight = expectFloat(K, 'expandWeight', inputs.expandWeight, 2);
  const expandBias = expectFloat(K, 'expandBias', inputs.expandBias, 1);
  const [batch = 0, height = 0, width = 0, channels = 0] = x.shape;
  const squeezed = reduceWeight.shape[1] ?? 0;
  const expected: [string, TensorLike, number[]][] = [
    ['reduceWeight', reduceWeight, [channels, squeezed]],
    ['reduceBias', reduceBias, [squeezed]],
    ['expandWeight', expandWeight, [squeezed, channels]],
    ['expandBias', expandBias, [channels]],
  ];
  for (const [name, t, shape] of expected) {
    if (t.shape.join() !== shape.join()) {
      throw new Error(
        `${K}: '${name}' must be [${shape.join(', ')}] for x ${describe(x)}, got ${describe(t)}`,
      );
    }
  }
  if (attrs.activation !== 'relu' && attrs.activation !== 'silu') {
    throw new Error(
      `${K}: attr 'activation' must be relu or silu, got ${String(attrs.activation)}`,
    );
  }
  const inputActivation = attrs.inputActivation ?? 'linear';
  if (inputActivation !== 'linear' && inputActivation !== 'silu') {
    throw new Error(
      `${K}: attr 'inputActivation' must be linear or silu, got ${String(inputActivation)}`,
    );
  }
  if (height * width === 0) throw new Error(`${K}: x ${describe(x)} has no pixels to average`);
  return {
    batch,
    pixels: height * width,
    channels,
    squeezed,
    activation: ACTIVATION_CODES[attrs.activation],
    inputActivation: ACTIVATION_CODES[inputActivation],
  };
}

/** Checks that a and b have one shape (no broadcasting) and are float32. */
export function sameShape(
  kernel: string,
  a: TensorLike | undefined,
  b: TensorLike | undefined,
): number {
  const ta = expectFloat(kernel, 'a', a);
  const tb = expectFloat(kernel, 'b', b);
  if (ta.shape.join() !== tb.shape.join()) {
    throw new Error(
      `${kernel}: 'a' ${describe(ta)} and 'b' ${describe(tb)} must have the same shape`,
    );
  }
  return ta.shape.reduce((n, d) => n * d, 1);
}

/** Pixels for the input kernels: [1, H, W, 3] float32 / int32, or [1, H, W, 1] packed RGBA. */
function pixelLayout(
  K: string,
  x: TensorLike | undefined,
  allowed: readonly ('rgb' | 'rgba8')[],
): { height: number; width: number; layout: 'rgb' | 'rgba8' } {
  if (x === undefined) throw new Error(`${K}: input 'x' is missing`);
  const [batch, height, width, channels] = x.shape;
  const rgba = x.shape.length === 4 && batch === 1 && channels === 1 && x.dtype === 'int32';
  const rgb =
    x.shape.length === 4 &&
    batch === 1 &&
    channels === 3 &&
    (x.dtype === 'float32' || x.dtype === 'int32');
  const layout = rgba ? 'rgba8' : 'rgb';
  if ((!rgba && !rgb) || !allowed.includes(layout)) {
    const expected = allowed
      .map((l) =>
        l === 'rgb' ? '[1, H, W, 3] float32 or int32' : '[1, H, W, 1] int32 (packed RGBA bytes)',
      )
      .join(', or ');
    throw new Error(`${K}: 'x' must be ${expected}, got ${describe(x)}`);
  }
  return { height: height as number, width: width as number, layout };
}

/**
 * RESIZE_CROP_NORMALIZE's sizes, checked: x is [1, H, W, 3] float32 or int32, or
 * [1, H, W, 1] int32 of packed RGBA bytes; the crop lies inside the virtual resized image,
 * scale and shift are 3 finite numbers each.
 */
export function resizeCropGeometry(
  inputs: Record<string, TensorLike | undefined>,
  attrs: Partial<Record<keyof ResizeCropNormalizeAttrs, unknown>>,
): ResizeCropNormalizeAttrs & { height: number; width: number; layout: 'rgb' | 'rgba8' } {
  const K = RESIZE_CROP_NORMALIZE;
  const { height, width, layout } = pixelLayout(K, inputs.x, ['rgb', 'rgba8']);
  const int = (name: keyof ResizeCropNormalizeAttrs, min: number): number =>
    positiveInt(K, name, attrs[name], min);
  const g = {
    height,
    width,
    layout,
    resizedHeight: int('resizedHeight', 1),
    resizedWidth: int('resizedWidth', 1),
    top: int('top', 0),
    left: int('left', 0),
    size: int('size', 1),
  };
  if (g.top + g.size > g.resizedHeight || g.left + g.size > g.resizedWidth) {
    throw new Error(
      `${K}: the ${g.size}² crop at (${g.top}, ${g.left}) leaves the ` +
        `${g.resizedHeight}×${g.resizedWidth} resized image`,
    );
  }
  const triple = (name: 'scale' | 'shift'): [number, number, number] => {
    const v = attrs[name];
    if (
      !Array.isArray(v) ||
      v.length !== 3 ||
      v.some((n) => typeof n !== 'number' || !isFinite(n))
    ) {
      throw new Error(`${K}: attr '${name}' must be 3 finite numbers, got ${JSON.stringify(v)}`);
    }
    return v as [number, number, number];
  };
  return { ...g, scale: triple('scale'), shift: triple('shift') };
}

/**
 * AREA_SHRINK_RGBA's sizes, checked: x is [1, H, W, 1] int32 of packed RGBA bytes, the
 * region lies inside it and its sides are whole multiples of factor ≥ 2.
 */
export function areaShrinkGeometry(
  inputs: Record<string, TensorLike | undefined>,
  attrs: Partial<Record<keyof AreaShrinkRgbaAttrs, unknown>>,
): AreaShrinkRgbaAttrs & { imageWidth: number; outHeight: number; outWidth: number } {
  const K = AREA_SHRINK_RGBA;
  const { height, width } = pixelLayout(K, inputs.x, ['rgba8']);
  const int = (name: keyof AreaShrinkRgbaAttrs, min: number): number =>
    positiveInt(K, name, attrs[name], min);
  const g = {
    top: int('top', 0),
    left: int('left', 0),
    height: int('height', 1),
    width: int('width', 1),
    factor: int('factor', 2),
  };
  if (g.top + g.height > height || g.left + g.width > width) {
    throw new Error(
      `${K}: the ${g.height}×${g.width} region at (${g.top}, ${g.left}) leaves the ${height}×${width} image`,
    );
  }
  if (g.height % g.factor !== 0 || g.width % g.factor !== 0) {
    throw new Error(
      `${K}: the region ${g.height}×${g.width} is not a whole number of ${g.factor}×${g.factor} blocks`,
    );
  }
  return {
    ...g,
    imageWidth: width,
    outHeight: g.height / g.factor,
    outWidth: g.width / g.factor,
  };
}
