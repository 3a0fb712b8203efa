/**
 * How a network's WASM kernels use threads, and how a model says so: the thread policy and
 * its labels.
 *
 * A page has one pool of webnets' kernel workers and one tfjs XNNPACK pool, both sized when
 * the wasm backend first starts (the first model's `threads`; tfjs caps XNNPACK at
 * hardwareConcurrency / 2, while webnets' pool takes the count asked for: `poolThreads`).
 * Each network decides, when it is built, whether its kernels split their calls over that
 * pool (`poolsNetwork`); the decision is data of the network (its kernel configuration's
 * `threads`, passed to every kernel call as an attribute), so models with different
 * settings in one page each keep their own, whatever runs between their calls.
 */
import type { KernelConfig } from '../kernels';
import { kernelConfig, THRESHOLDS } from '../kernels';

/** `load`'s threads option: a count, or 'auto' (the default). */
export type ThreadsOption = number | 'auto' | undefined;

/** With threads 'auto', networks from this many MACs split their kernels (kernels/config.ts). */
export const AUTO_POOLED_MIN_MACS = THRESHOLDS.autoPooledMinMacs;

/**
 * Whether a network of `macs` loaded with `threads` splits its kernels over the page's
 * kernel pool: 'auto' from AUTO_POOLED_MIN_MACS, a count unless it is 1 (a model asking for
 * 1 thread on a page whose pool has more keeps its kernels on the calling thread).
 */
export function poolsNetwork(macs: number, threads: ThreadsOption): boolean {
  const asked = threads ?? 'auto';
  return asked === 'auto' ? macs >= AUTO_POOLED_MIN_MACS : asked > 1;
}

/** The kernel pool's threads for a page whose wasm backend starts with `threads`. */
export function poolThreads(threads: ThreadsOption): number {
  if (typeof threads === 'number') return threads;
  const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator
    ?.hardwareConcurrency;
  return Math.max(1, Math.min(THRESHOLDS.autoMaxThreads, cores ?? 1));
}

/** The kernel configuration of a network of `macs` loaded with `threads`, on the active backend. */
export function networkKernels(macs: number, threads: ThreadsOption): KernelConfig {
  return kernelConfig(undefined, { pooled: poolsNetwork(macs, threads) });
}

/** What a running WASM backend tells about itself: its SIMD build and XNNPACK's threads. */
export interface WasmTraits {
  simd: boolean;
  xnnpackThreads: number;
}

/**
 * The backend as a model on it runs: 'webgpu', 'cpu', or on WASM its build and the threads
 * its network runs on, its kernels' or XNNPACK's, whichever are more:
 * 'wasm-simd (2 threads)'.
 */
export function backendLabel(
  name: string,
  wasm: WasmTraits | undefined,
  kernelThreads: number,
): string {
  if (name !== 'wasm' || wasm === undefined) return name;
  const threads = Math.max(wasm.xnnpackThreads, kernelThreads);
  return `${wasm.simd ? 'wasm-simd' : 'wasm'} (${threads} thread${threads === 1 ? '' : 's'})`;
}
