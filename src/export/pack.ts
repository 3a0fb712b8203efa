/**
 * A weight pack on disk → an ONNX file (Node): `webnets export --onnx`, and the benchmark's
 * ORT side. The pack is read and verified as the runtime reads it (src/weights/load.ts:
 * every shard's size and sha256), decoded on tfjs' cpu backend into host arrays, written
 * with src/export/onnx.ts, and the file replaced only once it is complete.
 */
import { existsSync, statSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileFetch, packUrl } from '../convert/file-fetch';
import type { SourceTensor } from '../convert/state-dict';
import { getSpec } from '../models/presets';
import type { NetworkSpec } from '../models/spec';
import { tf } from '../tf';
import { loadPack } from '../weights/load';
import type { PackManifest } from '../weights/pack';
import { onnxModel, summarizeOnnx, type OnnxSummary } from './onnx';

export interface PackArrays {
  /** The model.json read. */
  path: string;
  manifest: PackManifest;
  spec: NetworkSpec;
  /** Runtime layout, float32 (a float16 or int8 pack dequantized as the runtime does). */
  weights: Map<string, SourceTensor>;
}

/** `<dir>/model.json` for a folder, the path itself for a .json file. */
export function modelJsonPath(location: string): string {
  return location.endsWith('.json') ? location : join(location, 'model.json');
}

/**
 * Reads and verifies a pack from a folder or its model.json. Throws naming the model.json
 * when it is missing, not JSON, not a pack, or for a model id webnets does not know.
 * Decodes on tfjs' cpu backend, which it makes the active backend.
 */
export async function readPackArrays(location: string): Promise<PackArrays> {
  const path = modelJsonPath(location);
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new Error(
      `${path}: no such file: expected a webnets pack (a folder with model.json, as \`webnets convert\` writes it, or that model.json)`,
    );
  }
  let head: { modelId?: unknown };
  try {
    head = JSON.parse(await readFile(path, 'utf8')) as { modelId?: unknown };
  } catch (err) {
    throw new Error(`${path}: not valid JSON (${(err as Error).message})`, { cause: err });
  }
  if (typeof head?.modelId !== 'string') {
    throw new Error(`${path}: not a webnets pack (no "modelId" naming the model)`);
  }
  let spec: NetworkSpec;
  try {
    spec = getSpec(head.modelId);
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`, { cause: err });
  }
  tf.env().set('PROD', true); // no tfjs console banners in a CLI's output
  if (!(await tf.setBackend('cpu'))) throw new Error("tfjs' cpu backend did not start");
  const { manifest, weights } = await loadPack(packUrl(resolve(path)), {
    spec,
    fetch: fileFetch,
    cache: false,
  });
  const arrays = new Map<string, SourceTensor>();
  try {
    for (const [name, tensor] of Object.entries(weights)) {
      arrays.set(name, { shape: tensor.shape, data: tensor.dataSync() as Float32Array });
    }
  } finally {
    tf.dispose(Object.values(weights));
  }
  return { path, manifest, spec, weights: arrays };
}

/** What the ONNX file says about its weights and their input (metadata_props). */
function packMetadata(pack: PackArrays) {
  const { manifest } = pack;
  const { source } = manifest;
  return {
    doc: `${manifest.modelId}, written by webnets from a pack of ${source.file} (sha256 ${source.sha256}). Input: NCHW float32, RGB scaled to [0, 1] then normalized as webnets.preprocessing says.`,
    props: {
      'webnets.modelId': manifest.modelId,
      'webnets.preprocessing': JSON.stringify(manifest.preprocessing),
      'webnets.labels': manifest.labels,
      'webnets.source': JSON.stringify(source),
    },
  };
}

export interface ExportResult {
  pack: PackArrays;
  out: string;
  bytes: number;
  summary: OnnxSummary;
}

/** Writes `out` whole or not at all: a sibling temporary file renamed into place. */
async function writeWhole(out: string, bytes: Uint8Array): Promise<void> {
  await mkdir(dirname(out), { recursive: true });
  const tmp = `${out}.tmp-${process.pid}-${Date.now()}`;
  try {
    await writeFile(tmp, bytes);
    await rename(tmp, out);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new Error(`${out}: could not write the ONNX file (${(err as Error).message})`, {
      cause: err,
    });
  }
}

/** The pack at `location` as an ONNX file at `out` (opset 13, batch 1, NCHW input). */
export async function exportPackToOnnx(location: string, out: string): Promise<ExportResult> {
  const pack = await readPackArrays(location);
  const bytes = onnxModel(pack.spec, pack.weights, packMetadata(pack));
  await writeWhole(out, bytes);
  return { pack, out, bytes: bytes.length, summary: summarizeOnnx(bytes) };
}
