/**
 * The weight pack: what `webnets convert` writes and `load` reads.
 *
 * A pack is a folder with `model.json` and binary shards. `model.json` says which network
 * the weights belong to, how to prepare its input, where the weights came from, the sha256
 * of every shard (checked before use), and, in `weightsManifest`, every tensor's name,
 * shape and storage dtype in the order their bytes follow each other through the shards
 * (the grouping of tfjs' weights manifest; the entries are webnets' own, see `PackEntry`).
 * Everything numeric about the weights is in the shards: `model.json` stays a few KB.
 */
import type { Family, Preprocessing } from '../models/spec';

export const PACK_FORMAT = 'webnets-pack';
/**
 * 2: int8's per-channel affine moved from model.json into the shards; biases of int8 packs
 * are float16; entries name their own storage dtype. Version 1 packs are refused with a
 * message to reconvert them (`npx webnets convert`).
 */
export const PACK_FORMAT_VERSION = 2;

/** What `convert --dtype` asks for. */
export type PackDtype = 'float32' | 'float16' | 'int8';

/** How one tensor is stored. Every dtype decodes to float32. */
export type EntryDtype = 'float32' | 'float16' | 'int8';

/**
 * One tensor of a pack. Its bytes, little-endian, directly after the previous entry's:
 * - float32: `numel` × 4 bytes; float16: `numel` × 2 bytes (IEEE half);
 * - int8: per-output-channel affine codes: `numel` uint8 codes, then `C` float16 scales,
 *   then `C` float16 offsets, where `C = shape[channelAxis]`; a value is
 *   `offset[c] + scale[c] × code`.
 */
export type PackEntry =
  | { name: string; shape: number[]; dtype: 'float32' | 'float16' }
  | { name: string; shape: number[]; dtype: 'int8'; channelAxis: number };

export interface PackSource {
  /** File name of the checkpoint the pack was converted from. */
  file: string;
  sha256: string;
  /** How the checkpoint was stored. */
  format: 'torch-zip' | 'torch-legacy' | 'safetensors' | 'synthetic';
  /** Whose parameter names it used. */
  naming: 'torchvision' | 'timm' | 'fd-mobilenet' | 'webnets';
}

export interface ShardInfo {
  bytes: number;
  /** Lowercase hex sha256 of the shard's bytes. */
  sha256: string;
}

export interface PackManifest {
  format: typeof PACK_FORMAT;
  formatVersion: typeof PACK_FORMAT_VERSION;
  /** The preset or generated id the weights are for; `load` refuses a pack for another id. */
  modelId: string;
  family: Family;
  /** The generator configuration (NetworkSpec.config): must be the loading spec's. */
  config: Record<string, number | boolean | string>;
  preprocessing: Preprocessing;
  /** Name of a label set shipped in models/ (e.g. 'imagenet-1k'). */
  labels: string;
  dtype: PackDtype;
  source: PackSource;
  /** Shard paths relative to model.json, and the tensors their bytes hold, in order. */
  weightsManifest: { paths: string[]; weights: PackEntry[] }[];
  /** Every shard path in weightsManifest, with its size and hash. */
  shards: Record<string, ShardInfo>;
  /** The converter's version, for diagnostics. */
  converter: string;
}

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Bytes an entry takes in the shards (the layout described at `PackEntry`). */
export function entryByteLength(entry: PackEntry): number {
  const n = numel(entry.shape);
  switch (entry.dtype) {
    case 'float32':
      return 4 * n;
    case 'float16':
      return 2 * n;
    case 'int8':
      return n + 4 * entry.shape[entry.channelAxis]!;
  }
}
