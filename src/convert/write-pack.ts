/**
 * Writes a weight pack (Node): `model.json` + 4 MiB shards, each shard's sha256 recorded.
 *
 * The pack is assembled in a sibling temporary folder and renamed into place at the end,
 * so a failed or interrupted conversion never leaves a half-written pack behind.
 */
import { createHash } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { paramSpecs } from '../models/spec';
import type { NetworkSpec } from '../models/spec';
import { VERSION } from '../version';
import type { PackDtype, PackEntry, PackManifest, PackSource } from '../weights/pack';
import { PACK_FORMAT, PACK_FORMAT_VERSION } from '../weights/pack';
import type { PreActivationStatistics } from '../weights/bias-correction';
import { correctedBias, inputMeans, layersByWeight } from '../weights/bias-correction';
import { decodeTensor, encodeAs, storagePlan } from '../weights/quantize';
import type { SourceTensor } from './state-dict';

export const SHARD_BYTES = 4 * 1024 * 1024;

export interface WritePackOptions {
  spec: NetworkSpec;
  /** Runtime-layout tensors named as `paramSpecs(spec)` names them. */
  tensors: Map<string, SourceTensor>;
  dtype: PackDtype;
  source: PackSource;
  labels: string;
  outDir: string;
  /** How the weights' source evaluates them (e.g. torchvision's transforms); defaults to the spec's. */
  preprocessing?: NetworkSpec['preprocessing'];
  shardBytes?: number;
  /**
   * Batch norm's β and |γ| per conv (what `toWebnetsWeights` folds): with them, a
   * quantized pack's biases absorb the mean error of its weights (bias-correction.ts).
   */
  statistics?: PreActivationStatistics;
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
  tensors: Map<string, SourceTensor>,
  dtype: PackDtype,
  statistics?: PreActivationStatistics,
) {
  const entries: PackEntry[] = [];
  const parts: Uint8Array[] = [];
  const params = paramSpecs(spec);
  const plan = storagePlan(
    dtype,
    params.map((p) => p.shape),
  );
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
  const values = (name: string) => tensors.get(name)!.data;
  let means: Map<string, Float64Array> | undefined;
  try {
    if (statistics && plan.includes('int8')) means = inputMeans(spec, statistics, values, values);
  } catch (err) {
    throw new Error(`${spec.id}: ${(err as Error).message}`, { cause: err });
  }
  const layers = layersByWeight(spec);
  /** The weight of the previous entry as stored, when it is int8. */
  let stored: { name: string; data: Float32Array } | undefined;
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
    const { entry, bytes } = encoded;
    stored =
      entry.dtype === 'int8' ? { name: param.name, data: decodeTensor(entry, bytes) } : undefined;
    entries.push(entry);
    parts.push(bytes);
  }
  const total = parts.reduce((n, p) => n + p.length, 0);
  const data = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    data.set(part, at);
    at += part.length;
  }
  return { entries, data };
}

/** model.json's text: compact, so that it stays a few KB next to the shards. */
export function manifestJson(manifest: PackManifest): string {
  return JSON.stringify(manifest) + '\n';
}

export async function writePack(opts: WritePackOptions): Promise<PackManifest> {
  const { spec, dtype, outDir } = opts;
  const { entries, data } = encodePack(spec, opts.tensors, dtype, opts.statistics);
  const shardBytes = opts.shardBytes ?? SHARD_BYTES;
  const count = Math.max(1, Math.ceil(data.length / shardBytes));
  const paths: string[] = [];
  const shards: PackManifest['shards'] = {};
  const tmp = join(dirname(outDir), `.${basename(outDir)}.tmp-${process.pid}-${Date.now()}`);
  await mkdir(tmp, { recursive: true });
  try {
    for (let i = 0; i < count; i++) {
      const path = `group1-shard${i + 1}of${count}.bin`;
      const bytes = data.subarray(i * shardBytes, Math.min(data.length, (i + 1) * shardBytes));
      await writeFile(join(tmp, path), bytes);
      paths.push(path);
      shards[path] = {
        bytes: bytes.length,
        sha256: createHash('sha256').update(bytes).digest('hex'),
      };
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
    await writeFile(join(tmp, 'model.json'), manifestJson(manifest));
    await rm(outDir, { recursive: true, force: true });
    await mkdir(dirname(outDir), { recursive: true });
    await rename(tmp, outDir);
    return manifest;
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}
