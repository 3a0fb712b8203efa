/**
 * The kernels module on a tfjs 'wasm' backend instance: instantiated on the backend's own
 * WebAssembly.Memory (so kernels read and write tfjs tensors in place: a tensor is
 * `memoryOffset` bytes into it, outputs come from `backend.makeOutput`), with its
 * constants table in the tfjs heap. The module has no data and no stack, so it never
 * writes memory it was not handed. tfjs' threaded build uses a shared memory: the module
 * is then the one built for shared memory; where the engine has relaxed SIMD, the build
 * using its FMA runs. Kernels run on the calling thread; in tfjs' threaded build XNNPACK's
 * thread pool is idle while they run (tfjs runs one op at a time), so the sliceable
 * kernels have workers of their own (pool.ts).
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { tf } from '../../tf';
import type { SplitRule } from '../config';
import { CONV_PACKED_WEIGHT, slicesFor, stemLayoutCode } from '../config';
import { ACTIVATION_CODES } from '../kernel';
import { KERNEL_MODULES } from './binary.generated';
import { KernelPool, poolSupported } from './pool';

/** Which build of the kernels module runs: tfjs' memory unshared/shared × SIMD/relaxed SIMD. */
export type WasmKernelVariant = keyof typeof KERNEL_MODULES;

/**
 * The C exports (the .c files of src/kernels/); pointers are byte offsets into tfjs'
 * memory. The last argument of each kernel is the constants table (wasm/simd.h).
 */
export interface KernelExports {
  constants_bytes(): number;
  init_constants(table: number): void;
  activation_linear(): number;
  activation_relu(): number;
  activation_silu(): number;
  conv_packed_weight(): number;
  group_conv2d(...args: number[]): void;
  depthwise_conv2d(...args: number[]): void;
  depthwise_pad(...args: number[]): void;
  depthwise_walks_rows(k: number, pad: number, stride: number, c: number, act: number): number;
  silu(x: number, y: number, n: number, table: number): void;
  add_act(a: number, b: number, y: number, n: number, act: number, table: number): void;
  se_sums(...args: number[]): void;
  se_gates(...args: number[]): void;
  se_scale(...args: number[]): void;
  pillow_columns_rgba8(...args: number[]): void;
  pillow_columns_i32(...args: number[]): void;
  pillow_columns_f32(...args: number[]): void;
  pillow_rows_normalize(...args: number[]): void;
}

/** Every export of KernelExports, by name: what tools/build-kernels.ts checks each build for. */
export const MODULE_EXPORTS = [
  'constants_bytes',
  'init_constants',
  'activation_linear',
  'activation_relu',
  'activation_silu',
  'conv_packed_weight',
  'group_conv2d',
  'depthwise_conv2d',
  'depthwise_pad',
  'depthwise_walks_rows',
  'silu',
  'add_act',
  'se_sums',
  'se_gates',
  'se_scale',
  'pillow_columns_rgba8',
  'pillow_columns_i32',
  'pillow_columns_f32',
  'pillow_rows_normalize',
] as const satisfies readonly (keyof KernelExports)[];

// Every name of KernelExports is in MODULE_EXPORTS (a compile error otherwise).
const listsEveryExport: Exclude<keyof KernelExports, (typeof MODULE_EXPORTS)[number]> extends never
  ? true
  : never = true;
void listsEveryExport;

/** The exports whose last two arguments are (part, parts): the pool splits them. */
export const POOLED_EXPORTS = ['group_conv2d', 'depthwise_conv2d', 'se_sums', 'se_scale'] as const;

/** One backend instance's kernels module and its constants table (in the tfjs heap). */
export interface Kernels {
  exports: KernelExports;
  table: number;
  variant: WasmKernelVariant;
  /** Workers sharing tfjs' memory that take slices of the convs (null: one thread). */
  pool: KernelPool | null;
  /** Threads the kernels were set up with (the caller and the pool's workers). */
  threads: number;
  /** The conv kernel's `layout` bits for this engine's stems (config.ts STEM_WEIGHT_LOADS). */
  stemLayout: number;
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
        'await registerKernels() after tf.setBackend("wasm")',
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
 * Throws unless the module's activation codes (its activation_* exports) are the ones the
 * TypeScript side passes (ACTIVATION_CODES): a stale or foreign build would otherwise run
 * one activation in place of another.
 */
export function checkActivationCodes(
  exports: Partial<Record<string, unknown>>,
  variant: string,
): void {
  for (const [name, code] of Object.entries(ACTIVATION_CODES)) {
    const read = exports[`activation_${name}`];
    const exported = typeof read === 'function' ? (read as () => number)() : undefined;
    if (exported !== code) {
      throw new Error(
        `webnets WASM kernels (${variant}): the module's activation code for '${name}' is ` +
          `${exported ?? 'missing'}, src/kernels/kernel.ts says ${code}: rebuild the module (npm run build:kernels)`,
      );
    }
  }
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
  checkActivationCodes(instance.exports, variant);
  const exports = instance.exports as unknown as KernelExports;
  if (exports.conv_packed_weight() !== CONV_PACKED_WEIGHT) {
    throw new Error(
      `webnets WASM kernels (${variant}): the module's packed-weight flag is ${exports.conv_packed_weight()}, ` +
        `src/kernels/config.ts says ${CONV_PACKED_WEIGHT}: rebuild the module (npm run build:kernels)`,
    );
  }
  // Lives as long as the backend's memory; freed with it.
  const table = backend.wasm._malloc(exports.constants_bytes());
  exports.init_constants(table);
  const pool =
    threads > 1 && poolSupported(memory)
      ? new KernelPool(module, memory, threads - 1, POOLED_EXPORTS)
      : null;
  const started = pool ? await pool.started() : 0;
  instances.set(backend, {
    exports,
    table,
    variant,
    pool,
    threads: 1 + started,
    stemLayout: stemLayoutCode(),
  });
  return true;
}

/** The initialized 'wasm' backend's kernels, or null (no wasm backend, or not set up). */
function activeKernels(): Kernels | null {
  const backend = tf.findBackend('wasm');
  return backend ? (instances.get(backend) ?? null) : null;
}

/**
 * Wakes the kernel pool's sleeping workers so they spin, ready for the kernels of an
 * inference about to start (waking one costs about as much as a small conv's slice).
 * Changes no setting: how many threads a kernel uses is its `threads` attr.
 */
export function wakeWasmKernelPool(): void {
  activeKernels()?.pool?.wake();
}

/** Threads webnets' WASM kernels run on (1 before registration or without a pool). */
export function wasmKernelThreads(): number {
  return activeKernels()?.threads ?? 1;
}

/**
 * Whether webnets' kernels on the 'wasm' backend split their calls over the pool (the
 * default) or run each whole on the calling thread, until set again. A model sets it
 * around its inference (the kernels run synchronously inside it), as its measure says.
 */
export function setWasmKernelSplitting(splitting: boolean): void {
  const pool = activeKernels()?.pool;
  if (pool) pool.splitting = splitting;
}

/**
 * How many kernel calls on the 'wasm' backend were split over the kernels' workers so far
 * (0 without a pool): tells whether a model's kernels really ran on threads.
 */
export function wasmKernelSplitCalls(): number {
  return activeKernels()?.pool?.splitCalls ?? 0;
}

/**
 * How many slices of split kernel calls the kernels' workers (not the calling thread) ran
 * so far: tells whether a second thread really took part.
 */
export function wasmKernelWorkerSlices(): number {
  return activeKernels()?.pool?.workerSlices ?? 0;
}

/**
 * How many kernel calls that would have split ran whole on the calling thread so far, their
 * network measured to run faster so (setWasmKernelSplitting).
 */
export function wasmKernelSoloCalls(): number {
  return activeKernels()?.pool?.soloCalls ?? 0;
}

/** The kernels build running on the initialized 'wasm' backend, or null before registration. */
export function wasmKernelVariant(): WasmKernelVariant | null {
  return activeKernels()?.variant ?? null;
}

/**
 * Into how many slices a kernel of `work` (MACs, or elements) over `rows` rows is split
 * when its call allows `threads` threads: 1 (the calling thread alone) without a pool,
 * under its op class's rule (config.ts SPLITS), or while the pool is not splitting (then
 * whole: in slices one after another a 1×1 conv would read its weight once per slice);
 * else slices per thread, never more than rows.
 */
export function slices(
  kernels: Kernels,
  work: number,
  rows: number,
  rule: SplitRule,
  threads: number,
): number {
  const pool = kernels.pool;
  const parts = slicesFor(work, rule, rows, Math.min(threads, pool?.threads ?? 1));
  if (parts > 1 && pool !== null && !pool.splitting) {
    pool.soloCalls++;
    return 1;
  }
  return parts;
}

/**
 * Calls a sliceable export (its last arguments: part, parts) whole (`parts` 1), or split
 * into `parts` slices over the kernels' worker pool.
 */
export function runSliced(
  kernels: Kernels,
  name: (typeof POOLED_EXPORTS)[number],
  args: number[],
  parts: number,
): void {
  const run = kernels.exports[name];
  if (parts === 1 || kernels.pool === null) {
    for (let part = 0; part < parts; part++) run(...args, part, parts);
    return;
  }
  kernels.pool.run(name, args, parts, (part, total) => run(...args, part, total));
}
