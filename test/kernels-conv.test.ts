/**
 * webnets' WASM conv kernels (grouped, dense, depthwise) against a float64 JS reference
 * and against the stock tfjs composition they replace, in Node (tfjs-backend-wasm's
 * SIMD build; the relaxed-SIMD builds are compared in kernels-build.test.ts and run in
 * Chromium by e2e/kernels.spec.ts).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/tf';
import {
  DEPTHWISE_CONV2D,
  depthwiseConv2d,
  GROUP_CONV2D,
  groupConv2d,
  packDenseFilter,
  registerKernels,
  unpackDenseFilter,
} from '../src/kernels';
import type { KernelActivation } from '../src/kernels';
import { STEM_WEIGHT_LOADS, stemLayoutCode, type WasmEngine } from '../src/kernels/config';
import { kernelsOf, type WasmBackendLike } from '../src/kernels/wasm/module';
import { expectClose } from './kernels/expect';
import { randomArray } from './kernels/random';
import type { ConvCase, ConvRow } from './kernels/reference';
import { convCase, outSize, refDepthwise, refGroupConv } from './kernels/reference';
import { stockOps } from './kernels/stock';

const { activate: stockActivate, groupConv: stockGroupConv } = stockOps(tf);

beforeAll(async () => {
  expect(await tf.setBackend('wasm')).toBe(true);
  expect(await registerKernels('wasm')).toBe(true);
});

/**
 * Group widths of RegNet (8 … 232), remainders of the 4-vector blocking, tails < 4.
 * [N, H, W, Cin, Cout, k, stride, groups, activation]
 */
const convRows: ConvRow[] = [
  [1, 9, 9, 16, 16, 3, 1, 2, 'relu'],
  [1, 8, 8, 32, 32, 3, 2, 2, 'relu'],
  [2, 7, 5, 48, 48, 3, 1, 2, 'linear'],
  [1, 6, 11, 72, 72, 3, 2, 3, 'silu'],
  [1, 5, 5, 80, 80, 3, 1, 2, 'relu'],
  [1, 4, 6, 112, 112, 3, 1, 2, 'relu'],
  [1, 5, 4, 128, 128, 3, 2, 2, 'relu'],
  [1, 3, 3, 232, 232, 3, 1, 1, 'relu'],
  [1, 4, 4, 464, 464, 3, 2, 2, 'linear'],
  [3, 10, 10, 24, 24, 3, 1, 2, 'relu'],
  [1, 7, 7, 24, 24, 3, 1, 6, 'relu'],
  [1, 7, 7, 18, 18, 3, 2, 3, 'silu'],
  [2, 5, 6, 6, 9, 3, 1, 3, 'relu'],
  [1, 6, 6, 16, 32, 3, 2, 2, 'linear'],
  [1, 1, 1, 16, 16, 3, 1, 2, 'relu'],
  [1, 2, 3, 8, 8, 3, 2, 1, 'relu'],
  [1, 9, 8, 40, 40, 5, 2, 1, 'silu'],
  [2, 5, 5, 12, 20, 1, 1, 4, 'relu'],
  [1, 6, 5, 5, 7, 3, 1, 1, 'linear'],
  [1, 12, 10, 3, 16, 3, 2, 1, 'relu'], // a stem: a tap row's k·cin inputs are one loop
  [1, 7, 6, 24, 44, 1, 1, 1, 'silu'], // a 1×1 dense conv on its weight in place
];
const convCases = convRows.map(convCase);

function convLabel(c: ConvCase): string {
  const gw = `${c.inChannels / c.groups}→${c.outChannels / c.groups}`;
  return `${c.batch}×${c.height}×${c.width}×${c.inChannels}→${c.outChannels} k${c.kernel} s${c.stride} groups ${c.groups} (${gw}) ${c.activation}`;
}

/** Every engine's stem weight loads (config.ts STEM_WEIGHT_LOADS) as `layout` bits. */
const STEM_LOADS = Object.fromEntries(
  Object.entries(STEM_WEIGHT_LOADS).map(([engine, loads]) => [
    loads,
    stemLayoutCode(engine as WasmEngine),
  ]),
);

/** Runs `run` with the conv kernel's stems on `code`'s weight loads, then restores this engine's. */
function withStemLoads<T>(code: number, run: () => T): T {
  const kernels = kernelsOf(tf.backend() as unknown as WasmBackendLike);
  const own = kernels.stemLayout;
  kernels.stemLayout = code;
  try {
    return run();
  } finally {
    kernels.stemLayout = own;
  }
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
    const attrs = { strides: c.stride, groups, activation: c.activation };
    const y = groupConv2d(x, w, b, attrs);
    expect(y.shape).toEqual([batch, ...outSize(c), cout]);
    const got = y.dataSync();
    expectClose(got, refGroupConv(c, xData, wData, bData), 'vs JS reference');
    const stock = stockGroupConv(w, groups);
    const expected = stock.run(x, b, c.stride, c.activation);
    expectClose(got, expected.dataSync(), 'vs stock tfjs');
    tf.dispose([x, w, b, y, expected]);
    stock.dispose();
  });

  const denseRows: ConvRow[] = [
    // RegNet's 1×1 convs (the c conv adds the shortcut, then ReLU), EfficientNet's expand
    // (SiLU) and stem (3×3, stride 2, 3 input channels)
    [1, 7, 7, 64, 48, 1, 1, 1, 'relu'],
    [2, 5, 6, 24, 144, 1, 1, 1, 'silu'],
    [1, 6, 6, 40, 22, 1, 2, 1, 'linear'],
    [1, 15, 14, 3, 32, 3, 2, 1, 'silu'],
    // stems with a rest of channels past the 8- and 16-wide blocks, stride 1 and 2
    [1, 9, 11, 3, 12, 3, 1, 1, 'relu'],
    [2, 8, 7, 3, 20, 3, 2, 1, 'linear'],
  ];
  const denseCases = denseRows.map(convCase);
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
    const reference = refGroupConv(c, xData, wData, bData, withResidual ? rData : undefined);
    expectClose(got, reference, 'vs JS reference');
    // Every engine's stem weight loads (config.ts STEM_WEIGHT_LOADS), whichever this engine runs.
    for (const [loads, code] of Object.entries(STEM_LOADS)) {
      const other = withStemLoads(code, () =>
        groupConv2d(x, w, b, attrs, withResidual ? r : undefined),
      );
      expectClose(other.dataSync(), reference, `stem loads: ${loads}`);
      other.dispose();
    }
    const stock = tf.tidy(() => {
      const conv = tf.fused.conv2d({ x, filter: w, bias: b, strides: c.stride, pad: k >> 1 });
      return stockActivate(withResidual ? tf.add(conv, r) : conv, c.activation);
    });
    expectClose(got, stock.dataSync(), 'vs stock tfjs');
    tf.dispose([x, w, b, r, stock]);
  });

  // Packed 1×1: whole 16-wide panels, a rest of 1–3 vectors, a lane tail, a rest alone.
  const packedRows: ConvRow[] = [
    [2, 5, 7, 64, 32, 1, 1, 1, 'relu'],
    [1, 7, 7, 96, 104, 1, 1, 1, 'silu'],
    [1, 3, 5, 70, 90, 1, 1, 1, 'linear'],
    [1, 4, 4, 128, 7, 1, 1, 1, 'relu'],
    [1, 2, 3, 440, 440, 1, 1, 1, 'relu'],
  ];
  it.each(packedRows.map(convCase).map((c, i) => [convLabel(c), c, i] as const))(
    'dense %s on a packed filter, with and without residual, as on the HWIO filter',
    (_label, c, i) => {
      const { batch, height, width, inChannels: cin, outChannels: cout } = c;
      const xData = randomArray(batch * height * width * cin, 800 + i);
      const wData = randomArray(cin * cout, 810 + i, Math.sqrt(3 / cin));
      const bData = randomArray(cout, 820 + i, 0.5);
      const rData = randomArray(batch * height * width * cout, 830 + i);
      const x = tf.tensor4d(xData, [batch, height, width, cin]);
      const w = tf.tensor4d(wData, [1, 1, cin, cout]);
      const packed = packDenseFilter(w);
      const b = tf.tensor1d(bData);
      const r = tf.tensor4d(rData, [batch, height, width, cout]);
      expect(Array.from(unpackDenseFilter(packed).dataSync())).toEqual(Array.from(w.dataSync()));
      if (cout > 16) expect(packed.dataSync()[1]).toBe(wData[1]); // panel 0 row 0 = HWIO row 0 …
      if (cout > 16) expect(packed.dataSync()[16]).toBe(wData[cout]); // … then row 1, not col 16
      for (const residual of [undefined, r]) {
        const attrs = { strides: 1, groups: 1, activation: c.activation };
        const got = groupConv2d(x, packed, b, { ...attrs, packed: true }, residual);
        const want = groupConv2d(x, w, b, attrs, residual).dataSync();
        expectClose(got.dataSync(), want, 'packed vs HWIO');
        expectClose(
          got.dataSync(),
          refGroupConv(c, xData, wData, bData, residual && rData),
          'packed vs JS reference',
        );
        got.dispose();
      }
      tf.dispose([x, w, packed, b, r]);
    },
  );

  it('rejects packed: true on anything but a 1×1 stride-1 dense conv', () => {
    const x = tf.zeros([1, 4, 4, 16]) as tf.Tensor4D;
    const b = tf.zeros([16]) as tf.Tensor1D;
    const attrs = { strides: 1, groups: 1, activation: 'relu', packed: true } as const;
    expect(() => groupConv2d(x, tf.zeros([3, 3, 16, 16]), b, attrs)).toThrow(
      /WebnetsGroupConv2D: a packed filter is a 1×1 dense conv's \(k 1, strides 1, groups 1, pad 0\), got k 3, strides 1, groups 1, pad 1/,
    );
    expect(() => groupConv2d(x, tf.zeros([1, 1, 8, 16]), b, { ...attrs, groups: 2 })).toThrow(
      /got k 1, strides 1, groups 2, pad 0/,
    );
    expect(() => packDenseFilter(tf.zeros([3, 3, 16, 16]))).toThrow(
      /packDenseFilter: expected a \[1, 1, Cin, Cout\] filter, got \[3, 3, 16, 16\]/,
    );
    tf.dispose([x, b]);
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
    [[1, 6, 6, 8], 7, 1, 'relu'],
    [[1, 1, 1, 12], 3, 1, 'linear'],
    // maps big enough to skip the padded copy: tap rows clipped at the top and bottom,
    // border columns on their own path, rows of 6-pixel blocks ending in an overlapping one
    [[1, 83, 81, 8], 3, 1, 'relu'],
    [[1, 200, 200, 4], 5, 2, 'silu'],
    // the 3×3 row walk (ReLU / linear, pad 1, whole channel vectors): tap rows outside the
    // image, odd widths at stride 2, batches, rows split into L1-sized spans
    [[2, 9, 7, 8], 3, 2, 'linear'],
    [[1, 2, 1, 4], 3, 2, 'relu'],
    [[1, 1, 3, 4], 3, 1, 'relu'],
    [[1, 5, 60, 64], 3, 1, 'relu'],
    [[1, 6, 90, 64], 3, 2, 'linear'],
    [[1, 5, 91, 64], 3, 2, 'relu'],
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
