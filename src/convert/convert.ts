/**
 * Checkpoint file → weight pack (Node): read (no Python), map names onto the spec, fold
 * batch norm, transpose to the runtime layout, quantize if asked, write atomically.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { pretrainedFor } from '../models/pretrained';
import { getSpec } from '../models/presets';
import type { PreActivationStatistics } from '../weights/bias-correction';
import type { PackDtype, PackManifest, PackSource } from '../weights/pack';
import { detectFormat, readCheckpoint } from './checkpoint';
import { detectNaming, toWebnetsWeights } from './map';
import { manifestJson, writePack } from './write-pack';

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

export const PACK_DTYPES: readonly PackDtype[] = ['float32', 'float16', 'int8'];

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
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const format = detectFormat(bytes, file);
  const stateDict = readCheckpoint(bytes, file);
  let naming: PackSource['naming'];
  let tensors: ReturnType<typeof toWebnetsWeights>;
  const statistics: PreActivationStatistics = new Map();
  try {
    naming = detectNaming(spec, stateDict).naming;
    tensors = toWebnetsWeights(spec, stateDict, statistics);
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`, { cause: err });
  }
  // The published weights are evaluated with their source's transforms (e.g. torchvision's
  // resize 232 / crop 224 for RegNet V2 weights); other weights get the spec's defaults.
  const published = pretrainedFor(spec.id);
  const isPublished =
    published !== undefined &&
    (published.sha256 === sha256 ||
      (published.sha256Prefix !== null && sha256.startsWith(published.sha256Prefix)));
  const manifest = await writePack({
    spec,
    tensors,
    dtype,
    source: { file, sha256, format, naming },
    labels: opts.labels ?? 'imagenet-1k',
    outDir: opts.outDir,
    statistics,
    ...(isPublished ? { preprocessing: published.preprocessing } : {}),
  });
  const packBytes =
    Object.values(manifest.shards).reduce((n, s) => n + s.bytes, 0) +
    new TextEncoder().encode(manifestJson(manifest)).length;
  return {
    manifest,
    outDir: opts.outDir,
    bytes: packBytes,
    seconds: (performance.now() - started) / 1000,
  };
}
