/**
 * The tensor codec of packs: how `webnets convert` stores each tensor for a pack dtype,
 * and how the loader turns the stored bytes back into float32 (layouts: `PackEntry`).
 *
 * - float16 packs: every tensor IEEE half.
 * - int8 packs: conv and classifier weights as 8-bit codes with an affine (scale, offset)
 *   per OUTPUT CHANNEL, stored as float16 after the codes. Per-channel because batch-norm
 *   folding multiplies each output channel by γ/√(var+ε), so one tensor's channels differ
 *   in range by orders of magnitude; asymmetric (an offset, not just a scale) because
 *   folded depthwise filters are often one-signed, where symmetric codes waste a bit.
 *   Weights with fewer than `INT8_MIN_VALUES_PER_CHANNEL` values per output channel — the
 *   stem, depthwise convs, 1×1 convs on few channels, squeeze-excitation expands — stay
 *   float16: they are where 8 bits change the output most, and their per-channel affine
 *   (4 bytes a channel) leaves int8 little to save there. Biases are float16.
 *   (Measured per tensor and per layer kind by tools/quantization/report.ts; figures in
 *   tools/quantization/RESULTS.md.)
 */
import { HALF_MAX, floatToHalf, halfAtLeast, halfAtMost, halfTable, halfToFloat } from './float16';
import type { EntryDtype, PackDtype, PackEntry } from './pack';
import { entryByteLength, numel } from './pack';

export const INT8_MIN_VALUES_PER_CHANNEL = 64;

/** The output-channel axis of a runtime-layout weight ([k,k,I,O], [k,k,C,1] depthwise, [in,out]). */
export function channelAxis(shape: readonly number[]): number {
  const last = shape.length - 1;
  return shape[last] === 1 && last > 0 ? last - 1 : last;
}

/** How a tensor of this shape is stored in a pack of this dtype. */
export function entryDtypeFor(packDtype: PackDtype, shape: readonly number[]): EntryDtype {
  if (packDtype !== 'int8') return packDtype;
  if (shape.length < 2) return 'float16';
  const perChannel = numel(shape) / shape[channelAxis(shape)]!;
  return perChannel >= INT8_MIN_VALUES_PER_CHANNEL ? 'int8' : 'float16';
}

function bytesOf(array: Float32Array | Uint16Array | Uint8Array): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

function checkFinite(name: string, data: Float32Array, limit: number, dtype: string): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (!Number.isFinite(v)) {
      throw new Error(`tensor '${name}' holds ${v} at index ${i}: the checkpoint is not usable`);
    }
    if (Math.abs(v) > limit) {
      throw new Error(
        `tensor '${name}' holds ${v} at index ${i}, beyond ${dtype}'s range (±${limit}): convert with --dtype float32`,
      );
    }
  }
}

/** Visits every value with its output channel, in storage order. */
function channelOf(shape: readonly number[], axis: number): (i: number) => number {
  const channels = shape[axis]!;
  const inner = numel(shape.slice(axis + 1));
  return inner === 1 ? (i) => i % channels : (i) => Math.floor(i / inner) % channels;
}

function encodeInt8(shape: readonly number[], data: Float32Array, axis: number): Uint8Array {
  const channels = shape[axis]!;
  const channel = channelOf(shape, axis);
  const lo = new Float64Array(channels).fill(Infinity);
  const hi = new Float64Array(channels).fill(-Infinity);
  for (let i = 0; i < data.length; i++) {
    const c = channel(i);
    const v = data[i]!;
    if (v < lo[c]!) lo[c] = v;
    if (v > hi[c]!) hi[c] = v;
  }
  // The stored (half) offset is at most the channel's minimum and the stored scale at
  // least its range / 255, so every code is in 0…255 and off by at most half a step.
  const offsetBits = new Uint16Array(channels);
  const scaleBits = new Uint16Array(channels);
  const offset = new Float64Array(channels);
  const scale = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    if (lo[c] === Infinity) lo[c] = hi[c] = 0; // a channel with no values
    offsetBits[c] = halfAtMost(lo[c]!);
    offset[c] = halfToFloat(offsetBits[c]!);
    scaleBits[c] = halfAtLeast(Math.max((hi[c]! - offset[c]!) / 255, 2 ** -24));
    scale[c] = halfToFloat(scaleBits[c]!);
  }
  const out = new Uint8Array(data.length + 4 * channels);
  for (let i = 0; i < data.length; i++) {
    const c = channel(i);
    out[i] = Math.max(0, Math.min(255, Math.round((data[i]! - offset[c]!) / scale[c]!)));
  }
  const view = new DataView(out.buffer);
  for (let c = 0; c < channels; c++) {
    view.setUint16(data.length + 2 * c, scaleBits[c]!, true);
    view.setUint16(data.length + 2 * (channels + c), offsetBits[c]!, true);
  }
  return out;
}

/** Encodes one tensor for a pack of the given dtype: its manifest entry and its bytes. */
export function encodeTensor(
  name: string,
  shape: number[],
  data: Float32Array,
  packDtype: PackDtype,
): { entry: PackEntry; bytes: Uint8Array } {
  const dtype = entryDtypeFor(packDtype, shape);
  if (dtype === 'float32') {
    checkFinite(name, data, Infinity, dtype);
    return { entry: { name, shape, dtype }, bytes: bytesOf(new Float32Array(data)) };
  }
  checkFinite(name, data, HALF_MAX, 'float16');
  if (dtype === 'float16') {
    return { entry: { name, shape, dtype }, bytes: bytesOf(Uint16Array.from(data, floatToHalf)) };
  }
  const axis = channelAxis(shape);
  return {
    entry: { name, shape, dtype, channelAxis: axis },
    bytes: encodeInt8(shape, data, axis),
  };
}

/** The float32 values of one entry, from exactly `entryByteLength(entry)` bytes. */
export function decodeTensor(entry: PackEntry, bytes: Uint8Array): Float32Array {
  if (bytes.length !== entryByteLength(entry)) {
    throw new Error(
      `tensor '${entry.name}': ${bytes.length} bytes, its ${entry.dtype} [${entry.shape.join(', ')}] needs ${entryByteLength(entry)}`,
    );
  }
  const n = numel(entry.shape);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(n);
  switch (entry.dtype) {
    case 'float32':
      if (bytes.byteOffset % 4 === 0) out.set(new Float32Array(bytes.buffer, bytes.byteOffset, n));
      else for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
      return out;
    case 'float16': {
      const half = halfTable();
      for (let i = 0; i < n; i++) out[i] = half[view.getUint16(2 * i, true)]!;
      return out;
    }
    case 'int8': {
      const half = halfTable();
      const axis = entry.channelAxis;
      const channels = entry.shape[axis]!;
      const scale = new Float32Array(channels);
      const offset = new Float32Array(channels);
      for (let c = 0; c < channels; c++) {
        scale[c] = half[view.getUint16(n + 2 * c, true)]!;
        offset[c] = half[view.getUint16(n + 2 * (channels + c), true)]!;
      }
      const channel = channelOf(entry.shape, axis);
      for (let i = 0; i < n; i++) {
        const c = channel(i);
        out[i] = offset[c]! + scale[c]! * bytes[i]!;
      }
      return out;
    }
  }
}
