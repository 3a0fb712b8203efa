/**
 * webnets' fused WASM kernels (SiLU, add + activation, squeeze-excitation) against a
 * float64 JS reference and the stock tfjs composition, registration, and memory safety:
 * kernels write nothing but their outputs.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/tf';
import {
  ADD_ACTIVATION,
  addActivation,
  DEPTHWISE_CONV2D,
  depthwiseConv2d,
  GROUP_CONV2D,
  groupConv2d,
  hasKernel,
  registerKernels,
  silu,
  squeezeExcite,
  SQUEEZE_EXCITE,
  SILU,
} from '../src/kernels';
import { expectClose } from './kernels/expect';
import { randomArray } from './kernels/random';
import { activate, refSqueezeExcite } from './kernels/reference';
import { stockOps } from './kernels/stock';

const { activate: stockActivate, squeezeExcite: stockSqueezeExcite } = stockOps(tf);

beforeAll(async () => {
  expect(await tf.setBackend('wasm')).toBe(true);
  expect(await registerKernels('wasm')).toBe(true);
});

describe('registration', () => {
  it('registers every WASM kernel, and none for a backend without webnets kernels', async () => {
    for (const name of [
      GROUP_CONV2D,
      DEPTHWISE_CONV2D,
      SILU,
      SQUEEZE_EXCITE,
      ADD_ACTIVATION,
    ] as const)
      expect(hasKernel(name, 'wasm')).toBe(true);
    expect(await registerKernels('cpu')).toBe(false);
    expect(hasKernel(GROUP_CONV2D, 'cpu')).toBe(false);
  });
});

describe(`${SILU} (wasm)`, () => {
  it.each([1, 3, 4, 7, 8, 9, 33, 4099])('%i elements, x from -100 to 100', (n) => {
    const data = randomArray(n, n, 12);
    data[0] = n > 1 ? -100 : 100;
    if (n > 2) data[1] = 90;
    const x = tf.tensor1d(data);
    const got = silu(x).dataSync();
    expectClose(
      got,
      Array.from(data, (v) => activate(v, 'silu')),
      'vs JS reference',
    );
    expectClose(got, stockActivate(x, 'silu').dataSync(), 'vs stock tfjs');
  });

  it('is accurate to a few float32 ulps on a dense sweep of [-30, 30]', () => {
    const data = Float32Array.from({ length: 60001 }, (_, i) => -30 + i * 0.001);
    const got = silu(tf.tensor1d(data)).dataSync();
    let worst = 0;
    data.forEach((v, i) => {
      const exact = v / (1 + Math.exp(-v));
      if (exact !== 0)
        worst = Math.max(worst, Math.abs((got[i] as number) - exact) / Math.abs(exact));
    });
    expect(worst).toBeLessThan(4e-7); // float32 ulp is 1.2e-7 relative at most
  });

  it('keeps the shape of a 4-D activation', () => {
    const x = tf.tensor4d(randomArray(2 * 3 * 5 * 7, 5, 6), [2, 3, 5, 7]);
    const y = silu(x);
    expect(y.shape).toEqual([2, 3, 5, 7]);
    expectClose(y.dataSync(), stockActivate(x, 'silu').dataSync(), 'vs stock tfjs');
  });
});

describe(`${ADD_ACTIVATION} (wasm)`, () => {
  it.each([
    [[1, 7, 7, 5], 'relu'],
    [[2, 4, 4, 16], 'linear'],
    [[1, 3, 3, 3], 'silu'],
  ] as const)('%j %s', (shape, act) => {
    const n = shape.reduce((p: number, d: number) => p * d, 1);
    const a = tf.tensor(randomArray(n, 1, 3), [...shape]);
    const b = tf.tensor(randomArray(n, 2, 3), [...shape]);
    const got = addActivation(a, b, act).dataSync();
    const aData = a.dataSync();
    const bData = b.dataSync();
    expectClose(
      got,
      Array.from(aData, (v, i) => activate(v + (bData[i] as number), act)),
      'vs JS reference',
    );
    expectClose(got, stockActivate(tf.add(a, b), act).dataSync(), 'vs stock tfjs');
  });

  it('rejects operands of different shapes', () => {
    expect(() => addActivation(tf.zeros([2, 3]), tf.zeros([3, 2]), 'relu')).toThrow(
      /'a' \[2, 3\] float32 and 'b' \[3, 2\] float32 must have the same shape/,
    );
  });
});

describe(`${SQUEEZE_EXCITE} (wasm)`, () => {
  const seCases = [
    { shape: [1, 56, 56, 48], squeezed: 8, act: 'relu', inputAct: 'linear' }, // RegNetY-400MF stage 1
    { shape: [1, 7, 7, 440], squeezed: 52, act: 'relu', inputAct: 'linear' }, // RegNetY-400MF stage 4
    { shape: [1, 112, 112, 32], squeezed: 8, act: 'silu', inputAct: 'silu' }, // EfficientNet-B0 block 1
    { shape: [1, 28, 28, 144], squeezed: 6, act: 'silu', inputAct: 'silu' }, // EfficientNet-B0 stage 3
    { shape: [2, 5, 3, 7], squeezed: 3, act: 'silu', inputAct: 'linear' },
    { shape: [3, 1, 1, 13], squeezed: 5, act: 'relu', inputAct: 'silu' },
  ] as const;
  it.each(seCases.map((c) => [JSON.stringify(c), c] as const))('%s', (_label, c) => {
    const [batch, h, w, ch] = c.shape;
    const cs = c.squeezed;
    const xData = randomArray(batch * h * w * ch, ch, 3);
    const w1 = randomArray(ch * cs, 1, Math.sqrt(3 / ch) * 2);
    const b1 = randomArray(cs, 2, 0.5);
    const w2 = randomArray(cs * ch, 3, Math.sqrt(3 / cs) * 2);
    const b2 = randomArray(ch, 4, 0.5);
    const x = tf.tensor4d(xData, [batch, h, w, ch]);
    const weights = {
      reduceWeight: tf.tensor2d(w1, [ch, cs]),
      reduceBias: tf.tensor1d(b1),
      expandWeight: tf.tensor2d(w2, [cs, ch]),
      expandBias: tf.tensor1d(b2),
    };
    const y = squeezeExcite(x, weights, { activation: c.act, inputActivation: c.inputAct });
    expect(y.shape).toEqual([...c.shape]);
    const got = y.dataSync();
    const ref = refSqueezeExcite([batch, h, w, ch], xData, w1, b1, w2, b2, c.act, c.inputAct);
    expectClose(got, ref, 'vs JS reference');
    const { reduceWeight, reduceBias, expandWeight, expandBias } = weights;
    const stock = stockSqueezeExcite(
      x,
      reduceWeight,
      reduceBias,
      expandWeight,
      expandBias,
      c.act,
      c.inputAct,
    );
    expectClose(got, stock.dataSync(), 'vs stock tfjs');
    tf.dispose([x, y, stock, ...Object.values(weights)]);
  });

  it('names the misshaped weight', () => {
    const x = tf.zeros([1, 4, 4, 8]) as tf.Tensor4D;
    const weights = {
      reduceWeight: tf.zeros([8, 2]) as tf.Tensor2D,
      reduceBias: tf.zeros([2]) as tf.Tensor1D,
      expandWeight: tf.zeros([8, 2]) as tf.Tensor2D,
      expandBias: tf.zeros([8]) as tf.Tensor1D,
    };
    expect(() => squeezeExcite(x, weights, { activation: 'relu' })).toThrow(
      /'expandWeight' must be \[2, 8\] for x \[1, 4, 4, 8\] float32, got \[8, 2\] float32/,
    );
  });
});

describe('memory safety', () => {
  it('writes only its outputs: tensors around them keep their values', () => {
    const canaries = Array.from({ length: 32 }, (_, i) => tf.fill([257 + i], i + 0.5));
    // a grouped conv (3 groups of 24, stride 2, SiLU epilogue) and a 5×5 depthwise conv
    const x = tf.tensor4d(randomArray(6 * 11 * 72, 1), [1, 6, 11, 72]);
    const w = tf.tensor4d(randomArray(9 * 24 * 72, 2, 0.2), [3, 3, 24, 72]);
    const wd = tf.tensor4d(randomArray(25 * 72, 4, 0.2), [5, 5, 72, 1]);
    const b = tf.tensor1d(randomArray(72, 3));
    const outputs: tf.Tensor[] = [];
    for (let i = 0; i < 8; i++) {
      outputs.push(groupConv2d(x, w, b, { strides: 2, groups: 3, activation: 'silu' }));
      outputs.push(depthwiseConv2d(x, wd, b, { strides: 1, activation: 'silu' }));
      outputs.push(silu(x), addActivation(x, x, 'relu'));
      canaries.push(tf.fill([100 + i], -i - 0.25));
    }
    canaries.forEach((t, i) => {
      const expected = i < 32 ? i + 0.5 : -(i - 32) - 0.25;
      expect(Array.from(new Set(t.dataSync()))).toEqual([expected]);
    });
    tf.dispose([...canaries, ...outputs, x, w, wd, b]);
  });
});
