/**
 * Grouped 2-D convolution with bias, optional residual and activation:
 * y = activation(conv(x) + bias [+ residual]). groups = 1 is a dense conv (1×1 convs
 * included: faster than tfjs' XNNPACK conv on the wasm backend).
 * inputs: x [N, H, W, Cin]; filter [k, k, Cin / groups, Cout] (webnets' grouped HWIO,
 * output channels group by group, read in place: no repack, so no prepare step), or a 1×1
 * dense conv's filter packed by `packDenseFilter` (attr `packed`, wasm only); bias [Cout];
 * residual (optional) shaped like y; scale (optional, WebGPU only) [N, Cin]: each input
 * channel multiplied by its scale as it is read (squeeze-excitation's gates folded in).
 * attrs: strides (one number, both axes), pad (symmetric, usually ⌊k/2⌋ as in PyTorch),
 * groups, activation, threads (WASM: at most this many threads split the call; default 1).
 * Output [N, ⌊(H + 2·pad − k) / s⌋ + 1, …, Cout].
 * WASM: group_conv2d.c; WebGPU: webgpu.ts.
 */
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { tf } from '../../tf';
import type { KernelActivation, KernelArgs, KernelDefinition, TensorLike } from '../kernel';
import { convCall, describe, expectFloat, outputSize, positiveInt } from '../kernel';
import type { WasmBackendLike } from '../wasm/module';
import { CONV_PACKED_WEIGHT, SPLITS } from '../config';
import { kernelsOf, offsetOf, runSliced, slices } from '../wasm/module';
import { weightPrecision } from '../half';
import { runGroupConvProgram } from './webgpu';

export const GROUP_CONV2D = 'WebnetsGroupConv2D';

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
  /** At most this many of the WASM kernel pool's threads split the call (default 1). */
  threads?: number;
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
  threads: number;
}

/** The call's sizes, checked: throws naming the input or attr before anything is allocated. */
export function groupConvGeometry(
  inputs: {
    x?: TensorLike;
    filter?: TensorLike;
    bias?: TensorLike;
    residual?: TensorLike;
    scale?: TensorLike;
  },
  attrs: Partial<GroupConv2DAttrs>,
): GroupConvGeometry {
  const K = GROUP_CONV2D;
  const { x, filter, bias, stride, pad, activation, threads } = convCall(K, inputs, attrs);
  const groups = positiveInt(K, 'groups', attrs.groups);
  const [batch = 0, height = 0, width = 0, inChannels = 0] = x.shape;
  const [kh = 0, kw = 0, groupIn = 0, outChannels = 0] = filter.shape;
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
  if (inputs.scale !== undefined) {
    const scale = expectFloat(K, 'scale', inputs.scale, 2);
    if (scale.shape.join() !== [batch, inChannels].join()) {
      throw new Error(
        `${K}: scale must be [${batch}, ${inChannels}] (N, Cin), got ${describe(scale)}`,
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
    threads,
  };
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
  scale?: tf.Tensor2D,
): tf.Tensor4D {
  const pad = attrs.pad ?? Math.floor((filter.shape[0] ?? 1) / 2);
  const full: GroupConv2DAttrs = { ...attrs, pad };
  const inputs: tf.NamedTensorMap = { x, filter, bias };
  if (residual) inputs.residual = residual;
  if (scale) inputs.scale = scale;
  return tf.engine().runKernel(GROUP_CONV2D, inputs, { ...full });
}

/**
 * A 1×1 dense conv's filter [1, 1, Cin, Cout] in the layout the wasm kernel reads with
 * `packed: true`: per 16 output channels a contiguous [Cin, 16] panel, then the last
 * Cout mod 16 channels as [Cin, rest]. Same shape, same values, another order. Panels stay
 * in L1 where a [Cin, Cout] weight's rows, 2ⁿ floats apart, collide in a few cache sets.
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

function wasmGroupConv2d({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const b = backend as WasmBackendLike;
  const g = groupConvGeometry(inputs, attrs ?? {});
  if (inputs.scale) throw new Error(`${GROUP_CONV2D}: a scale input is for the webgpu kernel only`);
  const { x, filter, bias } = inputs as Record<'x' | 'filter' | 'bias', TensorInfo>;
  const kernels = kernelsOf(b);
  const out = b.makeOutput([g.batch, g.outHeight, g.outWidth, g.outChannels], 'float32');
  const residual = inputs.residual ? offsetOf(b, inputs.residual) : 0;
  const args = [
    ...[offsetOf(b, x), offsetOf(b, filter), offsetOf(b, bias), residual, offsetOf(b, out)],
    ...[g.batch, g.height, g.width, g.inChannels, g.outChannels],
    ...[
      g.kernel,
      g.stride,
      g.pad,
      g.groups,
      g.activation,
      kernels.table,
      kernels.stemLayout | (g.packed ? CONV_PACKED_WEIGHT : 0),
    ],
  ];
  const [outPixels, tapMacs] = [g.batch * g.outHeight * g.outWidth, g.kernel * g.kernel];
  const macs = outPixels * g.outChannels * tapMacs * (g.inChannels / g.groups);
  const parts = slices(
    kernels,
    macs,
    g.batch * g.outHeight,
    SPLITS[g.kernel === 1 && g.groups === 1 ? 'pointwise' : 'conv'],
    g.threads,
  );
  runSliced(kernels, 'group_conv2d', args, parts);
  return out;
}

/** On WebGPU the filter may be float16 pairs (half.ts): its values' shape is checked. */
function webgpuGroupConv2d({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const { precision, view } = weightPrecision(GROUP_CONV2D, inputs, ['filter']);
  const g = groupConvGeometry(view, attrs ?? {});
  if (g.packed) throw new Error(`${GROUP_CONV2D}: packed filters are for the wasm kernel only`);
  const { x, filter, bias, residual, scale } = inputs as Record<string, TensorInfo>;
  const outShape = [g.batch, g.outHeight, g.outWidth, g.outChannels];
  const activation = (attrs as unknown as GroupConv2DAttrs).activation;
  return runGroupConvProgram(
    backend as WebGPUBackend,
    { x: x!, filter: filter!, bias: bias!, residual, scale },
    { ...g, outShape },
    activation,
    precision,
  );
}

export const groupConv2dKernel: KernelDefinition<typeof GROUP_CONV2D> = {
  name: GROUP_CONV2D,
  backends: { wasm: wasmGroupConv2d, webgpu: webgpuGroupConv2d },
};
