/**
 * `load(id, options)`: a model id and where its weights are → a ready Model.
 *
 * The spec comes from the id (src/models/presets.ts); the weights from a pack
 * (`weightsUrl`, src/weights/load.ts), from the preset's published checkpoint converted in
 * the page (`pretrained`, pretrained.ts) or from a seed (`synthetic`). The pack's manifest,
 * not the preset, says how to preprocess and which labels apply. The backend is chosen
 * and started by open.ts (backend/start.ts); the builder here runs again for each backend
 * the model starts on (calibration, fallback), binding weights read once. With
 * `worker: true` the same load runs in a worker (worker/client.ts).
 */
import { complexity } from '../models/complexity';
import { compileNetwork, createNetwork } from '../models/network';
import type { Network } from '../models/network';
import { getSpec } from '../models/presets';
import type { NetworkSpec, Preprocessing } from '../models/spec';
import type { LoadProgress, ReadPack } from '../weights/load';
import { cacheAvailable, hasCachedPack } from '../weights/cache';
import { decodePack, packCacheKey, readPack, toTensors } from '../weights/load';
import type { PackDtype, PackManifest } from '../weights/pack';
import { syntheticWeights } from '../weights/synthetic';
import type { WasmSetup } from '../backend/activate';
import { checkWasmSetup } from '../backend/activate';
import type { BackendOption } from '../backend/policy';
import type { ThreadsOption } from '../backend/threads';
import { checkBackendOption } from '../backend/select';
import { networkKernels } from '../backend/threads';
import type { Precision } from '../backend/precision';
import { checkPrecision } from '../backend/precision';
import { labelSet } from './labels';
import type { BuiltNetwork, Model, ModelInfo, NetworkBuilder } from './model';
import { openModel } from './open';
import { checkPreprocessing, inputKernelRuns } from './preprocess';
import { tf } from '../tf';
import { loadInWorker } from './worker/client';
import type { CheckpointSource } from './pretrained';
import {
  pretrainedCacheKey,
  pretrainedDtype,
  readPretrained,
  resolveCheckpoint,
} from './pretrained';

export interface LoadOptions extends WasmSetup {
  /** 'auto' (default) follows the backend policy; a name forces that backend. */
  backend?: BackendOption;
  /** URL of a pack's model.json (`npx webnets convert` writes packs). */
  weightsUrl?: string;
  /** Seeded random weights instead of a pack (true = seed 0): real speed, meaningless labels. */
  synthetic?: boolean | number;
  /**
   * The preset's published checkpoint (models/models.json), downloaded, checked by its
   * sha256, converted into a pack in a worker and kept in IndexedDB (keyed by the hash and
   * `dtype`), so that the next load is from the cache, offline too.
   */
  pretrained?: boolean;
  /** With `pretrained`: a mirror laid out like the publishers' paths (`torchvision/…`, `fd-mobilenet/…`). */
  baseUrl?: string;
  /** With `pretrained`: per preset id, a checkpoint `{ url, sha256 }` to use instead of the published one. */
  checkpoints?: Record<string, CheckpointSource>;
  /** With `pretrained`: how the converted pack stores the weights (default 'float32'). */
  dtype?: PackDtype;
  /** Bytes of the pack (with `pretrained`: of the checkpoint) downloaded so far. */
  onProgress?: (progress: LoadProgress) => void;
  /** Keep the pack in IndexedDB and load it from there next time (default: true in browsers). */
  cache?: boolean;
  /**
   * ms a download may receive nothing, or `pretrained`'s conversion worker stay silent, before
   * `load` fails as stalled (default 30 000; 0: wait forever).
   */
  stallTimeout?: number;
  /** Time WebGPU and WASM on this model and keep the faster (remembered per device). */
  calibrate?: boolean;
  /**
   * Check WebGPU's results on a small canary network against the CPU's before using it
   * (once per device, remembered); wrong results fall back to WASM under 'auto' and fail
   * the load under 'webgpu'. Default: true under 'auto', false under 'webgpu'.
   */
  verifyWebGPU?: boolean;
  signal?: AbortSignal;
  /**
   * Run the model in a dedicated module worker (dist/webnets-worker.js): same Model, every
   * option as here, inference off the page's thread. Sources cross as copies, so the
   * caller's objects stay usable: a <video>'s frame becomes a VideoFrame and a VideoFrame is
   * cloned, ImageData bytes and tensor values are copied, canvases and ImageBitmaps are
   * snapshotted into a new ImageBitmap, an <img> is decoded into one (on the page's thread).
   * A worker that ends rejects every pending and later call; `dispose()` ends it.
   */
  worker?: boolean;
  /**
   * 'float32' (default), or 'float16': on WebGPU with shader-f16, the weights stored and
   * multiplied in half precision (accumulated in float32); elsewhere float32 runs and
   * `backendReason` says why.
   */
  precision?: Precision;
}

type WeightsChoice =
  { kind: 'pack'; url: string } | { kind: 'pretrained' } | { kind: 'synthetic'; seed: number };

const pretrainedOnly = ['baseUrl', 'checkpoints', 'dtype'] as const;

/** Which weights to use, checked: exactly one of weightsUrl, pretrained and synthetic. */
function weightsChoice(id: string, options: LoadOptions): WeightsChoice {
  const { weightsUrl, synthetic, pretrained } = options;
  const useSynthetic = synthetic !== undefined && synthetic !== false;
  if (pretrained !== undefined && typeof pretrained !== 'boolean') {
    throw new Error(
      `load('${id}'): pretrained is ${JSON.stringify(pretrained)}: expected true or false`,
    );
  }
  const given = [
    weightsUrl !== undefined && 'weightsUrl',
    useSynthetic && 'synthetic',
    pretrained === true && 'pretrained',
  ].filter(Boolean);
  if (given.length > 1) {
    throw new Error(
      `load('${id}'): give one of weightsUrl, pretrained and synthetic, not ${given.join(' and ')}`,
    );
  }
  if (pretrained !== true) {
    const stray = pretrainedOnly.find((key) => options[key] !== undefined);
    if (stray) throw new Error(`load('${id}'): ${stray} applies only with pretrained: true`);
  }
  if (pretrained === true) {
    if (options.baseUrl !== undefined && typeof options.baseUrl !== 'string') {
      throw new Error(
        `load('${id}'): baseUrl is ${JSON.stringify(options.baseUrl)}: expected a URL`,
      );
    }
    if (
      options.checkpoints !== undefined &&
      (typeof options.checkpoints !== 'object' || options.checkpoints === null)
    ) {
      throw new Error(`load('${id}'): checkpoints needs { [id]: { url, sha256 } }`);
    }
    return { kind: 'pretrained' };
  }
  if (useSynthetic) {
    const seed = synthetic === true ? 0 : synthetic;
    if (!Number.isInteger(seed)) {
      throw new Error(
        `load('${id}'): synthetic is ${String(seed)}: expected true or a whole-number seed`,
      );
    }
    return { kind: 'synthetic', seed };
  }
  if (typeof weightsUrl !== 'string' || weightsUrl === '') {
    throw new Error(
      `load('${id}'): no weights: pass weightsUrl (a pack's model.json, made by \`npx webnets convert\`), pretrained: true (the published checkpoint, converted in the page) or synthetic: true`,
    );
  }
  return { kind: 'pack', url: weightsUrl };
}

function syntheticBuilder(
  spec: NetworkSpec,
  seed: number,
  threads: ThreadsOption,
  precision: Precision,
): NetworkBuilder {
  const info: ModelInfo = {
    family: spec.family,
    complexity: complexity(spec),
    preprocessing: spec.preprocessing,
    synthetic: true,
    labelSet: 'imagenet-1k',
    labels: labelSet('imagenet-1k'),
    source: { format: 'synthetic', seed },
  };
  return async () => {
    const kernels = networkKernels(info.complexity.macs, threads, precision);
    const network = await compiled(
      createNetwork(spec, syntheticWeights(spec, seed), kernels),
      info.preprocessing,
    );
    return { network, info };
  };
}

/**
 * The network with its WebGPU pipelines compiled, in parallel, before the warm-up
 * inference (models/network.ts compileNetwork; a pipeline that fails there fails the
 * warm-up, which compiles it again).
 */
async function compiled(network: Network, preprocessing: Preprocessing): Promise<Network> {
  const { kernels } = network;
  await compileNetwork(network, () => (kernels ? inputKernelRuns(preprocessing, kernels) : []));
  return network;
}

/** What a pack's manifest says about the model (it decides preprocessing and labels). */
function packInfo(spec: NetworkSpec, url: string, manifest: PackManifest): ModelInfo {
  checkPreprocessing(manifest.preprocessing, `${url}`);
  return {
    family: spec.family,
    complexity: complexity(spec),
    preprocessing: manifest.preprocessing,
    synthetic: false,
    labelSet: manifest.labels,
    labels: packLabels(manifest.labels, url),
    source: { ...manifest.source, url },
  };
}

function packLabels(name: string, url: string): readonly string[] {
  try {
    return labelSet(name);
  } catch (err) {
    throw new Error(`${url}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Builds the network from a pack read and verified once: the first build reads it (from
 * the network or IndexedDB, sha256-checked) and makes its tensors on the active backend,
 * keeping its verified bytes; later builds (the other calibration candidate, WebGPU's
 * fallback, a lost device) decode those bytes onto theirs. `release` drops them once no
 * rebuild can come.
 */
function packBuilder(
  spec: NetworkSpec,
  readWeights: () => Promise<DescribedPack>,
  options: LoadOptions,
): NetworkBuilder {
  let read: { manifest: PackManifest; data: Uint8Array; info: ModelInfo } | null = null;
  const bind = async (): Promise<{ weights: tf.NamedTensorMap; info: ModelInfo }> => {
    if (read !== null) return { weights: decodePack(read.manifest, read.data), info: read.info };
    const pack = await readWeights();
    read = { manifest: pack.manifest, data: pack.data, info: pack.info };
    return { weights: toTensors(pack.weights), info: pack.info };
  };
  const build = async (): Promise<BuiltNetwork> => {
    const { weights, info } = await bind();
    try {
      const kernels = networkKernels(info.complexity.macs, options.threads, options.precision);
      return {
        network: await compiled(createNetwork(spec, weights, kernels), info.preprocessing),
        info,
      };
    } catch (err) {
      tf.dispose(Object.values(weights));
      throw err;
    }
  };
  return Object.assign(build, { release: () => void (read = null) });
}

/** A pack read and verified, with what the model says about itself. */
type DescribedPack = ReadPack & { url: string; info: ModelInfo };

/** The options the pack readers share. */
function readOptions(options: LoadOptions) {
  return {
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.cache !== undefined ? { cache: options.cache } : {}),
    ...(options.stallTimeout !== undefined ? { stallTimeout: options.stallTimeout } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  };
}

function weightsReader(
  spec: NetworkSpec,
  choice: Exclude<WeightsChoice, { kind: 'synthetic' }>,
  options: LoadOptions,
): () => Promise<ReadPack & { url: string }> {
  if (choice.kind === 'pretrained') {
    return () =>
      readPretrained(spec, {
        ...readOptions(options),
        ...(options.baseUrl !== undefined ? { baseUrl: options.baseUrl } : {}),
        ...(options.checkpoints !== undefined ? { checkpoints: options.checkpoints } : {}),
        ...(options.dtype !== undefined ? { dtype: options.dtype } : {}),
      });
  }
  return async () => ({
    ...(await readPack(choice.url, { spec, ...readOptions(options) })),
    url: choice.url,
  });
}

/**
 * Loads a model: `await load('efficientnet-b0', { weightsUrl })`, then `classify(image)`.
 * Rejects with a readable Error (unknown id, bad option, missing or corrupt pack, no
 * backend), leaving nothing allocated. With `worker: true` the options are checked here,
 * before the worker starts.
 */
export async function load(id: string, options: LoadOptions = {}): Promise<Model> {
  const { worker = false } = options;
  if (typeof worker !== 'boolean') {
    throw new Error(`load('${id}'): worker is ${JSON.stringify(worker)}: expected true or false`);
  }
  if (!worker) return loadOnThisThread(id, options);
  const spec = getSpec(id);
  weightsChoice(id, options);
  checkWasmSetup(options);
  checkBackendOption(options.backend ?? 'auto');
  checkPrecision(options.precision);
  return loadInWorker(spec.id, options);
}

/**
 * Whether `load(id, options)` would take its weights from this browser's cache, with no
 * download: a pack (`weightsUrl`) or a published checkpoint's converted pack (`pretrained`,
 * per hash and `dtype`) that an earlier load kept. False where nothing can be cached
 * (Node, no IndexedDB, `cache: false`, synthetic weights). Nothing is read: the load still
 * checks the cached bytes, and downloads again if they went bad. Options are checked as
 * `load` checks them.
 */
export async function isCached(id: string, options: LoadOptions = {}): Promise<boolean> {
  const spec = getSpec(id);
  const weights = weightsChoice(id, options);
  checkPrecision(options.precision); // the weights' runtime precision: not part of any cache key
  if (weights.kind === 'synthetic') return false;
  const canCache = options.cache !== false && cacheAvailable();
  if (weights.kind === 'pretrained') {
    const dtype = pretrainedDtype(spec, options);
    const key = pretrainedCacheKey(spec.id, resolveCheckpoint(spec, options).sha256, dtype);
    return canCache && hasCachedPack(key);
  }
  // In Node weightsUrl may be a path, which no cache holds: not resolved as a URL there.
  return canCache && hasCachedPack(await packCacheKey(spec.id, weights.url));
}

/** `load` on the calling thread (the worker's own load). */
export async function loadOnThisThread(id: string, options: LoadOptions = {}): Promise<Model> {
  const spec = getSpec(id);
  const weights = weightsChoice(id, options);
  const precision = checkPrecision(options.precision);
  if (weights.kind === 'synthetic') {
    const builder = syntheticBuilder(spec, weights.seed, options.threads, precision);
    return openModel(spec.id, builder, options);
  }
  // The weights are read (downloaded, checked, converted) while the backend starts, once:
  // a failed read is the load's error as it is, not one backend's failure that sends the
  // plan on to the next backend, which would read them again.
  const stop = new AbortController();
  const { signal } = options;
  if (signal?.aborted) stop.abort(signal.reason);
  signal?.addEventListener('abort', () => stop.abort(signal.reason), { once: true });
  const reader = weightsReader(spec, weights, { ...options, signal: stop.signal });
  let pending: Promise<DescribedPack> | null = reader().then((pack) => ({
    ...pack,
    info: packInfo(spec, pack.url, pack.manifest),
  }));
  let readFailure: { error: unknown } | null = null;
  pending.catch((error: unknown) => void (readFailure = { error }));
  // Taken once it has succeeded: the builder keeps the verified bytes, no copy stays here.
  const take = async (): Promise<DescribedPack> => {
    if (pending === null) throw new Error(`load('${spec.id}'): the weights were already taken`);
    const pack = await pending;
    pending = null;
    return pack;
  };
  try {
    return await openModel(spec.id, packBuilder(spec, take, options), options);
  } catch (err) {
    // A failed read is known by now: its handler was attached before any build awaited it.
    stop.abort(new Error(`load('${spec.id}') failed`));
    if (readFailure !== null && !signal?.aborted) throw (readFailure as { error: unknown }).error;
    throw err;
  }
}
