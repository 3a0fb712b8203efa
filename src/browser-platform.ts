/**
 * What pages and their workers have, for the two bundles that run there: dist/webnets.js
 * (src/browser.ts) and worker mode's dist/webnets-worker.js (src/worker.ts). tfjs' WebGPU
 * backend (on the device webnets opens, src/backend/webgpu.ts), and the WASM binaries
 * shipped beside the bundle.
 */
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { setPlatform } from './platform';

type WebGpuBackendArgs = ConstructorParameters<typeof WebGPUBackend>;

/**
 * One `new URL('./<binary>', import.meta.url)` per binary, written out literally: the form
 * Vite, webpack 5 and Parcel follow to emit the file with an app (in its workers too) and
 * rewrite the URL. Unbundled, import.meta.url is the bundle itself (dist/webnets.js or
 * dist/webnets-worker.js), so these name the copies beside it. `@vite-ignore` stops webnets'
 * own build from resolving them against src/ (where they are not); vite.config.ts checks
 * that each shipped bundle still holds each one without the comment.
 */
setPlatform({
  webgpuBackend: (device, adapterInfo) =>
    new WebGPUBackend(device as WebGpuBackendArgs[0], adapterInfo as WebGpuBackendArgs[1]),
  wasmPaths: {
    'tfjs-backend-wasm.wasm': new URL(
      /* @vite-ignore */ './tfjs-backend-wasm.wasm',
      import.meta.url,
    ).href,
    'tfjs-backend-wasm-simd.wasm': new URL(
      /* @vite-ignore */ './tfjs-backend-wasm-simd.wasm',
      import.meta.url,
    ).href,
    'tfjs-backend-wasm-threaded-simd.wasm': new URL(
      /* @vite-ignore */ './tfjs-backend-wasm-threaded-simd.wasm',
      import.meta.url,
    ).href,
  },
});
