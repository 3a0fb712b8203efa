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
 *   (no worker startup);
 * - the threaded binary asks for a shared memory of up to 4 GiB, which some engines refuse
 *   (Safari on iOS: `RangeError: Out of memory`, onnxruntime issue 11679): where it fails to
 *   start, the single-threaded SIMD binary starts instead and models say why (startWasm).
 */
import { registerKernels, wasmKernelThreads } from '../kernels';
import { keepUniforms } from './webgpu-uniforms';
import type { WasmPaths } from '../platform';
import { platform, wasmBinaryNames } from '../platform';
import { getThreadsCount, setThreadsCount, setWasmPaths, tf } from '../tf';
import type { BackendName } from './policy';
import type { ThreadsOption, WasmTraits } from './threads';
import { noThreadsReason, poolThreads, threadSupport } from './threads';
import type { GpuDeviceLike } from './webgpu';
import { openWebGpu } from './webgpu';

export type { WasmPaths } from '../platform';

export interface WasmSetup {
  /**
   * WASM threads: a number, or 'auto' (webnets' kernels: every core up to 4, for networks
   * of AUTO_POOLED_MIN_MACS or more; tfjs' XNNPACK: hardwareConcurrency / 2). The first
   * model to start the wasm backend fixes the page's threads; a later model's 1 keeps its
   * own kernels on the calling thread (threads.ts).
   */
  threads?: ThreadsOption;
  wasmPaths?: WasmPaths;
}

/** A backend that is running. */
export interface ActiveBackend {
  name: BackendName;
  /** On WASM: its build and XNNPACK's threads (threads.ts `backendLabel` says them). */
  wasm?: WasmTraits;
  /** On WebGPU: which device webnets opened (numbered from 1; a lost one is replaced). */
  device?: number;
}

/**
 * `wasmPaths` when the option is not given: the browser bundle's binaries (src/browser.ts);
 * in Node, tfjs-backend-wasm's own folder (undefined).
 */
export function defaultWasmPaths(): WasmPaths | undefined {
  return platform.wasmPaths;
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

function checkThreads(threads: ThreadsOption): void {
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

/** The threads option of the model that starts the wasm backend: it sizes the kernel pool. */
let kernelThreads: ThreadsOption = 'auto';

/** Why the threaded WASM build failed to start, once it has; the page then runs one thread. */
let threadedStartFailure: string | null = null;

/** The last failure of tfjs' wasm backend factory (tfjs' setBackend only logs it). */
let wasmInitFailure: unknown = null;

/** Wraps tfjs' wasm backend factory once, so that a failed start's error can be read. */
function recordWasmInitFailures(): void {
  const entry = tf.engine().registryFactory.wasm;
  if (entry === undefined || recording.has(entry)) return;
  const factory = entry.factory;
  entry.factory = async () => {
    try {
      return await factory();
    } catch (err) {
      wasmInitFailure = err;
      throw err;
    }
  };
  recording.add(entry);
}
const recording = new WeakSet<object>();

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

/** Whether tfjs starts (or runs) its threaded binary: it takes it with both SIMD and threads. */
async function threadedBuild(): Promise<boolean> {
  const [simd, threads] = await Promise.all([
    tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'),
    tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'),
  ]);
  return simd === true && threads === true;
}

/** An error's message; tfjs' wasm init also rejects with plain `{ message }` objects. */
function failureText(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  const text = (err as { message?: unknown } | null)?.message;
  return typeof text === 'string' ? text : String(err);
}

/**
 * Starts (or activates) tfjs' wasm backend. Where its threaded build fails to start, the
 * single-threaded SIMD build starts instead: a model then runs, on one thread, and says why.
 */
async function startWasm(setup: WasmSetup): Promise<boolean> {
  const first = !isInitialized('wasm');
  configureWasm(setup);
  if (!first) return tf.setBackend('wasm');
  recordWasmInitFailures();
  const threaded = await threadedBuild();
  wasmInitFailure = null;
  if (await tf.setBackend('wasm')) return true;
  if (!threaded) return false;
  const failure = failureText(wasmInitFailure);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  if (!(await tf.setBackend('wasm'))) return false;
  threadedStartFailure = `the threaded WASM build failed to start (${failure})`;
  console.warn(`webnets: ${threadedStartFailure}; WASM runs on one thread`);
  return true;
}

/** Why the page's WASM backend runs one thread; null where it runs its threaded build. */
async function singleThreadedReason(): Promise<string | null> {
  if (threadedStartFailure !== null) return threadedStartFailure;
  if (await threadedBuild()) return null;
  if (kernelThreads === 1) {
    return "the page's WASM backend was started with threads: 1 (by the first model; tfjs starts it once per page)";
  }
  const support = threadSupport(
    tf.env().getBool('IS_NODE'),
    (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) === true,
  );
  return noThreadsReason(support) ?? 'tfjs did not start its threaded WASM build';
}

function describeWasmFailure(setup: WasmSetup): string {
  const paths = setup.wasmPaths ?? defaultWasmPaths();
  const where =
    paths === undefined
      ? "from tfjs-backend-wasm's own folder"
      : typeof paths === 'string'
        ? `from ${paths}`
        : `at ${wasmBinaryNames.map((name) => paths[name]).join(', ')}`;
  return `the WASM backend failed to initialize: check that the .wasm binaries (${wasmBinaryNames.join(', ')}) are served ${where} (option wasmPaths), as application/wasm`;
}

/** The WebGPU devices webnets opened in this page, numbered from 1 (0: none yet). */
let webgpuDevice = 0;
/** Why each lost device was lost. A model built on one of them moves on (model.ts). */
const webgpuLosses = new Map<number, string>();

function watchDeviceLoss(device: GpuDeviceLike, number: number): void {
  void device.lost?.then((info) => {
    webgpuLosses.set(
      number,
      `${info.reason ?? 'unknown'}${info.message ? `: ${info.message}` : ''}`,
    );
  });
}

/**
 * Opens WebGPU (webgpu.ts: a failure names the missing piece) and registers tfjs' WebGPU
 * backend on that device, in place of tfjs' own factory (which would open another and
 * report a failure only on the console) or of the backend of a device that was lost: as
 * WebGPU's guidance has it, a lost device is replaced by asking for a new adapter and
 * device. Nothing is registered when a step fails.
 */
async function registerWebGpu(): Promise<void> {
  const { device, info } = await openWebGpu();
  const create = platform.webgpuBackend;
  let backend: tf.KernelBackend;
  try {
    if (create === undefined) {
      throw new Error(
        "this build of webnets has no WebGPU backend (Node's, or a page built from the sources without tfjs-backend-webgpu)",
      );
    }
    backend = create(device, info) as tf.KernelBackend;
    keepUniforms(backend);
  } catch (err) {
    device.destroy();
    throw err;
  }
  watchDeviceLoss(device, ++webgpuDevice);
  if (tf.findBackendFactory('webgpu') !== null) removeDeadBackend('webgpu');
  tf.registerBackend('webgpu', () => backend, 3);
}

/** Unregisters backend `name`; disposing one whose device is gone may throw, and changes nothing. */
function removeDeadBackend(name: BackendName): void {
  try {
    tf.removeBackend(name);
  } catch {
    // tfjs dropped the registration before disposing the instance: nothing is left to free.
  }
}

/** Whether backend `name` can be lost while a model runs on it (WebGPU's device can). */
export function mayBeLost(name: BackendName): boolean {
  return name === 'webgpu';
}

/**
 * Non-null once the backend a model runs on is gone: why. Only WebGPU's device can be
 * lost; `device` is the one the model was built on (default: the current one).
 */
export function backendLost(name: BackendName, device = webgpuDevice): string | null {
  const loss = mayBeLost(name) ? webgpuLosses.get(device) : undefined;
  return loss === undefined ? null : `the WebGPU device was lost (${loss})`;
}

let activation: Promise<unknown> = Promise.resolve();

/** Runs `task` after every earlier activation finished (failures included). */
function serialized<T>(task: () => Promise<T>): Promise<T> {
  const result = activation.then(task, task);
  activation = result.catch(() => undefined);
  return result;
}

async function setBackendOrThrow(name: BackendName, setup: WasmSetup): Promise<void> {
  if (name === 'webgpu' && (webgpuDevice === 0 || webgpuLosses.has(webgpuDevice))) {
    await registerWebGpu();
  }
  const ok = name === 'wasm' ? await startWasm(setup) : await tf.setBackend(name);
  if (!ok) {
    throw new Error(
      name === 'wasm'
        ? describeWasmFailure(setup)
        : `the ${name} backend failed to initialize (see the console for tfjs's message)`,
    );
  }
  await registerCustomKernels(name);
}

/**
 * webnets' own kernels (src/kernels) for this backend. A page where they cannot run
 * (e.g. WebAssembly without SIMD) keeps the stock tfjs ops: slower, same results.
 */
async function registerCustomKernels(name: BackendName): Promise<void> {
  try {
    await registerKernels(name, { threads: poolThreads(kernelThreads) });
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
    if (name === 'webgpu') return { name, device: webgpuDevice };
    if (name !== 'wasm') return { name };
    const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
    return {
      name,
      wasm: {
        simd,
        xnnpackThreads: getThreadsCount(),
        poolThreads: wasmKernelThreads(),
        poolSize: poolThreads(kernelThreads),
        singleThreaded: await singleThreadedReason(),
      },
    };
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
