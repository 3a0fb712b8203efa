/**
 * `load(id, { pretrained: true })`: a preset's published checkpoint → a verified, cached
 * weight pack, in the page.
 *
 * 1. The checkpoint: the preset's entry in models/models.json (its publisher's URL and
 *    hash), laid out under `baseUrl` on a mirror, or `checkpoints[id]` (`{ url, sha256 }`).
 * 2. The cache first: IndexedDB holds converted packs keyed by the checkpoint's hash and the
 *    pack dtype, so a second load makes no request (offline too).
 * 3. Else the download (progress, abort, stall timeout, at most MAX_CHECKPOINT_BYTES),
 *    its sha256 checked before a byte is parsed; then the conversion (src/convert, the
 *    code `webnets convert` runs) in a worker when on a page's thread (convert-worker/),
 *    here in workers and Node; the pack is checked as any pack is, then cached.
 *
 * Every failure names the URL and, from the converter, the file and tensor; nothing is
 * cached unless the whole pack was made and checked.
 */
import { convertCheckpointBytes, PACK_DTYPES } from '../convert/convert-bytes';
import type { BuiltPack } from '../convert/pack-build';
import type { PretrainedEntry } from '../models/pretrained';
import { pretrainedFor, pretrainedIds } from '../models/pretrained';
import type { NetworkSpec } from '../models/spec';
import { platform } from '../platform';
import { cacheAvailable, readCachedPack, writeCachedPack } from '../weights/cache';
import type { FetchLike } from '../weights/fetch-bytes';
import { DEFAULT_STALL_TIMEOUT_MS, fetchBytes } from '../weights/fetch-bytes';
import type { LoadProgress, ReadPack } from '../weights/load';
import { decodeHost, validateManifest } from '../weights/load';
import type { PackDtype } from '../weights/pack';
import { sha256Hex } from '../weights/sha256';
import { convertInWorker } from './convert-worker/client';
import { SILENCE_FLOOR_MS } from './convert-worker/protocol';

/**
 * The largest checkpoint converted in a page: 600 MiB, above RegNetY-32GF's (the largest
 * published preset, 145 M parameters in float32). Converting holds the checkpoint and the
 * pack at once (two copies); larger files are refused before they are downloaded.
 */
export const MAX_CHECKPOINT_BYTES = 600 * 2 ** 20;

/** A checkpoint of one's own for a preset: a private copy, or a test's seeded file. */
export interface CheckpointSource {
  url: string;
  /** The file's full sha256, 64 hex digits. */
  sha256: string;
}

export interface PretrainedOptions {
  /** A mirror laid out like models/checkpoints/ (`torchvision/…`, `fd-mobilenet/…`). */
  baseUrl?: string;
  /** Per preset id, a checkpoint to use instead of the published one. */
  checkpoints?: Record<string, CheckpointSource>;
  /** How the cached pack stores the weights (default float32). */
  dtype?: PackDtype;
  cache?: boolean;
  onProgress?: (progress: LoadProgress) => void;
  signal?: AbortSignal;
  /** ms the download may receive nothing, or the conversion worker stay silent (0: no limit). */
  stallTimeout?: number;
  /** Replaces the platform's fetch (tests). */
  fetch?: FetchLike;
}

/** The checkpoint a load uses: where, and the hash it must have (full, or torch.hub's prefix). */
export interface ResolvedCheckpoint {
  url: string;
  file: string;
  /** 64 hex digits, or the 8 that torch.hub puts in torchvision's file names. */
  sha256: string;
}

const FULL_SHA256 = /^[0-9a-f]{64}$/;

function absolute(url: string, what: string): string {
  try {
    return new URL(url, platform.baseUrl()).href;
  } catch {
    throw new Error(`${what} '${url}' is not a valid URL`);
  }
}

function fileName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.split('/').pop() || url);
}

/** Which checkpoint `load(id, { pretrained: true, ... })` fetches; throws on bad options. */
export function resolveCheckpoint(spec: NetworkSpec, opts: PretrainedOptions): ResolvedCheckpoint {
  const what = `load('${spec.id}', { pretrained: true })`;
  const own = opts.checkpoints?.[spec.id];
  if (own !== undefined) {
    if (typeof own !== 'object' || own === null || typeof own.url !== 'string') {
      throw new Error(`${what}: checkpoints['${spec.id}'] needs { url, sha256 }`);
    }
    if (typeof own.sha256 !== 'string' || !FULL_SHA256.test(own.sha256)) {
      throw new Error(
        `${what}: checkpoints['${spec.id}'].sha256 is ${JSON.stringify(own.sha256)}: expected the file's sha256, 64 lowercase hex digits`,
      );
    }
    const url = absolute(own.url, `checkpoints['${spec.id}'].url`);
    return { url, file: fileName(url), sha256: own.sha256 };
  }
  const entry = pretrainedFor(spec.id);
  if (!entry) {
    throw new Error(
      `${what}: no published checkpoint is known for '${spec.id}' (presets with one: ${pretrainedIds().join(', ')}); pass checkpoints: { '${spec.id}': { url, sha256 } } for one of your own`,
    );
  }
  const sha256 = publishedHash(entry);
  if (sha256 === null) {
    throw new Error(
      `${what}: the publisher of ${entry.weights} gives no hash to verify it by; pass checkpoints: { '${spec.id}': { url, sha256 } } with its sha256`,
    );
  }
  const url =
    opts.baseUrl !== undefined
      ? absolute(`${opts.baseUrl.replace(/\/+$/, '')}/${entry.file}`, 'baseUrl')
      : entry.url;
  return { url, file: fileName(url), sha256 };
}

function publishedHash(entry: PretrainedEntry): string | null {
  return entry.sha256 ?? entry.sha256Prefix;
}

/** The dtype the checkpoint is converted to (default float32); throws naming a bad one. */
export function pretrainedDtype(spec: NetworkSpec, opts: PretrainedOptions): PackDtype {
  const dtype = opts.dtype ?? 'float32';
  if (!PACK_DTYPES.includes(dtype)) {
    throw new Error(
      `load('${spec.id}'): dtype ${JSON.stringify(dtype)}: expected one of ${PACK_DTYPES.join(', ')}`,
    );
  }
  return dtype;
}

/** The IndexedDB key of the pack converted from a checkpoint of this hash, as `dtype`. */
export function pretrainedCacheKey(id: string, sha256: string, dtype: PackDtype): string {
  return `indexeddb://webnets/pretrained/${id}/${sha256}-${dtype}`;
}

const matches = (actual: string, expected: string): boolean =>
  expected.length === 64 ? actual === expected : actual.startsWith(expected);

/** Whether this thread may convert (workers and Node) or must start a worker (a page). */
function onPageThread(): boolean {
  return typeof (globalThis as { document?: unknown }).document !== 'undefined';
}

function aborted(url: string, signal: AbortSignal): Error {
  return new Error(`${url}: load aborted`, { cause: signal.reason });
}

/** Reads the published checkpoint of `spec` as a verified, decoded pack (from the cache when there). */
export async function readPretrained(
  spec: NetworkSpec,
  opts: PretrainedOptions,
): Promise<ReadPack & { url: string }> {
  const dtype = pretrainedDtype(spec, opts);
  const checkpoint = resolveCheckpoint(spec, opts);
  const { url } = checkpoint;
  const useCache = opts.cache ?? cacheAvailable();
  if (useCache && !cacheAvailable()) {
    throw new Error('webnets: cache: true needs IndexedDB (a browser); pass cache: false here');
  }
  const key = useCache ? pretrainedCacheKey(spec.id, checkpoint.sha256, dtype) : null;
  const accept = (manifest: unknown, data: Uint8Array, where: string) => {
    const checked = validateManifest(manifest, where, spec);
    if (checked.dtype !== dtype || !matches(checked.source.sha256, checkpoint.sha256)) {
      throw new Error(`${where}: the pack is not ${checkpoint.file} as ${dtype}`);
    }
    return { manifest: checked, data, weights: decodeHost(checked, data, where) };
  };
  if (key) {
    const cached = await readCachedPack(key, (m, d) => accept(m, d, `${url} (cached)`));
    if (cached) {
      opts.onProgress?.({ loaded: cached.data.length, total: cached.data.length });
      return { ...cached, fromCache: true, url };
    }
  }
  const bytes = await download(checkpoint, opts);
  const sha256 = await sha256Hex(bytes);
  if (!matches(sha256, checkpoint.sha256)) {
    throw new Error(
      `${url}: sha256 ${sha256} does not match the ${checkpoint.sha256.length === 64 ? '' : 'published prefix '}${checkpoint.sha256} (corrupt, truncated or another file)`,
    );
  }
  if (opts.signal?.aborted) throw aborted(url, opts.signal);
  const job = { id: spec.id, file: checkpoint.file, sha256, dtype };
  let built: BuiltPack;
  try {
    built = onPageThread()
      ? await convertInWorker(bytes, job, {
          ...(opts.signal ? { signal: opts.signal } : {}),
          silenceLimit: silenceLimit(opts.stallTimeout ?? DEFAULT_STALL_TIMEOUT_MS),
        })
      : await convertCheckpointBytes(bytes, { spec, ...job });
  } catch (err) {
    if (opts.signal?.aborted) throw aborted(url, opts.signal);
    throw new Error(`${url}: ${(err as Error).message}`, { cause: err });
  }
  if (opts.signal?.aborted) throw aborted(url, opts.signal);
  const pack = accept(built.manifest, built.data, url);
  if (key) {
    try {
      await writeCachedPack(key, pack.manifest, pack.data);
    } catch (err) {
      console.warn(`webnets: could not cache the pack of ${url}: ${(err as Error).message}`);
    }
  }
  return { ...pack, fromCache: false, url };
}

/** How long the conversion worker may stay silent: the stall timeout, not under the floor. */
function silenceLimit(stallTimeout: number): number {
  return stallTimeout > 0 ? Math.max(stallTimeout, SILENCE_FLOOR_MS) : 0;
}

const waysOut =
  'Ways out: serve the checkpoint from a mirror that sends CORS headers (or from your own origin) and pass baseUrl, or convert it ahead with `npx webnets fetch-weights <id>` and load the pack with weightsUrl';

async function download(
  checkpoint: ResolvedCheckpoint,
  opts: PretrainedOptions,
): Promise<Uint8Array> {
  const fetchImpl = opts.fetch ?? platform.fetch;
  const { url } = checkpoint;
  let loaded = 0;
  let total = 0;
  try {
    return await fetchBytes(url, {
      fetch: async (u, init) => {
        const response = await fetchImpl(u, init);
        total = Number(response.headers.get('content-length') ?? 0) || 0;
        if (response.ok) opts.onProgress?.({ loaded: 0, total });
        return response;
      },
      maxBytes: MAX_CHECKPOINT_BYTES,
      maxBytesReason: `the most a page converts (${MAX_CHECKPOINT_BYTES / 2 ** 20} MiB: converting holds the checkpoint and the pack at once). Convert it with \`npx webnets fetch-weights\` and load the pack with weightsUrl`,
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.stallTimeout !== undefined ? { stallTimeout: opts.stallTimeout } : {}),
      onChunk: (n) => {
        loaded += n;
        opts.onProgress?.({ loaded, total: Math.max(total, loaded) });
      },
    });
  } catch (err) {
    throw await explainFailure(err as Error, url, opts);
  }
}

/**
 * A fetch that rejects before any response is, in a page, a network failure or a response
 * without CORS headers: the browser does not say which. A no-cors request tells them apart
 * (it resolves, opaque, when the server answered at all).
 */
async function explainFailure(err: Error, url: string, opts: PretrainedOptions): Promise<Error> {
  const location = (globalThis as { location?: { origin: string } }).location;
  const crossOrigin = location !== undefined && new URL(url).origin !== location.origin;
  const networkError = err.cause instanceof TypeError && / download failed \(/.test(err.message);
  if (!crossOrigin || !networkError || opts.signal?.aborted) return err;
  const stall = opts.stallTimeout ?? DEFAULT_STALL_TIMEOUT_MS;
  let answered = false;
  try {
    await globalThis.fetch(url, {
      method: 'HEAD',
      mode: 'no-cors',
      ...(stall > 0 ? { signal: AbortSignal.timeout(stall) } : {}),
    });
    answered = true;
  } catch {
    // Unreachable from here (offline, blocked), or its answer was refused too.
  }
  const why = answered
    ? `the server answered without CORS headers (Access-Control-Allow-Origin), so the browser keeps the file from this page (${location!.origin})`
    : `could not download it: the network failed, or the server sends no CORS headers (Access-Control-Allow-Origin) for this page (${location!.origin})`;
  return new Error(`${url}: ${why}. ${waysOut}.`, { cause: err });
}
