/**
 * The one place that imports tfjs: tfjs-core plus the three backends webnets runs on.
 * Everything else imports `tf` from here, so a single tfjs instance is guaranteed.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-webgpu';

export { tf };
export { setWasmPaths, setThreadsCount, getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
export type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
