/**
 * Depthwise 2-D convolution with bias and activation: y = activation(dwconv(x) + bias).
 * inputs: x [N, H, W, C]; filter [k, k, C, 1] (tfjs' depthwise layout, read in place);
 * bias [C]. attrs: strides, pad, activation, threads, as for the grouped conv. WASM:
 * depthwise_conv2d.c (pixel blocks, any k and stride) and depthwise3x3.c (the 3×3 row walk);
 * WebGPU: the grouped conv's program with groups = C (group-conv2d/webgpu.ts).
 */
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { tf } from '../../tf';
import type { KernelArgs, KernelDefinition, TensorLike } from '../kernel';
import { convCall, describe, outputSize } from '../kernel';
import type { GroupConv2DAttrs, GroupConvGeometry } from '../group-conv2d';
import type { Kernels, WasmBackendLike } from '../wasm/module';
import { SPLITS, THRESHOLDS } from '../config';
import { kernelsOf, offsetOf, runSliced, slices } from '../wasm/module';
import { runGroupConvProgram } from '../group-conv2d/webgpu';

export const DEPTHWISE_CONV2D = 'WebnetsDepthwiseConv2D';

export type DepthwiseConv2DAttrs = Omit<GroupConv2DAttrs, 'groups' | 'packed'>;

export type DepthwiseGeometry = Omit<
  GroupConvGeometry,
  'inChannels' | 'outChannels' | 'groups' | 'packed'
> & {
  channels: number;
};

/** The call's sizes, checked: throws naming the input or attr before anything is allocated. */
export function depthwiseGeometry(
  inputs: { x?: TensorLike; filter?: TensorLike; bias?: TensorLike },
  attrs: Partial<DepthwiseConv2DAttrs>,
): DepthwiseGeometry {
  const K = DEPTHWISE_CONV2D;
  const { x, filter, bias, stride, pad, activation, threads } = convCall(K, inputs, attrs);
  const [batch = 0, height = 0, width = 0, channels = 0] = x.shape;
  const [kh = 0, kw = 0, filterChannels = 0, multiplier = 0] = filter.shape;
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
    threads,
  };
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

/**
 * Whether the kernel pads the input into scratch first: when the border pixels are more
 * than THRESHOLDS.depthwisePadBorderShare of the output (config.ts), unless the conv takes
 * the 3×3 row walk, which needs no padding (the module says which: depthwise_walks_rows).
 */
function padsInput(kernels: Kernels, g: DepthwiseGeometry): boolean {
  if (g.pad === 0) return false;
  if (kernels.exports.depthwise_walks_rows(g.kernel, g.pad, g.stride, g.channels, g.activation))
    return false;
  const inside = (size: number, out: number): number => {
    const lo = Math.ceil(g.pad / g.stride);
    const hi = Math.min(out, Math.floor((size - g.kernel + g.pad) / g.stride) + 1);
    return Math.max(0, hi - lo);
  };
  const interior = inside(g.height, g.outHeight) * inside(g.width, g.outWidth);
  return interior < (1 - THRESHOLDS.depthwisePadBorderShare) * g.outHeight * g.outWidth;
}

function wasmDepthwiseConv2d({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const b = backend as WasmBackendLike;
  const g = depthwiseGeometry(inputs, attrs ?? {});
  const { x, filter, bias } = inputs as Record<'x' | 'filter' | 'bias', TensorInfo>;
  const kernels = kernelsOf(b);
  const out = b.makeOutput([g.batch, g.outHeight, g.outWidth, g.channels], 'float32');
  const paddedFloats = g.batch * (g.height + 2 * g.pad) * (g.width + 2 * g.pad) * g.channels;
  const scratch = padsInput(kernels, g) ? b.wasm._malloc(4 * (paddedFloats + 4)) : 0;
  try {
    const xAt = offsetOf(b, x);
    if (scratch) {
      kernels.exports.depthwise_pad(xAt, scratch, g.batch, g.height, g.width, g.channels, g.pad);
    }
    const args = [
      ...[xAt, offsetOf(b, filter), offsetOf(b, bias), offsetOf(b, out), scratch],
      ...[g.batch, g.height, g.width, g.channels, g.kernel, g.stride, g.pad, g.activation],
      kernels.table,
    ];
    const macs = g.batch * g.outHeight * g.outWidth * g.channels * g.kernel * g.kernel;
    const parts = slices(kernels, macs, g.batch * g.outHeight, SPLITS.depthwise, g.threads);
    runSliced(kernels, 'depthwise_conv2d', args, parts);
  } finally {
    if (scratch) b.wasm._free(scratch);
  }
  return out;
}

/** The grouped conv with groups = C: [k, k, C, 1] and [k, k, 1, C] are the same bytes. */
function webgpuDepthwiseConv2d({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const g = depthwiseGeometry(inputs, attrs ?? {});
  const { x, filter, bias } = inputs as Record<'x' | 'filter' | 'bias', TensorInfo>;
  const asGrouped: TensorInfo = { ...filter, shape: [g.kernel, g.kernel, 1, g.channels] };
  const activation = (attrs as unknown as DepthwiseConv2DAttrs).activation;
  return runGroupConvProgram(
    backend as WebGPUBackend,
    { x, filter: asGrouped, bias },
    {
      kernel: g.kernel,
      inChannels: g.channels,
      outShape: [g.batch, g.outHeight, g.outWidth, g.channels],
      pad: g.pad,
      stride: g.stride,
      groups: g.channels,
    },
    activation,
  );
}

export const depthwiseConv2dKernel: KernelDefinition<typeof DEPTHWISE_CONV2D> = {
  name: DEPTHWISE_CONV2D,
  backends: { wasm: wasmDepthwiseConv2d, webgpu: webgpuDepthwiseConv2d },
};
