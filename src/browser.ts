/**
 * The browser bundle's entry (dist/webnets.js): the public API (src/index.ts) plus what
 * only pages have (src/browser-platform.ts): tfjs' WebGPU backend, and the WASM binaries
 * shipped beside the bundle.
 */
import './browser-platform';

export * from './index';
