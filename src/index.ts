/**
 * webnets — the public API.
 *
 * Browser pages import `dist/webnets.js` (this module bundled with tfjs-core and the
 * WebGPU, WASM and CPU backends); Node imports the same names from the package.
 */
export { VERSION as version } from './version';
export type { NetworkSpec, BlockSpec, ConvSpec, Preprocessing, Family } from './models/spec';
export type { PackManifest } from './weights/pack';
export { tf } from './runtime/tf';

/**
 * Internal: webnets' custom tfjs kernels (registration and calls), exported for the
 * e2e tests that exercise them in a real browser. Not a stable API.
 */
export * as _kernels from './kernels';
