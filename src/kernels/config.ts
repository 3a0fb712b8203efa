/**
 * Which implementation runs each op, decided once per network from what its backend offers:
 * the counterpart of XNNPACK's src/configs/ (one micro-kernel per shape class, selected at
 * init). Every threshold that picks a kernel or splits one over threads is here, with the
 * rules that use it, as data: ordered rules, the first that applies wins, each with why.
 * src/models/ops.ts prepares an op from `selectConv` & co.; the WASM kernels read the
 * thresholds of their own splitting; backend/threads.ts the thread policy's.
 */
import type { KernelKey } from '.';
import { chainFits, chainTile } from './chained-conv2d/webgpu';
import { MAX_TILE_FLOATS } from './separable-conv2d/webgpu';
import { MAX_SQUEEZED } from './squeeze-excite-gates/webgpu';

import type { WeightPrecision } from './half';

/** What a backend offers webnets, read once when a network is built (kernelConfig in index.ts). */
export interface KernelConfig {
  /** The tfjs backend: 'wasm', 'webgpu' or 'cpu'. */
  backend: string;
  /** Which of webnets' kernels it has registered. */
  kernels: Readonly<Record<KernelKey, boolean>>;
  /** Threads of tfjs' XNNPACK pool (wasm; fixed when the backend started). */
  xnnpackThreads: number;
  /** Threads of webnets' kernel pool: the caller and its started workers (wasm). */
  poolThreads: number;
  /**
   * Threads this network's kernels split a call over (1: the calling thread alone): the
   * network's own thread setting, passed to each kernel call as its `threads` attr.
   */
  threads: number;
  /**
   * How the network's weights are stored on the GPU (half.ts): 'float16' only on a WebGPU
   * device with shader-f16, for a network loaded with `precision: 'float16'` (absent: 'float32').
   */
  precision?: WeightPrecision;
}

/** Activations as the specs name them (src/models/spec.ts). */
type Activation = 'linear' | 'relu' | 'silu' | 'sigmoid';

/**
 * The numbers the rules below and the WASM kernels' splitting decide on. A figure here is
 * the reason for its threshold, with its date; the full measurements are in
 * bench/RESULTS.md.
 */
export const THRESHOLDS = {
  /**
   * 1×1 dense convs (and the classifier) with at least this many inputs run on a packed
   * weight on WASM (group-conv2d/ packDenseFilter): packed against in place, per conv,
   * 1.02× at 64 inputs and up to 1.46× at 256, but 0.87–0.91× at 16–32 (2026-11-23).
   */
  packedDenseMinInputs: 64,
  /**
   * Without webnets' grouped conv, group widths up to this run as one depthwise conv + group
   * sum (the fastest stock form for RegNetX/Y-400MF, group widths 16 and 8); wider groups run one
   * conv per group, since the depthwise form's intermediate is group-width times the output
   * (232× at RegNetY-32GF: half a gigabyte for one layer) and its sum then dominates.
   */
  depthwiseGroupedMaxWidth: 16,
  /**
   * Slices per thread of a split kernel above its class's evenMaxWork (SPLITS): a thread
   * that finishes its own takes the others' leftovers, which evens out uneven progress.
   */
  slicesPerThread: 3,
  /**
   * The depthwise kernel pads its input into scratch first when the border pixels (outside
   * [pad, size − pad) in either axis, a slower per-tap loop each) are more than this share
   * of the output, as on EfficientNet's 28² and smaller maps.
   */
  depthwisePadBorderShare: 0.05,
  /**
   * With threads 'auto', a network under this many MACs keeps webnets' kernels on the
   * calling thread: its convs are too small for a split to repay waking and syncing the
   * workers. With 2 threads against 1, FD-MobileNet 0.5× (40 M MACs) ran 0.67–0.96×, the
   * 400 M MAC networks 1.35–1.73× (2026-11-24).
   */
  autoPooledMinMacs: 100_000_000,
  /**
   * With threads 'auto', webnets' kernel pool takes every core up to this many: beyond,
   * spinning workers would mostly fight the page and the browser for cores.
   */
  autoMaxThreads: 4,
} as const;

/**
 * JavaScript engines whose WebAssembly compilers want different kernel variants (where
 * measured: STEM_WEIGHT_LOADS), told apart by what the engine offers, not by the user
 * agent: only SpiderMonkey (Firefox) has the global `InternalError`.
 */
export type WasmEngine = 'spidermonkey' | 'other';

export function wasmEngine(global: object = globalThis): WasmEngine {
  return 'InternalError' in global ? 'spidermonkey' : 'other';
}

/**
 * How each engine's stems (3×3 dense convs on 3 channels) load their weight vectors in the
 * WASM conv kernel: at constant offsets in the load instruction ('offset', as every other
 * conv loads them on every engine) or as pointer sums ('sum'). The stems alone, both ways
 * alternated in one page (bench/RESULTS.md, 2026-12-05): JavaScriptCore 1.12× and V8 1.04×
 * faster at offsets, SpiderMonkey 1.33× faster with sums.
 */
export const STEM_WEIGHT_LOADS: Record<WasmEngine, 'offset' | 'sum'> = {
  spidermonkey: 'sum',
  other: 'offset',
};

/** Or'ed into the conv kernel's `layout` code: the 1×1 conv's weight is packed (group_conv2d.c). */
export const CONV_PACKED_WEIGHT = 4;

/** Or'ed into the conv kernel's `layout` code: the stems load their weights at offsets (group_conv2d.c). */
export const CONV_STEM_OFFSETS = 1;

/** The conv kernel's `layout` bits for this engine's stems. */
export function stemLayoutCode(engine: WasmEngine = wasmEngine()): number {
  return STEM_WEIGHT_LOADS[engine] === 'offset' ? CONV_STEM_OFFSETS : 0;
}

/** A rule: for shape class C on a backend, implementation I when `when` holds, and why. */
export interface Rule<C, I extends string> {
  impl: I;
  when: (c: C, config: KernelConfig) => boolean;
  why: string;
}

/** The first rule that applies; the last rule of every list always does. */
function pick<C, I extends string>(rules: readonly Rule<C, I>[], c: C, config: KernelConfig): I {
  const rule = rules.find((r) => r.when(c, config));
  if (rule === undefined)
    throw new Error('kernel config: no rule applies (a list lacks its default)');
  return rule.impl;
}

const always = (): boolean => true;

/** The backend is WebGPU and has webnets' `kernel` registered. */
const onWebgpuKernel = (config: KernelConfig, kernel: KernelKey): boolean =>
  config.backend === 'webgpu' && config.kernels[kernel];

/** The activations webnets' kernels fuse (sigmoid goes to tfjs, which fuses it). */
const kernelActivation = (act: Activation): boolean => act !== 'sigmoid';

/**
 * Dense convs go to webnets' kernel on WASM when it has at least as many threads as
 * XNNPACK's pool: thread for thread it beats XNNPACK on these shapes.
 */
function denseOnKernel(config: KernelConfig): boolean {
  return (
    config.backend === 'wasm' &&
    config.kernels.groupConv2d &&
    config.xnnpackThreads <= config.poolThreads
  );
}

/** A conv's shape class: what the choice of its implementation depends on. */
export interface ConvClass {
  kind: 'dense' | 'depthwise' | 'grouped';
  kernel: number;
  stride: number;
  inChannels: number;
  /** Output channels, where a rule needs them (the fused separable conv's). */
  outChannels?: number;
  groups: number;
  act: Activation;
}

export type ConvImpl =
  /** webnets' conv kernel (grouped, dense or depthwise), the weight read in place */
  | 'kernel'
  /** webnets' conv kernel on a 1×1 weight packed into L1-sized panels */
  | 'kernel-packed'
  /** tfjs' fused conv or depthwise conv (+ SiLU after) */
  | 'stock'
  /** a depthwise conv whose channel multiplier is the group's width, then each group's sum */
  | 'stock-grouped-depthwise'
  /** one dense conv per group, concatenated */
  | 'stock-grouped-split';

export const CONV_RULES: readonly (Rule<ConvClass, ConvImpl> & { kind: ConvClass['kind'] })[] = [
  {
    kind: 'dense',
    impl: 'kernel-packed',
    when: (c, config) =>
      kernelActivation(c.act) &&
      denseOnKernel(config) &&
      c.kernel === 1 &&
      c.stride === 1 &&
      c.inChannels >= THRESHOLDS.packedDenseMinInputs,
    why: "a wide 1×1 conv's [Cin, Cout] rows, 2ⁿ floats apart, collide in a few cache sets; packed panels stay in L1",
  },
  {
    kind: 'dense',
    impl: 'kernel',
    when: (c, config) => kernelActivation(c.act) && denseOnKernel(config),
    why: "thread for thread, webnets' conv beats XNNPACK's on these shapes",
  },
  {
    kind: 'dense',
    impl: 'kernel',
    when: (c, config) => kernelActivation(c.act) && onWebgpuKernel(config, 'groupConv2d'),
    why: "on WebGPU webnets' conv takes bias, SiLU and the residual into the conv's dispatch (tfjs' adds one for the residual and two for SiLU) and squeeze-excitation's gates into its input read",
  },
  { kind: 'dense', impl: 'stock', when: always, why: "tfjs' convs (XNNPACK, WebGPU's tuned ones)" },
  {
    kind: 'depthwise',
    impl: 'kernel',
    when: (c, config) => kernelActivation(c.act) && config.kernels.depthwiseConv2d,
    why: "webnets' depthwise conv fuses SiLU and walks 3×3 rows in registers",
  },
  { kind: 'depthwise', impl: 'stock', when: always, why: "tfjs' fused depthwise conv" },
  {
    kind: 'grouped',
    impl: 'kernel',
    when: (c, config) => kernelActivation(c.act) && config.kernels.groupConv2d,
    why: 'tfjs-core has no grouped conv',
  },
  {
    kind: 'grouped',
    impl: 'stock-grouped-depthwise',
    when: (c) => c.inChannels / c.groups <= THRESHOLDS.depthwiseGroupedMaxWidth,
    why: 'the fastest stock composition for narrow groups',
  },
  {
    kind: 'grouped',
    impl: 'stock-grouped-split',
    when: always,
    why: "wide groups: the depthwise form's intermediate would be group-width times the output",
  },
];

export function selectConv(c: ConvClass, config: KernelConfig): ConvImpl {
  return pick(
    CONV_RULES.filter((r) => r.kind === c.kind),
    c,
    config,
  );
}

/**
 * A k×k depthwise conv and the 1×1 conv after it (FD-MobileNet's units): one fused kernel
 * where registered (WebGPU), which keeps the intermediate map in workgroup memory, up to the
 * channels that memory holds; else the two convs as chosen apart. Not after a grouped conv
 * (RegNetX's b → c): each workgroup then redoes the grouped conv's wider sums for its tile,
 * and on an NVIDIA H200 (Dawn, 2026-12-04) RegNetX-400MF ran 2.25× slower fused than as
 * two kernels (52 dispatches against 74), FD-MobileNet 0.5× 0.91× (15 against 26).
 */
export function selectSeparable(
  first: ConvClass,
  second: ConvClass,
  config: KernelConfig,
): 'kernel' | 'composed' {
  const fits =
    first.kind === 'depthwise' &&
    second.kind === 'dense' &&
    second.kernel === 1 &&
    second.stride === 1 &&
    second.inChannels <= MAX_TILE_FLOATS &&
    second.inChannels % 4 === 0 &&
    second.outChannels !== undefined &&
    second.outChannels % 4 === 0 &&
    kernelActivation(first.act) &&
    kernelActivation(second.act);
  return fits && onWebgpuKernel(config, 'separableConv2d') ? 'kernel' : 'composed';
}

/**
 * Squeeze-excitation and the conv after it: the gates in one dispatch and the conv reading
 * its input through them (WebGPU), where both kernels are registered and the conv runs on
 * webnets' kernel; else the excitation's own implementation, then the conv.
 */
export function selectExcitedConv(
  se: { reduceAct: Activation; squeezed: number },
  conv: ConvClass,
  config: KernelConfig,
): 'kernel' | 'composed' {
  const gates =
    onWebgpuKernel(config, 'squeezeExciteGates') &&
    (se.reduceAct === 'relu' || se.reduceAct === 'silu') &&
    se.squeezed <= MAX_SQUEEZED;
  return gates && selectConv(conv, config) === 'kernel' ? 'kernel' : 'composed';
}

/**
 * A residual block's last 1×1 conv and its projection shortcut (RegNet's c and shortcut):
 * one dispatch where webnets' kernel is registered (WebGPU), both are linear 1×1 dense convs
 * whose channels are multiples of 4 (the vec4 program's) and the output conv runs on the
 * kernel; else the projection as a conv of its own. The fused program runs as many
 * invocations as the output conv alone (4 pixels × 4 channels each), each summing the
 * shortcut's Cs inputs after its Cin: no parallelism lost, one dispatch and one map's
 * write and read fewer.
 */
export function selectProjectedConv(
  output: ConvClass,
  shortcut: ConvClass,
  config: KernelConfig,
): 'kernel' | 'composed' {
  const pointwise = (c: ConvClass): boolean =>
    c.kind === 'dense' &&
    c.kernel === 1 &&
    c.act === 'linear' &&
    c.inChannels % 4 === 0 &&
    c.outChannels !== undefined &&
    c.outChannels % 4 === 0;
  const fits =
    pointwise(output) &&
    output.stride === 1 &&
    pointwise(shortcut) &&
    shortcut.outChannels === output.outChannels;
  return fits &&
    onWebgpuKernel(config, 'projectedConv2d') &&
    selectConv(output, config) === 'kernel'
    ? 'kernel'
    : 'composed';
}

/**
 * A block's last 1×1 conv (with its residual, projection or gates) and the next block's
 * first 1×1 conv (RegNet's c and the next block's a): one dispatch with two outputs where
 * webnets' kernel is registered (WebGPU), both are 1×1 dense convs with channels in
 * multiples of 4, the output conv runs on webnets' kernel, and a workgroup (chainTile: 4
 * pixels × one thread per 4 channels of the wider conv, at least 64 threads) stays within
 * 256 threads (chainFits: channels up to 1024). Each thread computes 4 pixels × 4 channels
 * of each conv, as the pointwise program does: as many invocations as either conv alone,
 * one dispatch fewer; the next conv reads the tile's output back after a storage barrier,
 * as its own dispatch would have read it.
 */
export function selectChainedConv(
  output: ConvClass,
  next: ConvClass,
  config: KernelConfig,
): 'kernel' | 'composed' {
  const pointwise = (c: ConvClass): c is ConvClass & { outChannels: number } =>
    c.kind === 'dense' &&
    c.kernel === 1 &&
    c.stride === 1 &&
    kernelActivation(c.act) &&
    c.inChannels % 4 === 0 &&
    c.outChannels !== undefined &&
    c.outChannels % 4 === 0;
  const fits =
    pointwise(output) &&
    pointwise(next) &&
    next.inChannels === output.outChannels &&
    chainFits(chainTile(output.outChannels, next.outChannels));
  return fits && onWebgpuKernel(config, 'chainedConv2d') && selectConv(output, config) === 'kernel'
    ? 'kernel'
    : 'composed';
}

export type ElementwiseImpl = 'kernel' | 'stock';

/** SiLU: one pass on webnets' kernel, else sigmoid and mul. */
export function selectSilu(config: KernelConfig): ElementwiseImpl {
  return config.kernels.silu ? 'kernel' : 'stock';
}

/** act(a + b), a residual's sum: one pass on webnets' kernel for the activations it has. */
export function selectAddActivation(act: Activation, config: KernelConfig): ElementwiseImpl {
  return kernelActivation(act) && config.kernels.addActivation ? 'kernel' : 'stock';
}

/** Squeeze-excitation: webnets' kernel takes ReLU and SiLU as the reduce conv's activation. */
export function selectSqueezeExcite(reduceAct: Activation, config: KernelConfig): ElementwiseImpl {
  return config.kernels.squeezeExcite && (reduceAct === 'relu' || reduceAct === 'silu')
    ? 'kernel'
    : 'stock';
}

/**
 * The classifier: as a packed 1×1 conv where dense convs of that width are (its weight is
 * read once per inference from beyond the caches, which is all its time), else tfjs' matMul.
 */
export function selectLinear(inputs: number, config: KernelConfig): 'kernel-packed' | 'stock' {
  const asConv: ConvClass = {
    kind: 'dense',
    kernel: 1,
    stride: 1,
    inChannels: inputs,
    groups: 1,
    act: 'linear',
  };
  return selectConv(asConv, config) === 'kernel-packed' ? 'kernel-packed' : 'stock';
}

/**
 * A network's logits from its last feature map: the global pool and the classifier in one
 * dispatch where webnets' kernel is registered (WebGPU), else the pool, then the classifier
 * as selectLinear picks it.
 */
export function selectPooledLinear(config: KernelConfig): 'kernel' | 'composed' {
  return onWebgpuKernel(config, 'poolLinear') ? 'kernel' : 'composed';
}

/**
 * The network's input (Pillow's resize, crop, normalize): webnets' kernel where it is
 * registered (WASM; WebGPU, one dispatch from the uploaded pixels, no readback of a tensor
 * source), else the same computation in JavaScript on the pixels' bytes
 * (resize-crop-normalize/pillow.ts): tfjs has no resize that matches Pillow's.
 */
export function selectInput(config: KernelConfig): 'kernel' | 'javascript' {
  return config.kernels.resizeCropNormalize ? 'kernel' : 'javascript';
}

/**
 * How a kernel of one op class splits over the kernel pool's threads (wasm/pool.ts): below
 * `minWork` (MACs; elements for a squeeze-excitation pass) on the calling thread alone, a
 * split not repaying the threads' sync; up to `evenMaxWork`, one slice per thread (each
 * thread one claim on its own range, the join as soon as the slower half is done); above,
 * THRESHOLDS.slicesPerThread slices per thread, so a thread done early takes the others'
 * leftovers.
 */
export interface SplitRule {
  minWork: number;
  evenMaxWork: number;
}

/** The op classes of the WASM kernels that split over threads. */
export type SplitClass = 'pointwise' | 'conv' | 'depthwise' | 'squeezeExcite';

/** Split rules per op class, from 2 threads against 1 per layer (bench/RESULTS.md). */
export const SPLITS: Readonly<Record<SplitClass, SplitRule>> = {
  /** 1×1 convs (group-conv2d, one group). */
  pointwise: { minWork: 250_000, evenMaxWork: 2_000_000 },
  /** Grouped and full k×k convs (group-conv2d: RegNet's grouped 3×3s, the stems). */
  conv: { minWork: 250_000, evenMaxWork: 2_000_000 },
  depthwise: { minWork: 250_000, evenMaxWork: 2_000_000 },
  /**
   * A squeeze-excitation pass costs about one vector op per 4 elements, so a small one is
   * over before the worker has helped: passes of 33–113 k elements ran 0.82–0.96× as fast
   * split, 131 k 0.87–0.98× (Chromium 156, 2026-12-04).
   */
  squeezeExcite: { minWork: 150_000, evenMaxWork: 600_000 },
};

/** Into how many slices a kernel of `work` over `rows` rows is split on `threads` threads. */
export function slicesFor(work: number, rule: SplitRule, rows: number, threads: number): number {
  if (threads < 2 || work < rule.minWork) return 1;
  const perThread = work <= rule.evenMaxWork ? 1 : THRESHOLDS.slicesPerThread;
  return Math.min(perThread * threads, rows);
}
