import { describe, expect, it } from 'vitest';
import { gflops, p95, pairedRatios, ratio } from '../../bench/lib/stats';
import { formatTable, isNumeric } from '../../bench/lib/table';
import { agreement, centerCropNormalizedNchw, relativeError } from '../../bench/ort/compare';
import { opTimes, opType } from '../../bench/ort/profile';
import type { ModelResult } from '../../bench/ort/protocol';
import { summarize, type PageRun } from '../../bench/ort/report';
import { median, quantile } from '../../src/numeric';

// onnxruntime-web 1.30.0, EfficientNet-B0, 20 alternated runs on this project's shared
// 2-core machine (bench/results, 2026-11-23), at 1 and at 2 WASM threads.
const ortB0OneThread = [
  196.05, 164.675, 174.505, 172.845, 239.86, 181.05, 196.395, 200.06, 148.25, 160.78, 147.675,
  180.5, 152.895, 152.76, 169.69, 115.37, 195.015, 186.405, 184.38, 160.32,
];
const ortB0TwoThreads = [
  342.125, 301.93, 265.58, 214.375, 256.015, 281.69, 264.76, 248.105, 189.675, 221.145, 273.785,
  141.515, 180.53, 299.02, 199.63, 193.375, 256.825, 257.43, 241.235, 389.87,
];
// torchvision EfficientNet-B0 at 224², Conv2d + Linear MACs (tools/reference/export_onnx.py).
const b0Macs = 385_814_752;

describe('bench statistics', () => {
  it("matches numpy's median and linear-interpolated 95th percentile on measured latencies", () => {
    // numpy 1.24: np.median(a) = 173.675, np.percentile(a, 95) = 202.05
    expect(median(ortB0OneThread)).toBeCloseTo(173.675, 9);
    expect(p95(ortB0OneThread)).toBeCloseTo(202.05, 9);
    expect(median(ortB0TwoThreads)).toBeCloseTo(256.42, 9);
    expect(quantile(ortB0OneThread, 0)).toBe(115.37);
    expect(quantile(ortB0OneThread, 1)).toBe(239.86);
    expect(() => quantile([], 0.5)).toThrow(/no values/);
    expect(() => quantile(ortB0OneThread, 95)).toThrow(/q is 95/);
  });

  it('gives GFLOP/s as 2·MACs over the latency, and ratios of medians', () => {
    // 2 × 385,814,752 FLOP in 173.675 ms = 4.4430 GFLOP/s
    expect(gflops(b0Macs, 173.675)).toBeCloseTo(4.44295, 4);
    expect(ratio(86.8375, 173.675)).toBe(0.5);
  });

  it('pairs the two sides round by round: median and interquartile range of the ratios', () => {
    // The 2-thread runs against the 1-thread ones, round i against round i. numpy on
    // a / b: np.percentile(a / b, [25, 50, 75]) = 1.240243…, 1.361775…, 1.693369…
    const r = pairedRatios(ortB0TwoThreads, ortB0OneThread);
    expect(r?.q25).toBeCloseTo(1.2402431, 6);
    expect(r?.median).toBeCloseTo(1.3617752, 6);
    expect(r?.q75).toBeCloseTo(1.6933694, 6);
    // Halving one side halves every ratio; rounds that do not pair give nothing.
    expect(
      pairedRatios(
        ortB0OneThread.map((t) => t / 2),
        ortB0OneThread,
      )?.median,
    ).toBe(0.5);
    expect(pairedRatios(ortB0OneThread.slice(1), ortB0OneThread)).toBeNull();
    expect(pairedRatios([], [])).toBeNull();
  });
});

describe('bench summary', () => {
  const ortOnly = (ms: number[]): ModelResult => ({
    id: 'efficientnet-b0',
    inputSize: 224,
    macs: null,
    params: null,
    webnets: { error: 'webnets: dist/webnets.js exports no load()' },
    ort: { ms, firstPredictionMs: 1320.4 },
    agreement: null,
    ortVsPytorch: { maxAbsDiff: 6.2e-7, maxAbsLogit: 0.2129, top1: [488, 488] },
    webnetsBackend: null,
    webnetsThreads: null,
    webnetsOneThread: null,
  });
  const page = (label: string, threads: number, ms: number[]): PageRun => ({
    config: {
      label,
      backend: 'wasm',
      threads,
      webnetsThreads: threads,
      ortPath: '/ort/',
      webnetsCall: 'forward',
    },
    facts: null,
    error: null,
    results: [ortOnly(ms)],
  });

  it('summarizes each side, scales threads from the wasm pages, and says a failure once', () => {
    // As on this 2-core machine: tfjs runs 1 thread when asked for 2 (it caps at cores / 2).
    const twoThreads = page('wasm2', 2, ortB0TwoThreads);
    twoThreads.results[0] = { ...ortOnly(ortB0TwoThreads), webnetsThreads: 1 };
    const summary = summarize([page('wasm1', 1, ortB0OneThread), twoThreads], () => b0Macs);
    const [one] = summary.rows;
    expect(one?.ort?.medianMs).toBeCloseTo(173.675, 9);
    expect(one?.ort?.p95Ms).toBeCloseTo(202.05, 9);
    expect(one?.ort?.gflops).toBeCloseTo(4.44295, 4);
    expect(one?.webnets).toBeNull();
    expect(one?.ratio).toBeNull();
    expect(one?.ortVsPytorch).toBeCloseTo(6.2e-7 / 0.2129, 12);
    // 173.675 / 256.42: two threads were slower than one on the loaded machine.
    expect(summary.scaling).toHaveLength(1);
    expect(summary.scaling[0]).toMatchObject({
      model: 'efficientnet-b0',
      threads: 2,
      webnets: null,
    });
    expect(summary.scaling[0]?.ort).toBeCloseTo(173.675 / 256.42, 12);
    expect(summary.failures).toEqual([
      'efficientnet-b0 on wasm1, wasm2: webnets: dist/webnets.js exports no load()',
    ]);
  });

  it("scales webnets to 'auto' from the wasmauto page, with the threads it ran", () => {
    const memory = { residentBytes: 0, peakBytes: 0, growthBytes: 0, growthTensors: 0 };
    const withWebnets = (ms: number[], threads: number): ModelResult => ({
      ...ortOnly(ms),
      webnets: {
        ms,
        firstPredictionMs: 1,
        memory: { ...memory, wasmHeapBefore: null, wasmHeapAfter: null },
        profile: { wallMs: 0, kernelMs: 0, ops: [], note: '' },
      },
      webnetsThreads: threads,
    });
    const run = (label: string, threads: number, ms: number[], used: number): PageRun => ({
      ...page(label, threads, ms),
      results: [withWebnets(ms, used)],
    });
    const auto = run('wasmauto', 2, [40, 40, 40], 1);
    auto.config.webnetsThreads = 'auto';
    const pages = [run('wasm1', 1, [36, 36, 36], 1), run('wasm2', 2, [48, 48, 48], 2), auto];
    const [scaling] = summarize(pages, () => b0Macs).scaling;
    expect(scaling).toMatchObject({ threads: 2, webnetsThreadsUsed: 2, webnetsAutoThreads: 1 });
    expect(scaling?.webnets).toBeCloseTo(36 / 48, 12);
    expect(scaling?.webnetsAuto).toBeCloseTo(36 / 40, 12);
    expect(scaling?.webnetsSamePage).toBeNull(); // the wasm2 page timed no 1-thread side
    expect(scaling?.webnetsAutoSamePage).toBeNull();
    // The wasmauto page with its own 1-thread side: 'auto' against 1 thread, round by round.
    auto.results[0] = { ...auto.results[0]!, webnetsOneThread: { ms: [40, 44, 36] } };
    const [withSide] = summarize(pages, () => b0Macs).scaling;
    expect(withSide?.webnetsAutoSamePage?.median).toBeCloseTo(1, 12); // ratios 1, 1.1, 0.9
    expect(withSide?.webnetsAutoSamePage?.q25).toBeCloseTo(0.95, 12);
    expect(withSide?.webnetsAutoSamePage?.q75).toBeCloseTo(1.05, 12);
  });

  it('scales threads round by round from the 1-thread side timed in the N-thread page', () => {
    const memory = { residentBytes: 0, peakBytes: 0, growthBytes: 0, growthTensors: 0 };
    const twoThreads = page('wasm2', 2, []);
    twoThreads.results[0] = {
      ...ortOnly([50, 50, 50, 50]),
      webnets: {
        ms: [20, 30, 25, 40],
        firstPredictionMs: 1,
        memory: { ...memory, wasmHeapBefore: null, wasmHeapAfter: null },
        profile: { wallMs: 0, kernelMs: 0, ops: [], note: '' },
      },
      webnetsThreads: 2,
      // Rounds 1.5, 1.2, 1.6, 1.0: the machine slowed down and sped up within the page.
      webnetsOneThread: { ms: [30, 36, 40, 40] },
    };
    const [scaling] = summarize(
      [page('wasm1', 1, [40, 40, 40, 40]), twoThreads],
      () => b0Macs,
    ).scaling;
    // np.percentile([1.5, 1.2, 1.6, 1.0], [25, 50, 75]) = 1.15, 1.35, 1.525
    expect(scaling?.webnetsSamePage?.q25).toBeCloseTo(1.15, 12);
    expect(scaling?.webnetsSamePage?.median).toBeCloseTo(1.35, 12);
    expect(scaling?.webnetsSamePage?.q75).toBeCloseTo(1.525, 12);
    // A side that failed to load gives no same-page scaling, and is a failure of the run.
    twoThreads.results[0] = {
      ...twoThreads.results[0]!,
      webnetsOneThread: {
        error: "webnets threads: 1: its logits differ from the wasm2 side's by 0.5",
      },
    };
    const failed = summarize([twoThreads], () => b0Macs);
    expect(failed.scaling).toEqual([]);
    expect(failed.failures).toEqual([
      "efficientnet-b0 on wasm2: webnets threads: 1: its logits differ from the wasm2 side's by 0.5",
    ]);
    const [again] = summarize(
      [page('wasm1', 1, [40, 40, 40, 40]), twoThreads],
      () => b0Macs,
    ).scaling;
    expect(again?.webnetsSamePage).toBeNull();
  });

  it('flags logits that disagree beyond the tolerance, NaN included', () => {
    const bad = agreement([1, 2, NaN], [1, 2, 3]);
    expect(bad.maxAbsDiff).toBeNaN();
    const result: ModelResult = {
      ...ortOnly(ortB0OneThread),
      webnets: { error: 'webnets: x' },
      agreement: bad,
    };
    const summary = summarize([{ ...page('wasm1', 1, []), results: [result] }], () => null);
    expect(summary.failures).toContain(
      'efficientnet-b0 on wasm1: webnets and ORT disagree: max |Δ| / max |logit| = NaN > 0.001',
    );
  });
});

describe('bench comparison helpers', () => {
  it("crops the centre and normalizes like torchvision's CenterCrop + Normalize", () => {
    // 4×4 image, value = 10·row + col in every channel; crop 2 starts at (1, 1).
    const hwc = new Float32Array(4 * 4 * 3);
    for (let y = 0; y < 4; y++)
      for (let x = 0; x < 4; x++) hwc.fill(10 * y + x, (y * 4 + x) * 3, (y * 4 + x) * 3 + 3);
    const out = centerCropNormalizedNchw(hwc, 4, 2, [0, 0.5, 0], [1, 1, 0.5]);
    const px = (v: number): number => v / 255;
    expect(Array.from(out.slice(0, 4))).toEqual([11, 12, 21, 22].map((v) => Math.fround(px(v))));
    expect(out[4]).toBeCloseTo(px(11) - 0.5, 6);
    expect(out[8]).toBeCloseTo(px(11) / 0.5, 6);
    expect(() => centerCropNormalizedNchw(hwc, 5, 2, [0, 0, 0], [1, 1, 1])).toThrow(/5×5×3 = 75/);
  });

  it('measures agreement relative to the largest reference logit', () => {
    const a = agreement([0.1, -2.0, 0.5], [0.1, -2.002, 0.4995]);
    expect(a.top1).toEqual([2, 2]);
    expect(relativeError(a)).toBeCloseTo(0.002 / 2.002, 9);
  });
});

describe('bench profile', () => {
  it('names conv kernels by size and grouping from their tfjs input shapes', () => {
    // FD-MobileNet 0.5× unit 0 (pointwise 16→32), its depthwise, RegNetX-400MF's first 3×3 (groups 2).
    expect(
      opType({ name: 'FusedConv2D', inputShapes: [[1, 56, 56, 16], [1, 1, 16, 32], [32]] }),
    ).toBe('FusedConv2D 1×1');
    expect(
      opType({
        name: 'FusedDepthwiseConv2D',
        inputShapes: [
          [1, 112, 112, 16],
          [3, 3, 16, 1],
        ],
      }),
    ).toBe('FusedDepthwiseConv2D 3×3');
    expect(
      opType({
        name: 'FusedConv2D',
        inputShapes: [
          [1, 56, 56, 32],
          [3, 3, 16, 32],
        ],
      }),
    ).toBe('FusedConv2D 3×3 grouped');
    // webnets' own kernels (src/kernels/), same layouts: RegNetY-400MF stage 2's 3×3, groups 13.
    expect(
      opType({
        name: 'WebnetsGroupConv2D',
        inputShapes: [[1, 28, 28, 208], [3, 3, 16, 208], [208]],
      }),
    ).toBe('WebnetsGroupConv2D 3×3 grouped');
    expect(
      opType({
        name: 'WebnetsDepthwiseConv2D',
        inputShapes: [
          [1, 14, 14, 96],
          [5, 5, 96, 1],
        ],
      }),
    ).toBe('WebnetsDepthwiseConv2D 5×5');
    expect(opType({ name: 'Mean', inputShapes: [[1, 7, 7, 512]] })).toBe('Mean');
  });

  it('takes the per-op median over profiled runs, costliest first, op scopes not counted twice', () => {
    const k = (name: string, ms: number) => ({
      name,
      inputShapes: [[1, 7, 7, 8]],
      kernelTimeMs: ms,
    });
    // The network's stem conv: kernels before it are predict's preprocessing.
    const stem = (ms: number) => ({
      name: 'FusedConv2D',
      inputShapes: [
        [1, 224, 224, 3],
        [3, 3, 3, 16],
      ],
      kernelTimeMs: ms,
    });
    const ops = opTimes([
      [k('Slice', 3), stem(1), k('Sigmoid', 1), k('Mul', 2), k('Mul', 2), k('fusedConv2d__op', 9)],
      [k('Slice', 3), stem(1), k('Sigmoid', 3), k('Mul', 1), k('Mul', 1)],
      [k('Slice', 2), stem(1), k('Sigmoid', 2), k('Mul', 5), k('Mul', 5)],
    ]);
    expect(ops).toEqual([
      { op: 'Mul', ms: 4, calls: 2 },
      { op: 'preprocess: Slice', ms: 3, calls: 1 },
      { op: 'Sigmoid', ms: 2, calls: 1 },
      { op: 'FusedConv2D 3×3', ms: 1, calls: 1 },
    ]);
  });
});

describe('bench tables', () => {
  it('right-aligns numeric columns and left-aligns text', () => {
    const table = formatTable(
      ['model', 'ORT ms med / p95', 'ratio'],
      [
        ['efficientnet-b0', '174 / 202', 'n/a'],
        ['fd-mobilenet-0.5x', '9.43 / 18.7', '0.48'],
      ],
    );
    expect(table.split('\n')).toEqual([
      'model              ORT ms med / p95  ratio',
      '-----------------  ----------------  -----',
      'efficientnet-b0           174 / 202    n/a',
      'fd-mobilenet-0.5x       9.43 / 18.7   0.48',
    ]);
    expect(['1.32×', '3.1e-6', 'n/a / 842'].every(isNumeric)).toBe(true);
    expect(['wasm1', 'yes', ''].some(isNumeric)).toBe(false);
  });
});
