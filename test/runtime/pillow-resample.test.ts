/**
 * Pillow's resampling, byte for byte: the JavaScript implementation (the CPU path, Node's
 * CLI, WebGPU's input) and the WASM kernel against what Pillow 9.4 made of the same
 * synthetic images (test/fixtures/preprocess/pillow.json, tools/reference/make_pillow_fixtures.py).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  hasKernel,
  pillowTaps,
  resampleCrop,
  RESIZE_CROP_NORMALIZE,
  resizeCropNormalize,
  resizeCropNormalizeBytes,
  type ResampleFilter,
  type ResizeCropNormalizeAttrs,
} from '../../src/kernels';
import type { RegionOfInterest } from '../../src/runtime/classify-options';
import { preprocessAttrs } from '../../src/runtime/preprocess';
import { tf } from '../../src/tf';
import { useBackend } from '../helpers/backends';
import { pattern, sha256, toRgba } from '../helpers/pattern';

interface Output {
  sha256: string;
  length: number;
  bytes?: string;
  sampleStride?: number;
  sample?: string;
}
interface Source {
  height: number;
  width: number;
  seed: number;
  sha256: string;
}
interface ResizeCase {
  source: Source;
  filter: ResampleFilter;
  height: number;
  width: number;
  output: Output;
}
interface PipelineCase {
  source: Source;
  filter: ResampleFilter;
  resizeSize: number;
  inputSize: number;
  output: Output;
}
interface RegionCase extends PipelineCase {
  region: RegionOfInterest;
  resizedHeight: number;
  resizedWidth: number;
}
const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/preprocess/pillow.json', import.meta.url), 'utf8'),
) as { resize: ResizeCase[]; pipeline: PipelineCase[]; region: RegionCase[] };

const sources = new Map<string, Uint8Array>();
function sourceOf(s: Source): Uint8Array {
  const key = `${s.height}x${s.width}/${s.seed}`;
  let img = sources.get(key);
  if (!img) {
    img = pattern(s.height, s.width, s.seed);
    sources.set(key, img);
  }
  return img;
}

/**
 * Equal to Pillow's output: the hash, and on a mismatch the first differing byte Pillow's
 * stored bytes (or sample) show, for a readable failure.
 */
function expectPillow(got: Uint8Array, want: Output, what: string): void {
  expect(got.length, what).toBe(want.length);
  if (sha256(got) === want.sha256) return;
  const stored = Buffer.from(want.bytes ?? want.sample ?? '', 'base64');
  const stride = want.bytes ? 1 : want.sampleStride!;
  for (let i = 0; i < stored.length; i++) {
    expect(got[i * stride], `${what}: byte ${i * stride}`).toBe(stored[i]);
  }
  expect.fail(`${what}: sha256 differs from Pillow's (the stored bytes agree)`);
}

const name = (c: ResizeCase | PipelineCase | RegionCase): string => {
  const s = c.source;
  const to = 'height' in c ? `${c.height}×${c.width}` : `Resize(${c.resizeSize}) → ${c.inputSize}²`;
  const r = 'region' in c ? ` of [${Object.values(c.region).join(', ')}]` : '';
  return `${s.height}×${s.width}${r} → ${to} ${c.filter}`;
};

const identity = { scale: [1, 1, 1], shift: [0, 0, 0] } as const;

/** Float outputs of scale 1 and shift 0 are the bytes themselves. */
function toBytes(values: ArrayLike<number>): Uint8Array {
  const bytes = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isInteger(v) || v < 0 || v > 255) throw new Error(`value ${v} at ${i} is no byte`);
    bytes[i] = v;
  }
  return bytes;
}

describe('Pillow resampling in JavaScript', () => {
  it('the synthetic images are the fixture generator’s', () => {
    for (const c of [...fixture.resize, ...fixture.pipeline]) {
      expect(sha256(sourceOf(c.source)), name(c)).toBe(c.source.sha256);
    }
  });

  it('covers awkward sizes, both filters, shrinking and enlarging', () => {
    const sizes = fixture.resize.map((c) => `${c.source.height}x${c.source.width}`);
    for (const s of ['1x1', '3x500', '511x257', '3000x4000']) expect(sizes).toContain(s);
    expect(new Set(fixture.resize.map((c) => c.filter))).toEqual(new Set(['bilinear', 'bicubic']));
    expect(fixture.resize.some((c) => c.height === 2 * c.source.height)).toBe(true);
    expect(fixture.resize.some((c) => 2 * c.height === c.source.height)).toBe(true);
  });

  it.each(fixture.resize.map((c) => [name(c), c] as const))('resize %s', (what, c) => {
    const s = c.source;
    const out = resampleCrop(
      { data: sourceOf(s), width: s.width, height: s.height, stride: 3 },
      pillowTaps(s.height, c.height, c.filter),
      pillowTaps(s.width, c.width, c.filter),
    );
    expectPillow(out, c.output, what);
  });

  it.each([...fixture.pipeline, ...fixture.region].map((c) => [name(c), c] as const))(
    'torchvision Resize + CenterCrop %s, from RGB and from RGBA bytes',
    (what, c) => {
      const s = c.source;
      const attrs = { ...pipelineAttrs(c), ...identity };
      const rgb = sourceOf(s);
      const fromRgb = resizeCropNormalizeBytes(
        { data: rgb, width: s.width, height: s.height, stride: 3 },
        attrs,
      );
      expectPillow(toBytes(fromRgb), c.output, what);
      const fromRgba = resizeCropNormalizeBytes(
        { data: toRgba(rgb), width: s.width, height: s.height, stride: 4 },
        attrs,
      );
      expectPillow(toBytes(fromRgba), c.output, `${what} (RGBA)`);
    },
  );
});

describe('a region of interest, as Pillow’s resize(size, box=region)', () => {
  it('covers shrinking, enlarging, edges, fractional boxes, both filters', () => {
    expect(fixture.region.length).toBeGreaterThanOrEqual(10);
    expect(fixture.region.some((c) => c.resizedHeight > c.source.height)).toBe(true);
    expect(fixture.region.some((c) => c.resizedWidth < c.source.width / 2)).toBe(true);
    expect(new Set(fixture.region.map((c) => c.filter))).toEqual(new Set(['bilinear', 'bicubic']));
  });

  it.each(fixture.region.map((c) => [name(c), c] as const))(
    'resizes to the size torchvision gives the region: %s',
    (_, c) => {
      const a = pipelineAttrs(c);
      expect([a.resizedHeight, a.resizedWidth]).toEqual([c.resizedHeight, c.resizedWidth]);
    },
  );

  it('is not the crop of the pixels resized (the filter reads around the region)', () => {
    const c = fixture.region.find((r) => r.resizeSize === r.inputSize && r.filter === 'bilinear')!;
    const s = c.source;
    const [y0, x0, y1, x1] = pipelineAttrs(c).box!;
    expect([y0, x0, y1, x1].every(Number.isInteger)).toBe(true);
    const rgb = sourceOf(s);
    const cropped = new Uint8Array((y1 - y0) * (x1 - x0) * 3);
    for (let y = y0; y < y1; y++) {
      cropped.set(
        rgb.subarray((y * s.width + x0) * 3, (y * s.width + x1) * 3),
        (y - y0) * (x1 - x0) * 3,
      );
    }
    const attrs = { ...pipelineAttrs(c), box: undefined, ...identity };
    const out = resizeCropNormalizeBytes(
      { data: cropped, width: x1 - x0, height: y1 - y0, stride: 3 },
      attrs,
    );
    expect(sha256(toBytes(out))).not.toBe(c.output.sha256);
  });
});

function pipelineAttrs(c: PipelineCase | RegionCase): ResizeCropNormalizeAttrs {
  return preprocessAttrs(
    c.source.height,
    c.source.width,
    {
      inputSize: c.inputSize,
      resizeSize: c.resizeSize,
      interpolation: c.filter,
      mean: [0, 0, 0],
      std: [1, 1, 1],
    },
    'region' in c ? c.region : null,
  );
}

/** The source as each layout the kernel reads: RGB int32, RGB float32, packed RGBA bytes. */
function layouts(s: Source): [string, () => tf.Tensor4D][] {
  const rgb = sourceOf(s);
  return [
    ['int32', () => tf.tensor4d(Int32Array.from(rgb), [1, s.height, s.width, 3], 'int32')],
    ['float32', () => tf.tensor4d(Float32Array.from(rgb), [1, s.height, s.width, 3], 'float32')],
    [
      'rgba8',
      () => tf.tensor4d(new Int32Array(toRgba(rgb).buffer), [1, s.height, s.width, 1], 'int32'),
    ],
  ];
}

async function kernelBytes(x: tf.Tensor4D, attrs: ResizeCropNormalizeAttrs): Promise<Uint8Array> {
  const y = resizeCropNormalize(x, attrs);
  const values = await y.data();
  y.dispose();
  return toBytes(values);
}

describe('Pillow resampling in the WASM kernel', () => {
  beforeAll(async () => {
    await useBackend('wasm+kernels');
    expect(hasKernel(RESIZE_CROP_NORMALIZE)).toBe(true);
  });
  afterAll(() => {
    expect(tf.memory().numTensors).toBe(0);
  });

  it.each(fixture.resize.map((c) => [name(c), c] as const))('resize %s', async (what, c) => {
    // The kernel's crop is square: the whole resize is tiled with size² crops.
    const size = Math.min(c.height, c.width);
    const starts = (total: number): number[] =>
      Array.from({ length: Math.ceil(total / size) }, (_, i) => Math.min(i * size, total - size));
    for (const [layout, make] of layouts(c.source)) {
      const x = make();
      const out = new Uint8Array(c.height * c.width * 3);
      try {
        for (const top of starts(c.height)) {
          for (const left of starts(c.width)) {
            const tile = await kernelBytes(x, {
              filter: c.filter,
              resizedHeight: c.height,
              resizedWidth: c.width,
              top,
              left,
              size,
              ...identity,
            });
            for (let i = 0; i < size; i++) {
              out.set(
                tile.subarray(i * size * 3, (i + 1) * size * 3),
                ((top + i) * c.width + left) * 3,
              );
            }
          }
        }
      } finally {
        x.dispose();
      }
      expectPillow(out, c.output, `${what} (${layout})`);
    }
  });

  it.each([...fixture.pipeline, ...fixture.region].map((c) => [name(c), c] as const))(
    'torchvision Resize + CenterCrop %s',
    async (what, c) => {
      for (const [layout, make] of layouts(c.source)) {
        const x = make();
        try {
          expectPillow(
            await kernelBytes(x, { ...pipelineAttrs(c), ...identity }),
            c.output,
            `${what} (${layout})`,
          );
        } finally {
          x.dispose();
        }
      }
    },
  );

  it('normalizes in float32 exactly as the JavaScript path does', async () => {
    const c = fixture.pipeline.find((p) => p.source.height === 300)!;
    const s = c.source;
    const attrs = {
      ...pipelineAttrs(c),
      scale: [1 / (255 * 0.229), 1 / (255 * 0.224), 1 / (255 * 0.225)],
      shift: [0.485 / 0.229, 0.456 / 0.224, 0.406 / 0.225],
    } as const;
    const want = resizeCropNormalizeBytes(
      { data: sourceOf(s), width: s.width, height: s.height, stride: 3 },
      attrs,
    );
    for (const [, make] of layouts(s)) {
      const x = make();
      const y = resizeCropNormalize(x, attrs);
      expect(Array.from(await y.data())).toEqual(Array.from(want));
      tf.dispose([x, y]);
    }
  });

  it.each([
    ['already the resize’s size (identity columns)', 20, 37, 20, 8],
    ['shrunk (columns through the taps)', 11, 20, 11, 4],
  ] as const)(
    'makes pixels bytes as a Uint8ClampedArray stores them, %s',
    async (_, resizedHeight, resizedWidth, size, left) => {
      // Fractions, ties (rounded to even), out of range, NaN and the infinities, in every row.
      const odd = [0.5, 1.5, 2.5, 254.5, 255.5, -0.4, -3, 300, 70000, -70000, 127.49, 127.51];
      const special = [NaN, Infinity, -Infinity];
      const [height, width] = [20, 37];
      const values = Array.from({ length: height * width * 3 }, (_, i) =>
        i % 7 === 0 ? odd[(i / 7) % odd.length]! : i % 11 === 0 ? special[i % 3]! : (i * 37) % 256,
      );
      const attrs: ResizeCropNormalizeAttrs = {
        ...{ filter: 'bilinear', resizedHeight, resizedWidth, top: 0, left, size },
        ...identity,
      };
      for (const dtype of ['float32', 'int32'] as const) {
        const pixels = dtype === 'int32' ? values.map((v) => (isFinite(v) ? v | 0 : 0)) : values;
        const want = resizeCropNormalizeBytes(
          { data: Uint8ClampedArray.from(pixels), width, height, stride: 3 },
          attrs,
        );
        const x = tf.tensor4d(pixels, [1, height, width, 3], dtype);
        const y = resizeCropNormalize(x, attrs);
        expect(Array.from(await y.data()), dtype).toEqual(Array.from(want));
        tf.dispose([x, y]);
      }
    },
  );

  it('refuses an unknown filter, a box outside the image, a crop outside the resize', () => {
    const x = tf.zeros([1, 8, 8, 3], 'int32') as tf.Tensor4D;
    const attrs: ResizeCropNormalizeAttrs = {
      filter: 'bilinear',
      resizedHeight: 4,
      resizedWidth: 4,
      top: 0,
      left: 0,
      size: 4,
      ...identity,
    };
    try {
      expect(() =>
        resizeCropNormalize(x, { ...attrs, filter: 'lanczos' as ResampleFilter }),
      ).toThrow(
        /WebnetsResizeCropNormalize: attr 'filter' must be one of bilinear, bicubic, got lanczos/,
      );
      expect(() => resizeCropNormalize(x, { ...attrs, box: [0, 0, 9, 8] })).toThrow(
        /attr 'box' \[0, 0, 9, 8\] must be \[top, left, bottom, right\] inside the 8×8 image/,
      );
      expect(() => resizeCropNormalize(x, { ...attrs, left: 1 })).toThrow(
        /the 4² crop at \(0, 1\) leaves the 4×4 resized image/,
      );
      expect(tf.memory().numTensors).toBe(1);
    } finally {
      x.dispose();
    }
  });
});
