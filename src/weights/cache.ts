/**
 * The offline pack cache: verified packs kept in IndexedDB through tfjs-core's
 * `indexeddb://` handler, keyed by model id and pack URL, so a second `load` of the same
 * pack makes no network request. Each entry records the sha256 of its weight bytes and is
 * checked on every read; an entry that fails the check is deleted, never used.
 */
import { tf } from '../tf';
import type { PackManifest } from './pack';
import type { PackEntry } from './quantize';
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

/** A verified cached pack, or null when there is none (or it was corrupt and is now gone). */
export async function readCachedPack(
  key: string,
): Promise<{ manifest: PackManifest; data: Uint8Array } | null> {
  const handler = tf.io.getLoadHandlers(key)[0];
  if (!handler?.load) return null;
  let artifacts: tf.io.ModelArtifacts;
  try {
    artifacts = await handler.load();
  } catch {
    return null; // not cached
  }
  const topology = artifacts.modelTopology as CachedTopology | undefined;
  const weightData = artifacts.weightData;
  if (!topology?.manifest || !weightData || Array.isArray(weightData)) {
    await deleteCachedPack(key);
    return null;
  }
  const data = new Uint8Array(weightData);
  if ((await sha256Hex(data)) !== topology.weightsSha256) {
    await deleteCachedPack(key);
    return null;
  }
  return { manifest: topology.manifest, data };
}

export async function writeCachedPack(
  key: string,
  manifest: PackManifest,
  data: Uint8Array,
): Promise<void> {
  const handler = tf.io.getSaveHandlers(key)[0];
  if (!handler?.save) return;
  const topology: CachedTopology = { manifest, weightsSha256: await sha256Hex(data) };
  const weightSpecs = manifest.weightsManifest.flatMap((group) => group.weights as PackEntry[]);
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

export async function deleteCachedPack(key: string): Promise<void> {
  try {
    await tf.io.removeModel(key);
  } catch {
    // already gone
  }
}
