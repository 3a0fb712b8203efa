/**
 * Pillow's resampling of 8-bit images, as torchvision's Resize runs it on a PIL image
 * (`img.resize(size, BILINEAR | BICUBIC)`, no `reducing_gap`: Pillow's ImagingResample in
 * src/libImaging/Resample.c). Each axis is a separable filter whose support grows with the
 * shrink factor (an antialiased triangle or a = −0.5 cubic), with coefficients computed in
 * double, normalized to sum 1, then fixed point with PRECISION_BITS = 22. The horizontal
 * pass runs first and its result is rounded and clipped to 8 bits; the vertical pass reads
 * those bytes and is rounded and clipped again.
 *
 * Only the pixels a crop keeps are computed: an output pixel depends on its own row and
 * column coefficients alone, so the crop of the full resize is bit-identical to this.
 *
 * `pillowTaps` is the one coefficient computation (the WASM kernel receives its output);
 * `resampleCrop` is the reference implementation of the two passes, which the CPU path runs
 * and resize_crop_normalize.c reproduces byte for byte.
 */

export type ResampleFilter = 'bilinear' | 'bicubic';

/** Pillow's fixed-point precision for 8-bit images: 32 − 8 − 2 (sign and overflow bits). */
export const PRECISION_BITS = 22;

/** Pillow's filters: support (at scale 1) and weight. */
const FILTERS: Record<ResampleFilter, { support: number; weight: (x: number) => number }> = {
  bilinear: {
    support: 1,
    weight: (x) => {
      const ax = Math.abs(x);
      return ax < 1 ? 1 - ax : 0;
    },
  },
  bicubic: {
    support: 2,
    weight: (x) => {
      const a = -0.5;
      const ax = Math.abs(x);
      if (ax < 1) return ((a + 2) * ax - (a + 3)) * ax * ax + 1;
      if (ax < 2) return (((ax - 5) * ax + 8) * ax - 4) * a;
      return 0;
    },
  },
};

export const RESAMPLE_FILTERS = Object.keys(FILTERS) as ResampleFilter[];

/**
 * One axis of the resampling, for output indices [from, from + n): each index reads
 * `count[i]` source pixels from `start[i]`, weighted by `coeffs[i·ksize …]` (fixed point).
 */
export interface Taps {
  ksize: number;
  start: Int32Array;
  count: Int32Array;
  coeffs: Int32Array;
}

/**
 * Pillow's precompute_coeffs + normalize_coeffs_8bpc for output indices [from, from + n) of
 * a resize of `inSize` pixels (or the source span [in0, in1), Pillow's box) to `outSize`.
 */
export function pillowTaps(
  inSize: number,
  outSize: number,
  filter: ResampleFilter,
  from = 0,
  n = outSize,
  in0 = 0,
  in1 = inSize,
): Taps {
  const { support: baseSupport, weight } = FILTERS[filter];
  // Pillow's box is float: (double)(in1 - in0) subtracts in single precision.
  const box0 = Math.fround(in0);
  const scale = Math.fround(Math.fround(in1) - box0) / outSize;
  const filterScale = Math.max(scale, 1);
  const support = baseSupport * filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const invFilterScale = 1 / filterScale;
  const start = new Int32Array(n);
  const count = new Int32Array(n);
  const coeffs = new Int32Array(n * ksize);
  const k = new Float64Array(ksize);
  for (let i = 0; i < n; i++) {
    const center = box0 + (from + i + 0.5) * scale;
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let sum = 0;
    for (let x = 0; x < xmax; x++) {
      k[x] = weight((x + xmin - center + 0.5) * invFilterScale);
      sum += k[x]!;
    }
    for (let x = 0; x < xmax; x++) {
      const w = sum !== 0 ? k[x]! / sum : k[x]!;
      const fixed = w * (1 << PRECISION_BITS);
      coeffs[i * ksize + x] = Math.trunc(w < 0 ? fixed - 0.5 : fixed + 0.5);
    }
    start[i] = xmin;
    count[i] = Math.max(xmax, 0);
  }
  return { ksize, start, count, coeffs };
}

/** Pillow's clip8: the fixed-point sum back to a byte. */
function clip8(acc: number): number {
  const v = acc >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** 8-bit pixels, `stride` bytes each (3: RGB, 4: RGBA, alpha ignored), row after row. */
export interface Bytes8 {
  data: ArrayLike<number>;
  width: number;
  height: number;
  stride: 3 | 4;
}

/**
 * The two passes over the pixels `rows` × `cols` select (from pillowTaps): RGB bytes,
 * rows.start.length × cols.start.length × 3.
 */
export function resampleCrop(src: Bytes8, rows: Taps, cols: Taps): Uint8Array {
  const n = rows.start.length;
  const m = cols.start.length;
  const half = 1 << (PRECISION_BITS - 1);
  const row0 = n > 0 ? rows.start[0]! : 0;
  const rowEnd = n > 0 ? rows.start[n - 1]! + rows.count[n - 1]! : 0;
  // Horizontal pass over the source rows the vertical taps read.
  const tmp = new Uint8Array((rowEnd - row0) * m * 3);
  const { data, width, stride } = src;
  for (let y = row0; y < rowEnd; y++) {
    const line = y * width * stride;
    const out = (y - row0) * m * 3;
    for (let j = 0; j < m; j++) {
      const xmin = cols.start[j]!;
      const k = j * cols.ksize;
      let r = half,
        g = half,
        b = half;
      for (let t = 0; t < cols.count[j]!; t++) {
        const p = line + (xmin + t) * stride;
        const w = cols.coeffs[k + t]!;
        r += data[p]! * w;
        g += data[p + 1]! * w;
        b += data[p + 2]! * w;
      }
      tmp[out + j * 3] = clip8(r);
      tmp[out + j * 3 + 1] = clip8(g);
      tmp[out + j * 3 + 2] = clip8(b);
    }
  }
  // Vertical pass.
  const y8 = new Uint8Array(n * m * 3);
  for (let i = 0; i < n; i++) {
    const ymin = rows.start[i]! - row0;
    const k = i * rows.ksize;
    for (let c = 0; c < m * 3; c++) {
      let acc = half;
      for (let t = 0; t < rows.count[i]!; t++) {
        acc += tmp[(ymin + t) * m * 3 + c]! * rows.coeffs[k + t]!;
      }
      y8[i * m * 3 + c] = clip8(acc);
    }
  }
  return y8;
}

/** y = v · scale[c] − shift[c] per channel, in float32 as the WASM kernel computes it. */
export function normalizeRgb(
  bytes: Uint8Array,
  scale: readonly [number, number, number],
  shift: readonly [number, number, number],
): Float32Array {
  const s = scale.map(Math.fround);
  const t = shift.map(Math.fround);
  const y = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const c = i % 3;
    y[i] = Math.fround(bytes[i]! * s[c]!) - t[c]!;
  }
  return y;
}
