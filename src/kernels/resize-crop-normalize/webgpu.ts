/**
 * The network's input on WebGPU in one dispatch: Pillow's two resampling passes, the crop
 * and the normalization, from the uploaded pixels (packed RGBA bytes, or [H, W, 3] int32 /
 * float32 made bytes as Pillow holds them). One invocation per output pixel: for each
 * source row its vertical taps read, it runs the horizontal taps and rounds to 8 bits as
 * Pillow's first pass does, then sums those bytes through the vertical taps and rounds
 * again. Only i32 multiply-adds of Pillow's fixed-point coefficients, so the bytes are
 * Pillow's on any GPU; the byte → float normalization is a 256 × 3 table computed in
 * JavaScript (pillow.ts normalizeRgb), so no GPU's float contraction can move a bit.
 *
 * The coefficients and the table are one int32 tensor, made once per geometry (source
 * size, box, resize, crop, normalization) and kept on the GPU for the next frames.
 */
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { runSharedProgram } from '../shared-pipelines';
import { PRECISION_BITS, normalizeRgb, type Taps } from './pillow';

const WORKGROUP = 64;

/** How the pixels arrive: packed RGBA bytes, or RGB as int32 or float32. */
export type PixelEncoding = 'rgba8' | 'int32' | 'float32';

/** WGSL `fn pixel(i : i32) -> vec3<i32>`: pixel i's RGB bytes, made bytes as Pillow holds them. */
const PIXEL_WGSL: Record<PixelEncoding, string> = {
  rgba8: `fn pixel(i : i32) -> vec3<i32> {
      let v = x[i];
      return vec3<i32>(v & 255, (v >> 8u) & 255, (v >> 16u) & 255);
    }`,
  int32: `fn pixel(i : i32) -> vec3<i32> {
      let v = vec3<i32>(x[i * 3], x[i * 3 + 1], x[i * 3 + 2]);
      return clamp(v, vec3<i32>(0), vec3<i32>(255));
    }`,
  // round() is WGSL's nearest, ties to even, as a Uint8ClampedArray stores a float.
  float32: `fn pixel(i : i32) -> vec3<i32> {
      let v = round(vec3<f32>(x[i * 3], x[i * 3 + 1], x[i * 3 + 2]));
      return vec3<i32>(clamp(v, vec3<f32>(0.0), vec3<f32>(255.0)));
    }`,
};

class ResizeCropNormalizeProgram implements WebGPUProgram {
  variableNames = ['x', 'taps'];
  uniforms = 'colTaps : i32, table : i32, rowKsize : i32, colKsize : i32,';
  workgroupSize: [number, number, number] = [WORKGROUP, 1, 1];
  outputShape: number[];
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  shaderKey: string;

  constructor(
    size: number,
    readonly encoding: PixelEncoding,
  ) {
    this.outputShape = [1, size, size, 3];
    this.dispatchLayout = { x: [0, 1, 2, 3] };
    this.dispatch = [Math.ceil((size * size) / WORKGROUP), 1, 1];
    this.shaderKey = `webnets_resize_crop_normalize_${encoding}`;
  }

  getUserCode(): string {
    return `
      ${PIXEL_WGSL[this.encoding]}

      fn clip8(acc : vec3<i32>) -> vec3<i32> {
        return clamp(acc >> vec3<u32>(${PRECISION_BITS}u), vec3<i32>(0), vec3<i32>(255));
      }

      fn main(index : i32) {
        let S = uniforms.outShape[1];
        if (index >= S * S) { return; }
        let i = index / S;
        let j = index % S;
        let W = uniforms.xShape[2];
        let half = vec3<i32>(${1 << (PRECISION_BITS - 1)});
        let rowStart = taps[i];
        let rowCount = taps[S + i];
        let rowCoeffs = 2 * S + i * uniforms.rowKsize;
        let colStart = taps[uniforms.colTaps + j];
        let colCount = taps[uniforms.colTaps + S + j];
        let colCoeffs = uniforms.colTaps + 2 * S + j * uniforms.colKsize;
        var acc = half;
        for (var t = 0; t < rowCount; t++) {
          let line = (rowStart + t) * W + colStart;
          var h = half;
          for (var u = 0; u < colCount; u++) {
            h += pixel(line + u) * taps[colCoeffs + u];
          }
          acc += clip8(h) * taps[rowCoeffs + t];
        }
        let v = clip8(acc) * 3 + vec3<i32>(uniforms.table, uniforms.table + 1, uniforms.table + 2);
        result[index * 3] = bitcast<f32>(taps[v.x]);
        result[index * 3 + 1] = bitcast<f32>(taps[v.y]);
        result[index * 3 + 2] = bitcast<f32>(taps[v.z]);
      }
    `;
  }
}

/** The geometry and normalization the taps tensor holds. */
export interface TapsSource {
  rows: Taps;
  cols: Taps;
  scale: readonly [number, number, number];
  shift: readonly [number, number, number];
}

/**
 * One int32 array: row taps (start, count, coeffs), column taps (likewise), then the
 * normalization table [256, 3] as float32 bits; and where each part starts.
 */
export function packTapsTable(s: TapsSource): {
  data: Int32Array;
  colTaps: number;
  table: number;
} {
  const parts = [s.rows, s.cols].map((t) => [t.start, t.count, t.coeffs]);
  const colTaps = s.rows.start.length * 2 + s.rows.coeffs.length;
  const table = colTaps + s.cols.start.length * 2 + s.cols.coeffs.length;
  const data = new Int32Array(table + 256 * 3);
  let at = 0;
  for (const part of parts.flat()) {
    data.set(part, at);
    at += part.length;
  }
  const levels = Uint8Array.from({ length: 256 * 3 }, (_, i) => Math.floor(i / 3));
  data.set(new Int32Array(normalizeRgb(levels, s.scale, s.shift).buffer), table);
  return { data, colTaps, table };
}

interface CachedTaps {
  tensor: TensorInfo;
  /** The program's uniforms: where the column taps and the table start, each axis' ksize. */
  uniforms: { type: string; data: number[] }[];
}

/** Per backend instance, the last geometries' taps on the GPU (a camera's frames share one). */
const tapsOnGpu = new WeakMap<WebGPUBackend, Map<string, CachedTaps>>();
const KEPT_GEOMETRIES = 8;

function cachedTaps(backend: WebGPUBackend, key: string, source: () => TapsSource): CachedTaps {
  let cache = tapsOnGpu.get(backend);
  if (!cache) {
    cache = new Map();
    tapsOnGpu.set(backend, cache);
  }
  let entry = cache.get(key);
  if (!entry) {
    const s = source();
    const { data, colTaps, table } = packTapsTable(s);
    const tensor = backend.makeTensorInfo([data.length], 'int32', data);
    const uniforms = [colTaps, table, s.rows.ksize, s.cols.ksize].map((v) => ({
      type: 'int32',
      data: [v],
    }));
    entry = { tensor, uniforms };
    if (cache.size >= KEPT_GEOMETRIES) {
      const [oldest, dropped] = cache.entries().next().value!;
      cache.delete(oldest);
      backend.disposeData(dropped.tensor.dataId);
    }
    cache.set(key, entry);
  }
  return entry;
}

/**
 * Runs the program on checked pixels x ([1, H, W, 1] packed RGBA or [1, H, W, 3]); `key`
 * names the geometry and normalization `source` computes (made only for a new key).
 */
export function runResizeCropNormalizeProgram(
  backend: WebGPUBackend,
  x: TensorInfo,
  encoding: PixelEncoding,
  size: number,
  key: string,
  source: () => TapsSource,
): TensorInfo {
  const taps = cachedTaps(backend, key, source);
  const program = new ResizeCropNormalizeProgram(size, encoding);
  return runSharedProgram(backend, program, [x, taps.tensor], 'float32', taps.uniforms);
}
