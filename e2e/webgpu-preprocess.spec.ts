/**
 * The network's input on WebGPU (Chromium, SwiftShader's WebGPU): webnets' one-dispatch
 * resize-crop-normalize kernel gives Pillow's bytes on every synthetic fixture of
 * test/fixtures/preprocess/pillow.json (with and without a region of interest, 4000×3000
 * sources included), from ImageData (packed RGBA bytes) and from int32 and float32 tensors;
 * and with ImageNet's normalization the same float32 values, bit for bit, as the
 * JavaScript path the other backends run.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect, test } from '@playwright/test';
import type { WebnetsWindow } from './runtime-fixtures';
import { openWebGpuPage } from './runtime-fixtures';
import { pattern } from '../test/helpers/pattern';
import type * as Kernels from '../src/kernels';
import type * as Preprocess from '../src/runtime/preprocess';
import type * as Source from '../src/runtime/source';

interface FixtureCase {
  source: { height: number; width: number; seed: number };
  filter: 'bilinear' | 'bicubic';
  resizeSize: number;
  inputSize: number;
  region?: { left: number; top: number; right: number; bottom: number };
  output: { sha256: string };
}

type PageWindow = WebnetsWindow & {
  internals: {
    kernels: typeof Kernels;
    preprocess: Pick<typeof Preprocess, 'networkInput'> &
      Pick<typeof Source, 'prepareSource' | 'releaseSource'>;
  };
};

test('WebGPU preprocessing in one dispatch: Pillow’s bytes on every fixture from RGBA bytes, int32 and float32 tensors; the JavaScript path’s floats with ImageNet normalization', async ({
  page,
}) => {
  test.setTimeout(600_000);
  const fixture = JSON.parse(
    readFileSync(resolve(import.meta.dirname, '../test/fixtures/preprocess/pillow.json'), 'utf8'),
  ) as { pipeline: FixtureCase[]; region: FixtureCase[] };
  const cases = [...fixture.pipeline, ...fixture.region];
  expect(cases.length).toBeGreaterThanOrEqual(30);
  await openWebGpuPage(page);
  const got = await page.evaluate(
    async ({ cases, patternSource }) => {
      const w = window as unknown as PageWindow;
      const { tf, load } = w.webnets;
      const K = w.internals.kernels;
      const { networkInput, prepareSource, releaseSource } = w.internals.preprocess;
      const makePattern = new Function(`return ${patternSource}`)() as (
        h: number,
        wd: number,
        seed: number,
      ) => Uint8Array;
      // load() opens WebGPU as the runtime does and leaves tfjs' WebGPU backend active.
      (await load('fd-mobilenet-0.5x', { synthetic: true, backend: 'webgpu' })).dispose();
      const config = K.kernelConfig('webgpu');
      const javascript = { ...config, kernels: { ...config.kernels, resizeCropNormalize: false } };
      const hex = async (bytes: Uint8Array<ArrayBuffer>): Promise<string> =>
        Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)), (b) =>
          b.toString(16).padStart(2, '0'),
        ).join('');
      const dispatches = { count: 0 };
      const pass = GPUComputePassEncoder.prototype;
      const dispatch = pass.dispatchWorkgroups;
      pass.dispatchWorkgroups = function (...args) {
        dispatches.count++;
        return dispatch.apply(this, args);
      };
      const input = async (
        source: unknown,
        p: Parameters<typeof networkInput>[1],
        region: Parameters<typeof networkInput>[3],
        cfg = config,
      ): Promise<{ values: Float32Array; dispatches: number }> => {
        const prepared = await prepareSource(source);
        dispatches.count = 0;
        const x = tf.tidy(() => networkInput(prepared, p, cfg, region));
        const values = (await x.data()) as Float32Array;
        const n = dispatches.count;
        x.dispose();
        releaseSource(prepared);
        return { values, dispatches: n };
      };
      const out: { hashes: string[]; dispatches: number[]; imagenetEqual: boolean }[] = [];
      for (const c of cases) {
        const { height, width, seed } = c.source;
        const rgb = makePattern(height, width, seed);
        const rgba = new Uint8ClampedArray(width * height * 4).fill(255);
        for (let i = 0; i < width * height; i++) rgba.set(rgb.subarray(i * 3, i * 3 + 3), i * 4);
        const int32 = tf.tensor3d(Int32Array.from(rgb), [height, width, 3], 'int32');
        const float32 = tf.tensor3d(Float32Array.from(rgb), [height, width, 3], 'float32');
        const sources: unknown[] = [new ImageData(rgba, width, height), int32, float32];
        const p = {
          inputSize: c.inputSize,
          resizeSize: c.resizeSize,
          interpolation: c.filter,
          mean: [0, 0, 0] as [number, number, number],
          std: [1, 1, 1] as [number, number, number],
        };
        const hashes: string[] = [];
        const counts: number[] = [];
        for (const source of sources) {
          const { values, dispatches: n } = await input(source, p, c.region ?? null);
          // x = byte / 255 in float32: the byte back, exactly.
          const bytes = Uint8Array.from(values, (v) => Math.round(v * 255));
          const off = values.some((v, i) => Math.abs(v * 255 - bytes[i]!) > 1e-3);
          hashes.push(off ? 'not bytes / 255' : await hex(bytes));
          counts.push(n);
        }
        const imagenet = {
          ...p,
          mean: [0.485, 0.456, 0.406] as [number, number, number],
          std: [0.229, 0.224, 0.225] as [number, number, number],
        };
        const onGpu = await input(sources[0], imagenet, c.region ?? null);
        const inJs = await input(sources[0], imagenet, c.region ?? null, javascript);
        const imagenetEqual =
          onGpu.values.length === inJs.values.length &&
          onGpu.values.every((v, i) => Object.is(v, inJs.values[i]));
        tf.dispose([int32, float32]);
        out.push({ hashes, dispatches: counts, imagenetEqual });
      }
      pass.dispatchWorkgroups = dispatch;
      return { out, selected: K.selectInput(config), tensors: tf.memory().numTensors };
    },
    { cases, patternSource: pattern.toString() },
  );
  expect(got.selected, "kernel config's choice for the input on WebGPU").toBe('kernel');
  cases.forEach((c, i) => {
    const what = `${c.source.height}×${c.source.width}${c.region ? ` of ${JSON.stringify(c.region)}` : ''} ${c.filter}`;
    const names = ['ImageData', 'int32 tensor', 'float32 tensor'];
    got.out[i]!.hashes.forEach((hash, j) =>
      expect(hash, `${what}, from ${names[j]}`).toBe(c.output.sha256),
    );
    got.out[i]!.dispatches.forEach((n, j) =>
      expect(n, `${what}, from ${names[j]}: dispatches`).toBe(1),
    );
    expect(got.out[i]!.imagenetEqual, `${what}: ImageNet-normalized floats as JavaScript's`).toBe(
      true,
    );
  });
  expect(got.tensors).toBe(0);
});
