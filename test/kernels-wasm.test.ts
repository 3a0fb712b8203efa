/**
 * webnets' WASM kernels against a float64 JS reference and against the stock tfjs
 * composition they replace, in Node (tfjs-backend-wasm's SIMD build).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/runtime/tf';
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
import type { KernelActivation } from '../src/kernels';
import { closeness, randomArray } from './kernels/random';
import type { ConvCase } from './kernels/reference';
import {
  activate,
  outSize,
  refDepthwise,
  refGroupConv,
  refSqueezeExcite,
} from './kernels/reference';
import { stockOps } from './kernels/stock';

const {
  activate: stockActivate,
  groupConv: stockGroupConv,
  squeezeExcite: stockSqueezeExcite,
} = stockOps(tf);

beforeAll(async () => {
  expect(await tf.setBackend('wasm')).toBe(true);
  expect(await registerKernels('wasm')).toBe(true);
});

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  const c = closeness(actual, expected);
  expect(
    c.worst,
    `${what}: at ${c.index} got ${c.actual}, expected ${c.expected}`,
  ).toBeLessThanOrEqual(1);
}

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

/** Group widths of RegNet (8 … 232), remainders of the 4-vector blocking, and tails < 4. */
const convCases: ConvCase[] = [
  {
    batch: 1,
    height: 9,
    width: 9,
    inChannels: 16,
    outChannels: 16,
    kernel: 3,
    stride: 1,
    groups: 2,
    activation: 'relu',
  },
  {
    batch: 1,
    height: 8,
    width: 8,
    inChannels: 32,
    outChannels: 32,
    kernel: 3,
    stride: 2,
    groups: 2,
    activation: 'relu',
  },
  {
    batch: 2,
    height: 7,
    width: 5,
    inChannels: 48,
    outChannels: 48,
    kernel: 3,
    stride: 1,
    groups: 2,
    activation: 'linear',
  },
  {
    batch: 1,
    height: 6,
    width: 11,
    inChannels: 72,
    outChannels: 72,
    kernel: 3,
    stride: 2,
    groups: 3,
    activation: 'silu',
  },
  {
    batch: 1,
    height: 5,
    width: 5,
    inChannels: 80,
    outChannels: 80,
    kernel: 3,
    stride: 1,
    groups: 2,
    activation: 'relu',
  },
  {
    batch: 1,
    height: 4,
    width: 6,
    inChannels: 112,
    outChannels: 112,
    kernel: 3,
    stride: 1,
    groups: 2,
    activation: 'relu',
  },
  {
    batch: 1,
    height: 5,
    width: 4,
    inChannels: 128,
    outChannels: 128,
    kernel: 3,
    stride: 2,
    groups: 2,
    activation: 'relu',
  },
  {
    batch: 1,
    height: 3,
    width: 3,
    inChannels: 232,
    outChannels: 232,
    kernel: 3,
    stride: 1,
    groups: 1,
    activation: 'relu',
  },
  {
    batch: 1,
    height: 4,
    width: 4,
    inChannels: 464,
    outChannels: 464,
    kernel: 3,
    stride: 2,
    groups: 2,
    activation: 'linear',
  },
  {
    batch: 3,
    height: 10,
    width: 10,
    inChannels: 24,
    outChannels: 24,
    kernel: 3,
    stride: 1,
    groups: 2,
    activation: 'relu',
  },
  {
    batch: 1,
    height: 7,
    width: 7,
    inChannels: 24,
    outChannels: 24,
    kernel: 3,
    stride: 1,
    groups: 6,
    activation: 'relu',
  },
  {
    batch: 1,
    height: 7,
    width: 7,
    inChannels: 18,
    outChannels: 18,
    kernel: 3,
    stride: 2,
    groups: 3,
    activation: 'silu',
  },
  {
    batch: 2,
    height: 5,
    width: 6,
    inChannels: 6,
    outChannels: 9,
    kernel: 3,
    stride: 1,
    groups: 3,
    activation: 'relu',
  },
  {
    batch: 1,
    height: 6,
    width: 6,
    inChannels: 16,
    outChannels: 32,
    kernel: 3,
    stride: 2,
    groups: 2,
    activation: 'linear',
  },
  {
    batch: 1,
    height: 1,
    width: 1,
    inChannels: 16,
    outChannels: 16,
    kernel: 3,
    stride: 1,
    groups: 2,
    activation: 'relu',
  },
  {
    batch: 1,
    height: 2,
    width: 3,
    inChannels: 8,
    outChannels: 8,
    kernel: 3,
    stride: 2,
    groups: 1,
    activation: 'relu',
  },
  {
    batch: 1,
    height: 9,
    width: 8,
    inChannels: 40,
    outChannels: 40,
    kernel: 5,
    stride: 2,
    groups: 1,
    activation: 'silu',
  },
  {
    batch: 2,
    height: 5,
    width: 5,
    inChannels: 12,
    outChannels: 20,
    kernel: 1,
    stride: 1,
    groups: 4,
    activation: 'relu',
  },
  {
    batch: 1,
    height: 6,
    width: 5,
    inChannels: 5,
    outChannels: 7,
    kernel: 3,
    stride: 1,
    groups: 1,
    activation: 'linear',
  },
];

function convLabel(c: ConvCase): string {
  const gw = `${c.inChannels / c.groups}→${c.outChannels / c.groups}`;
  return `${c.batch}×${c.height}×${c.width}×${c.inChannels}→${c.outChannels} k${c.kernel} s${c.stride} groups ${c.groups} (${gw}) ${c.activation}`;
}

describe(`${GROUP_CONV2D} (wasm)`, () => {
  it.each(convCases.map((c, i) => [convLabel(c), c, i] as const))('%s', (_label, c, i) => {
    const { batch, height, width, inChannels: cin, outChannels: cout, kernel: k, groups } = c;
    const fan = k * k * (cin / groups);
    const xData = randomArray(batch * height * width * cin, 100 + i);
    const wData = randomArray(k * k * (cin / groups) * cout, 200 + i, Math.sqrt(3 / fan));
    const bData = randomArray(cout, 300 + i, 0.5);
    const x = tf.tensor4d(xData, [batch, height, width, cin]);
    const w = tf.tensor4d(wData, [k, k, cin / groups, cout]);
    const b = tf.tensor1d(bData);
    const y = groupConv2d(x, w, b, { strides: c.stride, groups, activation: c.activation });
    expect(y.shape).toEqual([batch, ...outSize(c), cout]);
    const got = y.dataSync();
    expectClose(got, refGroupConv(c, xData, wData, bData), 'vs JS reference');
    const stock = stockGroupConv(w, groups);
    const expected = stock.run(x, b, c.stride, c.activation);
    expectClose(got, expected.dataSync(), 'vs stock tfjs');
    tf.dispose([x, w, b, y, expected]);
    stock.dispose();
  });

  const denseCases: ConvCase[] = [
    // RegNet's 1×1 convs (the c conv adds the shortcut, then ReLU), EfficientNet's expand
    // (SiLU) and stem (3×3, stride 2, 3 input channels)
    {
      batch: 1,
      height: 7,
      width: 7,
      inChannels: 64,
      outChannels: 48,
      kernel: 1,
      stride: 1,
      groups: 1,
      activation: 'relu',
    },
    {
      batch: 2,
      height: 5,
      width: 6,
      inChannels: 24,
      outChannels: 144,
      kernel: 1,
      stride: 1,
      groups: 1,
      activation: 'silu',
    },
    {
      batch: 1,
      height: 6,
      width: 6,
      inChannels: 40,
      outChannels: 22,
      kernel: 1,
      stride: 2,
      groups: 1,
      activation: 'linear',
    },
    {
      batch: 1,
      height: 15,
      width: 14,
      inChannels: 3,
      outChannels: 32,
      kernel: 3,
      stride: 2,
      groups: 1,
      activation: 'silu',
    },
  ];
  it.each(
    denseCases.flatMap((c, i) => [
      [convLabel(c) + ' + residual', c, i, true] as const,
      [convLabel(c), c, i, false] as const,
    ]),
  )('dense %s', (_label, c, i, withResidual) => {
    const { batch, height, width, inChannels: cin, outChannels: cout, kernel: k } = c;
    const [oh, ow] = outSize(c);
    const xData = randomArray(batch * height * width * cin, 400 + i);
    const wData = randomArray(k * k * cin * cout, 500 + i, Math.sqrt(3 / (k * k * cin)));
    const bData = randomArray(cout, 600 + i, 0.5);
    const rData = randomArray(batch * oh * ow * cout, 700 + i);
    const x = tf.tensor4d(xData, [batch, height, width, cin]);
    const w = tf.tensor4d(wData, [k, k, cin, cout]);
    const b = tf.tensor1d(bData);
    const r = tf.tensor4d(rData, [batch, oh, ow, cout]);
    const attrs = { strides: c.stride, groups: 1, activation: c.activation };
    const got = groupConv2d(x, w, b, attrs, withResidual ? r : undefined).dataSync();
    expectClose(
      got,
      refGroupConv(c, xData, wData, bData, withResidual ? rData : undefined),
      'vs JS reference',
    );
    const stock = tf.tidy(() => {
      const conv = tf.fused.conv2d({ x, filter: w, bias: b, strides: c.stride, pad: k >> 1 });
      return stockActivate(withResidual ? tf.add(conv, r) : conv, c.activation);
    });
    expectClose(got, stock.dataSync(), 'vs stock tfjs');
    tf.dispose([x, w, b, r, stock]);
  });

  it('rejects a filter that does not match the groups, naming the shapes', () => {
    const x = tf.zeros([1, 4, 4, 16]) as tf.Tensor4D;
    const w = tf.zeros([3, 3, 16, 16]) as tf.Tensor4D;
    const b = tf.zeros([16]) as tf.Tensor1D;
    expect(() => groupConv2d(x, w, b, { strides: 1, groups: 2, activation: 'relu' })).toThrow(
      /WebnetsGroupConv2D: with groups=2, x \[1, 4, 4, 16\] float32 and filter \[3, 3, 16, 16\] float32/,
    );
    expect(() =>
      groupConv2d(x, tf.zeros([3, 3, 8, 16]), tf.zeros([8]), {
        strides: 1,
        groups: 2,
        activation: 'relu',
      }),
    ).toThrow(/bias must be \[16\]/);
    expect(() =>
      groupConv2d(x, tf.zeros([3, 3, 8, 16]), b, {
        strides: 1,
        groups: 2,
        activation: 'gelu' as KernelActivation,
      }),
    ).toThrow(/attr 'activation' must be one of linear, relu, silu, got gelu/);
    const badResidual = tf.zeros([1, 4, 4, 8]) as tf.Tensor4D;
    expect(() =>
      groupConv2d(
        x,
        tf.zeros([3, 3, 8, 16]),
        b,
        { strides: 1, groups: 2, activation: 'relu' },
        badResidual,
      ),
    ).toThrow(/residual must be the output's shape \[1, 4, 4, 16\], got \[1, 4, 4, 8\] float32/);
    tf.dispose([x, w, b, badResidual]);
  });
});

describe(`${DEPTHWISE_CONV2D} (wasm)`, () => {
  /** [N, H, W, C], k, stride, activation: big maps (border loops) and small (padded copy). */
  const cases: [[number, number, number, number], number, number, KernelActivation][] = [
    [[1, 40, 40, 32], 3, 1, 'silu'],
    [[1, 41, 38, 24], 3, 2, 'relu'],
    [[1, 30, 30, 16], 5, 2, 'silu'],
    [[2, 14, 14, 48], 5, 1, 'silu'],
    [[1, 7, 7, 64], 5, 1, 'linear'],
    [[1, 7, 7, 20], 3, 1, 'silu'],
    [[1, 9, 11, 13], 3, 1, 'relu'], // channel tail
    [[2, 5, 6, 6], 5, 2, 'silu'],
    [[1, 6, 6, 8], 7, 1, 'relu'], // no unrolled path for k = 7
    [[1, 1, 1, 12], 3, 1, 'linear'],
  ];
  it.each(cases.map((c, i) => [JSON.stringify(c), c, i] as const))(
    '%s',
    (_label, [shape, k, stride, act], i) => {
      const c = shape[3];
      const xData = randomArray(
        shape.reduce((a, b) => a * b, 1),
        800 + i,
      );
      const wData = randomArray(k * k * c, 900 + i, Math.sqrt(3 / (k * k)));
      const bData = randomArray(c, 1000 + i, 0.5);
      const x = tf.tensor4d(xData, shape);
      const w = tf.tensor4d(wData, [k, k, c, 1]);
      const b = tf.tensor1d(bData);
      const got = depthwiseConv2d(x, w, b, { strides: stride, activation: act }).dataSync();
      expectClose(got, refDepthwise(shape, k, stride, act, xData, wData, bData), 'vs JS reference');
      const stock = tf.tidy(() =>
        stockActivate(
          tf.fused.depthwiseConv2d({ x, filter: w, bias: b, strides: stride, pad: k >> 1 }),
          act,
        ),
      );
      expectClose(got, stock.dataSync(), 'vs stock tfjs');
      tf.dispose([x, w, b, stock]);
    },
  );

  it('rejects a filter that is not [k, k, C, 1]', () => {
    const x = tf.zeros([1, 4, 4, 8]) as tf.Tensor4D;
    expect(() =>
      depthwiseConv2d(x, tf.zeros([3, 3, 8, 2]), tf.zeros([8]), { strides: 1, activation: 'relu' }),
    ).toThrow(
      /WebnetsDepthwiseConv2D: filter must be \[k, k, 8, 1\] for x \[1, 4, 4, 8\] float32, got \[3, 3, 8, 2\] float32/,
    );
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
    const c = convCases[3] as ConvCase;
    const x = tf.tensor4d(randomArray(c.height * c.width * c.inChannels, 1), [
      1,
      c.height,
      c.width,
      c.inChannels,
    ]);
    const w = tf.tensor4d(randomArray(9 * (c.inChannels / c.groups) * c.outChannels, 2), [
      3,
      3,
      c.inChannels / c.groups,
      c.outChannels,
    ]);
    const b = tf.tensor1d(randomArray(c.outChannels, 3));
    const outputs: tf.Tensor[] = [];
    for (let i = 0; i < 8; i++) {
      outputs.push(groupConv2d(x, w, b, { strides: 2, groups: c.groups, activation: 'silu' }));
      outputs.push(silu(x), addActivation(x, x, 'relu'));
      canaries.push(tf.fill([100 + i], -i - 0.25));
    }
    canaries.forEach((t, i) => {
      const expected = i < 32 ? i + 0.5 : -(i - 32) - 0.25;
      expect(Array.from(new Set(t.dataSync()))).toEqual([expected]);
    });
    tf.dispose([...canaries, ...outputs, x, w, b]);
  });
});
