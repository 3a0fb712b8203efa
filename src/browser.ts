/**
 * The browser bundle's entry (dist/webnets.js): the public API (src/index.ts) plus what
 * only pages have: tfjs' WebGPU backend, and the WASM binaries shipped beside the bundle.
 */
import '@tensorflow/tfjs-backend-webgpu';
import { setPlatform } from './platform';

/**
 * One `new URL('./<binary>', import.meta.url)` per binary, written out literally: the form
 * Vite, webpack 5 and Parcel follow to emit the file with an app (in its workers too) and
 * rewrite the URL. Unbundled, import.meta.url is dist/webnets.js itself, so these name the
 * copies beside it. `@vite-ignore` stops webnets' own build from resolving them against
 * src/ (where they are not); vite.config.ts checks the shipped bundle still holds each one
 * without the comment.
 */
setPlatform({
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

export * from './index';
