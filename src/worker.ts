/**
 * The entry of dist/webnets-worker.js, the module worker that `load(id, { worker: true })`
 * starts (src/runtime/worker/client.ts). It serves one model with the ordinary runtime, on
 * the same platform as dist/webnets.js (src/browser-platform.ts): WebGPU, and tfjs' WASM
 * binaries named so that apps' bundlers emit them with the worker; `wasmPaths` overrides.
 */
import './browser-platform';
import { loadOnThisThread } from './runtime/load';
import type { ServerEndpoint } from './runtime/worker/server';
import { serveModel } from './runtime/worker/server';

serveModel(self as unknown as ServerEndpoint, loadOnThisThread);
