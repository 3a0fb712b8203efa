/**
 * The float16 check, run by test/webgpu/float16.dawn.test.ts in a Node of its own (the Vulkan
 * driver's environment must be set when the process starts): `load` over Dawn's Node binding
 * (bench/dawn/gpu.ts) with `backend: 'webgpu'`, each model at precision float32 and float16
 * on one device, the same inputs; prints one JSON line of what it saw.
 *   node --experimental-wasm-relaxed-simd --import tsx test/webgpu/f16-check.ts SHARED_DIR
 * Models: the four of issue 21 with seeded weights (a seeded photo-like input), and
 * FD-MobileNet 0.5× with its authors' checkpoint on the shared photos.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { countShaderModules } from '../../bench/dawn/count';
import { describeAdapter, importDawn, installDawn, requestDawnAdapter } from '../../bench/dawn/gpu';
import { maxRelDiff } from '../../bench/dawn/run';
import { convertCheckpoint } from '../../src/convert/convert';
import type { Precision } from '../../src/backend/precision';
import { setPlatform } from '../../src/platform';
import { load } from '../../src/node'; // Node's platform: a weightsUrl may be a path
import type { Model } from '../../src/runtime/model';
import { tf } from '../../src/tf';
import { tensorRandom } from '../../src/weights/synthetic';

const SEEDED = ['fd-mobilenet-0.5x', 'efficientnet-b0', 'regnety-400mf', 'regnetx-400mf'];
const PHOTOS = ['chelsea', 'coffee', 'camera', 'motorcycle_left'];
const PRECISIONS: Precision[] = ['float32', 'float16'];

type Args = ConstructorParameters<typeof WebGPUBackend>;

/** A seeded 0–255 RGB image, 320×280: resized and cropped as a photo is. */
function seededImage(): tf.Tensor3D {
  const random = tensorRandom('image', 3);
  const data = new Int32Array(280 * 320 * 3).map(() => Math.floor(random() * 256));
  return tf.tensor3d(data, [280, 320, 3], 'int32');
}

async function photo(shared: string, name: string): Promise<tf.Tensor3D> {
  const { data, width, height } = PNG.sync.read(
    await readFile(join(shared, 'images', `${name}.png`)),
  );
  const rgb = new Int32Array(width * height * 3);
  for (let i = 0; i < width * height; i++)
    for (let c = 0; c < 3; c++) rgb[i * 3 + c] = data[i * 4 + c]!;
  return tf.tensor3d(rgb, [height, width, 3], 'int32');
}

interface Run {
  precision: Precision;
  model: Pick<Model, 'precision' | 'backend' | 'backendReason'>;
  /** Shader modules made while loading and first predicting, and how many enable f16. */
  shaders: { modules: number; f16: number };
  /** Bytes of GPU tensors the loaded model holds. */
  bytes: number;
  logits: Float32Array[];
}

async function runBoth(
  id: string,
  options: Parameters<typeof load>[1],
  inputs: tf.Tensor3D[],
  shaders: ReturnType<typeof countShaderModules>,
): Promise<Run[]> {
  const runs: Run[] = [];
  for (const precision of PRECISIONS) {
    shaders.reset();
    const before = tf.memory().numBytes;
    const model = await load(id, { ...options, backend: 'webgpu', precision });
    const bytes = tf.memory().numBytes - before;
    const logits: Float32Array[] = [];
    for (const input of inputs) logits.push(await model.predict(input));
    const { backend, backendReason } = model;
    runs.push({
      precision,
      model: { precision: model.precision, backend, backendReason },
      shaders: shaders.read(),
      bytes,
      logits,
    });
    model.dispose();
  }
  return runs;
}

/** Each run without its logits, and max |Δlogit| / max |float32 logit| per input. */
function summary(runs: Run[]) {
  const [f32, f16] = runs as [Run, Run];
  return {
    runs: runs.map(({ logits, ...rest }) => ({ ...rest, top1: logits.map(top1) })),
    relDiff: f32.logits.map((l, i) => maxRelDiff(f16.logits[i]!, l)),
  };
}

function top1(logits: Float32Array): number {
  return logits.indexOf(Math.max(...logits));
}

async function main(shared: string): Promise<void> {
  const binding = await importDawn();
  const adapter = await requestDawnAdapter(binding);
  installDawn(binding, adapter);
  const shaders = countShaderModules(binding.globals);
  // What the browser bundle sets (src/browser-platform.ts): tfjs' WebGPU backend on the device load opens.
  setPlatform({ webgpuBackend: (d, i) => new WebGPUBackend(d as Args[0], i as Args[1]) });
  const out: Record<string, unknown> = {
    adapter: describeAdapter(adapter),
    adapterFeatures: adapter.features,
  };
  // The inputs live on tfjs' cpu backend, as a Node app's decoded images do.
  if (!(await tf.setBackend('cpu'))) throw new Error("tfjs' cpu backend did not start");
  const image = seededImage();
  const seeded: Record<string, unknown> = {};
  for (const id of SEEDED) {
    seeded[id] = summary(await runBoth(id, { synthetic: true }, [image], shaders));
  }
  image.dispose();
  out.seeded = seeded;
  const dir = await mkdtemp(join(tmpdir(), 'webnets-f16-'));
  try {
    const checkpoint = join(shared, 'weights/fd-mobilenet/0.5x-FDMobileNet-224.pth.tar');
    await convertCheckpoint(checkpoint, { arch: 'fd-mobilenet-0.5x', outDir: dir });
    await tf.setBackend('cpu');
    const photos = await Promise.all(PHOTOS.map((name) => photo(shared, name)));
    const weightsUrl = join(dir, 'model.json');
    const runs = await runBoth('fd-mobilenet-0.5x', { weightsUrl }, photos, shaders);
    tf.dispose(photos);
    out.photos = { names: PHOTOS, ...summary(runs) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  console.log(JSON.stringify(out));
}

const shared = process.argv[2];
if (shared === undefined) throw new Error('usage: f16-check.ts SHARED_DIR');
await main(shared);
process.exit(0);
