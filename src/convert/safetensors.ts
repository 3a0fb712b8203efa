/**
 * safetensors reader: an 8-byte little-endian header length, a JSON header
 * `{ name: { dtype, shape, data_offsets: [begin, end] }, __metadata__? }`, then the data.
 * Format: https://github.com/huggingface/safetensors (no code runs on load, by design).
 */
import type { StateDict } from './state-dict';
import type { RawDtype } from './tensor-data';
import { ELEMENT_SIZE, gatherStrided } from './tensor-data';

const DTYPES: Record<string, RawDtype> = {
  F64: 'f64',
  F32: 'f32',
  F16: 'f16',
  BF16: 'bf16',
  I64: 'i64',
  I32: 'i32',
  I16: 'i16',
  I8: 'i8',
  U8: 'u8',
  BOOL: 'bool',
};

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

export function isSafetensors(bytes: Uint8Array): boolean {
  if (bytes.length < 10) return false;
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return n > 1 && 8 + n <= bytes.length && bytes[8] === 0x7b; // '{'
}

export function readSafetensors(bytes: Uint8Array, source: string): StateDict {
  if (bytes.length < 8) throw new Error(`${source}: too short for a safetensors file`);
  const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  if (8 + headerLength > bytes.length)
    throw new Error(`${source}: safetensors header runs past the end (truncated)`);
  let header: Record<string, HeaderEntry | Record<string, string>>;
  try {
    header = JSON.parse(
      new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)),
    ) as typeof header;
  } catch (err) {
    throw new Error(`${source}: safetensors header is not valid JSON (${(err as Error).message})`, {
      cause: err,
    });
  }
  const data = bytes.subarray(8 + headerLength);
  const out: StateDict = new Map();
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const entry = raw as HeaderEntry;
    const dtype = DTYPES[entry.dtype];
    if (!dtype)
      throw new Error(`${source}: tensor '${name}' has unsupported dtype '${entry.dtype}'`);
    const [begin, end] = entry.data_offsets;
    const numel = entry.shape.reduce((a, b) => a * b, 1);
    if (end - begin !== numel * ELEMENT_SIZE[dtype] || end > data.length) {
      throw new Error(
        `${source}: tensor '${name}' [${entry.shape.join(', ')}] ${entry.dtype} has data offsets ` +
          `[${begin}, ${end}] that do not fit its size or the file (truncated?)`,
      );
    }
    const stride = entry.shape.map((_, d) => entry.shape.slice(d + 1).reduce((a, b) => a * b, 1));
    out.set(name, {
      shape: entry.shape,
      data: gatherStrided(data.subarray(begin, end), dtype, entry.shape, stride, 0),
    });
  }
  return out;
}
