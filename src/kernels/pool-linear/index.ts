/**
 * A network's head in one op: the global average pool, then the classifier,
 * y = mean_hw(x) · weight + bias. inputs: x [N, H, W, C]; weight [C, O]; bias [O].
 * Output [N, O] float32. On WebGPU one dispatch (webgpu.ts) where the pool and tfjs'
 * matMul take two and write the pooled features between them.
 */
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { tf } from '../../tf';
import type { KernelArgs, KernelDefinition, TensorLike } from '../kernel';
import { describe, expectFloat } from '../kernel';
import { weightPrecision } from '../half';
import { runPoolLinearProgram } from './webgpu';

export const POOL_LINEAR = 'WebnetsPoolLinear';

/** The inputs checked: throws naming the input before anything is allocated. */
export function poolLinearGeometry(inputs: Record<string, TensorLike | undefined>): {
  batch: number;
  channels: number;
  classes: number;
} {
  const K = POOL_LINEAR;
  const x = expectFloat(K, 'x', inputs.x, 4);
  const weight = expectFloat(K, 'weight', inputs.weight, 2);
  const bias = expectFloat(K, 'bias', inputs.bias, 1);
  const [batch = 0, , , channels = 0] = x.shape;
  const [rows, classes = 0] = weight.shape;
  if (rows !== channels) {
    throw new Error(
      `${K}: weight must be [${channels}, classes] (x's channels first), got ${describe(weight)}`,
    );
  }
  if (bias.shape[0] !== classes) {
    throw new Error(`${K}: bias must be [${classes}] (weight's classes), got ${describe(bias)}`);
  }
  return { batch, channels, classes };
}

/** mean_hw(x) · weight + bias: [N, H, W, C] → [N, O]. */
export function poolLinear(x: tf.Tensor4D, weight: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor2D {
  return tf.engine().runKernel(POOL_LINEAR, { x, weight, bias }, {});
}

/** The weight may be float16 pairs (half.ts): its values' shape is checked. */
function webgpuPoolLinear({ inputs, backend }: KernelArgs): TensorInfo {
  const { precision, view } = weightPrecision(POOL_LINEAR, inputs, ['weight']);
  const g = poolLinearGeometry(view);
  const { x, weight, bias } = inputs as Record<string, TensorInfo>;
  return runPoolLinearProgram(backend as WebGPUBackend, [x!, weight!, bias!], g, precision);
}

export const poolLinearKernel: KernelDefinition<typeof POOL_LINEAR> = {
  name: POOL_LINEAR,
  backends: { webgpu: webgpuPoolLinear },
};
