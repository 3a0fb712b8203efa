/**
 * The webnets WASM kernels' tfjs side: shape checks, output allocation and the call into
 * the kernels module (instance.ts), registered with tfjs' 'wasm' backend. Kernels run on
 * the calling thread; in tfjs' threaded build XNNPACK's thread pool is idle while they
 * run, as tfjs runs one op at a time, so the convs have their own workers (pool.ts).
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { tf } from '../../tf';
import type { SqueezeExciteAttrs } from '../names';
import {
  ACTIVATION_CODES,
  ADD_ACTIVATION,
  AREA_SHRINK_RGBA,
  DEPTHWISE_CONV2D,
  GROUP_CONV2D,
  RESIZE_CROP_NORMALIZE,
  SILU,
  SQUEEZE_EXCITE,
} from '../names';
import {
  activationCode,
  areaShrinkGeometry,
  depthwiseGeometry,
  groupConvGeometry,
  resizeCropGeometry,
  sameShape,
  squeezeExciteGeometry,
} from '../shapes';
import type { Kernels, WasmBackendLike, WasmKernelVariant, POOLED_EXPORTS } from './instance';
import { kernelsOf, kernelThreadsOf, kernelVariantOf, offsetOf, setUpKernels } from './instance';

export type { WasmKernelVariant } from './instance';

let registered = false;

/**
 * Sets the kernels up for the initialized 'wasm' backend and registers them (once).
 * Returns false, registering nothing, when this engine cannot run the module (no
 * WebAssembly SIMD, or no threads for a shared memory): callers keep the stock ops.
 * Call it again after re-creating the wasm backend (kernels find their module by the
 * backend instance they run on).
 */
export async function registerWasmKernels(threads = 1): Promise<boolean> {
  const backend = tf.findBackend('wasm') as unknown as WasmBackendLike | null;
  if (!backend) {
    throw new Error(
      'registerWasmKernels: the wasm backend is not initialized: await tf.setBackend("wasm") first',
    );
  }
  if (!(await setUpKernels(backend, threads))) return false;
  if (!registered) {
    for (const [kernelName, kernelFunc] of kernelFuncs) {
      tf.registerKernel({
        kernelName,
        backendName: 'wasm',
        kernelFunc: kernelFunc as tf.KernelFunc,
      });
    }
    registered = true;
  }
  return true;
}

/**
 * Whether the next convs on the 'wasm' backend are split over the kernels' workers (then
 * woken, ahead of an inference) or run on the calling thread alone. A model sets it before
 * each forward; without a pool it changes nothing.
 */
export function useWasmKernelThreads(on: boolean): void {
  const backend = tf.findBackend('wasm');
  if (!backend || kernelThreadsOf(backend) < 2) return;
  const kernels = kernelsOf(backend as unknown as WasmBackendLike);
  kernels.pooling = on;
  if (on) kernels.pool?.wake();
}

/** Threads webnets' WASM kernels run on (1 before registration or without a pool). */
export function wasmKernelThreads(): number {
  const backend = tf.findBackend('wasm');
  return backend ? kernelThreadsOf(backend) : 1;
}

/**
 * How many kernel calls on the 'wasm' backend were split over the kernels' workers so far
 * (0 without a pool): tells whether a model's kernels really ran on threads.
 */
export function wasmKernelSplitCalls(): number {
  const backend = tf.findBackend('wasm');
  if (!backend || kernelThreadsOf(backend) < 2) return 0;
  return kernelsOf(backend as unknown as WasmBackendLike).pool?.splitCalls ?? 0;
}

/** The kernels build running on the initialized 'wasm' backend, or null before registration. */
export function wasmKernelVariant(): WasmKernelVariant | null {
  const backend = tf.findBackend('wasm');
  return backend ? kernelVariantOf(backend) : null;
}

interface KernelArgs {
  inputs: Record<string, TensorInfo | undefined>;
  backend: unknown;
  attrs?: Record<string, unknown>;
}

/**
 * Below this many multiply-accumulates a conv runs on one thread. Measured with 20 ms
 * between inferences (workers asleep at the start, as in a camera loop), 2 threads vs 1:
 * at 1 M, EfficientNet-B0 1.6×, RegNetY-400MF 1.4×, FD-MobileNet 0.5× 1.0× (its convs are
 * small; at 200 k it was no better). Since slices have home ranges (pool.ts), a small
 * kernel left on one thread reads half its input from the other core's cache: B0's 14²
 * depthwise convs ran 0.7–0.9× of their one-thread time. At 250 k instead of 1 M (and SE
 * passes at 25 k elements instead of 100 k), same page, alternating, 80 rounds, two runs
 * (2026-11-24): B0 1.017–1.022×, RegNetY 1.00×, RegNetX 1.00×, FD-MobileNet at threads: 2
 * 0.90× and 1.10× (noise; 'auto' keeps it on one thread anyway); at 100 k no better.
 */
const MIN_POOLED_MACS = 250_000;

/**
 * Below this many elements a squeeze-excitation pass runs on one thread: a pass costs
 * about one vector op per 4 elements, a conv of MIN_POOLED_MACS about as long.
 */
const MIN_POOLED_ELEMENTS = 25_000;

/**
 * Into how many slices a kernel of `work` (MACs, or elements) over `rows` rows is split: 1
 * (the calling thread alone) without a pool, with pooling off, or under `minWork`; else a
 * few slices per thread (a thread that finishes its own takes the others' leftovers, which
 * evens out uneven progress), never more than rows.
 */
function slicesFor(
  kernels: Kernels,
  work: number,
  rows: number,
  minWork = MIN_POOLED_MACS,
): number {
  const pool = kernels.pool;
  if (pool === null || !kernels.pooling || pool.threads < 2 || work < minWork) return 1;
  return Math.min(3 * pool.threads, rows);
}

/**
 * Calls a sliceable export (its last arguments: part, parts) whole (`parts` 1), or split
 * into `parts` slices over the kernels' worker pool.
 */
function runSliced(
  kernels: Kernels,
  name: (typeof POOLED_EXPORTS)[number],
  args: number[],
  parts: number,
): void {
  const run = kernels.exports[name];
  if (parts === 1 || kernels.pool === null) {
    for (let part = 0; part < parts; part++) run(...args, part, parts);
    return;
  }
  kernels.pool.run(name, args, parts, (part, total) => run(...args, part, total));
}

function groupConv2d({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const b = backend as WasmBackendLike;
  const g = groupConvGeometry(inputs, attrs ?? {});
  const { x, filter, bias } = inputs as Record<'x' | 'filter' | 'bias', TensorInfo>;
  const kernels = kernelsOf(b);
  const out = b.makeOutput([g.batch, g.outHeight, g.outWidth, g.outChannels], 'float32');
  const residual = inputs.residual ? offsetOf(b, inputs.residual) : 0;
  const args = [
    ...[offsetOf(b, x), offsetOf(b, filter), offsetOf(b, bias), residual, offsetOf(b, out)],
    ...[g.batch, g.height, g.width, g.inChannels, g.outChannels],
    ...[g.kernel, g.stride, g.pad, g.groups, g.activation, kernels.table, g.packed ? 1 : 0],
  ];
  const [outPixels, tapMacs] = [g.batch * g.outHeight * g.outWidth, g.kernel * g.kernel];
  const macs = outPixels * g.outChannels * tapMacs * (g.inChannels / g.groups);
  runSliced(kernels, 'group_conv2d', args, slicesFor(kernels, macs, g.batch * g.outHeight));
  return out;
}

/**
 * Whether depthwise_conv2d takes its 3×3 row walk (pad 1, stride 1 or 2, whole channel
 * vectors, ReLU or linear; the rule in wasm/c/depthwise.c), which needs no padded copy.
 */
function walksRows(g: {
  kernel: number;
  pad: number;
  stride: number;
  channels: number;
  activation: number;
}): boolean {
  return (
    g.kernel === 3 &&
    g.pad === 1 &&
    g.stride <= 2 &&
    g.channels % 4 === 0 &&
    g.activation !== ACTIVATION_CODES.silu
  );
}

/**
 * Whether the depthwise kernel should pad the input into scratch first: when the border
 * pixels (outside [pad, size - pad) in either axis, a slower per-tap loop each) are more
 * than 5% of the output, as on EfficientNet's 28² and smaller maps.
 */
function padsInput(g: {
  kernel: number;
  pad: number;
  stride: number;
  channels: number;
  activation: number;
  outHeight: number;
  outWidth: number;
  height: number;
  width: number;
}): boolean {
  if (g.pad === 0 || walksRows(g)) return false;
  const inside = (size: number, out: number): number => {
    const lo = Math.ceil(g.pad / g.stride);
    const hi = Math.min(out, Math.floor((size - g.kernel + g.pad) / g.stride) + 1);
    return Math.max(0, hi - lo);
  };
  const interior = inside(g.height, g.outHeight) * inside(g.width, g.outWidth);
  return interior < 0.95 * g.outHeight * g.outWidth;
}

function depthwiseConv2d({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const b = backend as WasmBackendLike;
  const g = depthwiseGeometry(inputs, attrs ?? {});
  const { x, filter, bias } = inputs as Record<'x' | 'filter' | 'bias', TensorInfo>;
  const kernels = kernelsOf(b);
  const out = b.makeOutput([g.batch, g.outHeight, g.outWidth, g.channels], 'float32');
  const paddedFloats = g.batch * (g.height + 2 * g.pad) * (g.width + 2 * g.pad) * g.channels;
  const scratch = padsInput(g) ? b.wasm._malloc(4 * (paddedFloats + 4)) : 0;
  try {
    const xAt = offsetOf(b, x);
    if (scratch) {
      kernels.exports.depthwise_pad(xAt, scratch, g.batch, g.height, g.width, g.channels, g.pad);
    }
    const args = [
      ...[xAt, offsetOf(b, filter), offsetOf(b, bias), offsetOf(b, out), scratch],
      ...[g.batch, g.height, g.width, g.channels, g.kernel, g.stride, g.pad, g.activation],
      kernels.table,
    ];
    const macs = g.batch * g.outHeight * g.outWidth * g.channels * g.kernel * g.kernel;
    runSliced(kernels, 'depthwise_conv2d', args, slicesFor(kernels, macs, g.batch * g.outHeight));
  } finally {
    if (scratch) b.wasm._free(scratch);
  }
  return out;
}

function silu({ inputs, backend }: KernelArgs): TensorInfo {
  const b = backend as WasmBackendLike;
  const x = inputs.x;
  const n = sameShape(SILU, x, x);
  const kernels = kernelsOf(b);
  const out = b.makeOutput([...(x as TensorInfo).shape], 'float32');
  kernels.exports.silu(offsetOf(b, x as TensorInfo), offsetOf(b, out), n, kernels.table);
  return out;
}

function addActivation({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const b = backend as WasmBackendLike;
  const n = sameShape(ADD_ACTIVATION, inputs.a, inputs.b);
  const act = activationCode(ADD_ACTIVATION, 'activation', attrs?.activation);
  const { a, b: addend } = inputs as Record<'a' | 'b', TensorInfo>;
  const kernels = kernelsOf(b);
  const out = b.makeOutput([...a.shape], 'float32');
  kernels.exports.add_act(
    offsetOf(b, a),
    offsetOf(b, addend),
    offsetOf(b, out),
    n,
    act,
    kernels.table,
  );
  return out;
}

function squeezeExcite({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const b = backend as WasmBackendLike;
  const g = squeezeExciteGeometry(inputs, (attrs ?? {}) as Partial<SqueezeExciteAttrs>);
  const t = inputs as Record<
    'x' | 'reduceWeight' | 'reduceBias' | 'expandWeight' | 'expandBias',
    TensorInfo
  >;
  const kernels = kernelsOf(b);
  const out = b.makeOutput([...t.x.shape], 'float32');
  // Partial sums (a row per slice), gates and the hidden vector: see squeeze_excite.c.
  const { batch, pixels, channels } = g;
  const parts = slicesFor(kernels, batch * pixels * channels, batch * pixels, MIN_POOLED_ELEMENTS);
  const rowFloats = batch * ((channels + 3) & ~3);
  const block = b.wasm._malloc(4 * ((parts + 1) * rowFloats + ((g.squeezed + 3) & ~3)));
  try {
    const [x, y, partials] = [offsetOf(b, t.x), offsetOf(b, out), block];
    const [gates, hidden] = [
      partials + 4 * parts * rowFloats,
      partials + 4 * (parts + 1) * rowFloats,
    ];
    const sumArgs = [x, y, partials, batch, pixels, channels, g.inputActivation, kernels.table];
    runSliced(kernels, 'se_sums', sumArgs, parts);
    kernels.exports.se_gates(
      ...[partials, parts, offsetOf(b, t.reduceWeight), offsetOf(b, t.reduceBias)],
      ...[offsetOf(b, t.expandWeight), offsetOf(b, t.expandBias), gates, hidden],
      ...[batch, pixels, channels, g.squeezed, g.activation, kernels.table],
    );
    // With an input activation, y already holds act(x): scale it in place.
    const scaled = g.inputActivation === ACTIVATION_CODES.linear ? x : y;
    runSliced(kernels, 'se_scale', [scaled, gates, y, batch, pixels, channels], parts);
  } finally {
    b.wasm._free(block);
  }
  return out;
}

function resizeCropNormalize({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const b = backend as WasmBackendLike;
  const g = resizeCropGeometry(inputs, attrs ?? {});
  const x = inputs.x as TensorInfo;
  const kernels = kernelsOf(b);
  const out = b.makeOutput([1, g.size, g.size, 3], 'float32');
  const run =
    g.layout === 'rgba8'
      ? kernels.exports.resize_crop_normalize_rgba8
      : x.dtype === 'int32'
        ? kernels.exports.resize_crop_normalize_i32
        : kernels.exports.resize_crop_normalize_f32;
  run(
    ...[offsetOf(b, x), offsetOf(b, out), g.height, g.width, g.resizedHeight, g.resizedWidth],
    ...[g.top, g.left, g.size, ...g.scale, ...g.shift],
  );
  return out;
}

function areaShrinkRgba({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const b = backend as WasmBackendLike;
  const g = areaShrinkGeometry(inputs, attrs ?? {});
  const out = b.makeOutput([1, g.outHeight, g.outWidth, 3], 'float32');
  kernelsOf(b).exports.area_shrink_rgba8(
    ...[offsetOf(b, inputs.x as TensorInfo), offsetOf(b, out), g.imageWidth],
    ...[g.top, g.left, g.outHeight, g.outWidth, g.factor],
  );
  return out;
}

const kernelFuncs: [string, (args: KernelArgs) => TensorInfo][] = [
  [GROUP_CONV2D, groupConv2d],
  [DEPTHWISE_CONV2D, depthwiseConv2d],
  [SILU, silu],
  [ADD_ACTIVATION, addActivation],
  [SQUEEZE_EXCITE, squeezeExcite],
  [RESIZE_CROP_NORMALIZE, resizeCropNormalize],
  [AREA_SHRINK_RGBA, areaShrinkRgba],
];
