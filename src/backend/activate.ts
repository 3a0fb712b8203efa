/**
 * Turning a backend name into a running tfjs backend, and running work on it.
 *
 * tfjs has ONE active backend per page (`tf.setBackend` is global), while webnets lets
 * several models live on different backends. So:
 * - activation is serialized (two overlapping `tf.setBackend` calls make tfjs drop the
 *   older one's initialization and report failure);
 * - `runOn(name, fn)` makes `name` active and runs `fn` synchronously in the same tick,
 *   so no other model can switch the backend between the check and the ops.
 *
 * WASM constraints, read from tfjs-backend-wasm 4.22's source (backend_wasm.ts, cc/backend.cc):
 * - the binary (plain / SIMD / threaded SIMD) and its location are chosen once, when the
 *   wasm backend first initializes: `setWasmPaths` after that has no effect (and throws
 *   after a failed init), so webnets applies `wasmPaths` just before that first init,
 *   whichever model (or fallback) triggers it;
 * - the XNNPACK thread pool is created once, in the BackendWasm constructor
 *   (`initWithThreadsCount(threadsCount)`); `setThreadsCount` later changes nothing until
 *   the page reloads. The count is also capped by tfjs at hardwareConcurrency / 2
 *   (at least 1, at most 8): a 2-core machine gets 1 XNNPACK thread whatever is asked
 *   (webnets' own kernels, which run most of a network, take the count asked for);
 * - threads need cross-origin isolation (SharedArrayBuffer); without it the SIMD binary
 *   runs single-threaded. `threads: 1` picks the single-threaded SIMD binary outright
 *   (no worker startup).
 */
import { registerKernels, useWasmKernelThreads, wasmKernelThreads } from '../kernels';
import type { WebGPUBackend } from '../tf';
import { getThreadsCount, setThreadsCount, setWasmPaths, tf } from '../tf';
import type { BackendName } from './policy';

/** Where the tfjs WASM binaries are: a folder URL (ending in '/') or one URL per binary. */
export type WasmPaths = string | Record<string, string>;

export interface WasmSetup {
  /**
   * WASM threads: a number, or 'auto' (webnets' kernels: every core up to 4, for networks
   * of AUTO_POOLED_MIN_MACS or more; tfjs' XNNPACK: hardwareConcurrency / 2). The first
   * model to start the wasm backend fixes the page's threads; a later model's 1 keeps its
   * own kernels on the calling thread (poolsNetwork).
   */
  threads?: number | 'auto';
  wasmPaths?: WasmPaths;
}

/** A backend that is running, as the user sees it. */
export interface ActiveBackend {
  name: BackendName;
  /** 'webgpu', 'wasm-simd (2 threads)', 'wasm (1 thread)', 'cpu': see `labelFor`. */
  label: string;
}

const wasmBinaryNames = [
  'tfjs-backend-wasm.wasm',
  'tfjs-backend-wasm-simd.wasm',
  'tfjs-backend-wasm-threaded-simd.wasm',
];

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

/**
 * The binaries ship next to dist/webnets.js (vite.config.ts copies them). In Node, tfjs
 * finds its own files next to its package, so no path is set there.
 */
export function defaultWasmPaths(): WasmPaths | undefined {
  if (isNode()) return undefined;
  return new URL('./', import.meta.url).href;
}

function checkWasmPaths(paths: WasmPaths): void {
  if (typeof paths === 'string') {
    if (paths === '') throw new Error("wasmPaths: expected a folder URL ending in '/', got ''");
    return;
  }
  const missing = wasmBinaryNames.filter((name) => typeof paths[name] !== 'string');
  if (missing.length > 0) {
    throw new Error(
      `wasmPaths: the map lacks ${missing.join(', ')}; give a URL for each of ${wasmBinaryNames.join(', ')}, or a folder URL`,
    );
  }
}

function checkThreads(threads: number | 'auto' | undefined): void {
  if (threads === undefined || threads === 'auto') return;
  if (!Number.isInteger(threads) || threads < 1) {
    throw new Error(`threads: expected a whole number ≥ 1 or 'auto', got ${String(threads)}`);
  }
}

/** Validates the WASM options early, so a bad option fails `load` before any download. */
export function checkWasmSetup(setup: WasmSetup): void {
  checkThreads(setup.threads);
  if (setup.wasmPaths !== undefined) checkWasmPaths(setup.wasmPaths);
}

function isInitialized(name: BackendName): boolean {
  return tf.engine().registry[name] !== undefined;
}

/**
 * Threads of webnets' own WASM kernels (their worker pool, src/kernels/wasm/pool.ts),
 * fixed like tfjs' at the wasm backend's first init: the number asked for (tfjs' cap on
 * XNNPACK does not bind webnets' workers), or with 'auto' every core up to 4. Measured on
 * a 2-core machine, 2 threads ran all four benchmark networks 1.3–1.7× faster than 1;
 * beyond 4, spinning workers would mostly fight the page and the browser for cores.
 */
let kernelThreads: number | 'auto' = 'auto';

/**
 * With threads 'auto', a network under this many MACs keeps webnets' kernels on the
 * calling thread: its convs are too small for a split to repay waking and syncing the
 * workers. Measured (2026-11-24, 2-core VM, Chromium 156, `npm run bench`, 100 ms between
 * inferences, 2 threads vs 1 in the same page, five runs): FD-MobileNet 0.5× (40 M MACs)
 * 0.67–0.96×, EfficientNet-B0 (390 M) 1.44–1.73×, RegNetY-400MF 1.39–1.64×, RegNetX-400MF
 * 1.35–1.56×.
 */
export const AUTO_POOLED_MIN_MACS = 100_000_000;

/**
 * Whether a network of `macs` splits its kernels over webnets' kernel workers, for a model
 * loaded with `threads` (the page's pool is fixed at the first init; a model asking for 1
 * thread keeps its kernels on the calling thread, any other count uses the pool).
 */
export function poolsNetwork(macs: number, threads: number | 'auto' | undefined): boolean {
  const asked = threads ?? 'auto';
  return asked === 'auto' ? macs >= AUTO_POOLED_MIN_MACS : asked > 1;
}

/** Sets webnets' kernels up for one forward of a network of `macs` on `name`. */
export function beforeForward(
  name: BackendName,
  macs: number,
  threads: number | 'auto' | undefined,
): void {
  if (name === 'wasm') useWasmKernelThreads(poolsNetwork(macs, threads));
}

function autoKernelThreads(): number {
  const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator
    ?.hardwareConcurrency;
  return Math.max(1, Math.min(4, cores ?? 1));
}

/** Applies paths and thread count; only effective before the wasm backend's first init. */
function configureWasm(setup: WasmSetup): void {
  if (isInitialized('wasm')) return;
  kernelThreads = setup.threads ?? 'auto';
  const paths = setup.wasmPaths ?? defaultWasmPaths();
  if (paths !== undefined) setWasmPaths(paths);
  if (typeof setup.threads === 'number') {
    setThreadsCount(setup.threads);
    // One thread: skip the threaded binary and its workers altogether.
    if (setup.threads === 1) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  }
}

async function wasmLabel(): Promise<string> {
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const threads = Math.max(getThreadsCount(), wasmKernelThreads());
  return `${simd ? 'wasm-simd' : 'wasm'} (${threads} thread${threads === 1 ? '' : 's'})`;
}

/** The backend as a model of `macs` loaded with `threads` runs it: unpooled ones say their threads. */
export function labelFor(
  active: ActiveBackend,
  macs: number,
  threads: number | 'auto' | undefined,
): string {
  if (active.name !== 'wasm' || poolsNetwork(macs, threads)) return active.label;
  const xnnpack = getThreadsCount();
  return active.label.replace(/\(\d+ threads?\)/, `(${xnnpack} thread${xnnpack === 1 ? '' : 's'})`);
}

function describeWasmFailure(setup: WasmSetup): string {
  const paths = setup.wasmPaths ?? defaultWasmPaths();
  const where =
    paths === undefined
      ? "tfjs-backend-wasm's own folder"
      : typeof paths === 'string'
        ? paths
        : JSON.stringify(paths);
  return `the WASM backend failed to initialize: check that the .wasm binaries (${wasmBinaryNames.join(', ')}) are served from ${where} (option wasmPaths), as application/wasm`;
}

/** What happened to the WebGPU device, once it is lost (then WebGPU is gone for this page). */
let webgpuLoss: string | null = null;
const watchedDevices = new WeakSet<object>();

function watchDeviceLoss(backend: WebGPUBackend): void {
  const device = backend.device;
  if (watchedDevices.has(device)) return;
  watchedDevices.add(device);
  void device.lost.then((info) => {
    webgpuLoss = `${info.reason}${info.message ? `: ${info.message}` : ''}`;
  });
}

/**
 * Non-null once backend `name` is gone for this page: why. Only WebGPU's device can be
 * lost, and tfjs cannot recreate it.
 */
export function backendLost(name: BackendName): string | null {
  return name === 'webgpu' && webgpuLoss !== null
    ? `the WebGPU device was lost (${webgpuLoss})`
    : null;
}

let activation: Promise<unknown> = Promise.resolve();

/** Runs `task` after every earlier activation finished (failures included). */
function serialized<T>(task: () => Promise<T>): Promise<T> {
  const result = activation.then(task, task);
  activation = result.catch(() => undefined);
  return result;
}

async function setBackendOrThrow(name: BackendName, setup: WasmSetup): Promise<void> {
  if (name === 'webgpu') {
    const lost = backendLost(name);
    if (lost !== null) throw new Error(lost);
    if (tf.findBackendFactory('webgpu') === null) {
      throw new Error(
        'WebGPU is not available here (navigator.gpu was missing when webnets loaded)',
      );
    }
  }
  if (name === 'wasm') configureWasm(setup);
  const ok = await tf.setBackend(name);
  if (!ok) {
    throw new Error(
      name === 'wasm'
        ? describeWasmFailure(setup)
        : `the ${name} backend failed to initialize (see the console for tfjs's message)`,
    );
  }
  if (name === 'webgpu') watchDeviceLoss(tf.backend() as WebGPUBackend);
  await registerCustomKernels(name);
}

/**
 * webnets' own kernels (src/kernels) for this backend. A page where they cannot run
 * (e.g. WebAssembly without SIMD) keeps the stock tfjs ops: slower, same results.
 */
async function registerCustomKernels(name: BackendName): Promise<void> {
  try {
    const threads = kernelThreads === 'auto' ? autoKernelThreads() : kernelThreads;
    await registerKernels(name, { threads });
  } catch (err) {
    console.warn(
      `webnets: custom ${name} kernels unavailable, using tfjs's own ops (${(err as Error).message})`,
    );
  }
}

/** Initializes (first time) and activates a backend; throws a readable error if it cannot. */
export function activateBackend(name: BackendName, setup: WasmSetup = {}): Promise<ActiveBackend> {
  return serialized(async () => {
    await setBackendOrThrow(name, setup);
    const label = name === 'wasm' ? await wasmLabel() : name;
    return { name, label };
  });
}

/**
 * Runs `fn` with `name` as tfjs's active backend. `fn` runs synchronously right after the
 * check, so tensors it creates land on `name` even when other models use other backends.
 */
export async function runOn<T>(name: BackendName, fn: () => T): Promise<T> {
  while (tf.getBackend() !== name || !isInitialized(name)) {
    await serialized(() => setBackendOrThrow(name, {}));
  }
  return fn();
}
