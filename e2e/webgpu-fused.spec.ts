/**
 * webnets' fused WGSL kernels one by one (Chromium, SwiftShader's WebGPU), against tfjs'
 * stock ops on the same backend, on shapes the networks do not reach: a batch of 2, classes
 * and channels that leave partial workgroups, more channels than one pooled chunk holds.
 *   poolLinear       mean over H, W, then · weight + bias
 *   projectedConv2d  act(x · W + bias + shortcutX[::s, ::s] · Ws) [x read through scale]
 *   chainedConv2d    y = act(x · W + bias + residual or projection) [gated], then
 *                    relu(y · nextW + nextBias): both outputs of one dispatch
 */
import { expect, test } from '@playwright/test';
import type { WebnetsWindow } from './runtime-fixtures';
import { openWebGpuPage } from './runtime-fixtures';
import type * as Kernels from '../src/kernels';
import type { Tensor, Tensor1D, Tensor2D, Tensor4D } from '@tensorflow/tfjs-core';

interface TensorChecks {
  /** Tensors of a seeded linear congruential sequence in [−0.5, 0.5). */
  seededRandom(t: WebnetsWindow['webnets']['tf'], seed: number): (shape: number[]) => Tensor;
  /** max |a − b| / max |b|; Infinity when the shapes differ. */
  relDiff(a: Tensor, b: Tensor): Promise<number>;
}

type PageWindow = WebnetsWindow & {
  internals: { kernels: typeof Kernels };
  tensorChecks: TensorChecks;
};

/** Init script: the pages' shared inputs and comparison (both tests' page code uses them). */
function installTensorChecks(): void {
  const checks: TensorChecks = {
    seededRandom(t, seed) {
      let state = seed;
      return (shape) => {
        const n = shape.reduce((a, b) => a * b, 1);
        const values = Float32Array.from({ length: n }, () => {
          state = (state * 1103515245 + 12345) % 2147483648;
          return state / 2147483648 - 0.5;
        });
        return t.tensor(values, shape);
      };
    },
    async relDiff(a, b) {
      const [x, y] = [await a.data(), await b.data()];
      let worst = 0;
      let largest = 0;
      for (let i = 0; i < y.length; i++) {
        largest = Math.max(largest, Math.abs(y[i]!));
        worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
      }
      return x.length === y.length && a.shape.join() === b.shape.join()
        ? worst / largest
        : Infinity;
    },
  };
  Object.assign(window, { tensorChecks: checks });
}

test('WebGPU poolLinear and projectedConv2d match tfjs’ stock ops (batch 2, partial workgroups, two channel chunks, stride 1 and 2, with and without gates)', async ({
  page,
}) => {
  test.setTimeout(300_000);
  await page.addInitScript(installTensorChecks);
  const errors = await openWebGpuPage(page);
  const got = await page.evaluate(async () => {
    const w = window as unknown as PageWindow;
    const { tf, load } = w.webnets;
    const K = w.internals.kernels;
    (await load('fd-mobilenet-0.5x', { synthetic: true, backend: 'webgpu' })).dispose();
    const random = w.tensorChecks.seededRandom(tf, 1);
    const { relDiff } = w.tensorChecks;
    const out: Record<string, number> = {};
    for (const [shape, classes] of [
      [[2, 5, 3, 12], 70],
      [[1, 7, 7, 1100], 130],
    ] as [[number, number, number, number], number][]) {
      const x = random(shape) as Tensor4D;
      const weight = random([shape[3], classes]) as Tensor2D;
      const bias = random([classes]) as Tensor1D;
      const y = K.poolLinear(x, weight, bias);
      const want = tf.tidy(() => tf.add(tf.matMul(tf.mean(x, [1, 2]), weight), bias));
      out[`poolLinear ${shape.join('×')} → ${classes}`] = await relDiff(y, want);
      tf.dispose([x, weight, bias, y, want]);
    }
    for (const [stride, gated] of [
      [2, false],
      [2, true],
      [1, true],
    ] as [number, boolean][]) {
      const sx = random([2, 7, 5, 16]) as Tensor4D;
      const [h, wd] = [Math.floor(6 / stride) + 1, Math.floor(4 / stride) + 1];
      const x = random([2, h, wd, 8]) as Tensor4D;
      const filter = random([1, 1, 8, 12]) as Tensor4D;
      const shortcutFilter = random([1, 1, 16, 12]) as Tensor4D;
      const bias = random([12]) as Tensor1D;
      const scale = gated ? (tf.sigmoid(random([2, 8])) as Tensor2D) : undefined;
      const attrs = { shortcutStrides: stride, activation: 'relu' as const };
      const y = K.projectedConv2d(x, filter, bias, { x: sx, filter: shortcutFilter }, attrs, scale);
      const want = tf.tidy(() => {
        const input = scale ? tf.mul(x, tf.reshape(scale, [2, 1, 1, 8])) : x;
        const main = tf.conv2d(input as Tensor4D, filter, 1, 'valid');
        const projection = tf.conv2d(sx, shortcutFilter, stride, 'valid');
        return tf.relu(tf.add(tf.add(main, bias), projection));
      });
      out[`projectedConv2d stride ${stride}${gated ? ' gated' : ''}`] = await relDiff(y, want);
      tf.dispose([sx, x, filter, shortcutFilter, bias, y, want, ...(scale ? [scale] : [])]);
    }
    return out;
  });
  expect(errors).toEqual([]);
  expect(Object.keys(got)).toHaveLength(5);
  for (const [name, diff] of Object.entries(got)) expect(diff, name).toBeLessThanOrEqual(1e-5);
});

test('WebGPU chainedConv2d: a block’s last 1×1 conv (residual, projection, gates) and the next block’s first, both outputs as tfjs’ stock ops give them (batch 2, partial quads and workgroups)', async ({
  page,
}) => {
  test.setTimeout(300_000);
  await page.addInitScript(installTensorChecks);
  const errors = await openWebGpuPage(page);
  const got = await page.evaluate(async () => {
    const w = window as unknown as PageWindow;
    const { tf, load } = w.webnets;
    const K = w.internals.kernels;
    (await load('fd-mobilenet-0.5x', { synthetic: true, backend: 'webgpu' })).dispose();
    const random = w.tensorChecks.seededRandom(tf, 7);
    const { relDiff } = w.tensorChecks;
    const out: Record<string, number> = {};
    // [name, batch, height, width, Cin, Cout, Cnext, shortcut: stride or 0 (residual), gated]
    const cases: [string, number, number, number, number, number, number, number, boolean][] = [
      ['residual 12 → 20', 2, 5, 3, 8, 12, 20, 0, false],
      ['residual gated 32 → 64', 1, 6, 6, 16, 32, 64, 0, true],
      ['projection stride 2 gated 12 → 8', 2, 4, 3, 8, 12, 8, 2, true],
      ['projection stride 1 400 → 400', 1, 7, 7, 400, 400, 400, 1, false],
    ];
    for (const [name, n, h, wd, cin, cout, cnext, stride, gated] of cases) {
      const x = random([n, h, wd, cin]) as Tensor4D;
      const filter = random([1, 1, cin, cout]) as Tensor4D;
      const bias = random([cout]) as Tensor1D;
      const nextFilter = random([1, 1, cout, cnext]) as Tensor4D;
      const nextBias = random([cnext]) as Tensor1D;
      const scale = gated ? (tf.sigmoid(random([n, cin])) as Tensor2D) : undefined;
      const sx = (
        stride
          ? random([n, (h - 1) * stride + 1, (wd - 1) * stride + 1, 16])
          : random([n, h, wd, cout])
      ) as Tensor4D;
      const sw = stride ? (random([1, 1, 16, cout]) as Tensor4D) : undefined;
      const extras = {
        ...(sw ? { shortcutX: sx } : { residual: sx }),
        ...(scale ? { scale } : {}),
      };
      const attrs = {
        outChannels: cout,
        nextChannels: cnext,
        activation: 'relu' as const,
        nextActivation: 'relu' as const,
        ...(stride ? { shortcutStrides: stride } : {}),
      };
      const params = K.chainParams(
        { filter, bias, shortcutFilter: sw },
        { filter: nextFilter, bias: nextBias },
      );
      const [y, next] = K.chainedConv2d(x, params, attrs, extras);
      params.dispose();
      const [wantY, wantNext] = tf.tidy(() => {
        const input = scale ? tf.mul(x, tf.reshape(scale, [n, 1, 1, cin])) : x;
        const main = tf.add(tf.conv2d(input as Tensor4D, filter, 1, 'valid'), bias);
        const shortcut = sw ? tf.conv2d(sx, sw, stride, 'valid') : sx;
        const yy = tf.relu(tf.add(main, shortcut)) as Tensor4D;
        return [yy, tf.relu(tf.add(tf.conv2d(yy, nextFilter, 1, 'valid'), nextBias))];
      });
      out[`${name}: y`] = await relDiff(y, wantY);
      out[`${name}: next`] = await relDiff(next, wantNext);
      tf.dispose([x, filter, bias, nextFilter, nextBias, sx, y, next, wantY, wantNext]);
      tf.dispose([...(scale ? [scale] : []), ...(sw ? [sw] : [])]);
    }
    return out;
  });
  console.log(`chainedConv2d: ${JSON.stringify(got)} ${JSON.stringify(errors)}`);
  expect(errors).toEqual([]);
  expect(Object.keys(got)).toHaveLength(8);
  for (const [name, diff] of Object.entries(got)) expect(diff, name).toBeLessThanOrEqual(1e-5);
});
