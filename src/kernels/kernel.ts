/**
 * What a webnets kernel is, and the checks kernels share. Each kernel lives in a folder of
 * its own (group-conv2d/, depthwise-conv2d/, …) holding its name, inputs and attributes,
 * the checks that throw before any output is allocated, the typed call, its WASM
 * implementation (and WGSL where it has one) and its C source. index.ts registers them.
 * Tensors are float32 unless a kernel says otherwise; activations are NHWC.
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';

export type KernelActivation = 'linear' | 'relu' | 'silu';

/**
 * The activation codes the C kernels take (ACT_* in wasm/simd.h). The module exports its
 * own (activation_linear, …): setup checks them against this table (wasm/module.ts).
 */
export const ACTIVATION_CODES: Record<KernelActivation, number> = { linear: 0, relu: 1, silu: 2 };

export interface TensorLike {
  shape: readonly number[];
  dtype: string;
}

/** What tfjs hands a kernel implementation. */
export interface KernelArgs {
  inputs: Record<string, TensorInfo | undefined>;
  backend: unknown;
  attrs?: Record<string, unknown>;
}

/** One output, or several (a kernel that writes two maps in one dispatch). */
export type KernelImpl = (args: KernelArgs) => TensorInfo | TensorInfo[];

/** A kernel: its name and an implementation per tfjs backend that has one. */
export interface KernelDefinition<N extends string = string> {
  name: N;
  backends: Partial<Record<'wasm' | 'webgpu', KernelImpl>>;
}

export function describe(t: TensorLike): string {
  return `[${t.shape.join(', ')}] ${t.dtype}`;
}

export function expectFloat(
  kernel: string,
  name: string,
  t: TensorLike | undefined,
  rank?: number,
): TensorLike {
  if (t === undefined) throw new Error(`${kernel}: input '${name}' is missing`);
  if (t.dtype !== 'float32')
    throw new Error(`${kernel}: '${name}' must be float32, got ${describe(t)}`);
  if (rank !== undefined && t.shape.length !== rank) {
    throw new Error(`${kernel}: '${name}' must have rank ${rank}, got ${describe(t)}`);
  }
  return t;
}

export function activationCode(kernel: string, attr: string, value: unknown): number {
  const code = ACTIVATION_CODES[value as KernelActivation];
  if (typeof value !== 'string' || code === undefined) {
    const known = Object.keys(ACTIVATION_CODES).join(', ');
    throw new Error(`${kernel}: attr '${attr}' must be one of ${known}, got ${String(value)}`);
  }
  return code;
}

export function positiveInt(kernel: string, attr: string, value: unknown, min = 1): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new Error(`${kernel}: attr '${attr}' must be an integer >= ${min}, got ${String(value)}`);
  }
  return value;
}

/**
 * The `threads` attr of the kernels a pool can split (default 1): at most this many
 * threads share one call. A network sets it on every call, from its kernel configuration.
 */
export function threadsAttr(kernel: string, value: unknown): number {
  return value === undefined ? 1 : positiveInt(kernel, 'threads', value);
}

/** The inputs and attrs every conv kernel has, checked in this order. */
export function convCall(
  kernel: string,
  inputs: { x?: TensorLike; filter?: TensorLike; bias?: TensorLike },
  attrs: { strides?: unknown; pad?: unknown; activation?: unknown; threads?: unknown },
) {
  return {
    x: expectFloat(kernel, 'x', inputs.x, 4),
    filter: expectFloat(kernel, 'filter', inputs.filter, 4),
    bias: expectFloat(kernel, 'bias', inputs.bias, 1),
    stride: positiveInt(kernel, 'strides', attrs.strides),
    pad: positiveInt(kernel, 'pad', attrs.pad, 0),
    activation: activationCode(kernel, 'activation', attrs.activation),
    threads: threadsAttr(kernel, attrs.threads),
  };
}

/** Output height and width of a k×k conv (symmetric pad), or a thrown Error when empty. */
export function outputSize(
  kernel: string,
  x: TensorLike,
  k: number,
  stride: number,
  pad: number,
): [number, number] {
  const [, height = 0, width = 0] = x.shape;
  const outHeight = Math.floor((height + 2 * pad - k) / stride) + 1;
  const outWidth = Math.floor((width + 2 * pad - k) / stride) + 1;
  if (outHeight < 1 || outWidth < 1 || pad >= k) {
    throw new Error(
      `${kernel}: x ${describe(x)} is too small for a ${k}×${k} filter with pad ${pad} (pad must be < k)`,
    );
  }
  return [outHeight, outWidth];
}

/** Checks that a and b have one shape (no broadcasting) and are float32; their element count. */
export function sameShape(
  kernel: string,
  a: TensorLike | undefined,
  b: TensorLike | undefined,
): number {
  const ta = expectFloat(kernel, 'a', a);
  const tb = expectFloat(kernel, 'b', b);
  if (ta.shape.join() !== tb.shape.join()) {
    throw new Error(
      `${kernel}: 'a' ${describe(ta)} and 'b' ${describe(tb)} must have the same shape`,
    );
  }
  return ta.shape.reduce((n, d) => n * d, 1);
}

/** Pixels for the input kernels: [1, H, W, 3] float32 / int32, or [1, H, W, 1] packed RGBA. */
export function pixelLayout(
  kernel: string,
  x: TensorLike | undefined,
  allowed: readonly ('rgb' | 'rgba8')[],
): { height: number; width: number; layout: 'rgb' | 'rgba8' } {
  if (x === undefined) throw new Error(`${kernel}: input 'x' is missing`);
  const [batch, height, width, channels] = x.shape;
  const rgba = x.shape.length === 4 && batch === 1 && channels === 1 && x.dtype === 'int32';
  const rgb =
    x.shape.length === 4 &&
    batch === 1 &&
    channels === 3 &&
    (x.dtype === 'float32' || x.dtype === 'int32');
  const layout = rgba ? 'rgba8' : 'rgb';
  if ((!rgba && !rgb) || !allowed.includes(layout)) {
    const expected = allowed
      .map((l) =>
        l === 'rgb' ? '[1, H, W, 3] float32 or int32' : '[1, H, W, 1] int32 (packed RGBA bytes)',
      )
      .join(', or ');
    throw new Error(`${kernel}: 'x' must be ${expected}, got ${describe(x)}`);
  }
  return { height: height as number, width: width as number, layout };
}
