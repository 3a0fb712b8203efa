/**
 * A block's last 1×1 conv and the next block's first 1×1 conv, chained in one op with two
 * outputs: y = activation(x · W + bias [+ residual | + shortcutX[:, ::s, ::s, :] ·
 * shortcutW]) [x read through scale], and next = nextActivation(y · nextW + nextBias). y is
 * the block's output (the next block's shortcut), next the next block's first map: RegNet's
 * c (+ shortcut or projection, ReLU) and the next block's a (ReLU).
 * inputs: x [N, H, W, Cin]; params: the weights and biases packed by `chainParams` (W
 * [1, 1, Cin, Cout], shortcutW [1, 1, Cs, Cout] with a projection, bias [Cout] (both sums'
 * with a projection), nextW [1, 1, Cout, Cnext], nextBias [Cnext]), one buffer so that a
 * dispatch binds few; residual (optional) shaped like y, or shortcutX [N, H', W', Cs] (H =
 * ⌊(H' − 1) / s⌋ + 1, likewise W); scale (optional) [N, Cin]. attrs: outChannels (Cout),
 * nextChannels (Cnext), activation, nextActivation, shortcutStrides (s, with shortcutX).
 * Cin, Cs, Cout, Cnext multiples of 4; a workgroup (chainTile: 4 pixels × one thread per 4
 * channels of the wider conv, ≥ 64 threads) within MAX_CHAIN_THREADS. Outputs [y, next].
 * WebGPU only: webgpu.ts.
 */
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { tf } from '../../tf';
import type { KernelActivation, KernelArgs, KernelDefinition, TensorLike } from '../kernel';
import { activationCode, describe, expectFloat, positiveInt } from '../kernel';
import { weightPrecision } from '../half';
import { MAX_CHAIN_THREADS, chainFits, chainTile, runChainedProgram } from './webgpu';
import type { ChainTile } from './webgpu';

export { chainFits, chainTile, chainWorkgroupSize, MAX_CHAIN_THREADS } from './webgpu';
export type { ChainTile } from './webgpu';

export const CHAINED_CONV2D = 'WebnetsChainedConv2D';

export interface ChainedConv2DAttrs {
  outChannels: number;
  nextChannels: number;
  activation: KernelActivation;
  nextActivation: KernelActivation;
  /** The projection shortcut's stride (with shortcutX). */
  shortcutStrides?: number;
}

/**
 * The two convs' weights and biases as the chained kernel reads them: one flat tensor, its
 * bias the sum of the output conv's and its projection's (shortcutBias) where there is one.
 * Packed on the host from the weights' values (tensors made from host arrays, as networks'
 * weights are, are read without touching the device): packing them on the backend compiled
 * its concat and add pipelines during load.
 */
export function chainParams(
  output: {
    filter: tf.Tensor4D;
    bias: tf.Tensor1D;
    shortcutFilter?: tf.Tensor4D;
    shortcutBias?: tf.Tensor1D;
  },
  next: { filter: tf.Tensor4D; bias: tf.Tensor1D },
): tf.Tensor1D {
  const bias = Float32Array.from(output.bias.dataSync());
  if (output.shortcutBias) {
    const add = output.shortcutBias.dataSync();
    bias.forEach((v, i) => (bias[i] = v + add[i]!));
  }
  const parts = [output.filter, output.shortcutFilter, bias, next.filter, next.bias]
    .filter((t) => t !== undefined)
    .map((t) => (t instanceof Float32Array ? t : t.dataSync()));
  const packed = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((offset, p) => (packed.set(p, offset), offset + p.length), 0);
  return tf.tensor1d(packed, 'float32');
}

/** The call's sizes, checked: throws naming the input or attr before anything is allocated. */
export function chainedGeometry(
  inputs: Record<string, TensorLike | undefined>,
  attrs: Partial<ChainedConv2DAttrs>,
): { outShape: number[]; nextShape: number[]; stride: number; tile: ChainTile } {
  const K = CHAINED_CONV2D;
  activationCode(K, 'activation', attrs.activation);
  activationCode(K, 'nextActivation', attrs.nextActivation);
  const cout = positiveInt(K, 'outChannels', attrs.outChannels);
  const cnext = positiveInt(K, 'nextChannels', attrs.nextChannels);
  const x = expectFloat(K, 'x', inputs.x, 4);
  const [batch = 0, height = 0, width = 0, cin = 0] = x.shape;
  if (cin % 4 !== 0 || cout % 4 !== 0 || cnext % 4 !== 0) {
    throw new Error(
      `${K}: x's channels (${cin}), outChannels (${cout}) and nextChannels (${cnext}) must be multiples of 4`,
    );
  }
  const outShape = [batch, height, width, cout];
  let stride = 1;
  let cs = 0;
  if (inputs.shortcutX !== undefined) {
    if (inputs.residual !== undefined) {
      throw new Error(`${K}: give either residual or shortcutX, not both`);
    }
    stride = positiveInt(K, 'shortcutStrides', attrs.shortcutStrides);
    const sx = expectFloat(K, 'shortcutX', inputs.shortcutX, 4);
    const [sb, sh = 0, sw = 0] = sx.shape;
    cs = sx.shape[3] ?? 0;
    const sampled = [Math.floor((sh - 1) / stride) + 1, Math.floor((sw - 1) / stride) + 1];
    if (sb !== batch || sampled.join() !== [height, width].join() || cs % 4 !== 0) {
      throw new Error(
        `${K}: shortcutX ${describe(sx)} sampled every ${stride} pixels must cover x ${describe(x)}, its channels a multiple of 4`,
      );
    }
  }
  if (inputs.residual !== undefined) {
    const residual = expectFloat(K, 'residual', inputs.residual, 4);
    if (residual.shape.join() !== outShape.join()) {
      throw new Error(
        `${K}: residual must be the output's shape [${outShape.join(', ')}], got ${describe(residual)}`,
      );
    }
  }
  if (inputs.scale !== undefined) {
    const scale = expectFloat(K, 'scale', inputs.scale, 2);
    if (scale.shape.join() !== [batch, cin].join()) {
      throw new Error(`${K}: scale must be [${batch}, ${cin}] (N, Cin), got ${describe(scale)}`);
    }
  }
  const params = expectFloat(K, 'params', inputs.params, 1);
  const floats = (cin + cs + 1) * cout + (cout + 1) * cnext;
  if (params.shape[0] !== floats) {
    throw new Error(
      `${K}: params must be [${floats}] (chainParams of Cin ${cin}, Cs ${cs}, Cout ${cout}, Cnext ${cnext}), got ${describe(params)}`,
    );
  }
  const tile = chainTile(cout, cnext);
  if (!chainFits(tile)) {
    throw new Error(
      `${K}: Cout ${cout} and Cnext ${cnext} need workgroups of ${tile.lanes * tile.quads} threads, more than ${MAX_CHAIN_THREADS}`,
    );
  }
  return { outShape, nextShape: [batch, height, width, cnext], stride, tile };
}

/** The rest of a chained conv's inputs: the block's residual or projection input, SE's gates. */
export interface ChainedExtras {
  residual?: tf.Tensor4D;
  shortcutX?: tf.Tensor4D;
  scale?: tf.Tensor2D;
}

/** [y, next]: the block's output conv and the next block's first conv, one dispatch. */
export function chainedConv2d(
  x: tf.Tensor4D,
  params: tf.Tensor1D,
  attrs: ChainedConv2DAttrs,
  extras: ChainedExtras = {},
): [tf.Tensor4D, tf.Tensor4D] {
  const inputs: tf.NamedTensorMap = { x, params };
  for (const [name, t] of Object.entries(extras)) if (t) inputs[name] = t as tf.Tensor;
  return tf.engine().runKernel(CHAINED_CONV2D, inputs, { ...attrs }) as unknown as [
    tf.Tensor4D,
    tf.Tensor4D,
  ];
}

/** params may be float16 pairs (half.ts, biases included): its values' length is checked. */
function webgpuChainedConv2d({ inputs, backend, attrs }: KernelArgs): TensorInfo[] {
  const a = (attrs ?? {}) as Partial<ChainedConv2DAttrs>;
  const { precision, view } = weightPrecision(CHAINED_CONV2D, inputs, ['params']);
  const g = chainedGeometry(view, a);
  const i = inputs as Record<string, TensorInfo | undefined>;
  return runChainedProgram(
    backend as WebGPUBackend,
    { x: i.x!, params: i.params!, residual: i.residual, shortcutX: i.shortcutX, scale: i.scale },
    g.outShape,
    g.nextShape,
    g.tile,
    { activation: a.activation!, nextActivation: a.nextActivation!, shortcutStride: g.stride },
    precision,
  );
}

export const chainedConv2dKernel: KernelDefinition<typeof CHAINED_CONV2D> = {
  name: CHAINED_CONV2D,
  backends: { webgpu: webgpuChainedConv2d },
};
