/**
 * The kernels module on a tfjs 'wasm' backend instance: instantiated on the backend's own
 * WebAssembly.Memory (so kernels read and write tfjs tensors in place: a tensor is
 * `memoryOffset` bytes into it, outputs come from `backend.makeOutput`), with its
 * constants table in the tfjs heap. The module has no data and no stack, so it never
 * writes memory it was not handed. tfjs' threaded build uses a shared memory: the module
 * is then the one built for shared memory; where the engine has relaxed SIMD, the build
 * using its FMA runs.
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { KERNEL_MODULES } from './binary.generated';
import { KernelPool, poolSupported } from './pool';

/** Which build of the kernels module runs: tfjs' memory unshared/shared × SIMD/relaxed SIMD. */
export type WasmKernelVariant = keyof typeof KERNEL_MODULES;

/**
 * The C exports (src/kernels/wasm/c/*.c); pointers are byte offsets into tfjs' memory.
 * The last argument of each kernel is the constants table (simd.h).
 */
export interface KernelExports {
  constants_bytes(): number;
  init_constants(table: number): void;
  group_conv2d(...args: number[]): void;
  depthwise_conv2d(...args: number[]): void;
  depthwise_pad(...args: number[]): void;
  silu(x: number, y: number, n: number, table: number): void;
  add_act(a: number, b: number, y: number, n: number, act: number, table: number): void;
  se_sums(...args: number[]): void;
  se_gates(...args: number[]): void;
  se_scale(...args: number[]): void;
  resize_crop_normalize_f32(...args: number[]): void;
  resize_crop_normalize_i32(...args: number[]): void;
  resize_crop_normalize_rgba8(...args: number[]): void;
  area_shrink_rgba8(...args: number[]): void;
}

/** One backend instance's kernels module and its constants table (in the tfjs heap). */
export interface Kernels {
  exports: KernelExports;
  table: number;
  variant: WasmKernelVariant;
  /** Workers sharing tfjs' memory that take slices of the convs (null: one thread). */
  pool: KernelPool | null;
  /** Threads the kernels were set up with (the caller and the pool's workers). */
  threads: number;
  /** Whether kernels are split over the pool now (see useWasmKernelThreads). */
  pooling: boolean;
}

/** The parts of tfjs-backend-wasm's BackendWasm (4.22) the kernels use. */
export interface WasmBackendLike {
  wasm: {
    _malloc(bytes: number): number;
    _free(ptr: number): void;
    wasmMemory?: WebAssembly.Memory; // threaded build
    asm?: { memory?: WebAssembly.Memory }; // unshared builds
  };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
}

const instances = new WeakMap<object, Kernels>();

/** The exports whose last two arguments are (part, parts): the pool splits them. */
export const POOLED_EXPORTS = ['group_conv2d', 'depthwise_conv2d', 'se_sums', 'se_scale'] as const;

export function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

export function memoryOf(backend: WasmBackendLike): WebAssembly.Memory {
  const memory = backend.wasm.wasmMemory ?? backend.wasm.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) {
    throw new Error(
      "registerWasmKernels: tfjs' wasm backend exposes no WebAssembly.Memory " +
        '(looked for wasm.wasmMemory and wasm.asm.memory; is @tensorflow/tfjs-backend-wasm 4.22?)',
    );
  }
  return memory;
}

export function kernelsOf(backend: WasmBackendLike): Kernels {
  const kernels = instances.get(backend);
  if (!kernels) {
    throw new Error(
      'webnets WASM kernels are not set up for this wasm backend instance: ' +
        'await registerWasmKernels() after tf.setBackend("wasm")',
    );
  }
  return kernels;
}

export function offsetOf(backend: WasmBackendLike, t: TensorInfo): number {
  const data = backend.dataIdMap.get(t.dataId);
  if (!data)
    throw new Error('webnets WASM kernel: an input tensor is not on the wasm backend (disposed?)');
  return data.memoryOffset;
}

/**
 * Instantiates the kernels module for `backend` (once per backend instance). Returns
 * false when this engine can run none of the builds (no WebAssembly SIMD, or no threads
 * for a shared memory). With `threads` > 1 on a shared memory (tfjs' threaded build, a
 * cross-origin isolated page) the convs are split over threads - 1 workers and the caller.
 */
export async function setUpKernels(backend: WasmBackendLike, threads = 1): Promise<boolean> {
  if (instances.has(backend)) return true;
  const memory = memoryOf(backend);
  const shared =
    typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  // Relaxed SIMD (FMA) where the engine validates it, else plain SIMD, else nothing.
  const candidates: WasmKernelVariant[] = shared
    ? ['threaded-relaxed-simd', 'threaded-simd']
    : ['relaxed-simd', 'simd'];
  const variant = candidates.find((v) => WebAssembly.validate(decodeBase64(KERNEL_MODULES[v])));
  if (variant === undefined) return false;
  const module = await WebAssembly.compile(decodeBase64(KERNEL_MODULES[variant]));
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  const exports = instance.exports as unknown as KernelExports;
  // Lives as long as the backend's memory; freed with it.
  const table = backend.wasm._malloc(exports.constants_bytes());
  exports.init_constants(table);
  const pool =
    threads > 1 && poolSupported(memory)
      ? new KernelPool(module, memory, threads - 1, POOLED_EXPORTS)
      : null;
  const started = pool ? await pool.started() : 0;
  instances.set(backend, { exports, table, variant, pool, threads: 1 + started, pooling: true });
  return true;
}

/** The build set up for `backend`, or null. */
export function kernelVariantOf(backend: object): WasmKernelVariant | null {
  return instances.get(backend)?.variant ?? null;
}

/** Threads the kernels on `backend` use (1 without a pool or before set-up). */
export function kernelThreadsOf(backend: object): number {
  return instances.get(backend)?.threads ?? 1;
}
