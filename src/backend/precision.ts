/**
 * `load`'s `precision` option: the precision a network's weights are stored and multiplied
 * in. 'float16' runs on WebGPU where the device has `shader-f16` (webgpu.ts asks for it
 * where the adapter has it; kernels/half.ts); elsewhere the model runs float32 and says why.
 */
import { tf } from '../tf';
import type { GpuDeviceLike } from './webgpu';

export type Precision = 'float32' | 'float16';

export const precisions: readonly Precision[] = ['float32', 'float16'];

/** The option checked: a bad value is an error naming the option and what it may be. */
export function checkPrecision(value: unknown): Precision {
  if (value === undefined) return 'float32';
  if (precisions.includes(value as Precision)) return value as Precision;
  throw new Error(
    `precision: expected ${precisions.map((p) => `'${p}'`).join(' or ')}, got ${JSON.stringify(value)}`,
  );
}

/** Whether the WebGPU device of `backendName`'s tfjs backend has `shader-f16`. */
export function hasShaderF16(backendName: string): boolean {
  if (backendName !== 'webgpu') return false;
  const backend = tf.findBackend('webgpu') as { device?: GpuDeviceLike } | undefined;
  return backend?.device?.features?.has('shader-f16') === true;
}

/**
 * The precision a network asked to run in `asked` runs in on `backendName`, and why it is
 * not the one asked for (null when it is).
 */
export function resolvePrecision(
  asked: Precision,
  backendName: string,
  shaderF16: boolean,
): { precision: Precision; reason: string | null } {
  if (asked === 'float32') return { precision: 'float32', reason: null };
  if (backendName !== 'webgpu') {
    return {
      precision: 'float32',
      reason: `precision 'float16' runs on WebGPU only, this model runs on ${backendName}`,
    };
  }
  if (!shaderF16) {
    return {
      precision: 'float32',
      reason: "precision 'float16' needs WebGPU's shader-f16, which this adapter lacks",
    };
  }
  return { precision: 'float16', reason: null };
}
