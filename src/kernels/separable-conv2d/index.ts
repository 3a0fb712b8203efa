/**
 * A k×k grouped or depthwise conv then a 1×1 dense conv, fused:
 * y = outActivation(pw(activation(conv(x) + dwBias)) + pwBias [+ residual]).
 * FD-MobileNet's depthwise-separable units and RegNet's grouped 3×3 → 1×1 (+ shortcut) in
 * one dispatch each: the intermediate map never leaves the GPU's workgroup memory.
 * inputs: x [N, H, W, Cin]; dw [k, k, Cin / groups, Cmid] (grouped HWIO; a depthwise
 * [k, k, C, 1] filter reshaped to [k, k, 1, C]); dwBias [Cmid]; pw [1, 1, Cmid, Cout];
 * pwBias [Cout]; residual (optional) shaped like y. attrs: strides, pad, groups, activation
 * (the first conv's), outActivation. Cmid at most MAX_TILE_FLOATS; Cmid and Cout multiples of 4. WebGPU only: webgpu.ts.
 */
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { tf } from '../../tf';
import type { KernelActivation, KernelArgs, KernelDefinition, TensorLike } from '../kernel';
import { activationCode, describe, expectFloat } from '../kernel';
import { groupConvGeometry } from '../group-conv2d';
import { weightPrecision } from '../half';
import { MAX_TILE_FLOATS, runSeparableProgram } from './webgpu';

export const SEPARABLE_CONV2D = 'WebnetsSeparableConv2D';

export { MAX_TILE_FLOATS as SEPARABLE_MAX_MID_CHANNELS } from './webgpu';

export interface SeparableConv2DAttrs {
  strides: number;
  pad: number;
  groups: number;
  activation: KernelActivation;
  outActivation: KernelActivation;
}

/** The call's sizes, checked: throws naming the input or attr before anything is allocated. */
export function separableGeometry(
  inputs: Record<string, TensorLike | undefined>,
  attrs: Partial<SeparableConv2DAttrs>,
) {
  const K = SEPARABLE_CONV2D;
  const first = groupConvGeometry(
    { x: inputs.x, filter: inputs.dw, bias: inputs.dwBias },
    { ...attrs, packed: false },
  );
  activationCode(K, 'outActivation', attrs.outActivation);
  const pw = expectFloat(K, 'pw', inputs.pw, 4);
  const pwBias = expectFloat(K, 'pwBias', inputs.pwBias, 1);
  const midChannels = first.outChannels;
  const outChannels = pw.shape[3] ?? 0;
  if (pw.shape.join() !== [1, 1, midChannels, outChannels].join()) {
    throw new Error(`${K}: pw must be [1, 1, ${midChannels}, Cout], got ${describe(pw)}`);
  }
  if (pwBias.shape[0] !== outChannels) {
    throw new Error(`${K}: pwBias must be [${outChannels}] (Cout), got ${describe(pwBias)}`);
  }
  if (midChannels > MAX_TILE_FLOATS) {
    throw new Error(
      `${K}: at most ${MAX_TILE_FLOATS} intermediate channels (dw's last axis), got ${midChannels}`,
    );
  }
  if (midChannels % 4 !== 0 || outChannels % 4 !== 0) {
    throw new Error(
      `${K}: intermediate and output channels must be multiples of 4, got dw ${describe(inputs.dw!)} and pw ${describe(pw)}`,
    );
  }
  const outShape = [first.batch, first.outHeight, first.outWidth, outChannels];
  if (inputs.residual !== undefined) {
    const residual = expectFloat(K, 'residual', inputs.residual, 4);
    if (residual.shape.join() !== outShape.join()) {
      throw new Error(
        `${K}: residual must be the output's shape [${outShape.join(', ')}], got ${describe(residual)}`,
      );
    }
  }
  return { ...first, midChannels, outShape };
}

/** The fused k×k → 1×1 conv pair; `pad` defaults to ⌊k/2⌋. */
export function separableConv2d(
  x: tf.Tensor4D,
  dw: { filter: tf.Tensor4D; bias: tf.Tensor1D },
  pw: { filter: tf.Tensor4D; bias: tf.Tensor1D },
  attrs: Omit<SeparableConv2DAttrs, 'pad'> & { pad?: number },
  residual?: tf.Tensor4D,
): tf.Tensor4D {
  const pad = attrs.pad ?? Math.floor((dw.filter.shape[0] ?? 1) / 2);
  const inputs: tf.NamedTensorMap = {
    x,
    dw: dw.filter,
    dwBias: dw.bias,
    pw: pw.filter,
    pwBias: pw.bias,
  };
  if (residual) inputs.residual = residual;
  return tf.engine().runKernel(SEPARABLE_CONV2D, inputs, { ...attrs, pad });
}

/** On WebGPU dw and pw may be float16 pairs (half.ts): their values' shapes are checked. */
function webgpuSeparableConv2d({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const a = (attrs ?? {}) as Partial<SeparableConv2DAttrs>;
  const { precision, view } = weightPrecision(SEPARABLE_CONV2D, inputs, ['dw', 'pw']);
  const g = separableGeometry(view, a);
  const names = ['x', 'dw', 'dwBias', 'pw', 'pwBias', ...(inputs.residual ? ['residual'] : [])];
  return runSeparableProgram(
    backend as WebGPUBackend,
    names.map((n) => inputs[n]!),
    g,
    a.activation!,
    a.outActivation!,
    precision,
  );
}

export const separableConv2dKernel: KernelDefinition<typeof SEPARABLE_CONV2D> = {
  name: SEPARABLE_CONV2D,
  backends: { webgpu: webgpuSeparableConv2d },
};
