/**
 * webnets' custom kernels: the list, registration per backend, and every kernel's typed
 * call. Each kernel's folder holds all of it (kernel.ts says what a kernel is).
 *
 *   await tf.setBackend('wasm');           // or 'webgpu'
 *   await registerKernels();               // once per backend instance
 *   if (hasKernel(GROUP_CONV2D)) y = groupConv2d(x, w, b, { strides: 2, groups: 4, activation: 'relu' });
 *
 * The calls run through `tf.engine().runKernel`, so they work inside `tf.tidy` like any op.
 * They throw when the kernel is not registered for the active backend.
 */
import { tf } from '../tf';
import { addActivationKernel } from './add-activation';
import { areaShrinkRgbaKernel } from './area-shrink-rgba';
import { depthwiseConv2dKernel } from './depthwise-conv2d';
import { groupConv2dKernel } from './group-conv2d';
import { resizeCropNormalizeKernel } from './resize-crop-normalize';
import { siluKernel } from './silu';
import { squeezeExciteKernel } from './squeeze-excite';
import { setUpKernels } from './wasm/module';
import type { WasmBackendLike } from './wasm/module';

export * from './add-activation';
export * from './area-shrink-rgba';
export * from './depthwise-conv2d';
export * from './group-conv2d';
export * from './resize-crop-normalize';
export * from './silu';
export * from './squeeze-excite';
export { ACTIVATION_CODES } from './kernel';
export type { KernelActivation } from './kernel';
export {
  useWasmKernelThreads,
  wasmKernelSplitCalls,
  wasmKernelThreads,
  wasmKernelVariant,
} from './wasm/module';
export type { WasmKernelVariant } from './wasm/module';

/** Every webnets kernel. */
export const KERNELS = [
  groupConv2dKernel,
  depthwiseConv2dKernel,
  siluKernel,
  squeezeExciteKernel,
  addActivationKernel,
  resizeCropNormalizeKernel,
  areaShrinkRgbaKernel,
] as const;

export type KernelName = (typeof KERNELS)[number]['name'];

export const KERNEL_NAMES: readonly KernelName[] = KERNELS.map((k) => k.name);

type KernelBackend = 'wasm' | 'webgpu';

/** Backends whose kernels are registered with tfjs (kernels are registered by backend name). */
const registered = new Set<KernelBackend>();

function register(backendName: KernelBackend): void {
  if (registered.has(backendName)) return;
  for (const kernel of KERNELS) {
    const kernelFunc = kernel.backends[backendName];
    if (kernelFunc) {
      tf.registerKernel({
        kernelName: kernel.name,
        backendName,
        kernelFunc: kernelFunc as tf.KernelFunc,
      });
    }
  }
  registered.add(backendName);
}

/**
 * Registers webnets' kernels for `backendName` (default: the active backend), which must
 * be initialized. Resolves false when that backend has no webnets kernels or this engine
 * cannot run them (e.g. WebAssembly without SIMD): the stock ops then stay in use.
 * `threads` (wasm): threads for the kernel pool where tfjs' memory is shared (default 1).
 * Call it again after re-creating the wasm backend (kernels find their module by the
 * backend instance they run on).
 */
export async function registerKernels(
  backendName: string = tf.getBackend(),
  options: { threads?: number } = {},
): Promise<boolean> {
  if (backendName !== 'wasm' && backendName !== 'webgpu') return false;
  const backend = tf.findBackend(backendName);
  if (!backend) {
    throw new Error(
      `registerKernels: the ${backendName} backend is not initialized: await tf.setBackend("${backendName}") first`,
    );
  }
  if (backendName === 'wasm') {
    const ready = await setUpKernels(backend as unknown as WasmBackendLike, options.threads);
    if (!ready) return false;
  }
  register(backendName);
  return true;
}

/** Whether `name` is registered for `backendName` (default: the active backend). */
export function hasKernel(name: KernelName, backendName: string = tf.getBackend()): boolean {
  return tf.getKernel(name, backendName) !== undefined;
}
