/**
 * Squeeze-excitation's gates in one dispatch: g = sigmoid(expand(act(reduce(mean_hw(x))))),
 * [N, C]. The conv after the excitation multiplies its input channels by them as it reads
 * them (group-conv2d's `scale` input), so the gated map is never written: squeeze-excitation
 * costs one dispatch on WebGPU where the stock composition takes five or more.
 * inputs: x [N, H, W, C]; reduceWeight [C, Cs]; reduceBias [Cs]; expandWeight [Cs, C];
 * expandBias [C] (the squeeze-excite/ kernel's weights). attrs: activation (of the reduce
 * conv, 'relu' | 'silu'). WebGPU only: webgpu.ts.
 */
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { tf } from '../../tf';
import type { KernelArgs, KernelDefinition } from '../kernel';
import { squeezeExciteGeometry } from '../squeeze-excite';
import type { SqueezeExciteWeights } from '../squeeze-excite';
import { weightPrecision } from '../half';
import { MAX_SQUEEZED, runGatesProgram } from './webgpu';

export const SQUEEZE_EXCITE_GATES = 'WebnetsSqueezeExciteGates';

export interface SqueezeExciteGatesAttrs {
  activation: 'relu' | 'silu';
}

/** sigmoid(expand(act(reduce(mean(x))))): the channel gates [N, C] of squeeze-excitation. */
export function squeezeExciteGates(
  x: tf.Tensor4D,
  weights: SqueezeExciteWeights,
  attrs: SqueezeExciteGatesAttrs,
): tf.Tensor2D {
  return tf.engine().runKernel(SQUEEZE_EXCITE_GATES, { x, ...weights }, { ...attrs });
}

/** Its two weights may be float16 pairs (half.ts): their values' shapes are checked. */
function webgpuSqueezeExciteGates({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const name = SQUEEZE_EXCITE_GATES;
  const weights = ['reduceWeight', 'expandWeight'];
  const { precision, view } = weightPrecision(name, inputs, weights);
  const g = squeezeExciteGeometry(view, { ...attrs, inputActivation: 'linear' }, name);
  if (g.squeezed > MAX_SQUEEZED) {
    throw new Error(
      `${name}: at most ${MAX_SQUEEZED} squeezed channels (reduceWeight [C, Cs]), got ${g.squeezed}`,
    );
  }
  const { x, reduceWeight, reduceBias, expandWeight, expandBias } = inputs as Record<
    string,
    TensorInfo
  >;
  return runGatesProgram(
    backend as WebGPUBackend,
    [x!, reduceWeight!, reduceBias!, expandWeight!, expandBias!],
    { batch: g.batch, channels: g.channels, pixels: g.pixels, squeezed: g.squeezed },
    (attrs as unknown as SqueezeExciteGatesAttrs).activation,
    precision,
  );
}

export const squeezeExciteGatesKernel: KernelDefinition<typeof SQUEEZE_EXCITE_GATES> = {
  name: SQUEEZE_EXCITE_GATES,
  backends: { webgpu: webgpuSqueezeExciteGates },
};
