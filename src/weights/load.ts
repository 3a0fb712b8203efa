/**
 * Loading a weight pack: `model.json`, checked in full against the format and the network
 * spec before any shard is fetched; then the shards, each written straight into one
 * buffer of the declared total size, its length and sha256 checked; then every tensor
 * decoded to float32 host arrays (`readPack`), and those made into tensors (`loadPack`).
 * Optionally kept in (and served from) the IndexedDB cache. The verified bytes come back
 * too: `decodePack` binds them onto another backend without reading the pack again.
 *
 * Either the whole pack loads and matches the spec, or the load rejects naming the pack
 * URL and the entry (tensor, shard or field) — and leaves no tensors allocated and nothing
 * cached.
 */
import type { NetworkSpec } from '../models/spec';
import { paramSpecs } from '../models/spec';
import { platform } from '../platform';
import { tf } from '../tf';
import { cacheAvailable, cacheKey, readCachedPack, writeCachedPack } from './cache';
import type { FetchLike } from './fetch-bytes';
import { fetchBytes } from './fetch-bytes';
import type { EntryDtype, PackDtype, PackEntry, PackManifest } from './pack';
import { PACK_FORMAT, PACK_FORMAT_VERSION, entryByteLength } from './pack';
import { decodeTensor } from './quantize';
import { sha256Hex } from './sha256';

export interface LoadProgress {
  loaded: number;
  total: number;
}

export interface LoadPackOptions {
  /** The network the weights must fit: its id, family, config, tensor names and shapes are checked. */
  spec: NetworkSpec;
  onProgress?: (progress: LoadProgress) => void;
  /** Keep the verified pack in IndexedDB and serve later loads from it (default: true where IndexedDB exists). */
  cache?: boolean;
  signal?: AbortSignal;
  /** ms a download may receive nothing before it fails as stalled (default 30 000; 0: no limit). */
  stallTimeout?: number;
  /** Replaces the platform's fetch (global fetch; in the Node build, also local files). */
  fetch?: FetchLike;
}

/** Decoded weights: float32 values in the runtime layout, by tensor name. */
export type HostWeights = Map<string, { shape: number[]; data: Float32Array }>;

export interface ReadPack {
  manifest: PackManifest;
  weights: HostWeights;
  /** Every shard's verified bytes in manifest order (host memory): `decodePack` input. */
  data: Uint8Array;
  fromCache: boolean;
}

export interface LoadedPack {
  manifest: PackManifest;
  /** The weights, decoded onto the backend active during the load. */
  weights: tf.NamedTensorMap;
  /** Every shard's verified bytes in manifest order (host memory): `decodePack` input. */
  data: Uint8Array;
  fromCache: boolean;
}

/** The most a model.json may be (B7's is ~100 KB). */
const MAX_MANIFEST_BYTES = 4 << 20;
const PACK_DTYPES: readonly PackDtype[] = ['float32', 'float16', 'int8'];
const ENTRY_DTYPES: readonly EntryDtype[] = ['float32', 'float16', 'int8'];

function absoluteUrl(url: string): string {
  try {
    return new URL(url, platform.baseUrl()).href;
  } catch {
    throw new Error(`${url}: not a valid URL for a pack's model.json`);
  }
}

const text = (v: unknown): string =>
  typeof v === 'string' ? `'${v}'` : (JSON.stringify(v) ?? String(v));
const shapeText = (shape: readonly unknown[]): string => `[${shape.map(text).join(', ')}]`;
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
/** A tensor dimension: a whole number that a typed array can hold (< 2³¹). */
const isDimension = (v: unknown): v is number => isCount(v) && v < 2 ** 31;

/** Checks one entry's fields (not yet against the spec); the message names the entry. */
function checkEntry(raw: unknown, index: number): PackEntry {
  if (!isObject(raw) || typeof raw.name !== 'string') {
    throw new Error(`weightsManifest entry ${index} is not an object with a name`);
  }
  const { name, shape, dtype } = raw;
  if (!Array.isArray(shape) || !shape.every(isDimension)) {
    throw new Error(
      `tensor '${name}': shape ${Array.isArray(shape) ? shapeText(shape) : text(shape)} is not a list of dimensions (whole numbers 0 to 2³¹−1)`,
    );
  }
  if (!ENTRY_DTYPES.includes(dtype as EntryDtype)) {
    throw new Error(
      `tensor '${name}': unknown dtype ${text(dtype)} (expected ${ENTRY_DTYPES.join(', ')})`,
    );
  }
  if (dtype !== 'int8') return { name, shape, dtype: dtype as 'float32' | 'float16' };
  const axis = raw.channelAxis;
  if (!Number.isInteger(axis) || (axis as number) < 0 || (axis as number) >= shape.length) {
    throw new Error(
      `tensor '${name}': int8 channelAxis ${text(axis)} is not an axis of its shape ${shapeText(shape)}`,
    );
  }
  return { name, shape, dtype, channelAxis: axis as number };
}

/** `a` and `b` have the same keys and the same primitive values. */
function sameConfig(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const keys = Object.keys(b);
  return Object.keys(a).length === keys.length && keys.every((k) => a[k] === b[k]);
}

/**
 * Checks a parsed model.json against the format and the spec, before any shard is fetched:
 * every field the loader uses has its type, every tensor the spec needs is there once
 * with its shape and nothing else is, and the shards' declared bytes are exactly what the
 * tensors take. Errors start with `url`.
 */
export function validateManifest(manifest: unknown, url: string, spec: NetworkSpec): PackManifest {
  try {
    return checkManifest(manifest, spec);
  } catch (err) {
    throw new Error(`${url}: ${(err as Error).message}`, { cause: err });
  }
}

function checkManifest(m: unknown, spec: NetworkSpec): PackManifest {
  if (!isObject(m) || m.format !== PACK_FORMAT) {
    throw new Error(`not a webnets pack (expected "format": "${PACK_FORMAT}")`);
  }
  if (m.formatVersion !== PACK_FORMAT_VERSION) {
    const older = typeof m.formatVersion === 'number' && m.formatVersion < PACK_FORMAT_VERSION;
    throw new Error(
      `pack format version ${text(m.formatVersion)}; this webnets reads version ${PACK_FORMAT_VERSION}` +
        (older
          ? ': convert the checkpoint again with this webnets (`npx webnets convert`)'
          : ': update webnets to load it'),
    );
  }
  if (m.modelId !== spec.id) {
    throw new Error(`the pack holds weights for ${text(m.modelId)}, not '${spec.id}'`);
  }
  if (m.family !== spec.family || !isObject(m.config) || !sameConfig(m.config, spec.config)) {
    throw new Error(
      `family ${text(m.family)} with config ${JSON.stringify(m.config)} is not ${spec.id}'s ` +
        `(${spec.family}, ${JSON.stringify(spec.config)})`,
    );
  }
  if (!PACK_DTYPES.includes(m.dtype as PackDtype)) {
    throw new Error(`unknown pack dtype ${text(m.dtype)} (expected ${PACK_DTYPES.join(', ')})`);
  }
  for (const field of ['labels', 'converter'] as const) {
    if (typeof m[field] !== 'string') throw new Error(`"${field}" is missing or not a string`);
  }
  if (!isObject(m.preprocessing)) throw new Error('"preprocessing" is missing');
  if (!isObject(m.source)) throw new Error('"source" is missing');
  if (!Array.isArray(m.weightsManifest) || m.weightsManifest.length === 0) {
    throw new Error('"weightsManifest" is missing or empty');
  }
  if (!isObject(m.shards)) throw new Error('"shards" is missing');
  const shards = m.shards;

  const expected = new Map(paramSpecs(spec).map((p) => [p.name, p.shape]));
  const seenTensors = new Set<string>();
  const seenPaths = new Set<string>();
  const groupBytes: { tensors: number; shards: number }[] = [];
  let index = 0;
  for (const [g, group] of m.weightsManifest.entries()) {
    if (!isObject(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      throw new Error(`weightsManifest group ${g} needs "paths" and "weights" lists`);
    }
    const bytes = { tensors: 0, shards: 0 };
    for (const raw of group.weights) {
      const entry = checkEntry(raw, index++);
      const want = expected.get(entry.name);
      if (!want) {
        throw new Error(
          `tensor '${entry.name}' is ${seenTensors.has(entry.name) ? 'listed twice' : `not a tensor of ${spec.id}`}`,
        );
      }
      if (shapeText(entry.shape) !== shapeText(want)) {
        throw new Error(
          `tensor '${entry.name}' has shape ${shapeText(entry.shape)}, expected ${shapeText(want)} for ${spec.id}`,
        );
      }
      expected.delete(entry.name);
      seenTensors.add(entry.name);
      bytes.tensors += entryByteLength(entry);
    }
    for (const path of group.paths) {
      if (typeof path !== 'string' || path === '' || seenPaths.has(path)) {
        throw new Error(`shard path ${text(path)} is empty, not a string or listed twice`);
      }
      seenPaths.add(path);
      const shard = shards[path];
      if (
        !isObject(shard) ||
        !isCount(shard.bytes) ||
        typeof shard.sha256 !== 'string' ||
        !/^[0-9a-f]{64}$/.test(shard.sha256)
      ) {
        throw new Error(`shard '${path}' has no recorded size and sha256 in "shards"`);
      }
      bytes.shards += shard.bytes;
    }
    groupBytes.push(bytes);
  }
  if (expected.size > 0) {
    const [name, shape] = [...expected][0]!;
    throw new Error(
      `tensor '${name}' ${shapeText(shape)} is missing` +
        (expected.size > 1 ? ` (and ${expected.size - 1} more of ${spec.id}'s tensors)` : ''),
    );
  }
  const unused = Object.keys(shards).filter((p) => !seenPaths.has(p));
  if (unused.length > 0) {
    throw new Error(`"shards" lists '${unused[0]}', which no weightsManifest group uses`);
  }
  groupBytes.forEach(({ tensors, shards }, g) => {
    if (tensors !== shards) {
      throw new Error(
        `weightsManifest group ${g}: its tensors' shapes and dtypes take ${tensors} bytes, its shards declare ${shards}`,
      );
    }
  });
  return m as unknown as PackManifest;
}

/** Shard paths and byte counts of a validated manifest, in order. */
function shardList(manifest: PackManifest): { path: string; bytes: number; sha256: string }[] {
  return manifest.weightsManifest.flatMap((g) =>
    g.paths.map((path) => ({ path, ...manifest.shards[path]! })),
  );
}

/** Fetches every shard into one buffer, checking each one's length and sha256. */
async function fetchShards(
  manifest: PackManifest,
  modelUrl: string,
  opts: LoadPackOptions,
  fetchImpl: FetchLike,
): Promise<Uint8Array> {
  const shards = shardList(manifest);
  const total = shards.reduce((n, s) => n + s.bytes, 0);
  let loaded = 0;
  opts.onProgress?.({ loaded, total });
  const data = new Uint8Array(total);
  let offset = 0;
  for (const shard of shards) {
    const url = new URL(shard.path, modelUrl).href;
    const bytes = await fetchBytes(url, {
      fetch: fetchImpl,
      bytes: shard.bytes,
      into: data.subarray(offset, offset + shard.bytes),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.stallTimeout !== undefined ? { stallTimeout: opts.stallTimeout } : {}),
      onChunk: (n) => {
        loaded += n;
        opts.onProgress?.({ loaded, total });
      },
    });
    const hash = await sha256Hex(bytes);
    if (hash !== shard.sha256) {
      throw new Error(
        `${url}: sha256 ${hash} does not match the pack's ${shard.sha256} (corrupt or tampered)`,
      );
    }
    offset += shard.bytes;
  }
  return data;
}

/** Decodes a validated pack's bytes into float32 host arrays. */
export function decodeHost(manifest: PackManifest, data: Uint8Array, url: string): HostWeights {
  const entries = manifest.weightsManifest.flatMap((g) => g.weights);
  const total = entries.reduce((n, e) => n + entryByteLength(e), 0);
  if (total !== data.length) {
    throw new Error(`${url}: ${data.length} bytes of weights, its tensors take ${total}`);
  }
  const weights: HostWeights = new Map();
  let offset = 0;
  for (const entry of entries) {
    const length = entryByteLength(entry);
    try {
      weights.set(entry.name, {
        shape: entry.shape,
        data: decodeTensor(entry, data.subarray(offset, offset + length)),
      });
    } catch (err) {
      throw new Error(`${url}: tensor '${entry.name}': ${(err as Error).message}`, { cause: err });
    }
    offset += length;
  }
  return weights;
}

/** A validated pack's verified bytes → tensors on the current backend, all or none. */
export function decodePack(
  manifest: PackManifest,
  data: Uint8Array,
  url: string = manifest.modelId,
): tf.NamedTensorMap {
  return toTensors(decodeHost(manifest, data, url));
}

/** Host arrays → tensors, all or none. */
export function toTensors(weights: HostWeights): tf.NamedTensorMap {
  const out: tf.NamedTensorMap = {};
  try {
    for (const [name, { shape, data }] of weights) out[name] = tf.tensor(data, shape, 'float32');
  } catch (err) {
    tf.dispose(Object.values(out));
    throw err;
  }
  return out;
}

/** The cache key of the pack at `modelJsonUrl` for model `id` (relative URLs resolved as a load does). */
export function packCacheKey(id: string, modelJsonUrl: string): Promise<string> {
  return cacheKey(id, absoluteUrl(modelJsonUrl));
}

/** Reads, verifies and decodes a pack into host arrays (no tensors, no backend needed). */
export async function readPack(modelJsonUrl: string, opts: LoadPackOptions): Promise<ReadPack> {
  const fetchImpl = opts.fetch ?? platform.fetch;
  const url = absoluteUrl(modelJsonUrl);
  // Default: cache wherever IndexedDB exists (browsers), not in Node.
  const useCache = opts.cache ?? cacheAvailable();
  if (useCache && !cacheAvailable()) {
    throw new Error('webnets: cache: true needs IndexedDB (a browser); pass cache: false here');
  }
  const key = useCache ? await packCacheKey(opts.spec.id, url) : null;
  if (key) {
    const cached = await readCachedPack(key, (manifest, data) => {
      const checked = validateManifest(manifest, `${url} (cached)`, opts.spec);
      return { manifest: checked, data, weights: decodeHost(checked, data, `${url} (cached)`) };
    });
    if (cached) {
      const bytes = shardList(cached.manifest).reduce((n, s) => n + s.bytes, 0);
      opts.onProgress?.({ loaded: bytes, total: bytes });
      return { ...cached, fromCache: true };
    }
  }
  const json = await fetchBytes(url, {
    fetch: fetchImpl,
    maxBytes: MAX_MANIFEST_BYTES,
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.stallTimeout !== undefined ? { stallTimeout: opts.stallTimeout } : {}),
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(json));
  } catch (err) {
    throw new Error(`${url}: not valid JSON (${(err as Error).message})`, { cause: err });
  }
  const manifest = validateManifest(parsed, url, opts.spec);
  const data = await fetchShards(manifest, url, opts, fetchImpl);
  const weights = decodeHost(manifest, data, url);
  if (key) {
    try {
      await writeCachedPack(key, manifest, data);
    } catch (err) {
      // A full or unavailable cache must not fail a load that succeeded.
      console.warn(`webnets: could not cache ${url}: ${(err as Error).message}`);
    }
  }
  return { manifest, weights, data, fromCache: false };
}

/** Reads a pack (`readPack`) and makes its tensors on the current backend. */
export async function loadPack(modelJsonUrl: string, opts: LoadPackOptions): Promise<LoadedPack> {
  const { manifest, weights, data, fromCache } = await readPack(modelJsonUrl, opts);
  return { manifest, weights: toTensors(weights), data, fromCache };
}
