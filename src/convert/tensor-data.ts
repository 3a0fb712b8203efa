/**
 * Raw tensor bytes → float32, for the element types checkpoints hold. Shared by the
 * PyTorch readers (storages) and the safetensors reader.
 */
import { halfToFloat } from '../weights/float16';

export type RawDtype =
  'f64' | 'f32' | 'f16' | 'bf16' | 'i64' | 'i32' | 'i16' | 'i8' | 'u8' | 'bool';

export const ELEMENT_SIZE: Record<RawDtype, number> = {
  f64: 8,
  f32: 4,
  f16: 2,
  bf16: 2,
  i64: 8,
  i32: 4,
  i16: 2,
  i8: 1,
  u8: 1,
  bool: 1,
};

/** Reads element `i` (in elements, not bytes) of a little-endian buffer. */
export function elementReader(dtype: RawDtype, view: DataView): (i: number) => number {
  switch (dtype) {
    case 'f64':
      return (i) => view.getFloat64(i * 8, true);
    case 'f32':
      return (i) => view.getFloat32(i * 4, true);
    case 'f16':
      return (i) => halfToFloat(view.getUint16(i * 2, true));
    case 'bf16': {
      const scratch = new DataView(new ArrayBuffer(4));
      return (i) => {
        scratch.setUint32(0, view.getUint16(i * 2, true) << 16, false);
        return scratch.getFloat32(0, false);
      };
    }
    case 'i64':
      return (i) => Number(view.getBigInt64(i * 8, true));
    case 'i32':
      return (i) => view.getInt32(i * 4, true);
    case 'i16':
      return (i) => view.getInt16(i * 2, true);
    case 'i8':
      return (i) => view.getInt8(i);
    case 'u8':
    case 'bool':
      return (i) => view.getUint8(i);
  }
}

/**
 * Gathers a strided view of a storage into a dense float32 array (row-major `shape`).
 * `offset` and `stride` are in elements, as PyTorch records them.
 */
export function gatherStrided(
  bytes: Uint8Array,
  dtype: RawDtype,
  shape: number[],
  stride: number[],
  offset: number,
): Float32Array {
  const size = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(size);
  if (size === 0) return out;
  const read = elementReader(dtype, new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const contiguous = shape.every(
    (_, d) => shape[d] === 1 || stride[d] === shape.slice(d + 1).reduce((a, b) => a * b, 1),
  );
  if (contiguous) {
    if (dtype === 'f32' && (bytes.byteOffset + offset * 4) % 4 === 0) {
      out.set(new Float32Array(bytes.buffer, bytes.byteOffset + offset * 4, size));
    } else {
      for (let i = 0; i < size; i++) out[i] = read(offset + i);
    }
    return out;
  }
  const index = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < size; i++) {
    let at = offset;
    for (let d = 0; d < shape.length; d++) at += index[d]! * stride[d]!;
    out[i] = read(at);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++index[d]! < shape[d]!) break;
      index[d] = 0;
    }
  }
  return out;
}
