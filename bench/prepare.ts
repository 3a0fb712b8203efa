/**
 * What must exist before the browser starts: the ONNX exports (made by PyTorch, which the
 * benchmark cannot run for you) and the webnets packs converted from the very same state
 * dicts (which it makes itself with `webnets convert` when missing or stale).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelJob } from './protocol';

/** models/onnx/<id>.json, written by tools/reference/export_onnx.py. */
export interface OnnxMeta {
  id: string;
  /** Paths relative to the repository root. */
  onnx: string;
  stateDict: string;
  inputSize: number;
  params: number;
  macs: number;
  weights: string;
  opset: number;
  exporter: string;
  reference: { input: string; logits: number[] } | null;
}

export const EXPORT_SCRIPT = 'tools/reference/export_onnx.py';

export function exportCommand(ids: string[]): string {
  return `/usr/bin/python3 ${EXPORT_SCRIPT} ${ids.join(' ')}`;
}

/** Reads every model's export metadata; throws an Error saying how to make missing ones. */
export function readOnnxMetas(root: string, ids: string[]): OnnxMeta[] {
  const missing = ids.filter(
    (id) =>
      !existsSync(join(root, 'models/onnx', `${id}.json`)) ||
      !existsSync(join(root, 'models/onnx', `${id}.onnx`)),
  );
  if (missing.length > 0) {
    throw new Error(
      [
        `the ONNX reference exports are missing for ${missing.join(', ')} (models/onnx/<id>.onnx and <id>.json).`,
        'Make them with PyTorch (Debian python3 with torch 1.13 + torchvision 0.14; the FD-MobileNet',
        "authors' checkpoints in ../shared/weights/), then run the benchmark again:",
        '',
        `  ${exportCommand(missing)}`,
      ].join('\n'),
    );
  }
  return ids.map((id) => {
    const meta = JSON.parse(
      readFileSync(join(root, 'models/onnx', `${id}.json`), 'utf8'),
    ) as OnnxMeta;
    if (meta.id !== id) throw new Error(`models/onnx/${id}.json describes '${meta.id}'`);
    return meta;
  });
}

export const packDir = (id: string): string => `models/packs/bench/${id}`;

export function convertArgs(meta: OnnxMeta): string[] {
  return ['convert', meta.stateDict, '--arch', meta.id, '--out', packDir(meta.id)];
}

/**
 * Converts the state dict behind an ONNX export into a webnets pack unless an up-to-date
 * one exists. Returns null on success, else why the webnets side cannot run this model.
 */
export function ensurePack(root: string, meta: OnnxMeta): string | null {
  const manifest = join(root, packDir(meta.id), 'model.json');
  const source = join(root, meta.stateDict);
  if (!existsSync(source))
    return `the state dict ${meta.stateDict} is missing: re-run ${EXPORT_SCRIPT}`;
  if (existsSync(manifest) && statSync(manifest).mtimeMs >= statSync(source).mtimeMs) return null;
  const args = convertArgs(meta);
  console.log(`bench: npx webnets ${args.join(' ')}`);
  const run = spawnSync(process.execPath, [join(root, 'bin/webnets.js'), ...args], {
    cwd: root,
    encoding: 'utf8',
  });
  if (run.status === 0 && existsSync(manifest)) return null;
  const said = `${run.stderr ?? ''}${run.stdout ?? ''}`.trim().split('\n').slice(-3).join(' / ');
  return `\`npx webnets ${args.join(' ')}\` failed (exit ${run.status}): ${said || 'no output'}`;
}

const IMAGENET = {
  mean: [0.485, 0.456, 0.406] as [number, number, number],
  std: [0.229, 0.224, 0.225] as [number, number, number],
};

/**
 * The pack's preprocessing, checked against the export's input size. Without a pack
 * (webnets side unavailable), ORT still runs: ImageNet statistics, no resize margin.
 */
export function jobPreprocessing(root: string, meta: OnnxMeta): ModelJob['preprocessing'] {
  const manifest = join(root, packDir(meta.id), 'model.json');
  if (!existsSync(manifest)) {
    return { inputSize: meta.inputSize, resizeSize: meta.inputSize, ...IMAGENET };
  }
  const { preprocessing: p } = JSON.parse(readFileSync(manifest, 'utf8')) as {
    preprocessing: ModelJob['preprocessing'];
  };
  if (p.inputSize !== meta.inputSize) {
    throw new Error(
      `${packDir(meta.id)}/model.json: preprocessing.inputSize is ${p.inputSize} but the ONNX export takes ${meta.inputSize}`,
    );
  }
  return { inputSize: p.inputSize, resizeSize: p.resizeSize, mean: p.mean, std: p.std };
}
