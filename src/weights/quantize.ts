/**
 * Weight quantization for packs, in tfjs-core's manifest vocabulary.
 *
 * - float16: every tensor as IEEE half (`quantization: { dtype: 'float16' }`): half size.
 * - int8: conv and classifier weights as 8-bit codes with one affine (scale, min) PER
 *   OUTPUT CHANNEL; biases stay float32. Per-channel matters here: batch-norm folding
 *   multiplies each output channel by γ/√(var+ε), so one tensor's channels can differ in
 *   range by orders of magnitude and a single per-tensor scale would flatten the small
 *   ones to zero. The entry says `quantization: { dtype: 'uint8', scale: 1, min: 0 }`, so
 *   `tf.io.decodeWeights` yields the codes, and `perChannel` carries the affine that the
 *   loader applies on the backend after decoding (load.ts).
 */
import type { io } from '@tensorflow/tfjs-core';
import type { PackDtype } from './pack';

export interface PerChannelAffine {
  /** The channel axis of the tensor's shape. */
  axis: number;
  scale: number[];
  min: number[];
}

export type PackEntry = io.WeightsManifestEntry & { perChannel?: PerChannelAffine };

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float → IEEE half bits, round to nearest even (subnormals, overflow to ∞, NaN kept). */
export function floatToHalf(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const biased = (x >>> 23) & 0xff;
  const mantissa = x & 0x7fffff;
  if (biased === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const exp = biased - 127 + 15;
  if (exp >= 0x1f) return sign | 0x7c00;
  if (exp <= 0) {
    const shift = 14 - exp;
    if (shift > 24) return sign;
    const m = mantissa | 0x800000;
    let h = m >>> shift;
    const rest = m & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rest > half || (rest === half && h & 1)) h++;
    return sign | h;
  }
  let h = sign | (exp << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && h & 1)) h++;
  return h;
}

/** The output-channel axis of a runtime-layout weight ([k,k,I,O], [k,k,C,1] depthwise, [in,out]). */
export function channelAxis(shape: number[]): number {
  const last = shape.length - 1;
  return shape[last] === 1 && last > 0 ? last - 1 : last;
}

function bytesOf(array: Float32Array | Uint16Array | Uint8Array): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

function quantizePerChannel(
  shape: number[],
  data: Float32Array,
): { codes: Uint8Array; affine: PerChannelAffine } {
  const axis = channelAxis(shape);
  const channels = shape[axis]!;
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const channelOf = (i: number) => Math.floor(i / inner) % channels;
  const lo = new Array<number>(channels).fill(Infinity);
  const hi = new Array<number>(channels).fill(-Infinity);
  data.forEach((v, i) => {
    const c = channelOf(i);
    lo[c] = Math.min(lo[c]!, v);
    hi[c] = Math.max(hi[c]!, v);
  });
  const scale = lo.map((l, c) => (hi[c]! > l ? (hi[c]! - l) / 255 : 1));
  const min = lo.map((l) => (Number.isFinite(l) ? l : 0));
  const codes = new Uint8Array(data.length);
  data.forEach((v, i) => {
    const c = channelOf(i);
    codes[i] = Math.max(0, Math.min(255, Math.round((v - min[c]!) / scale[c]!)));
  });
  return { codes, affine: { axis, scale, min } };
}

/** Encodes one tensor for a pack of the given dtype: its manifest entry and its bytes. */
export function encodeTensor(
  name: string,
  shape: number[],
  data: Float32Array,
  dtype: PackDtype,
): { entry: PackEntry; bytes: Uint8Array } {
  const base = { name, shape, dtype: 'float32' as const };
  if (dtype === 'float16') {
    const halfs = Uint16Array.from(data, floatToHalf);
    return { entry: { ...base, quantization: { dtype: 'float16' } }, bytes: bytesOf(halfs) };
  }
  if (dtype === 'int8' && shape.length >= 2) {
    const { codes, affine } = quantizePerChannel(shape, data);
    return {
      entry: { ...base, quantization: { dtype: 'uint8', scale: 1, min: 0 }, perChannel: affine },
      bytes: codes,
    };
  }
  return { entry: base, bytes: bytesOf(new Float32Array(data)) };
}
