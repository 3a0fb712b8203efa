/**
 * A residual block's last 1×1 conv with its projection shortcut, in one op:
 * y = activation(x · filter + bias + shortcutX[:, ::s, ::s, :] · shortcutFilter), `bias`
 * holding both convs' biases (RegNet's c conv + projection, then ReLU). inputs: x [N, H, W,
 * Cin]; filter [1, 1, Cin, Cout]; bias [Cout]; shortcutX [N, H', W', Cs] (the block's input,
 * H = ⌊(H' − 1) / s⌋ + 1, likewise W); shortcutFilter [1, 1, Cs, Cout]; scale (optional)
 * [N, Cin]: x's channels multiplied by it as they are read (squeeze-excitation's gates).
 * attrs: shortcutStrides (s), activation. Cin, Cs and Cout multiples of 4. WebGPU only: the
 * pointwise program of group-conv2d/webgpu.ts with a second sum, as many invocations as
 * the conv alone, one dispatch where the projection took one of its own.
 */
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { tf } from '../../tf';
import type { KernelActivation, KernelArgs, KernelDefinition, TensorLike } from '../kernel';
import { activationCode, describe, expectFloat, positiveInt } from '../kernel';
import { groupConvGeometry } from '../group-conv2d';
import { runProjectedConvProgram } from '../group-conv2d/webgpu';
import { weightPrecision } from '../half';

export const PROJECTED_CONV2D = 'WebnetsProjectedConv2D';

export interface ProjectedConv2DAttrs {
  shortcutStrides: number;
  activation: KernelActivation;
}

/** The call's sizes, checked: throws naming the input or attr before anything is allocated. */
export function projectedGeometry(
  inputs: Record<string, TensorLike | undefined>,
  attrs: Partial<ProjectedConv2DAttrs>,
): { outShape: number[]; stride: number } {
  const K = PROJECTED_CONV2D;
  const conv = groupConvGeometry(
    { x: inputs.x, filter: inputs.filter, bias: inputs.bias, scale: inputs.scale },
    { strides: 1, pad: 0, groups: 1, activation: attrs.activation },
  );
  activationCode(K, 'activation', attrs.activation);
  const stride = positiveInt(K, 'shortcutStrides', attrs.shortcutStrides);
  const sx = expectFloat(K, 'shortcutX', inputs.shortcutX, 4);
  const sw = expectFloat(K, 'shortcutFilter', inputs.shortcutFilter, 4);
  const [batch, sh = 0, swidth = 0, cs = 0] = sx.shape;
  if (conv.kernel !== 1 || conv.inChannels % 4 !== 0 || conv.outChannels % 4 !== 0) {
    throw new Error(
      `${K}: filter must be [1, 1, Cin, Cout] with Cin and Cout multiples of 4, got ${describe(inputs.filter!)}`,
    );
  }
  if (sw.shape.join() !== [1, 1, cs, conv.outChannels].join() || cs % 4 !== 0) {
    throw new Error(
      `${K}: shortcutFilter must be [1, 1, ${cs}, ${conv.outChannels}] (shortcutX's channels, a multiple of 4; Cout), got ${describe(sw)}`,
    );
  }
  const sampled = [Math.floor((sh - 1) / stride) + 1, Math.floor((swidth - 1) / stride) + 1];
  if (batch !== conv.batch || sampled.join() !== [conv.height, conv.width].join()) {
    throw new Error(
      `${K}: shortcutX ${describe(sx)} sampled every ${stride} pixels must cover x ${describe(inputs.x!)}`,
    );
  }
  return { outShape: [conv.batch, conv.height, conv.width, conv.outChannels], stride };
}

/** act(x · filter + bias + shortcutX[::s, ::s] · shortcutFilter) [x read through scale]. */
export function projectedConv2d(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  bias: tf.Tensor1D,
  shortcut: { x: tf.Tensor4D; filter: tf.Tensor4D },
  attrs: ProjectedConv2DAttrs,
  scale?: tf.Tensor2D,
): tf.Tensor4D {
  const inputs = {
    x,
    filter,
    bias,
    shortcutX: shortcut.x,
    shortcutFilter: shortcut.filter,
    ...(scale ? { scale } : {}),
  };
  return tf.engine().runKernel(PROJECTED_CONV2D, inputs, { ...attrs });
}

/** On WebGPU both filters may be float16 pairs (half.ts): their values' shapes are checked. */
function webgpuProjectedConv2d({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const a = (attrs ?? {}) as Partial<ProjectedConv2DAttrs>;
  const names = ['filter', 'shortcutFilter'];
  const { precision, view } = weightPrecision(PROJECTED_CONV2D, inputs, names);
  const g = projectedGeometry(view, a);
  const { x, filter, bias, shortcutX, shortcutFilter, scale } = inputs as Record<
    string,
    TensorInfo
  >;
  return runProjectedConvProgram(
    backend as WebGPUBackend,
    {
      x: x!,
      filter: filter!,
      bias: bias!,
      shortcutX: shortcutX!,
      shortcutFilter: shortcutFilter!,
      scale,
    },
    g.outShape,
    g.stride,
    a.activation!,
    precision,
  );
}

export const projectedConv2dKernel: KernelDefinition<typeof PROJECTED_CONV2D> = {
  name: PROJECTED_CONV2D,
  backends: { webgpu: webgpuProjectedConv2d },
};
