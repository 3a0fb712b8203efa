/**
 * Runtime-layout tensors → a weight pack in memory: `model.json`'s manifest and the bytes
 * of its shards back to back (browsers and Node; write-pack.ts writes them to disk).
 *
 * The tensors are encoded one at a time, in the spec's order, straight into one buffer of
 * the size the storage plan gives, so converting holds the pack plus one tensor, not a
 * second copy of the weights.
 */
import { paramSpecs } from '../models/spec';
import type { NetworkSpec } from '../models/spec';
import { VERSION } from '../version';
import type { PackDtype, PackEntry, PackManifest, PackSource } from '../weights/pack';
import { PACK_FORMAT, PACK_FORMAT_VERSION, entryByteLength } from '../weights/pack';
import type { PreActivationStatistics } from '../weights/bias-correction';
import { correctedBias, inputMeans, layersByWeight } from '../weights/bias-correction';
import { channelAxis, decodeTensor, encodeAs, storagePlan } from '../weights/quantize';
import { sha256Hex } from '../weights/sha256';
import type { LazyTensor, SourceTensor } from './state-dict';
import { valuesOf } from './state-dict';

export const SHARD_BYTES = 4 * 1024 * 1024;

export interface BuildPackOptions {
  spec: NetworkSpec;
  /** Runtime-layout tensors named as `paramSpecs(spec)` names them. */
  tensors: Map<string, SourceTensor | LazyTensor>;
  dtype: PackDtype;
  source: PackSource;
  labels: string;
  /** How the weights' source evaluates them (e.g. torchvision's transforms); defaults to the spec's. */
  preprocessing?: NetworkSpec['preprocessing'];
  shardBytes?: number;
  /**
   * Batch norm's β and |γ| per conv (what `planWebnetsWeights` folds): with them, a
   * quantized pack's biases absorb the mean error of its weights (bias-correction.ts).
   */
  statistics?: PreActivationStatistics;
  /** Called each time a tensor is read (a heartbeat through the long synchronous encoding). */
  onTensor?: () => void;
}

export interface BuiltPack {
  manifest: PackManifest;
  /** Every shard's bytes in manifest order. */
  data: Uint8Array;
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * Encodes the tensors in the spec's order; checks names and shapes once more. With
 * `statistics`, each bias after an int8 weight is corrected for that weight's mean error.
 */
export function encodePack(
  spec: NetworkSpec,
  tensors: Map<string, SourceTensor | LazyTensor>,
  dtype: PackDtype,
  statistics?: PreActivationStatistics,
  onTensor?: () => void,
): { entries: PackEntry[]; data: Uint8Array } {
  const params = paramSpecs(spec);
  for (const param of params) {
    const tensor = tensors.get(param.name);
    if (!tensor)
      throw new Error(`${spec.id}: tensor '${param.name}' [${param.shape.join(', ')}] is missing`);
    if (!sameShape(tensor.shape, param.shape)) {
      throw new Error(
        `${spec.id}: tensor '${param.name}' has shape [${tensor.shape.join(', ')}], expected [${param.shape.join(', ')}]`,
      );
    }
  }
  const values = (name: string): Float32Array => {
    onTensor?.();
    return valuesOf(tensors.get(name)!);
  };
  const plan = storagePlan(
    dtype,
    params.map((p) => ({ shape: p.shape, values: () => values(p.name) })),
  );
  const sizes = params.map((p, i) =>
    entryByteLength({
      name: p.name,
      shape: p.shape,
      dtype: plan[i]!,
      channelAxis: channelAxis(p.shape),
    }),
  );
  const data = new Uint8Array(sizes.reduce((n, s) => n + s, 0));
  const entries: PackEntry[] = [];
  let means: Map<string, Float64Array> | undefined;
  try {
    if (statistics && plan.includes('int8')) means = inputMeans(spec, statistics, values, values);
  } catch (err) {
    throw new Error(`${spec.id}: ${(err as Error).message}`, { cause: err });
  }
  const layers = layersByWeight(spec);
  /** The weight of the previous entry as stored, when it is int8. */
  let stored: { name: string; data: Float32Array } | undefined;
  let at = 0;
  for (const [index, param] of params.entries()) {
    let exact = values(param.name);
    const weight = param.name.replace(/\.bias$/, '.weight');
    const mean = means?.get(weight);
    if (stored?.name === weight && mean) {
      exact = correctedBias(layers.get(weight)!, values(weight), stored.data, exact, mean);
    }
    let encoded: ReturnType<typeof encodeAs>;
    try {
      encoded = encodeAs(param.name, param.shape, exact, plan[index]!);
    } catch (err) {
      throw new Error(`${spec.id}: ${(err as Error).message}`, { cause: err });
    }
    stored =
      encoded.entry.dtype === 'int8'
        ? { name: param.name, data: decodeTensor(encoded.entry, encoded.bytes) }
        : undefined;
    entries.push(encoded.entry);
    data.set(encoded.bytes, at);
    at += encoded.bytes.length;
  }
  return { entries, data };
}

/** model.json's text: compact, so that it stays a few KB next to the shards. */
export function manifestJson(manifest: PackManifest): string {
  return JSON.stringify(manifest) + '\n';
}

/** The pack's manifest and bytes, its shards hashed. */
export async function buildPack(opts: BuildPackOptions): Promise<BuiltPack> {
  const { spec, dtype } = opts;
  const { entries, data } = encodePack(spec, opts.tensors, dtype, opts.statistics, opts.onTensor);
  const shardBytes = opts.shardBytes ?? SHARD_BYTES;
  const count = Math.max(1, Math.ceil(data.length / shardBytes));
  const paths: string[] = [];
  const shards: PackManifest['shards'] = {};
  for (let i = 0; i < count; i++) {
    const path = `group1-shard${i + 1}of${count}.bin`;
    const bytes = data.subarray(i * shardBytes, Math.min(data.length, (i + 1) * shardBytes));
    paths.push(path);
    shards[path] = { bytes: bytes.length, sha256: await sha256Hex(bytes) };
  }
  const manifest: PackManifest = {
    format: PACK_FORMAT,
    formatVersion: PACK_FORMAT_VERSION,
    modelId: spec.id,
    family: spec.family,
    config: spec.config,
    preprocessing: opts.preprocessing ?? spec.preprocessing,
    labels: opts.labels,
    dtype,
    source: opts.source,
    weightsManifest: [{ paths, weights: entries }],
    shards,
    converter: `webnets ${VERSION}`,
  };
  return { manifest, data };
}
