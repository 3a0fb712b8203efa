/**
 * The photos of ../shared/images through webnets' preprocessing give PyTorch's input
 * (../shared/reference/<photo>.input.f32: PIL bilinear Resize(256), CenterCrop(224),
 * ToTensor, Normalize) on every backend: the JavaScript path (cpu, wasm without webnets'
 * kernels) and the WASM kernel, from RGB tensors and from RGBA bytes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { getSpec } from '../../src/models/presets';
import { preprocess, preprocessRgba } from '../../src/runtime/preprocess';
import { tf } from '../../src/tf';
import { TEST_BACKENDS, useBackend } from '../helpers/backends';

const photos = ['chelsea', 'coffee', 'camera', 'motorcycle_left'];
const p = getSpec('fd-mobilenet-0.5x').preprocessing;

function read(photo: string): {
  rgba: Uint8Array;
  width: number;
  height: number;
  nhwc: Float32Array;
} {
  const image = `../shared/images/${photo}.png`;
  const input = `../shared/reference/${photo}.input.f32`;
  for (const path of [image, input]) {
    if (!existsSync(path)) throw new Error(`${path} is missing: see ../shared/README.md`);
  }
  const { data, width, height } = PNG.sync.read(readFileSync(image));
  const raw = readFileSync(input);
  const nchw = new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4);
  const s = p.inputSize;
  const nhwc = new Float32Array(nchw.length);
  for (let c = 0; c < 3; c++)
    for (let i = 0; i < s * s; i++) nhwc[i * 3 + c] = nchw[c * s * s + i]!;
  return { rgba: new Uint8Array(data), width, height, nhwc };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

// One byte off anywhere would be 1 / (255 · 0.229) ≈ 0.017; float rounding is ~1e-6.
const tolerance = 1e-5;

describe.each(TEST_BACKENDS)('photos preprocessed on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it.each(photos)('%s gives PyTorch’s input', async (photo) => {
    const { rgba, width, height, nhwc } = read(photo);
    const rgb = new Int32Array(width * height * 3);
    for (let i = 0; i < width * height; i++)
      for (let c = 0; c < 3; c++) rgb[i * 3 + c] = rgba[i * 4 + c]!;
    const pixels = tf.tensor3d(rgb, [height, width, 3], 'int32');
    const x = preprocess(pixels, p);
    expect(maxAbsDiff(await x.data(), nhwc)).toBeLessThan(tolerance);
    tf.dispose([pixels, x]);
    if (backend === 'wasm+kernels') {
      const packed = tf.tensor4d(new Int32Array(rgba.buffer), [1, height, width, 1], 'int32');
      const y = preprocessRgba(packed, p);
      expect(maxAbsDiff(await y.data(), nhwc)).toBeLessThan(tolerance);
      tf.dispose([packed, y]);
    }
    expect(tf.memory().numTensors).toBe(0);
  });
});
