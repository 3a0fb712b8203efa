import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Preprocessing } from '../../src/models/spec';
import {
  checkPreprocessing,
  preprocess,
  preprocessAttrs,
  preprocessRgba,
  resizedSize,
} from '../../src/runtime/preprocess';
import { roundHalfEven } from '../../src/numeric';
import { tf } from '../../src/tf';
import { hasKernel, RESIZE_CROP_NORMALIZE } from '../../src/kernels';
import { TEST_BACKENDS, useBackend } from '../helpers/backends';

/** Made by tools/reference/make_preprocess_fixtures.py with torchvision 0.14 (`pil` is the reference). */
interface Case {
  name: string;
  height: number;
  width: number;
  pixels: number[];
  preprocessing: Preprocessing;
  tensor: number[];
  pil: number[];
}
const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/preprocess/torchvision.json', import.meta.url), 'utf8'),
) as { cases: Case[] };

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++)
    max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)));
  return max;
}

async function run(c: Case, dtype: 'int32' | 'float32'): Promise<Float32Array> {
  const pixels = tf.tensor3d(c.pixels, [c.height, c.width, 3], dtype);
  const out = preprocess(pixels, c.preprocessing);
  pixels.dispose();
  expect(out.shape).toEqual([1, c.preprocessing.inputSize, c.preprocessing.inputSize, 3]);
  expect(out.dtype).toBe('float32');
  const values = (await out.data()) as Float32Array;
  out.dispose();
  return values;
}

describe('preprocessing sizes follow torchvision', () => {
  it('rounds half to even like Python', () => {
    expect([0.5, 1.5, 2.5, -0.5, 2.4, 2.6, 3].map(roundHalfEven)).toEqual([0, 2, 2, -0, 2, 3, 3]);
  });

  it("resizes the shorter side and truncates the longer (torchvision's _compute_resized_output_size)", () => {
    // Expected values printed by torchvision 0.14: _compute_resized_output_size((h, w), [256]).
    expect(resizedSize(300, 451, 256)).toEqual({ height: 256, width: 384 });
    expect(resizedSize(451, 300, 256)).toEqual({ height: 384, width: 256 });
    expect(resizedSize(1080, 1920, 256)).toEqual({ height: 256, width: 455 });
    expect(resizedSize(256, 256, 256)).toEqual({ height: 256, width: 256 });
  });

  it('crops the centre of the resize, bilinear or bicubic as the pack says', () => {
    const p: Preprocessing = {
      inputSize: 224,
      resizeSize: 256,
      interpolation: 'bicubic',
      mean: [0.485, 0.456, 0.406],
      std: [0.229, 0.224, 0.225],
    };
    expect(preprocessAttrs(1083, 1927, p)).toMatchObject({
      filter: 'bicubic',
      resizedHeight: 256,
      resizedWidth: 455,
      top: 16,
      left: 116,
      size: 224,
    });
  });

  it('refuses preprocessing that cannot work, naming the field', () => {
    const ok: Preprocessing = {
      inputSize: 224,
      resizeSize: 256,
      interpolation: 'bilinear',
      mean: [0.5, 0.5, 0.5],
      std: [0.5, 0.5, 0.5],
    };
    expect(() => checkPreprocessing(ok, 'pack')).not.toThrow();
    expect(() => checkPreprocessing({ ...ok, resizeSize: 200 }, 'pack')).toThrow(
      /pack: preprocessing.resizeSize is 200: expected a whole number ≥ inputSize \(224\)/,
    );
    expect(() => checkPreprocessing({ ...ok, std: [0.5, 0, 0.5] }, 'pack')).toThrow(
      /preprocessing.std .* > 0/,
    );
    expect(() =>
      checkPreprocessing({ ...ok, mean: [0.5, 0.5] as unknown as [number, number, number] }, 'x'),
    ).toThrow(/preprocessing.mean .* expected 3 numbers/);
    expect(() =>
      checkPreprocessing({ ...ok, interpolation: 'lanczos' as 'bicubic' }, 'pack'),
    ).toThrow(/pack: preprocessing.interpolation is "lanczos": expected bilinear or bicubic/);
  });
});

describe.each(TEST_BACKENDS)('preprocessing numerics on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('runs as one kernel where webnets registered it', () => {
    expect(hasKernel(RESIZE_CROP_NORMALIZE)).toBe(backend === 'wasm+kernels');
  });
  afterAll(() => {
    expect(tf.memory().numTensors).toBe(0);
  });

  it.each(fixture.cases.map((c) => [c.name, c] as const))(
    "matches torchvision's PIL pipeline (antialiased bilinear) to float rounding: %s",
    async (_name, c) => {
      for (const dtype of ['int32', 'float32'] as const) {
        // One byte off anywhere would be 1 / (255 · 0.229) ≈ 0.017.
        expect(maxAbsDiff(await run(c, dtype), c.pil)).toBeLessThan(2e-5);
      }
    },
  );
});

/** A case's RGB pixels as a canvas holds them: 4 bytes a pixel, alpha arbitrary (ignored). */
function packedRgba(c: Case): tf.Tensor4D {
  const bytes = new Uint8Array(c.height * c.width * 4);
  for (let i = 0; i < c.height * c.width; i++) {
    for (let ch = 0; ch < 3; ch++) bytes[i * 4 + ch] = c.pixels[i * 3 + ch] as number;
    bytes[i * 4 + 3] = (i * 37) % 256;
  }
  return tf.tensor4d(new Int32Array(bytes.buffer), [1, c.height, c.width, 1], 'int32');
}

describe('preprocessing from packed RGBA bytes (WASM kernels)', () => {
  beforeAll(async () => {
    await useBackend('wasm+kernels');
  });
  afterAll(() => {
    expect(tf.memory().numTensors).toBe(0);
  });

  it.each(fixture.cases.map((c) => [c.name, c] as const))(
    'gives what the RGB path gives from the same pixels: %s',
    async (_name, c) => {
      const rgba = packedRgba(c);
      const out = preprocessRgba(rgba, c.preprocessing);
      const viaRgb = await run(c, 'int32');
      const size = c.preprocessing.inputSize;
      expect(out.shape).toEqual([1, size, size, 3]);
      const ours = (await out.data()) as Float32Array;
      tf.dispose([rgba, out]);
      expect(maxAbsDiff(ours, viaRgb)).toBe(0);
      expect(maxAbsDiff(ours, c.pil)).toBeLessThan(2e-5);
    },
  );
});
