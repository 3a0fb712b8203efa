/**
 * The network's input from pixels: Pillow's resize (bilinear or bicubic, antialiased when
 * shrinking, 8-bit per pass: pillow.ts), center crop and normalize, computing only the
 * cropped pixels. inputs: x [1, H, W, 3] (float32 or int32, 0–255), or x [1, H, W, 1] int32
 * whose every element holds one pixel's 4 bytes R, G, B, A (a canvas's ImageData as it is,
 * read through an Int32Array; alpha ignored). attrs: filter ('bilinear' | 'bicubic'),
 * resizedHeight, resizedWidth (the virtual resize), top, left (the crop's corner in it),
 * size, scale and shift (3 each: y = v · scale − shift), and optionally box [top, left,
 * bottom, right]: the source region resized (Pillow's box; default the whole image).
 * Output [1, size, size, 3] float32. WASM: resize_crop_normalize.c; WebGPU: webgpu.ts, one
 * dispatch; every other backend: `resizeCropNormalizeBytes` on the pixels' bytes, the same
 * result bit for bit.
 */
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { tf } from '../../tf';
import type { KernelArgs, KernelDefinition, TensorLike } from '../kernel';
import { pixelLayout, positiveInt } from '../kernel';
import type { WasmBackendLike } from '../wasm/module';
import { kernelsOf, memoryOf, offsetOf } from '../wasm/module';
import {
  normalizeRgb,
  pillowTaps,
  PRECISION_BITS,
  resampleCrop,
  RESAMPLE_FILTERS,
  type Bytes8,
  type ResampleFilter,
  type Taps,
} from './pillow';
import { runResizeCropNormalizeProgram } from './webgpu';

export * from './pillow';

export const RESIZE_CROP_NORMALIZE = 'WebnetsResizeCropNormalize';

export interface ResizeCropNormalizeAttrs {
  filter: ResampleFilter;
  resizedHeight: number;
  resizedWidth: number;
  top: number;
  left: number;
  size: number;
  scale: readonly [number, number, number];
  shift: readonly [number, number, number];
  /** The source region resized, [top, left, bottom, right] in pixels (default: all of it). */
  box?: readonly [number, number, number, number];
}

type CheckedAttrs = Required<ResizeCropNormalizeAttrs>;

/** The attrs checked against an image of height × width. */
export function checkResizeCrop(
  height: number,
  width: number,
  attrs: Partial<Record<keyof ResizeCropNormalizeAttrs, unknown>>,
): CheckedAttrs {
  const K = RESIZE_CROP_NORMALIZE;
  const int = (name: keyof ResizeCropNormalizeAttrs, min: number): number =>
    positiveInt(K, name, attrs[name], min);
  if (!RESAMPLE_FILTERS.includes(attrs.filter as ResampleFilter)) {
    throw new Error(
      `${K}: attr 'filter' must be one of ${RESAMPLE_FILTERS.join(', ')}, got ${String(attrs.filter)}`,
    );
  }
  const g = {
    resizedHeight: int('resizedHeight', 1),
    resizedWidth: int('resizedWidth', 1),
    top: int('top', 0),
    left: int('left', 0),
    size: int('size', 1),
  };
  if (g.top + g.size > g.resizedHeight || g.left + g.size > g.resizedWidth) {
    throw new Error(
      `${K}: the ${g.size}² crop at (${g.top}, ${g.left}) leaves the ` +
        `${g.resizedHeight}×${g.resizedWidth} resized image`,
    );
  }
  const numbers = (name: 'scale' | 'shift' | 'box', n: number): number[] => {
    const v = attrs[name];
    if (
      !Array.isArray(v) ||
      v.length !== n ||
      v.some((x) => typeof x !== 'number' || !isFinite(x))
    ) {
      throw new Error(`${K}: attr '${name}' must be ${n} finite numbers, got ${JSON.stringify(v)}`);
    }
    return v as number[];
  };
  const box = attrs.box === undefined ? [0, 0, height, width] : numbers('box', 4);
  const [y0, x0, y1, x1] = box as [number, number, number, number];
  if (!(y0 >= 0 && x0 >= 0 && y1 <= height && x1 <= width && y1 > y0 && x1 > x0)) {
    throw new Error(
      `${K}: attr 'box' [${box.join(', ')}] must be [top, left, bottom, right] inside the ` +
        `${height}×${width} image, bottom > top and right > left`,
    );
  }
  return {
    filter: attrs.filter as ResampleFilter,
    ...g,
    scale: numbers('scale', 3) as [number, number, number],
    shift: numbers('shift', 3) as [number, number, number],
    box: [y0, x0, y1, x1],
  };
}

/** The last crops' taps: a camera's frames all have one geometry. */
const recentTaps = new Map<string, { rows: Taps; cols: Taps }>();

/** The row and column taps of the crop. */
export function cropTaps(
  height: number,
  width: number,
  a: CheckedAttrs,
): { rows: Taps; cols: Taps } {
  const [y0, x0, y1, x1] = a.box;
  const key = [height, width, a.filter, a.resizedHeight, a.resizedWidth, a.top, a.left, a.size]
    .concat(a.box)
    .join();
  let taps = recentTaps.get(key);
  if (!taps) {
    taps = {
      rows: pillowTaps(height, a.resizedHeight, a.filter, a.top, a.size, y0, y1),
      cols: pillowTaps(width, a.resizedWidth, a.filter, a.left, a.size, x0, x1),
    };
    if (recentTaps.size >= 8) recentTaps.delete(recentTaps.keys().next().value!);
    recentTaps.set(key, taps);
  }
  return taps;
}

/**
 * The call's sizes, checked: x is [1, H, W, 3] float32 or int32, or [1, H, W, 1] int32 of
 * packed RGBA bytes; the crop lies inside the virtual resized image, the box inside the
 * image, scale and shift are 3 finite numbers each.
 */
export function resizeCropGeometry(
  inputs: Record<string, TensorLike | undefined>,
  attrs: Partial<Record<keyof ResizeCropNormalizeAttrs, unknown>>,
): CheckedAttrs & { height: number; width: number; layout: 'rgb' | 'rgba8' } {
  const { height, width, layout } = pixelLayout(RESIZE_CROP_NORMALIZE, inputs.x, ['rgb', 'rgba8']);
  return { height, width, layout, ...checkResizeCrop(height, width, attrs) };
}

/** The whole operation on 8-bit pixels in JavaScript: [size, size, 3] float32, row-major. */
export function resizeCropNormalizeBytes(
  src: Bytes8,
  attrs: ResizeCropNormalizeAttrs,
): Float32Array {
  const a = checkResizeCrop(src.height, src.width, attrs);
  const { rows, cols } = cropTaps(src.height, src.width, a);
  return normalizeRgb(resampleCrop(src, rows, cols), a.scale, a.shift);
}

/**
 * Pixels [1, H, W, 3] (0–255), or [1, H, W, 1] int32 of packed RGBA bytes → the normalized
 * [1, size, size, 3] crop of their resize.
 */
export function resizeCropNormalize(x: tf.Tensor4D, attrs: ResizeCropNormalizeAttrs): tf.Tensor4D {
  return tf.engine().runKernel(RESIZE_CROP_NORMALIZE, { x }, { ...attrs });
}

/**
 * The taps without the zero weights at either end of each window (Pillow's windows span the
 * filter's support, and fixed point rounds its edges' small weights to 0): the same sums,
 * fewer terms; an unscaled axis becomes one weight of 1.0 per index.
 */
export function trimTaps(t: Taps): Taps {
  const { ksize } = t;
  const start = Int32Array.from(t.start);
  const count = Int32Array.from(t.count);
  const coeffs = new Int32Array(t.coeffs.length);
  for (let i = 0; i < start.length; i++) {
    const k = i * ksize;
    let a = 0;
    let b = count[i]!;
    while (a < b && t.coeffs[k + a] === 0) a++;
    while (b > a && t.coeffs[k + b - 1] === 0) b--;
    start[i] = t.start[i]! + a;
    count[i] = b - a;
    coeffs.set(t.coeffs.subarray(k + a, k + b), k);
  }
  return { ksize, start, count, coeffs };
}

/** Whether the taps copy: index i reads source index start[0] + i alone, at weight 1.0. */
export function isIdentity(t: Taps): boolean {
  return t.start.every(
    (s, i) =>
      s === t.start[0]! + i && t.count[i] === 1 && t.coeffs[i * t.ksize] === 1 << PRECISION_BITS,
  );
}

/** One axis's taps as the C kernel reads them (trimmed), and what it needs to know of them. */
interface KernelTaps {
  /** start, count, coeffs one after the other. */
  packed: Int32Array;
  ksize: number;
  identity: boolean;
  /** The source indices [first, end) the taps read. */
  first: number;
  end: number;
}

/** The kernel's taps of cropTaps' (cached: a camera's frames all have one geometry). */
const kernelTapsOf = new WeakMap<Taps, KernelTaps>();

function kernelTaps(taps: Taps): KernelTaps {
  let k = kernelTapsOf.get(taps);
  if (!k) {
    const t = trimTaps(taps);
    const n = t.start.length;
    const packed = new Int32Array(2 * n + t.coeffs.length);
    packed.set(t.start);
    packed.set(t.count, n);
    packed.set(t.coeffs, 2 * n);
    const ends = t.start.map((s, i) => s + t.count[i]!);
    k = {
      packed,
      ksize: t.ksize,
      identity: isIdentity(t),
      first: Math.min(...t.start),
      end: Math.max(...ends),
    };
    kernelTapsOf.set(taps, k);
  }
  return k;
}

/** Bytes a scratch row of `pixels` RGB pixels takes: room for the kernel's 16-byte reach past its end. */
const scratchRow = (pixels: number): number => 16 * Math.ceil((3 * pixels + 16) / 16);

function wasmResizeCropNormalize({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const b = backend as WasmBackendLike;
  const g = resizeCropGeometry(inputs, attrs ?? {});
  const x = inputs.x as TensorInfo;
  const { exports } = kernelsOf(b);
  const taps = cropTaps(g.height, g.width, g);
  const rows = kernelTaps(taps.rows);
  const cols = kernelTaps(taps.cols);
  const row0 = rows.first;
  const sourceRows = rows.end - rows.first;
  const stride = scratchRow(g.size);
  const out = b.makeOutput([1, g.size, g.size, 3], 'float32');
  const tapBytes = 4 * (rows.packed.length + cols.packed.length);
  const at = b.wasm._malloc(tapBytes + sourceRows * stride + scratchRow(cols.end - cols.first));
  try {
    const heap = new Int32Array(memoryOf(b).buffer, at, rows.packed.length + cols.packed.length);
    heap.set(rows.packed);
    heap.set(cols.packed, rows.packed.length);
    const colAt = at + 4 * rows.packed.length;
    const tmp = at + tapBytes;
    const bytes = tmp + sourceRows * stride;
    const horizontal =
      g.layout === 'rgba8'
        ? exports.pillow_columns_rgba8
        : x.dtype === 'int32'
          ? exports.pillow_columns_i32
          : exports.pillow_columns_f32;
    horizontal(
      ...[offsetOf(b, x), g.width, row0, sourceRows, colAt, g.size, cols.ksize],
      ...[cols.identity ? 1 : 0, tmp, stride, bytes],
    );
    exports.pillow_rows_normalize(
      ...[tmp, stride, g.size, row0, at, g.size, rows.ksize, offsetOf(b, out)],
      ...[...g.scale, ...g.shift],
    );
  } finally {
    b.wasm._free(at);
  }
  return out;
}

function webgpuResizeCropNormalize({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const g = resizeCropGeometry(inputs, attrs ?? {});
  const x = inputs.x as TensorInfo;
  const encoding = g.layout === 'rgba8' ? 'rgba8' : x.dtype === 'int32' ? 'int32' : 'float32';
  const key = [g.height, g.width, g.filter, g.resizedHeight, g.resizedWidth, g.top, g.left]
    .concat(g.size, g.box, g.scale, g.shift)
    .join();
  return runResizeCropNormalizeProgram(backend as WebGPUBackend, x, encoding, g.size, key, () => ({
    ...cropTaps(g.height, g.width, g),
    scale: g.scale,
    shift: g.shift,
  }));
}

export const resizeCropNormalizeKernel: KernelDefinition<typeof RESIZE_CROP_NORMALIZE> = {
  name: RESIZE_CROP_NORMALIZE,
  backends: { wasm: wasmResizeCropNormalize, webgpu: webgpuResizeCropNormalize },
};
