/**
 * Writes a weight pack (Node): `model.json` + 4 MiB shards (pack-build.ts makes them).
 *
 * The pack is assembled in a sibling temporary folder and renamed into place at the end,
 * so a failed or interrupted conversion never leaves a half-written pack behind.
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { PackManifest } from '../weights/pack';
import type { BuildPackOptions, BuiltPack } from './pack-build';
import { buildPack, manifestJson } from './pack-build';

export { SHARD_BYTES, encodePack, manifestJson } from './pack-build';

export interface WritePackOptions extends BuildPackOptions {
  outDir: string;
}

/** Writes a built pack's files into `outDir` (replacing what was there), atomically. */
export async function writeBuiltPack({ manifest, data }: BuiltPack, outDir: string): Promise<void> {
  const tmp = join(dirname(outDir), `.${basename(outDir)}.tmp-${process.pid}-${Date.now()}`);
  await mkdir(tmp, { recursive: true });
  try {
    let at = 0;
    for (const path of manifest.weightsManifest.flatMap((g) => g.paths)) {
      const { bytes } = manifest.shards[path]!;
      await writeFile(join(tmp, path), data.subarray(at, at + bytes));
      at += bytes;
    }
    await writeFile(join(tmp, 'model.json'), manifestJson(manifest));
    await rm(outDir, { recursive: true, force: true });
    await mkdir(dirname(outDir), { recursive: true });
    await rename(tmp, outDir);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

export async function writePack(opts: WritePackOptions): Promise<PackManifest> {
  const built = await buildPack(opts);
  await writeBuiltPack(built, opts.outDir);
  return built.manifest;
}
