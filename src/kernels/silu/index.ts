/** x · sigmoid(x) in one pass. inputs: x (any shape). WASM only: silu.c. */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { tf } from '../../tf';
import type { KernelArgs, KernelDefinition } from '../kernel';
import { sameShape } from '../kernel';
import type { WasmBackendLike } from '../wasm/module';
import { kernelsOf, offsetOf } from '../wasm/module';

export const SILU = 'WebnetsSilu';

/** x · sigmoid(x). */
export function silu<T extends tf.Tensor>(x: T): T {
  return tf.engine().runKernel(SILU, { x });
}

function wasmSilu({ inputs, backend }: KernelArgs): TensorInfo {
  const b = backend as WasmBackendLike;
  const x = inputs.x;
  const n = sameShape(SILU, x, x);
  const kernels = kernelsOf(b);
  const out = b.makeOutput([...(x as TensorInfo).shape], 'float32');
  kernels.exports.silu(offsetOf(b, x as TensorInfo), offsetOf(b, out), n, kernels.table);
  return out;
}

export const siluKernel: KernelDefinition<typeof SILU> = {
  name: SILU,
  backends: { wasm: wasmSilu },
};
