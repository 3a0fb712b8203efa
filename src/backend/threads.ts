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
import { tf } from '../tf';
import type { Precision } from './precision';
import { SPLIT_LOSS_NOTE, SplitGauge } from './split-gauge';
import { hasShaderF16, resolvePrecision } from './precision';

/** The measure of whether a pooled network's splits pay (null for one that never splits). */
export function networkSplitGauge(kernels: KernelConfig | undefined): SplitGauge | null {
  return kernels !== undefined &&
    kernels.backend === 'wasm' &&
    kernels.threads > 1 &&
    kernels.poolThreads > 1
    ? new SplitGauge()
    : null;
}

/**
 * What backendReason adds for a pooled network measured to run faster alone: its kernels'
 * thread count and why.
 */
export function splitLossNote(gauge: SplitGauge | null): string | null {
  return gauge?.holding === 'alone' ? SPLIT_LOSS_NOTE : null;
}

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

/**
 * The kernel configuration of a network of `macs` loaded with `threads` and `precision`, on
 * the active backend (float16 where its device has shader-f16: precision.ts).
 */
export function networkKernels(
  macs: number,
  threads: ThreadsOption,
  precision: Precision = 'float32',
): KernelConfig {
  const backend = tf.getBackend();
  const runs = resolvePrecision(precision, backend, hasShaderF16(backend)).precision;
  return kernelConfig(backend, { pooled: poolsNetwork(macs, threads), precision: runs });
}

/**
 * The threads a model wants: a count as asked, or with 'auto' the kernel pool's
 * threads for networks that split their kernels (poolsNetwork) and 1 for the others.
 */
export function wantedThreads(macs: number, threads: ThreadsOption): number {
  const asked = threads ?? 'auto';
  if (asked !== 'auto') return asked;
  return poolsNetwork(macs, asked) ? poolThreads(asked) : 1;
}

/**
 * Why threads 'auto' runs webnets' kernels of a network of `macs` on one thread where the
 * machine has more cores (poolThreads): null where it splits them, or where a count was asked.
 */
export function autoOneThreadReason(macs: number, threads: ThreadsOption): string | null {
  if ((threads ?? 'auto') !== 'auto' || poolsNetwork(macs, 'auto')) return null;
  if (poolThreads('auto') < 2) return null;
  const millions = (n: number) => `${Math.round(n / 1e6)} M`;
  return (
    `threads 'auto' runs the kernels of a network under ${millions(AUTO_POOLED_MIN_MACS)} MACs ` +
    `on one thread, this one ${millions(macs)}: its convs are too small for a split to repay; threads: 2 splits them`
  );
}

/** What the engine and page offer WASM threads (read when a model starts on WASM). */
export interface ThreadSupport {
  node: boolean;
  workers: boolean;
  sharedArrayBuffer: boolean;
  /** `crossOriginIsolated`; undefined where the engine does not say. */
  crossOriginIsolated: boolean | undefined;
  /** tfjs' WASM_HAS_MULTITHREAD_SUPPORT: the engine validates WebAssembly threads. */
  wasmThreads: boolean;
}

/** The ThreadSupport of this engine and page; `node` and `wasmThreads` are tfjs' own detections. */
export function threadSupport(node: boolean, wasmThreads: boolean): ThreadSupport {
  return {
    node,
    workers: typeof Worker !== 'undefined',
    sharedArrayBuffer: typeof SharedArrayBuffer !== 'undefined',
    crossOriginIsolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated,
    wasmThreads,
  };
}

/**
 * Why WASM on an engine and page with `support` runs one thread: the first missing piece,
 * as a user can act on it; null where threads can run.
 */
export function noThreadsReason(support: ThreadSupport): string | null {
  if (support.node) return "tfjs' WASM backend runs one thread in Node";
  if (support.crossOriginIsolated === false) {
    return 'the page is not cross-origin isolated, so no SharedArrayBuffer (serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)';
  }
  if (!support.sharedArrayBuffer) return 'this browser gives the page no SharedArrayBuffer';
  if (!support.workers) return 'this page cannot start Web Workers';
  if (!support.wasmThreads) return 'this engine does not validate WebAssembly threads';
  return null;
}

/** What a running WASM backend tells about itself: its build and its threads. */
export interface WasmTraits {
  simd: boolean;
  xnnpackThreads: number;
  /** Threads of webnets' kernel pool: the caller and the workers that started. */
  poolThreads: number;
  /** The threads the pool was started for (the option of the model that started the backend). */
  poolSize: number;
  /** Why the page's WASM runs one thread (no threaded build running); null where it runs threads. */
  singleThreaded: string | null;
}

/**
 * Why a model that wants `wanted` threads runs `running`: null when it runs as many as it
 * wants, else the page's reason for running none, for workers that did not start, or for a
 * pool the first model sized smaller.
 */
export function fewerThreadsReason(
  wasm: WasmTraits,
  wanted: number,
  running: number,
): string | null {
  if (running >= wanted) return null;
  if (wasm.singleThreaded !== null) return wasm.singleThreaded;
  if (wasm.poolThreads < wasm.poolSize) {
    const missing = wasm.poolSize - wasm.poolThreads;
    return `${missing} of the page's ${wasm.poolSize - 1} kernel workers did not start`;
  }
  return `the page's WASM backend was started with threads: ${wasm.poolSize} (by the first model; tfjs starts it once per page)`;
}

/**
 * The backend as a model on it runs: 'webgpu', 'cpu', or on WASM its build and the threads
 * its network runs on, its kernels' or XNNPACK's, whichever are more: 'wasm-simd (2 threads)';
 * with fewer than the model wants, how many it wanted and why:
 * 'wasm-simd (1 thread, 2 wanted: the page is not cross-origin isolated, …)'; where threads
 * 'auto' keeps the kernels on one thread, why (`autoReason`, autoOneThreadReason); where the
 * network's kernels were measured to run faster alone than split, that (`splitNote`, splitLossNote).
 */
export function backendLabel(
  name: string,
  wasm: WasmTraits | undefined,
  kernelThreads: number,
  wanted = 1,
  autoReason: string | null = null,
  splitNote: string | null = null,
): string {
  if (name !== 'wasm' || wasm === undefined) return name;
  const threads = Math.max(wasm.xnnpackThreads, kernelThreads);
  const count = `${threads} thread${threads === 1 ? '' : 's'}`;
  const fewer = fewerThreadsReason(wasm, wanted, threads);
  // 'auto''s own choice of one thread is worth saying only where threads could run: on a
  // page without them, "threads: 2 splits them" would not be true.
  const auto = autoReason !== null && wasm.singleThreaded === null ? `, ${autoReason}` : '';
  const why = fewer !== null ? `, ${wanted} wanted: ${fewer}` : auto;
  const split = splitNote !== null ? `, ${splitNote}` : '';
  return `${wasm.simd ? 'wasm-simd' : 'wasm'} (${count}${why}${split})`;
}
