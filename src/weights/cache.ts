/**
 * The offline pack cache: verified packs kept in IndexedDB through tfjs-core's
 * `indexeddb://` handler, keyed by model id and pack URL, so a second `load` of the same
 * pack makes no network request. Each entry records the sha256 of its weight bytes and is
 * checked on every read; an entry that fails the check, or that the loader does not accept
 * (an older pack format, another spec), is deleted, never used.
 */
import { tf } from '../tf';
import type { PackManifest } from './pack';
import { sha256Hex } from './sha256';

interface CachedTopology {
  manifest: PackManifest;
  weightsSha256: string;
}

export function cacheAvailable(): boolean {
  return (
    typeof indexedDB !== 'undefined' &&
    tf.io.getLoadHandlers('indexeddb://webnets-probe').length > 0
  );
}

export async function cacheKey(modelId: string, url: string): Promise<string> {
  return `indexeddb://webnets/${modelId}/${(await sha256Hex(new TextEncoder().encode(url))).slice(0, 16)}`;
}

/**
 * A cached pack whose bytes match their recorded sha256, passed through `accept` (which
 * validates and decodes it); null when there is none, or when it was corrupt or `accept`
 * threw — then it is deleted.
 */
export async function readCachedPack<T>(
  key: string,
  accept: (manifest: unknown, data: Uint8Array) => T,
): Promise<T | null> {
  const handler = tf.io.getLoadHandlers(key)[0];
  if (!handler?.load) return null;
  let artifacts: tf.io.ModelArtifacts;
  try {
    artifacts = await handler.load();
  } catch {
    return null; // not cached
  }
  const topology = artifacts.modelTopology as Partial<CachedTopology> | undefined;
  const weightData = artifacts.weightData;
  try {
    if (!topology?.manifest || !weightData || Array.isArray(weightData))
      throw new Error('incomplete');
    const data = new Uint8Array(weightData);
    if ((await sha256Hex(data)) !== topology.weightsSha256) throw new Error('corrupt');
    return accept(topology.manifest, data);
  } catch {
    await deleteCachedPack(key);
    return null;
  }
}

export async function writeCachedPack(
  key: string,
  manifest: PackManifest,
  data: Uint8Array,
): Promise<void> {
  const handler = tf.io.getSaveHandlers(key)[0];
  if (!handler?.save) return;
  const topology: CachedTopology = { manifest, weightsSha256: await sha256Hex(data) };
  // tfjs' handler wants weight specs: one byte array (the manifest in the topology is what
  // webnets reads).
  const weightSpecs = [{ name: 'pack', shape: [data.length], dtype: 'bool' as const }];
  const weightData =
    data.byteOffset === 0 && data.byteLength === data.buffer.byteLength
      ? data.buffer
      : data.slice().buffer;
  await handler.save({
    modelTopology: topology as unknown as object,
    weightSpecs,
    weightData: weightData as ArrayBuffer,
  });
}

/**
 * Whether the cache holds an entry under `key` (listed, not read: its bytes are checked when
 * a load reads it).
 */
export async function hasCachedPack(key: string): Promise<boolean> {
  try {
    return key in (await tf.io.listModels());
  } catch {
    return false; // IndexedDB refused (private mode, blocked storage): nothing to read either
  }
}

export async function deleteCachedPack(key: string): Promise<void> {
  try {
    await tf.io.removeModel(key);
  } catch {
    // already gone
  }
}
