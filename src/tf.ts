/**
 * The one place that imports tfjs: tfjs-core plus the cpu and wasm backends, which run
 * everywhere; the browser bundles add the WebGPU backend (src/browser-platform.ts).
 * Everything else imports `tf` from here, so a single tfjs instance is guaranteed. It is the
 * bottom layer: it imports nothing of webnets, and every folder of src/ may import it
 * (test/architecture.test.ts keeps the folder graph acyclic).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';

export { tf };
export { setWasmPaths, setThreadsCount, getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
export type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
