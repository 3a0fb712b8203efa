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
import { kernelConfig, wakeWasmKernelPool, wasmKernelThreads } from '../../src/kernels';
import { complexity } from '../../src/models/complexity';
import { createNetwork } from '../../src/models/network';
import { getSpec } from '../../src/models/presets';
import { getThreadsCount, tf } from '../../src/tf';
import { loadPack } from '../../src/weights/load';
import { startBackend } from '../lib/backend';
import type { WebnetsLoadOptions, WebnetsSide } from './sides';

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
export { VERSION } from '../../src/version';

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
