/**
 * Pillow's preprocessing in Chromium: every photo of ../shared/images through
 * classify(<img>) gives PyTorch's logits (within 1e-2 of the largest) and top-5 with both
 * FD-MobileNet packs on WASM; an <img>, an ImageBitmap, a canvas and ImageData of the same
 * photo give the preprocessed input PyTorch gives (../shared/reference/*.input.f32) through
 * the WASM kernel and through the JavaScript path, bit for bit up to float rounding; a
 * VideoFrame gives Pillow's bytes on the synthetic fixtures (test/fixtures/preprocess/pillow.json),
 * with and without a region of interest.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect, test } from '@playwright/test';
import type { InternalsWindow, WebnetsWindow } from './runtime-fixtures';
import { pattern } from '../test/helpers/pattern';
import { openInternalsPage, openRuntimePage, sharedDir } from './runtime-fixtures';

const photos = ['chelsea', 'coffee', 'camera', 'motorcycle_left'];
type Reference = {
  models: Record<string, Record<string, { top5: [number, number][]; logits: number[] }>>;
};
const reference = (): Reference =>
  JSON.parse(readFileSync(resolve(sharedDir, 'reference/fd-mobilenet.json'), 'utf8')) as Reference;

test.setTimeout(180_000);

for (const model of ['fd-mobilenet-0.25x', 'fd-mobilenet-0.5x'] as const) {
  test(`classify(<img>) with ${model} on WASM: PyTorch's logits and top-5 for every photo`, async ({
    page,
  }) => {
    await openRuntimePage(page);
    const runs = await page.evaluate(
      async ({ url, photos }) => {
        const { load } = (window as unknown as WebnetsWindow).webnets;
        const model = await load(url.id, { weightsUrl: url.url, backend: 'wasm' });
        const out: Record<string, { top: number[]; logits: number[] }> = {};
        for (const photo of photos) {
          const img = new Image();
          img.src = `/shared/images/${photo}.png`;
          await img.decode();
          const top = await model.classify(img, { topK: 5 });
          out[photo] = {
            top: top.map((c) => c.index),
            logits: Array.from(await model.predict(img)),
          };
        }
        model.dispose();
        return out;
      },
      { url: { id: model, url: `/packs/${model}/model.json` }, photos },
    );
    for (const photo of photos) {
      const want = reference().models[model]![photo]!;
      const got = runs[photo]!;
      const largest = Math.max(...want.logits.map(Math.abs));
      const maxDiff = Math.max(...want.logits.map((v, i) => Math.abs(v - got.logits[i]!)));
      test.info().annotations.push({
        type: `${photo}: max |Δlogit| / largest`,
        description: (maxDiff / largest).toExponential(2),
      });
      expect(got.top, photo).toEqual(want.top5.map(([i]) => i));
      expect(maxDiff, photo).toBeLessThanOrEqual(1e-2 * largest);
    }
  });
}

test('<img>, ImageBitmap, canvas and ImageData give PyTorch’s input, WASM kernel and JavaScript path', async ({
  page,
}) => {
  await openInternalsPage(page);
  const result = await page.evaluate(async (photos) => {
    const w = window as unknown as InternalsWindow;
    const { tf } = w.webnets;
    const K = w.internals.kernels;
    const preprocess = w.internals.preprocess;
    await tf.setBackend('wasm');
    await K.registerKernels('wasm');
    const p = {
      inputSize: 224,
      resizeSize: 256,
      interpolation: 'bilinear' as const,
      mean: [0.485, 0.456, 0.406] as [number, number, number],
      std: [0.229, 0.224, 0.225] as [number, number, number],
    };
    const out: Record<string, Record<string, number>> = {};
    for (const photo of photos) {
      const img = new Image();
      img.src = `/shared/images/${photo}.png`;
      await img.decode();
      const want = new Float32Array(
        await (await fetch(`/shared/reference/${photo}.input.f32`)).arrayBuffer(),
      );
      const bitmap = await createImageBitmap(img, {
        colorSpaceConversion: 'none',
        premultiplyAlpha: 'none',
      });
      const canvas = document.createElement('canvas');
      canvas.width = bitmap.width;
      canvas.height = bitmap.height;
      const ctx = canvas.getContext('2d')!;
      ctx.drawImage(bitmap, 0, 0);
      const imageData = ctx.getImageData(0, 0, canvas.width, canvas.height);
      const sources: [string, unknown][] = [
        ['HTMLImageElement', img],
        ['ImageBitmap', bitmap],
        ['HTMLCanvasElement', canvas],
        ['ImageData', imageData],
      ];
      out[photo] = {};
      for (const [name, source] of sources) {
        for (const path of ['kernel', 'javascript'] as const) {
          const prepared = await preprocess.prepareSource(source);
          const config = { ...K.kernelConfig('wasm') };
          if (path === 'javascript') {
            config.kernels = { ...config.kernels, resizeCropNormalize: false };
          }
          const x = tf.tidy(() => preprocess.networkInput(prepared, p, config));
          preprocess.releaseSource(prepared);
          const nhwc = (await x.data()) as Float32Array;
          x.dispose();
          let max = 0;
          for (let c = 0; c < 3; c++)
            for (let i = 0; i < 224 * 224; i++)
              max = Math.max(max, Math.abs(nhwc[i * 3 + c]! - want[c * 224 * 224 + i]!));
          out[photo][`${name} (${path})`] = max;
        }
      }
      bitmap.close();
    }
    return { out, tensors: tf.memory().numTensors };
  }, photos);
  for (const photo of photos) {
    for (const [source, maxDiff] of Object.entries(result.out[photo]!)) {
      // One byte off anywhere would be 1 / (255 · 0.229) ≈ 0.017.
      expect(maxDiff, `${photo} from ${source}`).toBeLessThan(1e-5);
    }
  }
  expect(result.tensors).toBe(0);
});

interface FixtureCase {
  source: { height: number; width: number; seed: number };
  filter: 'bilinear' | 'bicubic';
  resizeSize: number;
  inputSize: number;
  region?: { left: number; top: number; right: number; bottom: number };
  output: { sha256: string };
}

test('a VideoFrame (from RGBA bytes and from a canvas) gives Pillow’s bytes on the fixtures, with and without a region, WASM kernel and JavaScript path', async ({
  page,
}) => {
  const fixture = JSON.parse(
    readFileSync(resolve(import.meta.dirname, '../test/fixtures/preprocess/pillow.json'), 'utf8'),
  ) as { pipeline: FixtureCase[]; region: FixtureCase[] };
  // Every case but the 4000×3000 sources (the same code; 48 MB a frame to send).
  const cases = [...fixture.pipeline, ...fixture.region].filter((c) => c.source.width < 4000);
  expect(cases.length).toBeGreaterThanOrEqual(20);
  const images = new Map<string, string>();
  for (const c of cases) {
    const key = `${c.source.height}x${c.source.width}/${c.source.seed}`;
    if (!images.has(key)) {
      const rgb = pattern(c.source.height, c.source.width, c.source.seed);
      images.set(key, Buffer.from(rgb).toString('base64'));
    }
  }
  await openInternalsPage(page);
  const got = await page.evaluate(
    async ({ cases, images }) => {
      const w = window as unknown as InternalsWindow;
      const { tf } = w.webnets;
      const K = w.internals.kernels;
      const preprocess = w.internals.preprocess;
      await tf.setBackend('wasm');
      await K.registerKernels('wasm');
      const hex = async (bytes: Uint8Array<ArrayBuffer>): Promise<string> =>
        Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)), (b) =>
          b.toString(16).padStart(2, '0'),
        ).join('');
      const out: string[][] = [];
      for (const c of cases) {
        const { height, width, seed } = c.source;
        const rgb = Uint8Array.from(atob(images[`${height}x${width}/${seed}`]!), (ch) =>
          ch.charCodeAt(0),
        );
        const rgba = new Uint8ClampedArray(width * height * 4).fill(255);
        for (let i = 0; i < width * height; i++) rgba.set(rgb.subarray(i * 3, i * 3 + 3), i * 4);
        const canvas = new OffscreenCanvas(width, height);
        canvas.getContext('2d')!.putImageData(new ImageData(rgba, width, height), 0, 0);
        const frames: [string, VideoFrame][] = [
          [
            'RGBA bytes',
            new VideoFrame(rgba, {
              format: 'RGBA',
              codedWidth: width,
              codedHeight: height,
              timestamp: 0,
            }),
          ],
          ['canvas', new VideoFrame(canvas, { timestamp: 0 })],
        ];
        const p = {
          inputSize: c.inputSize,
          resizeSize: c.resizeSize,
          interpolation: c.filter,
          mean: [0, 0, 0] as [number, number, number],
          std: [1, 1, 1] as [number, number, number],
        };
        const hashes: string[] = [];
        for (const [, frame] of frames) {
          for (const path of ['kernel', 'javascript'] as const) {
            const config = { ...K.kernelConfig('wasm') };
            if (path === 'javascript') {
              config.kernels = { ...config.kernels, resizeCropNormalize: false };
            }
            const prepared = await preprocess.prepareSource(frame);
            const x = tf.tidy(() => preprocess.networkInput(prepared, p, config, c.region ?? null));
            preprocess.releaseSource(prepared);
            const values = (await x.data()) as Float32Array;
            x.dispose();
            // x = byte / 255 in float32: the byte back, exactly.
            const bytes = Uint8Array.from(values, (v) => Math.round(v * 255));
            const off = values.some((v, i) => Math.abs(v * 255 - bytes[i]!) > 1e-3);
            hashes.push(off ? 'not bytes / 255' : await hex(bytes));
          }
          frame.close();
        }
        out.push(hashes);
      }
      return { out, tensors: tf.memory().numTensors };
    },
    { cases, images: Object.fromEntries(images) },
  );
  cases.forEach((c, i) => {
    const what = `${c.source.height}×${c.source.width}${c.region ? ` of ${JSON.stringify(c.region)}` : ''} ${c.filter}`;
    const names = [
      'RGBA bytes (kernel)',
      'RGBA bytes (JavaScript)',
      'canvas (kernel)',
      'canvas (JavaScript)',
    ];
    got.out[i]!.forEach((hash, j) =>
      expect(hash, `${what}, VideoFrame from ${names[j]}`).toBe(c.output.sha256),
    );
  });
  expect(got.tensors).toBe(0);
});
