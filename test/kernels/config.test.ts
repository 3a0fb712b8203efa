/**
 * The kernel configuration's rules (src/kernels/config.ts) on hand-written backends: which
 * implementation each shape class gets, decided from what the backend offers.
 */
import { describe, expect, it } from 'vitest';
import type { ConvClass, KernelConfig } from '../../src/kernels';
import {
  chainTile,
  chainWorkgroupSize,
  selectChainedConv,
  groupConvGeometry,
  CONV_PACKED_WEIGHT,
  CONV_STEM_OFFSETS,
  stemLayoutCode,
  wasmEngine,
  selectAddActivation,
  selectConv,
  selectExcitedConv,
  selectLinear,
  selectSeparable,
  selectSqueezeExcite,
  slicesFor,
  SPLITS,
  THRESHOLDS,
} from '../../src/kernels';

const none = {
  groupConv2d: false,
  depthwiseConv2d: false,
  silu: false,
  squeezeExcite: false,
  addActivation: false,
  resizeCropNormalize: false,
  separableConv2d: false,
  squeezeExciteGates: false,
  poolLinear: false,
  projectedConv2d: false,
  chainedConv2d: false,
};
const all = Object.fromEntries(Object.keys(none).map((k) => [k, true])) as typeof none;
const wasm: KernelConfig = {
  backend: 'wasm',
  kernels: all,
  xnnpackThreads: 1,
  poolThreads: 2,
  threads: 2,
};
const wasmStock: KernelConfig = { ...wasm, kernels: none, poolThreads: 1, threads: 1 };
const webgpu: KernelConfig = {
  backend: 'webgpu',
  kernels: { ...none, groupConv2d: true },
  xnnpackThreads: 1,
  poolThreads: 1,
  threads: 1,
};

const webgpuStock: KernelConfig = { ...webgpu, kernels: none };
const webgpuAll: KernelConfig = { ...webgpu, kernels: all };

const conv = (c: Partial<ConvClass>): ConvClass => ({
  kind: 'dense',
  kernel: 1,
  stride: 1,
  inChannels: 64,
  groups: 1,
  act: 'relu',
  ...c,
});

describe('kernel configuration', () => {
  it('dense convs: packed from 64 inputs on WASM, in place below, stock where XNNPACK has more threads; on WebGPU the kernel where registered', () => {
    expect(selectConv(conv({}), wasm)).toBe('kernel-packed');
    expect(selectConv(conv({ inChannels: THRESHOLDS.packedDenseMinInputs - 1 }), wasm)).toBe(
      'kernel',
    );
    expect(selectConv(conv({ kernel: 3 }), wasm)).toBe('kernel');
    expect(selectConv(conv({ stride: 2 }), wasm)).toBe('kernel');
    expect(selectConv(conv({ act: 'sigmoid' }), wasm)).toBe('stock');
    expect(selectConv(conv({}), { ...wasm, xnnpackThreads: 4 })).toBe('stock');
    expect(selectConv(conv({}), webgpu)).toBe('kernel');
    expect(selectConv(conv({ act: 'silu' }), webgpu)).toBe('kernel');
    expect(selectConv(conv({}), webgpuStock)).toBe('stock');
    expect(selectConv(conv({}), wasmStock)).toBe('stock');
  });

  it('grouped convs: the kernel where there is one, else by group width', () => {
    const grouped = conv({ kind: 'grouped', kernel: 3, inChannels: 64, groups: 4 });
    expect(selectConv(grouped, wasm)).toBe('kernel');
    expect(selectConv(grouped, webgpu)).toBe('kernel');
    expect(selectConv(grouped, wasmStock)).toBe('stock-grouped-depthwise');
    expect(selectConv({ ...grouped, groups: 2 }, wasmStock)).toBe('stock-grouped-split');
  });

  it('depthwise convs, squeeze-excitation, residual adds and the classifier', () => {
    const dw = conv({ kind: 'depthwise', kernel: 3, inChannels: 32, groups: 32, act: 'silu' });
    expect([wasm, webgpu, wasmStock].map((c) => selectConv(dw, c))).toEqual([
      'kernel',
      'stock',
      'stock',
    ]);
    expect(selectSqueezeExcite('silu', wasm)).toBe('kernel');
    expect(selectSqueezeExcite('sigmoid', wasm)).toBe('stock');
    expect(selectSqueezeExcite('relu', webgpu)).toBe('stock');
    expect(selectAddActivation('relu', wasm)).toBe('kernel');
    expect(selectAddActivation('sigmoid', wasm)).toBe('stock');
    expect(selectLinear(1280, wasm)).toBe('kernel-packed');
    expect(selectLinear(32, wasm)).toBe('stock');
    expect(selectLinear(1280, webgpu)).toBe('stock');
  });

  it('WebGPU fusions: a grouped or depthwise conv into the 1×1 after it, squeeze-excitation into the conv after it, where their kernels are registered', () => {
    const dw = conv({ kind: 'depthwise', kernel: 3, inChannels: 256, groups: 256 });
    const grouped = conv({ kind: 'grouped', kernel: 3, inChannels: 400, groups: 25 });
    const pw = conv({ inChannels: 256, outChannels: 128, act: 'linear' });
    expect(selectSeparable(dw, pw, webgpuAll)).toBe('kernel');
    expect(selectSeparable(grouped, { ...pw, inChannels: 400 }, webgpuAll)).toBe('composed'); // slower fused on a GPU
    expect(selectSeparable(dw, pw, webgpuStock)).toBe('composed');
    expect(selectSeparable(dw, pw, wasm)).toBe('composed'); // no WASM implementation
    expect(selectSeparable(dw, { ...pw, kernel: 3 }, webgpuAll)).toBe('composed');
    expect(selectSeparable(dw, { ...pw, inChannels: 5000 }, webgpuAll)).toBe('composed');
    expect(selectSeparable(dw, { ...pw, outChannels: 10 }, webgpuAll)).toBe('composed');
    const se = { reduceAct: 'silu' as const, squeezed: 24 };
    expect(selectExcitedConv(se, pw, webgpuAll)).toBe('kernel');
    expect(selectExcitedConv({ ...se, squeezed: 2048 }, pw, webgpuAll)).toBe('composed');
    expect(selectExcitedConv({ ...se, reduceAct: 'sigmoid' }, pw, webgpuAll)).toBe('composed');
    expect(
      selectExcitedConv(se, pw, { ...webgpuAll, kernels: { ...all, groupConv2d: false } }),
    ).toBe('composed');
    expect(selectExcitedConv(se, pw, wasm)).toBe('composed');
  });

  it("WebGPU chaining: a block's last 1×1 conv and the next block's first, where the tile of the block's output fits", () => {
    const c = (inChannels: number, outChannels: number) =>
      conv({ inChannels, outChannels, act: 'linear' });
    const a = (inChannels: number, outChannels: number) => conv({ inChannels, outChannels });
    const chained = { ...webgpu, kernels: { ...webgpu.kernels, chainedConv2d: true } };
    // RegNetX-400MF's boundaries: 32 → 64, 64 → 64, 64 → 160, 160 → 160, 160 → 400, 400 → 400.
    for (const [cout, cnext] of [
      [32, 64],
      [64, 64],
      [64, 160],
      [160, 160],
      [160, 400],
      [400, 400],
    ] as [number, number][]) {
      expect(selectChainedConv(c(cout, cout), a(cout, cnext), chained), `${cout} → ${cnext}`).toBe(
        'kernel',
      );
    }
    // As few quads as 64 busy threads take, in a workgroup of 128 threads up to 512 channels.
    expect(chainTile(400, 400)).toEqual({ lanes: 100, quads: 1 });
    expect(chainTile(32, 64)).toEqual({ lanes: 16, quads: 4 });
    expect(chainTile(160, 64)).toEqual({ lanes: 40, quads: 2 });
    expect([400, 64, 160, 512].map((c) => chainWorkgroupSize(chainTile(c, 64)))).toEqual([
      128, 128, 128, 128,
    ]);
    expect(chainWorkgroupSize(chainTile(1024, 64))).toBe(256);
    // Up to 1024 channels (256 threads a workgroup), not past.
    expect(selectChainedConv(c(1024, 1024), a(1024, 64), chained)).toBe('kernel');
    expect(selectChainedConv(c(1028, 1028), a(1028, 64), chained)).toBe('composed');
    expect(selectChainedConv(c(64, 64), a(64, 1028), chained)).toBe('composed');
    expect(selectChainedConv(c(64, 64), a(64, 64), webgpu)).toBe('composed'); // flag off
    expect(selectChainedConv(c(64, 64), a(64, 64), { ...wasm, kernels: all })).toBe('composed');
    expect(
      selectChainedConv(c(64, 64), conv({ kernel: 3, inChannels: 64, outChannels: 64 }), chained),
    ).toBe('composed');
    expect(selectChainedConv(c(64, 64), a(32, 64), chained)).toBe('composed'); // widths differ
    expect(selectChainedConv(c(64, 66), a(66, 64), chained)).toBe('composed'); // not vec4
  });

  it('splits a kernel over threads only from its class minimum, one slice per thread up to evenMaxWork, a few above, never more than rows', () => {
    for (const rule of Object.values(SPLITS)) {
      expect(rule.evenMaxWork).toBeGreaterThanOrEqual(rule.minWork);
      expect(slicesFor(rule.minWork - 1, rule, 100, 2)).toBe(1);
      expect(slicesFor(rule.minWork, rule, 100, 1)).toBe(1);
      expect(slicesFor(rule.minWork, rule, 100, 2)).toBe(2);
      expect(slicesFor(rule.evenMaxWork, rule, 100, 3)).toBe(3);
      expect(slicesFor(rule.evenMaxWork + 1, rule, 100, 2)).toBe(2 * THRESHOLDS.slicesPerThread);
      expect(slicesFor(rule.evenMaxWork + 1, rule, 4, 2)).toBe(4);
      expect(slicesFor(rule.minWork, rule, 1, 2)).toBe(1);
    }
  });
});

describe('the threads attribute of the kernels a pool can split', () => {
  it('is a whole number ≥ 1, named in the error otherwise; absent means the calling thread alone', () => {
    const x = { shape: [1, 4, 4, 8], dtype: 'float32' };
    const filter = { shape: [1, 1, 8, 8], dtype: 'float32' };
    const bias = { shape: [8], dtype: 'float32' };
    const attrs = { strides: 1, groups: 1, pad: 0, activation: 'relu' as const };
    expect(groupConvGeometry({ x, filter, bias }, attrs).threads).toBe(1);
    expect(groupConvGeometry({ x, filter, bias }, { ...attrs, threads: 3 }).threads).toBe(3);
    expect(() => groupConvGeometry({ x, filter, bias }, { ...attrs, threads: 0 })).toThrow(
      "WebnetsGroupConv2D: attr 'threads' must be an integer >= 1, got 0",
    );
  });
});

describe('kernel variants per JavaScript engine, from the measured table', () => {
  it('tells SpiderMonkey by its InternalError global, not by the user agent', () => {
    expect(wasmEngine({ InternalError: Error })).toBe('spidermonkey');
    expect(wasmEngine({ navigator: { userAgent: 'Firefox/153.0' } })).toBe('other');
    expect(wasmEngine(globalThis)).toBe('other'); // Node: V8
  });

  it("loads SpiderMonkey's stem weights as pointer sums and the others' at offsets", () => {
    expect(stemLayoutCode('spidermonkey')).toBe(0);
    expect(stemLayoutCode('other')).toBe(CONV_STEM_OFFSETS);
    expect(CONV_STEM_OFFSETS & CONV_PACKED_WEIGHT).toBe(0); // bits of one layout code
  });
});
