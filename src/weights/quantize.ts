/**
 * The tensor codec of packs: how `webnets convert` stores each tensor for a pack dtype,
 * and how the loader turns the stored bytes back into float32 (layouts: `PackEntry`).
 *
 * - float16 packs: every tensor IEEE half.
 * - int8 packs: conv and classifier weights as 8-bit codes with an affine (scale, offset)
 *   per OUTPUT CHANNEL, stored as float16 after the codes. Per-channel because batch-norm
 *   folding multiplies each output channel by γ/√(var+ε), so one tensor's channels differ
 *   in range by orders of magnitude; asymmetric (an offset, not just a scale) because
 *   folded depthwise filters are often one-signed. Each channel's codes are rounded so
 *   that they keep its sum (`roundKeepingSum`). Biases are float16; given the batch
 *   norms' statistics, the converter corrects them for the codes' mean error
 *   (bias-correction.ts). Some weights stay float16 (`storagePlan`): those whose 8-bit
 *   codes lose the largest share of their signal per byte that float16 costs more, each
 *   that still fits within `INT8_PACK_BUDGET` of the tensors' float32 bytes. From the
 *   weights alone, that picks small tensors with heavy-tailed channels (the stem, early
 *   1×1 convs, squeeze-excitation reduces, depthwise convs), where 8 bits change the
 *   output most for the bytes. Measured per tensor, per layer kind and per plan by
 *   tools/quantization/report.ts (figures in tools/quantization/RESULTS.md).
 */
import { HALF_MAX, floatToHalf, halfAtLeast, halfAtMost, halfTable, halfToFloat } from './float16';
import type { EntryDtype, PackDtype, PackEntry } from './pack';
import { entryByteLength, numel } from './pack';

/**
 * An int8 pack's tensors take at most this share of their float32 bytes, so that with
 * model.json the pack stays within 27% of the float32 pack.
 */
export const INT8_PACK_BUDGET = 0.265;

/** The output-channel axis of a runtime-layout weight ([k,k,I,O], [k,k,C,1] depthwise, [in,out]). */
export function channelAxis(shape: readonly number[]): number {
  const last = shape.length - 1;
  return shape[last] === 1 && last > 0 ? last - 1 : last;
}

/** Values per output channel of a weight. */
export function valuesPerChannel(shape: readonly number[]): number {
  return numel(shape) / shape[channelAxis(shape)]!;
}

const storedBytes = (shape: readonly number[], dtype: EntryDtype): number =>
  entryByteLength({ name: '', shape: [...shape], dtype, channelAxis: channelAxis(shape) });

/** A tensor the storage plan weighs: its runtime shape and, read when needed, its values. */
export interface PlannedTensor {
  shape: readonly number[];
  values: () => Float32Array;
}

/**
 * How each tensor of a pack is stored (in the order given). int8 packs: biases float16,
 * weights int8 except those whose codes lose most per extra byte of float16
 * (`int8Error` / the bytes float16 adds; ties: the earlier tensor), float16 in that
 * order, each that does not take the tensors past `budget` × their float32 bytes. Reads
 * each weight's values once, one at a time (none for float32 and float16 packs).
 */
export function storagePlan(
  packDtype: PackDtype,
  tensors: readonly PlannedTensor[],
  budget = INT8_PACK_BUDGET,
): EntryDtype[] {
  if (packDtype !== 'int8') return tensors.map(() => packDtype);
  const shapes = tensors.map((t) => t.shape);
  const plan: EntryDtype[] = shapes.map((shape) => (shape.length < 2 ? 'float16' : 'int8'));
  let bytes = shapes.reduce((n, shape, i) => n + storedBytes(shape, plan[i]!), 0);
  const limit = budget * shapes.reduce((n, shape) => n + 4 * numel(shape), 0);
  const extra = shapes.map((shape) => storedBytes(shape, 'float16') - storedBytes(shape, 'int8'));
  const lossPerByte = tensors.map((t, i) =>
    plan[i] === 'int8' ? int8Error(t.shape, t.values()) / extra[i]! : 0,
  );
  const candidates = shapes
    .map((shape, i) => i)
    .filter((i) => plan[i] === 'int8')
    .sort((a, b) => lossPerByte[b]! - lossPerByte[a]! || a - b);
  for (const i of candidates) {
    if (bytes + extra[i]! > limit) continue;
    plan[i] = 'float16';
    bytes += extra[i]!;
  }
  return plan;
}

/**
 * The share of a weight's signal its int8 codes lose: over its output channels, the mean
 * of ‖stored − exact‖² / ‖exact‖² (channels of zeros count 0). Scale-free, so a channel
 * that batch norm scaled down counts as much as any other: the next layer's batch norm
 * sees each channel at its own scale.
 */
export function int8Error(shape: readonly number[], exact: Float32Array): number {
  const axis = channelAxis(shape);
  const stored = decodeTensor(
    { name: '', shape: [...shape], dtype: 'int8', channelAxis: axis },
    encodeInt8(shape, exact, axis),
  );
  const channels = shape[axis]!;
  const channel = channelOf(shape, axis);
  const error = new Float64Array(channels);
  const signal = new Float64Array(channels);
  for (let i = 0; i < exact.length; i++) {
    const c = channel(i);
    error[c] = error[c]! + (stored[i]! - exact[i]!) ** 2;
    signal[c] = signal[c]! + exact[i]! ** 2;
  }
  let total = 0;
  for (let c = 0; c < channels; c++) total += signal[c]! > 0 ? error[c]! / signal[c]! : 0;
  return total / channels;
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

/** The flat indices of each output channel's values, channel by channel. */
function channelIndices(
  length: number,
  channels: number,
  channel: (i: number) => number,
): Int32Array[] {
  const counts = new Int32Array(channels);
  for (let i = 0; i < length; i++) counts[channel(i)]!++;
  const lists = Array.from(counts, (n) => new Int32Array(n));
  const filled = new Int32Array(channels);
  for (let i = 0; i < length; i++) {
    const c = channel(i);
    lists[c]![filled[c]!++] = i;
  }
  return lists;
}

/**
 * 8-bit codes for values in step units (each within 0…255): each value rounded to a
 * neighbouring code so that the codes' sum is the values' sum to within half a step.
 * Nearest rounding leaves a channel's sum off by ~√(n/12) steps, and that error is what
 * a constant or positive-mean input (a post-ReLU feature map, an image's mean colour)
 * sees, the same in every output position; so the values nearest half a step round the
 * other way instead, as few as needed. Each code stays within one step of its value.
 */
export function roundKeepingSum(exact: Float64Array): Uint8Array {
  const codes = new Uint8Array(exact.length);
  let excess = 0;
  for (let k = 0; k < exact.length; k++) {
    codes[k] = Math.max(0, Math.min(255, Math.round(exact[k]!)));
    excess += codes[k]! - exact[k]!;
  }
  let flips = Math.round(Math.abs(excess));
  if (flips === 0) return codes;
  const down = excess > 0;
  // Candidates: values rounded the way the sum is off, nearest half a step first.
  const candidates = [...exact.keys()]
    .filter((k) =>
      down ? codes[k]! > exact[k]! && codes[k]! > 0 : codes[k]! < exact[k]! && codes[k]! < 255,
    )
    .sort((a, b) => Math.abs(codes[b]! - exact[b]!) - Math.abs(codes[a]! - exact[a]!));
  for (const k of candidates) {
    if (flips === 0) break;
    codes[k] = codes[k]! + (down ? -1 : 1);
    flips--;
  }
  return codes;
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
  // least its range / 255, so every value lies within the 0…255 codes.
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
  for (const indices of channelIndices(data.length, channels, channel)) {
    if (indices.length === 0) continue;
    const c = channel(indices[0]!);
    const exact = Float64Array.from(indices, (i) => (data[i]! - offset[c]!) / scale[c]!);
    const codes = roundKeepingSum(exact);
    indices.forEach((i, k) => (out[i] = codes[k]!));
  }
  const view = new DataView(out.buffer);
  for (let c = 0; c < channels; c++) {
    view.setUint16(data.length + 2 * c, scaleBits[c]!, true);
    view.setUint16(data.length + 2 * (channels + c), offsetBits[c]!, true);
  }
  return out;
}

/** Encodes one tensor in the given storage dtype (int8 needs a rank of 2 or more). */
export function encodeAs(
  name: string,
  shape: number[],
  data: Float32Array,
  dtype: EntryDtype,
): { entry: PackEntry; bytes: Uint8Array } {
  if (dtype === 'float32') {
    checkFinite(name, data, Infinity, dtype);
    return { entry: { name, shape, dtype }, bytes: bytesOf(new Float32Array(data)) };
  }
  checkFinite(name, data, HALF_MAX, 'float16');
  if (dtype === 'float16') {
    return { entry: { name, shape, dtype }, bytes: bytesOf(Uint16Array.from(data, floatToHalf)) };
  }
  if (shape.length < 2) throw new Error(`tensor '${name}': int8 needs a weight of rank 2 or more`);
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
