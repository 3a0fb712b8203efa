/**
 * Checkpoint file → weight pack on disk (Node): read the file, convert it
 * (convert-bytes.ts), write the pack atomically.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { getSpec } from '../models/presets';
import type { PackDtype, PackManifest } from '../weights/pack';
import { sha256Hex } from '../weights/sha256';
import { PACK_DTYPES, convertCheckpointBytes } from './convert-bytes';
import { manifestJson } from './pack-build';
import { writeBuiltPack } from './write-pack';

export { PACK_DTYPES } from './convert-bytes';

export interface ConvertOptions {
  arch: string;
  outDir: string;
  dtype?: PackDtype;
  labels?: string;
}

export interface ConvertResult {
  manifest: PackManifest;
  outDir: string;
  /** The pack's size, every file counted (shards and model.json). */
  bytes: number;
  seconds: number;
}

export async function convertCheckpoint(
  path: string,
  opts: ConvertOptions,
): Promise<ConvertResult> {
  const started = performance.now();
  const dtype = opts.dtype ?? 'float32';
  if (!PACK_DTYPES.includes(dtype)) {
    throw new Error(`--dtype ${String(dtype)}: expected one of ${PACK_DTYPES.join(', ')}`);
  }
  const spec = getSpec(opts.arch);
  const file = basename(path);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (err) {
    throw new Error(`${path}: cannot read the checkpoint (${(err as Error).message})`, {
      cause: err,
    });
  }
  const built = await convertCheckpointBytes(bytes, {
    spec,
    file,
    sha256: await sha256Hex(bytes),
    dtype,
    ...(opts.labels ? { labels: opts.labels } : {}),
  });
  await writeBuiltPack(built, opts.outDir);
  const { manifest } = built;
  const packBytes = built.data.length + new TextEncoder().encode(manifestJson(manifest)).length;
  return {
    manifest,
    outDir: opts.outDir,
    bytes: packBytes,
    seconds: (performance.now() - started) / 1000,
  };
}
