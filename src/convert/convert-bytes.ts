/**
 * A checkpoint's bytes → a weight pack in memory (browsers and Node): detect the format,
 * read it (no Python, no pickle executed), map the names onto the spec, fold batch norm,
 * transpose to the runtime layout, encode as `dtype`. `webnets convert` (convert.ts) and
 * `load(id, { pretrained: true })` (src/runtime/pretrained.ts) both convert here, so a
 * checkpoint gives the same pack either way.
 *
 * Memory: the checkpoint's bytes, the pack being written, and one tensor at a time.
 */
import { pretrainedFor } from '../models/pretrained';
import type { NetworkSpec } from '../models/spec';
import type { PackDtype, PackSource } from '../weights/pack';
import { detectFormat, openCheckpoint } from './checkpoint';
import { detectNaming, planWebnetsWeights } from './map';
import type { BuiltPack } from './pack-build';
import { buildPack } from './pack-build';
import type { PreActivationStatistics } from '../weights/bias-correction';

export const PACK_DTYPES: readonly PackDtype[] = ['float32', 'float16', 'int8'];

export interface ConvertBytesOptions {
  spec: NetworkSpec;
  /** The checkpoint's file name, for the pack's record and every error. */
  file: string;
  /** The checkpoint's sha256 (hex), computed by the caller. */
  sha256: string;
  dtype?: PackDtype;
  labels?: string;
  /** Called each time a tensor is read while encoding (see BuildPackOptions.onTensor). */
  onTensor?: () => void;
}

/** Whether `sha256` is the checkpoint published for `spec` (full hash or torch.hub prefix). */
export function isPublishedCheckpoint(spec: NetworkSpec, sha256: string): boolean {
  const published = pretrainedFor(spec.id);
  return (
    published !== undefined &&
    (published.sha256 === sha256 ||
      (published.sha256Prefix !== null && sha256.startsWith(published.sha256Prefix)))
  );
}

export async function convertCheckpointBytes(
  bytes: Uint8Array,
  opts: ConvertBytesOptions,
): Promise<BuiltPack> {
  const { spec, file, sha256 } = opts;
  const dtype = opts.dtype ?? 'float32';
  if (!PACK_DTYPES.includes(dtype)) {
    throw new Error(`dtype ${String(dtype)}: expected one of ${PACK_DTYPES.join(', ')}`);
  }
  const format = detectFormat(bytes, file);
  const stateDict = openCheckpoint(bytes, file);
  let naming: PackSource['naming'];
  let tensors: ReturnType<typeof planWebnetsWeights>;
  const statistics: PreActivationStatistics = new Map();
  try {
    naming = detectNaming(spec, stateDict).naming;
    tensors = planWebnetsWeights(spec, stateDict, statistics);
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`, { cause: err });
  }
  // The published weights are evaluated with their source's transforms (e.g. torchvision's
  // resize 232 / crop 224 for RegNet V2 weights); other weights get the spec's defaults.
  const published = isPublishedCheckpoint(spec, sha256) ? pretrainedFor(spec.id) : undefined;
  return buildPack({
    spec,
    tensors,
    dtype,
    source: { file, sha256, format, naming },
    labels: opts.labels ?? 'imagenet-1k',
    statistics,
    ...(opts.onTensor ? { onTensor: opts.onTensor } : {}),
    ...(published ? { preprocessing: published.preprocessing } : {}),
  });
}
