/**
 * Weights in half precision on WebGPU (`load`'s `precision: 'float16'`, where the device has
 * `shader-f16`). tfjs has no float16 dtype, so a weight is kept as an int32 tensor holding two
 * IEEE float16 values per element, in order: its last axis halved (the values' last axis must
 * be even). A WGSL kernel given such a weight reads it under `enable f16;` (wgsl.ts
 * `weightReaderWgsl`, `bitcast<vec2<f16>>`), multiplies in f16 and accumulates in f32; its
 * activations stay float32 tensors. Packing runs on the GPU (`pack2x16float`, core WGSL), so
 * the float32 weight is never read back.
 */
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { tf } from '../tf';
import type { TensorLike } from './kernel';
import { describe } from './kernel';

/** How a kernel's weights are stored on the GPU. */
export type WeightPrecision = 'float32' | 'float16';

/** The dtype of a weight packed as float16 pairs. */
const HALVES_DTYPE = 'int32';

/** Whether `shape`'s values can be packed in pairs along the last axis. */
export function canPackHalves(shape: readonly number[]): boolean {
  const last = shape[shape.length - 1] ?? 0;
  return shape.length > 0 && last % 2 === 0;
}

class PackHalvesProgram implements WebGPUProgram {
  variableNames = ['x'];
  workgroupSize: [number, number, number] = [64, 1, 1];
  size = true;
  outputShape: number[];
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  shaderKey = 'webnets_pack_halves';

  constructor(outputShape: number[]) {
    this.outputShape = outputShape;
    this.dispatchLayout = { x: outputShape.map((_, i) => i) };
    const size = outputShape.reduce((a, b) => a * b, 1);
    this.dispatch = [Math.ceil(size / 64), 1, 1];
  }

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          result[index] = bitcast<i32>(pack2x16float(vec2<f32>(x[2 * index], x[2 * index + 1])));
        }
      }
    `;
  }
}

/**
 * `t`'s values as float16 pairs (an int32 tensor, last axis halved), made on the WebGPU
 * backend `t` lives on. Throws where the last axis is odd; `t` stays the caller's.
 */
export function packHalves<T extends tf.Tensor>(t: T): T {
  if (t.dtype !== 'float32' || !canPackHalves(t.shape)) {
    throw new Error(
      `packHalves: expected a float32 tensor whose last axis is even, got ${describe(t)}`,
    );
  }
  const backend = tf.backend() as unknown as WebGPUBackend;
  if (typeof backend.runWebGPUProgram !== 'function') {
    throw new Error(
      `packHalves: float16 weights are for the webgpu backend, not ${tf.getBackend()}`,
    );
  }
  const shape = [...t.shape.slice(0, -1), (t.shape[t.shape.length - 1] ?? 0) / 2];
  const info = backend.runWebGPUProgram(new PackHalvesProgram(shape), [t], HALVES_DTYPE);
  return tf.engine().makeTensorFromTensorInfo(info) as T;
}

/** A weight as the kernels' checks see it: a packed one's values' float32 shape. */
export function weightView(t: TensorLike): TensorLike {
  if (t.dtype !== HALVES_DTYPE) return t;
  const shape = [...t.shape];
  shape[shape.length - 1] = (shape[shape.length - 1] ?? 0) * 2;
  return { shape, dtype: 'float32' };
}

/**
 * The precision of a WebGPU kernel's weights (`names` of `inputs`; absent ones skipped):
 * float16 where they are packed (int32), float32 where they are float32, and an error naming
 * the inputs where they mix. `view`: the inputs with the weights as weightView sees them,
 * for the kernel's checks.
 */
export function weightPrecision<I extends Record<string, TensorLike | undefined>>(
  kernel: string,
  inputs: I,
  names: readonly (keyof I & string)[],
): { precision: WeightPrecision; view: I } {
  const given = names.filter((n) => inputs[n] !== undefined);
  const packed = given.filter((n) => inputs[n]!.dtype === HALVES_DTYPE);
  if (packed.length > 0 && packed.length < given.length) {
    const list = given.map((n) => `${n} ${describe(inputs[n]!)}`).join(', ');
    throw new Error(
      `${kernel}: weights must all be float32 or all float16 pairs (int32), got ${list}`,
    );
  }
  // Float32 weights (every call of a float32 network): the inputs are their own view.
  if (packed.length === 0) return { precision: 'float32', view: inputs };
  const view = { ...inputs };
  for (const n of packed) (view as Record<string, TensorLike>)[n] = weightView(inputs[n]!);
  return { precision: 'float16', view };
}
