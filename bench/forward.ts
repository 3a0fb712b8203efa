/**
 * webnets one level below the public API: the backend started and webnets' kernels
 * registered as the runtime does, the pack loaded with `loadPack`, the network built with
 * `createNetwork`, timed as `network.forward` on the normalized NHWC input plus
 * the logits readback — the same work ORT's session.run does, without predict's
 * preprocessing and call queue: how much of predict's time is the network itself
 * (`--webnets-call forward`). Served from the TypeScript sources by Vite (this page only),
 * so it also runs on a dist/webnets.js without load().
 */
import '@tensorflow/tfjs-backend-webgpu'; // src/tf.ts has cpu and wasm; pages add WebGPU
import {
  kernelConfig,
  registerKernels,
  wakeWasmKernelPool,
  wasmKernelThreads,
} from '../src/kernels';
import { complexity } from '../src/models/complexity';
import { createNetwork } from '../src/models/network';
import { getSpec } from '../src/models/presets';
import { getThreadsCount, setThreadsCount, setWasmPaths, tf } from '../src/tf';
import { loadPack } from '../src/weights/load';
import type { WebnetsLoadOptions, WebnetsSide } from './sides';

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
    setWasmPaths('/dist/'); // npm run build copies tfjs' WASM binaries next to webnets.js
    setThreadsCount(threads);
    // One thread: the single-threaded SIMD binary, as the runtime picks for threads: 1.
    if (threads === 1) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  }
  if (!(await tf.setBackend(backend))) {
    throw new Error(`tfjs could not start its ${backend} backend`);
  }
  await tf.ready();
  // webnets' own kernels, as the runtime registers them when it activates a backend.
  if (!(await registerKernels(backend, { threads }))) {
    console.warn(`webnets kernels unavailable on ${backend}: timing tfjs' own ops`);
  }
  started = { backend, threads };
}

/** NCHW (ORT's layout) to NHWC (webnets'): the very same numbers ORT gets. */
function nhwcOf(nchw: Float32Array, size: number): Float32Array {
  const plane = size * size;
  const out = new Float32Array(nchw.length);
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < plane; i++) out[i * 3 + c] = nchw[c * plane + i] as number;
  }
  return out;
}

export { tf };
export { VERSION } from '../src/version';

export async function loadForward(
  id: string,
  options: WebnetsLoadOptions,
  nchw: Float32Array,
): Promise<WebnetsSide> {
  if (options.threads === 'auto') {
    throw new Error(
      "webnets threads 'auto' (page wasmauto) is load()'s policy: use --webnets-call predict",
    );
  }
  const threads = options.threads;
  await startBackend(options.backend, threads);
  const spec = getSpec(id);
  const { manifest, weights } = await loadPack(options.weightsUrl, { spec, cache: false });
  // Its kernels on the pool's threads when more than one is asked for.
  const network = createNetwork(spec, weights, kernelConfig(undefined, { pooled: threads > 1 }));
  const size = spec.inputSize;
  const input = tf.tensor4d(nhwcOf(nchw, size), [1, size, size, 3]);
  const { params, macs } = complexity(spec);
  // What runs: webnets' kernel threads, else tfjs' (which caps threads at cores / 2).
  const used = threads > 1 ? Math.max(getThreadsCount(), wasmKernelThreads()) : getThreadsCount();
  const said = options.backend === 'wasm' ? ` (${used} thread${used === 1 ? '' : 's'})` : '';
  return {
    model: {
      backendReason: `${tf.getBackend()}${said}: network.forward (no load/predict)`,
      info: { complexity: { params, macs }, preprocessing: manifest.preprocessing },
      predict: () => Promise.reject(new Error('forward side: use run()')),
      dispose: () => network.dispose(),
    },
    run: async () => {
      if (threads > 1) wakeWasmKernelPool(); // as a model does ahead of an inference
      const logits = tf.tidy(() => network.forward(input).logits);
      try {
        return (await logits.data()) as Float32Array;
      } finally {
        logits.dispose();
      }
    },
    dispose: async () => {
      input.dispose();
      network.dispose();
    },
  };
}
