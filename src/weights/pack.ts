/**
 * The weight pack: what `webnets convert` writes and `load` reads.
 *
 * A pack is a folder with `model.json` and binary shards. `weightsManifest` is
 * tfjs-core's weights-manifest format, so `tf.io.decodeWeights` can decode the shards;
 * the rest says which network the weights belong to, how to prepare its input, where
 * the weights came from, and the sha256 of every shard (checked before use).
 */
import type { io } from '@tensorflow/tfjs-core';
import type { Family, Preprocessing } from '../models/spec';

export const PACK_FORMAT = 'webnets-pack';
export const PACK_FORMAT_VERSION = 1;

export type PackDtype = 'float32' | 'float16' | 'int8';

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
  /** The generator configuration (NetworkSpec.config): the loader rebuilds the spec from it. */
  config: Record<string, number | boolean | string>;
  preprocessing: Preprocessing;
  /** Name of a label set shipped in models/ (e.g. 'imagenet-1k'). */
  labels: string;
  dtype: PackDtype;
  source: PackSource;
  /** tfjs-core weights manifest: shard paths relative to model.json, and tensor entries. */
  weightsManifest: io.WeightsManifestConfig;
  /** Every shard path in weightsManifest, with its size and hash. */
  shards: Record<string, ShardInfo>;
  /** The converter's version, for diagnostics. */
  converter: string;
}
