/**
 * What the browser bundles and the Node build do differently, set once by each build
 * (src/browser-platform.ts for dist/webnets.js and dist/webnets-worker.js, src/node.ts for
 * dist/node/index.js). Code that imports the sources directly (unit tests, tools) keeps
 * these defaults. Like tf.ts it imports nothing of webnets: every layer may read it.
 */

/** tfjs-backend-wasm's three builds, which webnets ships next to dist/webnets.js. */
export const wasmBinaryNames = [
  'tfjs-backend-wasm.wasm',
  'tfjs-backend-wasm-simd.wasm',
  'tfjs-backend-wasm-threaded-simd.wasm',
] as const;

/** Where the tfjs WASM binaries are: a folder URL (ending in '/') or one URL per binary. */
export type WasmPaths = string | Record<string, string>;

export interface Platform {
  /** Where tfjs' .wasm binaries are when `wasmPaths` is not given; undefined: tfjs' own folder. */
  wasmPaths: WasmPaths | undefined;
  /** Reads a pack's files (model.json and shards). */
  fetch: (url: string, init?: { signal?: AbortSignal }) => Promise<Response>;
  /** What a relative `weightsUrl` resolves against: the page's URL in a browser. */
  baseUrl: () => string | undefined;
  /**
   * tfjs' WebGPU backend on an open device and its adapter info (the browser bundles);
   * undefined where tfjs-backend-webgpu is not bundled (Node, pages built from the sources).
   */
  webgpuBackend: ((device: unknown, adapterInfo: unknown) => object) | undefined;
}

export const platform: Platform = {
  wasmPaths: undefined,
  fetch: (url, init) => globalThis.fetch(url, init),
  baseUrl: () => (globalThis as { location?: { href: string } }).location?.href,
  webgpuBackend: undefined,
};

export function setPlatform(changes: Partial<Platform>): void {
  Object.assign(platform, changes);
}
