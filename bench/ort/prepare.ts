/**
 * What must exist before the browser starts, made here with Node alone: per model a webnets
 * pack and, written from that very pack by webnets' ONNX exporter (src/export/), the ONNX
 * file ORT runs — so both sides run the same network with the same weights.
 *
 * The packs: FD-MobileNet from its authors' checkpoint in ../shared (converted as
 * `webnets convert` does), EfficientNet and RegNet with seeded torchvision-like weights
 * (bench/ort/synthetic.ts). A pack is rewritten when its recorded source (the checkpoint's
 * or the drawn weights' sha256) is not what it would be made from now; the ONNX file is
 * written again on every run (seconds), so it always is the current exporter's.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { convertCheckpoint } from '../../src/convert/convert';
import { exportPackToOnnx } from '../../src/export/pack';
import { getSpec } from '../../src/models/presets';
import type { PackManifest } from '../../src/weights/pack';
import { root } from '../lib/paths';
import type { ModelJob } from './protocol';
import { syntheticSource, torchvisionLikeStateDict, writeSyntheticPack } from './synthetic';

/** Where the benchmark keeps what it makes (ignored by git). */
export const packDir = (id: string): string => `models/packs/bench/${id}`;
export const onnxPath = (id: string): string => `models/onnx/${id}.onnx`;

const SHARED = process.env.WEBNETS_SHARED ?? join(root, '../shared');

/** FD-MobileNet ids → the authors' checkpoint in ../shared (see its README.md). */
const FD_CHECKPOINTS: Record<string, string> = {
  'fd-mobilenet-0.25x': 'weights/fd-mobilenet/0.25x-FDMobileNet-224.pth.tar',
  'fd-mobilenet-0.5x': 'weights/fd-mobilenet/0.5x-FDMobileNet-224.pth.tar',
};

/** PyTorch's logits on a reference photo, for the ORT-vs-PyTorch check (../shared/reference). */
const REFERENCE = {
  input: 'reference/chelsea.input.f32',
  logits: 'reference/fd-mobilenet.json',
  image: 'chelsea',
};

export interface BenchModel {
  id: string;
  /** What the weights are, for the report. */
  weights: string;
  manifest: PackManifest;
  onnxBytes: number;
  /** PyTorch's logits on ../shared/reference/chelsea (FD-MobileNet only). */
  reference: ModelJob['reference'];
}

function readManifest(dir: string): PackManifest | null {
  const path = join(root, dir, 'model.json');
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as PackManifest;
  } catch {
    return null; // unreadable: made again
  }
}

/** The pack of `id`, made unless one from the same source exists. */
async function ensurePack(id: string, log: (line: string) => void): Promise<PackManifest> {
  const spec = getSpec(id);
  const dir = packDir(id);
  const existing = readManifest(dir);
  const checkpoint = FD_CHECKPOINTS[id];
  if (checkpoint !== undefined) {
    const path = join(SHARED, checkpoint);
    if (!existsSync(path)) {
      throw new Error(
        `${path} is missing: the FD-MobileNet authors' checkpoint (see ../shared/README.md)`,
      );
    }
    const sha256 = createHash('sha256').update(readFileSync(path)).digest('hex');
    if (existing?.source.sha256 === sha256 && existing.modelId === id) return existing;
    log(`bench: webnets convert ${path} --arch ${id} --out ${dir}`);
    return (await convertCheckpoint(path, { arch: id, outDir: join(root, dir) })).manifest;
  }
  if (spec.family !== 'efficientnet' && spec.family !== 'regnet') {
    throw new Error(`--models: the benchmark has no weights for '${id}'`);
  }
  const state = torchvisionLikeStateDict(spec);
  const source = syntheticSource(state);
  if (existing?.source.sha256 === source.sha256 && existing.modelId === id) return existing;
  log(`bench: ${dir}: ${source.file}`);
  return writeSyntheticPack(spec, state, join(root, dir));
}

function reference(id: string): ModelJob['reference'] {
  const path = join(SHARED, REFERENCE.logits);
  if (!(id in FD_CHECKPOINTS) || !existsSync(path)) return null;
  const models = (
    JSON.parse(readFileSync(path, 'utf8')) as {
      models: Record<string, Record<string, { logits: number[] }> | undefined>;
    }
  ).models;
  const logits = models[id]?.[REFERENCE.image]?.logits;
  return logits ? { inputUrl: `/shared/${REFERENCE.input}`, logits } : null;
}

/** Every model's pack and ONNX file, ready for the pages; throws naming what is missing. */
export async function prepareModels(
  ids: string[],
  log: (line: string) => void = console.log,
): Promise<BenchModel[]> {
  const models: BenchModel[] = [];
  for (const id of ids) {
    const manifest = await ensurePack(id, log);
    const { bytes, summary } = await exportPackToOnnx(
      join(root, packDir(id)),
      join(root, onnxPath(id)),
    );
    const nodes = Object.values(summary.ops).reduce((a, b) => a + b, 0);
    log(
      `bench: ${onnxPath(id)}: webnets export --onnx, ${nodes} nodes, ${(bytes / 1e6).toFixed(1)} MB`,
    );
    models.push({
      id,
      weights:
        manifest.source.format === 'synthetic'
          ? manifest.source.file
          : `${manifest.source.file} (sha256 ${manifest.source.sha256.slice(0, 12)}…)`,
      manifest,
      onnxBytes: bytes,
      reference: reference(id),
    });
  }
  return models;
}

/** The pack's preprocessing, as the page needs it. */
export function jobPreprocessing(manifest: PackManifest): ModelJob['preprocessing'] {
  const p = manifest.preprocessing;
  return { inputSize: p.inputSize, resizeSize: p.resizeSize, mean: p.mean, std: p.std };
}
