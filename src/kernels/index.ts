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
import { getThreadsCount, tf } from '../tf';
import type { KernelConfig } from './config';
import type { WeightPrecision } from './half';
import { addActivationKernel } from './add-activation';
import { chainedConv2dKernel } from './chained-conv2d';
import { depthwiseConv2dKernel } from './depthwise-conv2d';
import { groupConv2dKernel } from './group-conv2d';
import { poolLinearKernel } from './pool-linear';
import { projectedConv2dKernel } from './projected-conv2d';
import { resizeCropNormalizeKernel } from './resize-crop-normalize';
import { separableConv2dKernel } from './separable-conv2d';
import { siluKernel } from './silu';
import { squeezeExciteKernel } from './squeeze-excite';
import { squeezeExciteGatesKernel } from './squeeze-excite-gates';
import { setUpKernels, wasmKernelThreads } from './wasm/module';
import type { WasmBackendLike } from './wasm/module';

export * from './add-activation';
export * from './chained-conv2d';
export * from './depthwise-conv2d';
export * from './group-conv2d';
export * from './pool-linear';
export * from './projected-conv2d';
export * from './resize-crop-normalize';
export * from './separable-conv2d';
export * from './silu';
export * from './squeeze-excite';
export * from './squeeze-excite-gates';
export * from './config';
export { compileAhead } from './compile-ahead';
export { canPackHalves, packHalves } from './half';
export type { WeightPrecision } from './half';
export { ACTIVATION_CODES } from './kernel';
export type { KernelActivation } from './kernel';
export {
  setWasmKernelSplitting,
  wakeWasmKernelPool,
  wasmKernelSoloCalls,
  wasmKernelSplitCalls,
  wasmKernelWorkerSlices,
  wasmKernelThreads,
  wasmKernelVariant,
} from './wasm/module';
export type { WasmKernelVariant } from './wasm/module';

/** Every webnets kernel, by the key the kernel configuration (config.ts) knows it by. */
export const KERNELS = {
  groupConv2d: groupConv2dKernel,
  depthwiseConv2d: depthwiseConv2dKernel,
  silu: siluKernel,
  squeezeExcite: squeezeExciteKernel,
  addActivation: addActivationKernel,
  resizeCropNormalize: resizeCropNormalizeKernel,
  separableConv2d: separableConv2dKernel,
  squeezeExciteGates: squeezeExciteGatesKernel,
  poolLinear: poolLinearKernel,
  projectedConv2d: projectedConv2dKernel,
  chainedConv2d: chainedConv2dKernel,
} as const;

export type KernelKey = keyof typeof KERNELS;

export type KernelName = (typeof KERNELS)[KernelKey]['name'];

export const KERNEL_NAMES: readonly KernelName[] = Object.values(KERNELS).map((k) => k.name);

type KernelBackend = 'wasm' | 'webgpu';

/** Backends whose kernels are registered with tfjs (kernels are registered by backend name). */
const registered = new Set<KernelBackend>();

function register(backendName: KernelBackend): void {
  if (registered.has(backendName)) return;
  for (const kernel of Object.values(KERNELS)) {
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

/**
 * What `backendName` (default: the active backend, initialized) offers webnets' kernel
 * configuration: its kernels and threads. Read once, when a network is built there.
 * `pooled` (default true): the network's kernels split calls over the kernel pool's threads
 * (false: the calling thread only), as the thread policy decides (backend/threads.ts).
 * `precision` (default 'float32'): the weights' precision, 'float16' only where the caller
 * made sure the backend's device has shader-f16 (backend/precision.ts).
 */
export function kernelConfig(
  backendName: string = tf.getBackend(),
  { pooled = true, precision = 'float32' }: { pooled?: boolean; precision?: WeightPrecision } = {},
): KernelConfig {
  const kernels = Object.fromEntries(
    Object.entries(KERNELS).map(([key, kernel]) => [key, hasKernel(kernel.name, backendName)]),
  ) as Record<KernelKey, boolean>;
  const wasm = backendName === 'wasm';
  const poolThreads = wasm ? wasmKernelThreads() : 1;
  return {
    backend: backendName,
    kernels,
    xnnpackThreads: wasm ? getThreadsCount() : 1,
    poolThreads,
    threads: pooled ? poolThreads : 1,
    precision,
  };
}
