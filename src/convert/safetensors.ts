/**
 * safetensors reader: an 8-byte little-endian header length, a JSON header
 * `{ name: { dtype, shape, data_offsets: [begin, end] }, __metadata__? }`, then the data.
 * Format: https://github.com/huggingface/safetensors (no code runs on load, by design).
 */
import type { LazyStateDict } from './state-dict';
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
  const n = new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true);
  return n > 1n && 8n + n <= BigInt(bytes.length) && bytes[8] === 0x7b; // '{'
}

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const shown = (v: unknown): string => (v === undefined ? 'missing' : JSON.stringify(v));

/** One header entry, checked: its dtype, shape and data range within `dataLength`. */
function checkEntry(
  name: string,
  raw: unknown,
  dataLength: number,
  source: string,
): { dtype: RawDtype; shape: number[]; begin: number; end: number } {
  const where = `${source}: tensor '${name}'`;
  const entry = raw as Partial<HeaderEntry> | null;
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    throw new Error(`${where}: its header entry is not an object`);
  }
  const dtype = DTYPES[String(entry.dtype)];
  if (!dtype) throw new Error(`${where} has unsupported dtype ${shown(entry.dtype)}`);
  const { shape, data_offsets: offsets } = entry;
  if (!Array.isArray(shape) || !shape.every(isCount)) {
    throw new Error(`${where}: shape ${shown(shape)} is not a list of whole numbers`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    throw new Error(`${where}: data_offsets ${shown(offsets)} is not [begin, end]`);
  }
  const [begin, end] = offsets;
  // The element count, stopping as soon as it exceeds what the data range can hold.
  let numel = shape.includes(0) ? 0 : 1;
  for (const n of numel === 0 ? [] : shape) {
    numel *= n;
    if (numel * ELEMENT_SIZE[dtype] > end - begin) break;
  }
  if (begin > end || end > dataLength || end - begin !== numel * ELEMENT_SIZE[dtype]) {
    throw new Error(
      `${where} [${shape.join(', ')}] ${String(entry.dtype)} has data offsets [${begin}, ${end}] ` +
        `that do not fit its size or the file's ${dataLength} data bytes (truncated?)`,
    );
  }
  return { dtype, shape, begin, end };
}

/** The file's tensors, every header entry checked now, values read on demand. */
export function openSafetensors(bytes: Uint8Array, source: string): LazyStateDict {
  if (bytes.length < 8) throw new Error(`${source}: too short for a safetensors file`);
  const length = new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true);
  if (8n + length > BigInt(bytes.length))
    throw new Error(`${source}: safetensors header runs past the end (truncated)`);
  const headerLength = Number(length);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  } catch (err) {
    throw new Error(`${source}: safetensors header is not valid JSON (${(err as Error).message})`, {
      cause: err,
    });
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new Error(`${source}: safetensors header is not a JSON object`);
  }
  const data = bytes.subarray(8 + headerLength);
  const out: LazyStateDict = new Map();
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const { dtype, shape, begin, end } = checkEntry(name, raw, data.length, source);
    const stride = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
    out.set(name, {
      shape,
      read: () => gatherStrided(data.subarray(begin, end), dtype, shape, stride, 0),
    });
  }
  return out;
}
