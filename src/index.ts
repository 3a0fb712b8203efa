/**
 * webnets — the public API, shared by the package's two builds: src/browser.ts (the
 * browser bundle, dist/webnets.js: WebGPU, WASM and CPU) and src/node.ts (the Node build:
 * WASM and CPU).
 *
 *   const model = await load('fd-mobilenet-0.5x', { weightsUrl: '/packs/fd-mobilenet-0.5x/model.json' });
 *   const [best] = await model.classify(img); // { index, label, probability }
 */
export { VERSION as version } from './version';
export { isCached, load } from './runtime/load';
export type { LoadOptions } from './runtime/load';
export { listModels } from './runtime/catalog';
export type { ModelListing } from './runtime/catalog';
export { selectBackend } from './backend/select';
export type { BackendChoice } from './backend/select';
export type { BackendFacts, BackendName, BackendOption } from './backend/policy';
export type {
  Category,
  Classification,
  ClassifyOptions,
  Model,
  ModelInfo,
  RegionOfInterest,
} from './runtime/model';
export type { ImageSource } from './runtime/source';
export type { WasmPaths } from './backend/activate';
export type { Precision } from './backend/precision';
export type { LoadProgress } from './weights/load';
export type { NetworkSpec, BlockSpec, ConvSpec, Preprocessing, Family } from './models/spec';
export type { PackManifest } from './weights/pack';
export { tf } from './tf';
