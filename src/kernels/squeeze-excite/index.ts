/**
 * Squeeze-excitation: y = x' · sigmoid(expand(act(reduce(mean_hw(x'))))), x' =
 * inputActivation(x). inputs: x [N, H, W, C]; reduceWeight [C, Cs]; reduceBias [Cs];
 * expandWeight [Cs, C]; expandBias [C] (the 1×1 conv weights [1, 1, C, Cs] and
 * [1, 1, Cs, C] reshaped). attrs: activation (of the reduce conv), inputActivation,
 * threads (at most this many threads split the sums and the scaling; default 1).
 * WASM only: squeeze_excite.c, in three passes (sums, gates, scale).
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { tf } from '../../tf';
import type { KernelArgs, KernelDefinition, TensorLike } from '../kernel';
import { ACTIVATION_CODES, describe, expectFloat, threadsAttr } from '../kernel';
import type { WasmBackendLike } from '../wasm/module';
import { SPLITS } from '../config';
import { kernelsOf, offsetOf, runSliced, slices } from '../wasm/module';

export const SQUEEZE_EXCITE = 'WebnetsSqueezeExcite';

export interface SqueezeExciteAttrs {
  activation: 'relu' | 'silu';
  inputActivation: 'linear' | 'silu';
  /** At most this many of the WASM kernel pool's threads split the call (default 1). */
  threads?: number;
}

/** Squeeze-excitation weights: the two 1×1 convs' [C, Cs] / [Cs, C] matrices and biases. */
export interface SqueezeExciteWeights {
  reduceWeight: tf.Tensor2D;
  reduceBias: tf.Tensor1D;
  expandWeight: tf.Tensor2D;
  expandBias: tf.Tensor1D;
}

export interface SqueezeExciteGeometry {
  batch: number;
  pixels: number;
  channels: number;
  squeezed: number;
  activation: number;
  inputActivation: number;
  threads: number;
}

/** The call's sizes, checked: throws naming the input or attr before anything is allocated. */
export function squeezeExciteGeometry(
  inputs: Record<string, TensorLike | undefined>,
  attrs: Partial<SqueezeExciteAttrs>,
  K: string = SQUEEZE_EXCITE,
): SqueezeExciteGeometry {
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
    threads: threadsAttr(K, attrs.threads),
  };
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

function wasmSqueezeExcite({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const b = backend as WasmBackendLike;
  const g = squeezeExciteGeometry(inputs, (attrs ?? {}) as Partial<SqueezeExciteAttrs>);
  const t = inputs as Record<
    'x' | 'reduceWeight' | 'reduceBias' | 'expandWeight' | 'expandBias',
    TensorInfo
  >;
  const kernels = kernelsOf(b);
  const out = b.makeOutput([...t.x.shape], 'float32');
  // Partial sums (a row per slice), gates and the hidden vector: see squeeze_excite.c.
  const { batch, pixels, channels } = g;
  const work = batch * pixels * channels;
  const parts = slices(kernels, work, batch * pixels, SPLITS.squeezeExcite, g.threads);
  const rowFloats = batch * ((channels + 3) & ~3);
  const block = b.wasm._malloc(4 * ((parts + 1) * rowFloats + ((g.squeezed + 3) & ~3)));
  try {
    const [x, y, partials] = [offsetOf(b, t.x), offsetOf(b, out), block];
    const [gates, hidden] = [
      partials + 4 * parts * rowFloats,
      partials + 4 * (parts + 1) * rowFloats,
    ];
    const sumArgs = [x, y, partials, batch, pixels, channels, g.inputActivation, kernels.table];
    runSliced(kernels, 'se_sums', sumArgs, parts);
    kernels.exports.se_gates(
      ...[partials, parts, offsetOf(b, t.reduceWeight), offsetOf(b, t.reduceBias)],
      ...[offsetOf(b, t.expandWeight), offsetOf(b, t.expandBias), gates, hidden],
      ...[batch, pixels, channels, g.squeezed, g.activation, kernels.table],
    );
    // With an input activation, y already holds act(x): scale it in place.
    const scaled = g.inputActivation === ACTIVATION_CODES.linear ? x : y;
    runSliced(kernels, 'se_scale', [scaled, gates, y, batch, pixels, channels], parts);
  } finally {
    b.wasm._free(block);
  }
  return out;
}

export const squeezeExciteKernel: KernelDefinition<typeof SQUEEZE_EXCITE> = {
  name: SQUEEZE_EXCITE,
  backends: { wasm: wasmSqueezeExcite },
};
