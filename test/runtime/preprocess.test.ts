import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Preprocessing } from '../../src/models/spec';
import {
  checkPreprocessing,
  planPreprocessing,
  preprocess,
  preprocessRgba,
  resizedSize,
  roundHalfEven,
} from '../../src/runtime/preprocess';
import { tf } from '../../src/tf';
import { AREA_SHRINK_RGBA, hasKernel, RESIZE_CROP_NORMALIZE } from '../../src/kernels';
import { TEST_BACKENDS, useBackend } from '../helpers/backends';

/** Made by tools/reference/make_preprocess_fixtures.py with torchvision 0.14. */
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

function meanAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs((a[i] as number) - (b[i] as number));
  return sum / a.length;
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

  it('pre-shrinks by the whole factor that keeps the image at least resizeSize, centred', () => {
    const p: Preprocessing = {
      inputSize: 224,
      resizeSize: 256,
      interpolation: 'bilinear',
      mean: [0.485, 0.456, 0.406],
      std: [0.229, 0.224, 0.225],
    };
    expect(planPreprocessing(300, 451, p).shrink).toBe(1);
    expect(planPreprocessing(511, 700, p).shrink).toBe(1);
    const hd = planPreprocessing(1080, 1920, p);
    expect(hd.shrink).toBe(4);
    expect(hd.region).toEqual({ top: 0, left: 0, height: 1080, width: 1920 });
    const odd = planPreprocessing(1083, 1927, p);
    expect(odd.shrink).toBe(4);
    // 1083 = 4·270 + 3 and 1927 = 4·481 + 3: the 3 leftover rows/columns split 1 + 2.
    expect(odd.region).toEqual({ top: 1, left: 1, height: 1080, width: 1924 });
    expect(odd.crop).toEqual({ top: 16, left: 116 });
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

  const exact = fixture.cases.filter(
    (c) => planPreprocessing(c.height, c.width, c.preprocessing).shrink === 1,
  );
  const shrunk = fixture.cases.filter(
    (c) => planPreprocessing(c.height, c.width, c.preprocessing).shrink > 1,
  );

  it('the fixture covers both paths', () => {
    expect(exact.length).toBeGreaterThanOrEqual(3);
    expect(shrunk.length).toBeGreaterThanOrEqual(2);
  });

  it.each(exact.map((c) => [c.name, c] as const))(
    'matches torchvision (bilinear, no antialias) exactly: %s',
    async (_name, c) => {
      for (const dtype of ['int32', 'float32'] as const) {
        expect(maxAbsDiff(await run(c, dtype), c.tensor)).toBeLessThan(2e-5);
      }
    },
  );

  it.each(shrunk.map((c) => [c.name, c] as const))(
    "the area pre-shrink comes closer to PIL's antialiased resize than plain bilinear: %s",
    async (_name, c) => {
      const ours = await run(c, 'int32');
      const toPil = meanAbsDiff(ours, c.pil);
      const plainToPil = meanAbsDiff(c.tensor, c.pil);
      expect(toPil).toBeLessThan(plainToPil / 2);
      expect(toPil).toBeLessThan(0.25); // normalized units (std ≈ 0.225 of the 0–1 scale)
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

  it('is registered with the other WASM kernels', () => {
    expect(hasKernel(AREA_SHRINK_RGBA)).toBe(true);
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
      // Same bytes, same arithmetic but for the pre-shrink's mean (a sum times 1/k² here,
      // tfjs' avgPool divides): equal up to float rounding.
      expect(maxAbsDiff(ours, viaRgb)).toBeLessThan(1e-5);
      if (planPreprocessing(c.height, c.width, c.preprocessing).shrink === 1) {
        expect(maxAbsDiff(ours, c.tensor)).toBeLessThan(2e-5);
      }
    },
  );

  it('refuses packed pixels of the wrong shape or dtype, and regions that do not fit', () => {
    const x = tf.zeros([1, 8, 8, 1], 'int32') as tf.Tensor4D;
    const f = tf.zeros([1, 8, 8, 1], 'float32') as tf.Tensor4D;
    const shrink = (t: tf.Tensor4D, attrs: Record<string, number>): unknown =>
      tf.engine().runKernel(AREA_SHRINK_RGBA, { x: t }, attrs);
    const region = { top: 0, left: 0, height: 8, width: 8, factor: 2 };
    try {
      expect(() => shrink(f, region)).toThrow(
        /WebnetsAreaShrinkRgba: 'x' must be \[1, H, W, 1\] int32 \(packed RGBA bytes\), got \[1, 8, 8, 1\] float32/,
      );
      expect(() => shrink(x, { ...region, top: 2 })).toThrow(
        /the 8×8 region at \(2, 0\) leaves the 8×8 image/,
      );
      expect(() => shrink(x, { ...region, width: 6, factor: 4 })).toThrow(
        /the region 8×6 is not a whole number of 4×4 blocks/,
      );
      expect(() => shrink(x, { ...region, factor: 1 })).toThrow(
        /attr 'factor' must be an integer >= 2/,
      );
      expect(tf.memory().numTensors).toBe(2);
    } finally {
      tf.dispose([x, f]);
    }
  });
});
