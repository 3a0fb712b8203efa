/**
 * What `prepare-packs` decides, as pure functions: which model a checkpoint file is for,
 * whether its pack is current, and the index entry of a pack.
 */
import type { PackManifest } from '../src/weights/pack';
import { PACK_FORMAT, PACK_FORMAT_VERSION } from '../src/weights/pack';
import type { PackIndexEntry } from '../demo/lib/pack-index';

export const CHECKPOINT_EXTENSIONS = ['.pth.tar', '.pth', '.pt', '.ckpt', '.safetensors'];

export function isCheckpointFile(name: string): boolean {
  return CHECKPOINT_EXTENSIONS.some((ext) => name.toLowerCase().endsWith(ext));
}

function stripExtension(name: string): string {
  const ext = CHECKPOINT_EXTENSIONS.find((e) => name.toLowerCase().endsWith(e));
  return ext ? name.slice(0, -ext.length) : name;
}

/**
 * The model a checkpoint file is for, from its name: the FD-MobileNet authors' names
 * (`0.5x-FDMobileNet-224.pth.tar`), a file named after a model id
 * (`models/checkpoints/efficientnet-b0.pth`), or the file a model's published source
 * names (models/models.json). Null when nothing matches.
 */
export function archForCheckpoint(
  fileName: string,
  modelIds: readonly string[],
  published: readonly { id: string; source: string | null }[] = [],
): string | null {
  const fd = /^([\d.]+)x-FDMobileNet-\d+\.pth(\.tar)?$/i.exec(fileName);
  if (fd && modelIds.includes(`fd-mobilenet-${fd[1]}x`)) return `fd-mobilenet-${fd[1]}x`;
  const stem = stripExtension(fileName);
  if (modelIds.includes(stem)) return stem;
  const bySource = published.find(
    (p) => p.source !== null && p.source.split(/[/\\]/).pop() === fileName,
  );
  return bySource ? bySource.id : null;
}

export interface FileStamp {
  size: number;
  mtimeMs: number;
  sha256: string;
}

/** A remembered hash is reused only while the file's size and mtime are unchanged. */
export function cachedHash(
  stamp: FileStamp | undefined,
  stat: { size: number; mtimeMs: number },
): string | null {
  return stamp && stamp.size === stat.size && stamp.mtimeMs === stat.mtimeMs ? stamp.sha256 : null;
}

export type PackState =
  { state: 'current' } | { state: 'missing' } | { state: 'stale'; reason: string };

/** Whether the pack in a folder (its model.json, or null) was converted from this checkpoint. */
export function packState(manifest: unknown, checkpointSha256: string, modelId: string): PackState {
  if (manifest === null) return { state: 'missing' };
  const m = manifest as Partial<PackManifest>;
  if (m.format !== PACK_FORMAT || m.formatVersion !== PACK_FORMAT_VERSION) {
    return {
      state: 'stale',
      reason: `pack format ${String(m.format)} v${String(m.formatVersion)} is not ${PACK_FORMAT} v${PACK_FORMAT_VERSION}`,
    };
  }
  if (m.modelId !== modelId) return { state: 'stale', reason: `pack is for ${String(m.modelId)}` };
  if (m.source?.sha256 !== checkpointSha256) {
    return { state: 'stale', reason: 'the checkpoint changed since the pack was converted' };
  }
  return { state: 'current' };
}

/** The index entry of a pack whose model.json is at `<folder>/model.json`. */
export function indexEntry(manifest: PackManifest, folder: string): PackIndexEntry {
  return {
    id: manifest.modelId,
    path: `${folder}/model.json`,
    dtype: manifest.dtype,
    bytes: Object.values(manifest.shards).reduce((sum, s) => sum + s.bytes, 0),
    source: { file: manifest.source.file, sha256: manifest.source.sha256 },
  };
}
