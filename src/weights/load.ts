/**
 * Loading a weight pack: `model.json`, then its shards with byte-level progress; every
 * shard's size and sha256 checked before use; decoded with tfjs-core's io; optionally
 * kept in (and served from) the IndexedDB cache. The verified bytes come back too:
 * `decodePack` binds them onto another backend without reading the pack again.
 *
 * Either the whole pack loads and matches the spec, or `loadPack` rejects naming the
 * file and the reason — and leaves no tensors allocated and nothing cached.
 */
import type { NetworkSpec } from '../models/spec';
import { paramSpecs } from '../models/spec';
import { platform } from '../platform';
import { tf } from '../tf';
import { cacheAvailable, cacheKey, readCachedPack, writeCachedPack } from './cache';
import type { FetchLike } from './fetch-bytes';
import { fetchBytes } from './fetch-bytes';
import type { PackManifest } from './pack';
import { PACK_FORMAT, PACK_FORMAT_VERSION } from './pack';
import type { PackEntry } from './quantize';
import { sha256Hex } from './sha256';

export interface LoadProgress {
  loaded: number;
  total: number;
}

export interface LoadPackOptions {
  /** The network the weights must fit: its id, tensor names and shapes are checked. */
  spec: NetworkSpec;
  onProgress?: (progress: LoadProgress) => void;
  /** Keep the verified pack in IndexedDB and serve later loads from it (default: true where IndexedDB exists). */
  cache?: boolean;
  signal?: AbortSignal;
  /** Replaces the platform's fetch (global fetch; in the Node build, also local files). */
  fetch?: FetchLike;
}

export interface LoadedPack {
  manifest: PackManifest;
  /** The weights, decoded onto the backend active during the load. */
  weights: tf.NamedTensorMap;
  /** Every shard's verified bytes in manifest order (host memory): `decodePack` input. */
  data: Uint8Array;
  fromCache: boolean;
}

function absoluteUrl(url: string): string {
  try {
    return new URL(url, platform.baseUrl()).href;
  } catch {
    throw new Error(`${url}: not a valid URL for a pack's model.json`);
  }
}

function shapeText(shape: number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Checks a parsed model.json against the format and the spec, before any shard is fetched. */
export function validateManifest(manifest: unknown, url: string, spec: NetworkSpec): PackManifest {
  const m = manifest as Partial<PackManifest> | null;
  if (!m || typeof m !== 'object' || m.format !== PACK_FORMAT) {
    throw new Error(`${url}: not a webnets pack (expected "format": "${PACK_FORMAT}")`);
  }
  if (m.formatVersion !== PACK_FORMAT_VERSION) {
    throw new Error(
      `${url}: pack format version ${String(m.formatVersion)}, this webnets reads ${PACK_FORMAT_VERSION}`,
    );
  }
  if (m.modelId !== spec.id) {
    throw new Error(`${url}: the pack holds weights for '${String(m.modelId)}', not '${spec.id}'`);
  }
  if (!Array.isArray(m.weightsManifest) || !m.shards)
    throw new Error(`${url}: weightsManifest or shards missing`);
  const entries = m.weightsManifest.flatMap((g) => g.weights as PackEntry[]);
  const byName = new Map(entries.map((e) => [e.name, e]));
  for (const param of paramSpecs(spec)) {
    const entry = byName.get(param.name);
    if (!entry)
      throw new Error(`${url}: tensor '${param.name}' ${shapeText(param.shape)} is missing`);
    if (shapeText(entry.shape) !== shapeText(param.shape)) {
      throw new Error(
        `${url}: tensor '${param.name}' has shape ${shapeText(entry.shape)}, expected ${shapeText(param.shape)} for ${spec.id}`,
      );
    }
    byName.delete(param.name);
  }
  if (byName.size > 0)
    throw new Error(`${url}: unexpected tensors for ${spec.id}: ${[...byName.keys()].join(', ')}`);
  for (const path of m.weightsManifest.flatMap((g) => g.paths)) {
    const shard = m.shards[path];
    if (!shard || typeof shard.sha256 !== 'string' || typeof shard.bytes !== 'number') {
      throw new Error(`${url}: shard '${path}' has no recorded size and sha256`);
    }
  }
  return m as PackManifest;
}

/** Fetches and verifies every shard; returns their bytes concatenated in manifest order. */
async function fetchShards(
  manifest: PackManifest,
  modelUrl: string,
  opts: LoadPackOptions,
  fetchImpl: FetchLike,
): Promise<Uint8Array> {
  const paths = manifest.weightsManifest.flatMap((g) => g.paths);
  const total = paths.reduce((n, p) => n + manifest.shards[p]!.bytes, 0);
  let loaded = 0;
  opts.onProgress?.({ loaded, total });
  const data = new Uint8Array(total);
  let offset = 0;
  for (const path of paths) {
    const expected = manifest.shards[path]!;
    const url = new URL(path, modelUrl).href;
    const bytes = await fetchBytes(url, {
      fetch: fetchImpl,
      ...(opts.signal ? { signal: opts.signal } : {}),
      onChunk: (n) => {
        loaded += n;
        opts.onProgress?.({ loaded: Math.min(loaded, total), total });
      },
    });
    if (bytes.length !== expected.bytes) {
      throw new Error(
        `${url}: ${bytes.length} bytes, expected ${expected.bytes} (truncated or wrong file)`,
      );
    }
    const hash = await sha256Hex(bytes);
    if (hash !== expected.sha256) {
      throw new Error(
        `${url}: sha256 ${hash} does not match the pack's ${expected.sha256} (corrupt or tampered)`,
      );
    }
    data.set(bytes, offset);
    offset += bytes.length;
  }
  return data;
}

/** Decodes verified bytes into tensors; applies per-channel dequantization; all or nothing. */
export function decodePack(manifest: PackManifest, data: Uint8Array): tf.NamedTensorMap {
  const entries = manifest.weightsManifest.flatMap((g) => g.weights as PackEntry[]);
  const buffer =
    data.byteOffset === 0 && data.byteLength === data.buffer.byteLength
      ? data.buffer
      : data.slice().buffer;
  let weights: tf.NamedTensorMap = {};
  try {
    weights = tf.io.decodeWeights(buffer as ArrayBuffer, entries);
    for (const entry of entries) {
      const affine = entry.perChannel;
      const codes = weights[entry.name];
      if (!affine || !codes) continue;
      const broadcast = [
        affine.scale.length,
        ...new Array<number>(entry.shape.length - 1 - affine.axis).fill(1),
      ];
      weights[entry.name] = tf.tidy(() =>
        tf.add(tf.mul(codes, tf.tensor(affine.scale, broadcast)), tf.tensor(affine.min, broadcast)),
      );
      codes.dispose();
    }
    return weights;
  } catch (err) {
    tf.dispose(Object.values(weights));
    throw new Error(
      `${manifest.modelId}: could not decode the pack's weights (${(err as Error).message})`,
      {
        cause: err,
      },
    );
  }
}

export async function loadPack(modelJsonUrl: string, opts: LoadPackOptions): Promise<LoadedPack> {
  const fetchImpl = opts.fetch ?? platform.fetch;
  const url = absoluteUrl(modelJsonUrl);
  // Default: cache wherever IndexedDB exists (browsers), not in Node.
  const useCache = opts.cache ?? cacheAvailable();
  if (useCache && !cacheAvailable()) {
    throw new Error('webnets: cache: true needs IndexedDB (a browser); pass cache: false here');
  }
  const key = useCache ? await cacheKey(opts.spec.id, url) : null;
  if (key) {
    const cached = await readCachedPack(key);
    if (cached) {
      const manifest = validateManifest(cached.manifest, `${url} (cached)`, opts.spec);
      opts.onProgress?.({ loaded: cached.data.length, total: cached.data.length });
      const { data } = cached;
      return { manifest, weights: decodePack(manifest, data), data, fromCache: true };
    }
  }
  const json = await fetchBytes(url, {
    fetch: fetchImpl,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(json));
  } catch (err) {
    throw new Error(`${url}: not valid JSON (${(err as Error).message})`, { cause: err });
  }
  const manifest = validateManifest(parsed, url, opts.spec);
  const data = await fetchShards(manifest, url, opts, fetchImpl);
  const weights = decodePack(manifest, data);
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
