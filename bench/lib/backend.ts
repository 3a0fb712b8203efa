/**
 * tfjs started in a benchmark page from the sources, as the runtime starts it: its WASM
 * files from dist/ (npm run build copies them there), the thread count, webnets' kernels
 * registered. Used by bench/ort's forward side and bench/ab's page.
 */
import { registerKernels } from '../../src/kernels';
import { setThreadsCount, setWasmPaths, tf } from '../../src/tf';

let started: { backend: 'wasm' | 'webgpu'; threads: number } | null = null;

/**
 * tfjs fixes its backend and WASM threads once a page: the first call decides. A later
 * side may ask for 1 thread on a multi-thread page: its kernels then run unpooled, as
 * the runtime runs a model loaded with `threads: 1` there.
 */
export async function startBackend(backend: 'wasm' | 'webgpu', threads: number): Promise<void> {
  if (started !== null) {
    if (started.backend === backend && (started.threads === threads || threads === 1)) return;
    throw new Error(
      `tfjs already runs ${started.backend}/${started.threads} in this page, not ${backend}/${threads}`,
    );
  }
  if (backend === 'wasm') {
    setWasmPaths('/dist/');
    setThreadsCount(threads);
    // One thread: the single-threaded SIMD binary, as the runtime picks for threads: 1.
    if (threads === 1) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  }
  if (!(await tf.setBackend(backend))) {
    throw new Error(`tfjs could not start its ${backend} backend`);
  }
  await tf.ready();
  if (!(await registerKernels(backend, { threads }))) {
    console.warn(`webnets kernels unavailable on ${backend}: timing tfjs' own ops`);
  }
  started = { backend, threads };
}
