/**
 * y = activation(a + b), a and b of one shape (a residual sum). inputs: a, b.
 * attrs: activation. WASM only: add_act.c.
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { tf } from '../../tf';
import type { KernelActivation, KernelArgs, KernelDefinition } from '../kernel';
import { activationCode, sameShape } from '../kernel';
import type { WasmBackendLike } from '../wasm/module';
import { kernelsOf, offsetOf } from '../wasm/module';

export const ADD_ACTIVATION = 'WebnetsAddActivation';

export interface AddActivationAttrs {
  activation: KernelActivation;
}

/** activation(a + b) for same-shaped a and b. */
export function addActivation<T extends tf.Tensor>(a: T, b: T, activation: KernelActivation): T {
  const attrs: AddActivationAttrs = { activation };
  return tf.engine().runKernel(ADD_ACTIVATION, { a, b }, { ...attrs });
}

function wasmAddActivation({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const b = backend as WasmBackendLike;
  const n = sameShape(ADD_ACTIVATION, inputs.a, inputs.b);
  const act = activationCode(ADD_ACTIVATION, 'activation', attrs?.activation);
  const { a, b: addend } = inputs as Record<'a' | 'b', TensorInfo>;
  const kernels = kernelsOf(b);
  const out = b.makeOutput([...a.shape], 'float32');
  kernels.exports.add_act(
    offsetOf(b, a),
    offsetOf(b, addend),
    offsetOf(b, out),
    n,
    act,
    kernels.table,
  );
  return out;
}

export const addActivationKernel: KernelDefinition<typeof ADD_ACTIVATION> = {
  name: ADD_ACTIVATION,
  backends: { wasm: wasmAddActivation },
};
