/**
 * PyTorch checkpoint readers, with no Python.
 *
 * - Zip format (`torch.save` since 1.6): `<archive>/data.pkl` plus one raw entry per
 *   storage under `<archive>/data/<key>`.
 * - Legacy format (`_use_new_zipfile_serialization=False`, and every file saved before
 *   1.6): five things back to back — a magic-number pickle, the protocol version, a
 *   sys-info pickle, the object pickle, the list of storage keys — then each storage
 *   as an int64 element count followed by its raw bytes.
 *
 * Both hand out tensors through `_rebuild_tensor[_v2]` on storages named by persistent
 * ids; the restricted unpickler (pickle.ts) resolves only those globals.
 */
import type { PyGlobal, PyValue } from './pickle';
import { PyDict, PyTuple, describe, unpickle } from './pickle';
import type { RawDtype } from './tensor-data';
import { ELEMENT_SIZE, gatherStrided } from './tensor-data';
import { readZip } from './zip';

const STORAGE_DTYPES: Record<string, RawDtype> = {
  DoubleStorage: 'f64',
  FloatStorage: 'f32',
  HalfStorage: 'f16',
  BFloat16Storage: 'bf16',
  LongStorage: 'i64',
  IntStorage: 'i32',
  ShortStorage: 'i16',
  CharStorage: 'i8',
  ByteStorage: 'u8',
  BoolStorage: 'bool',
};

const ALLOWED_GLOBALS: ReadonlySet<string> = new Set([
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter',
  ...Object.keys(STORAGE_DTYPES).map((s) => `torch.${s}`),
]);

/** A storage as a persistent id names it; `bytes` is filled in once the raw data is found. */
export interface StorageRef {
  key: string;
  dtype: RawDtype;
  numel: number;
  bytes?: Uint8Array;
  /** Legacy views: this storage is `numel` elements of `root` starting at `viewOffset`. */
  root?: StorageRef;
  viewOffset?: number;
}

export interface TensorRef {
  storage: StorageRef;
  offset: number;
  shape: number[];
  stride: number[];
}

type Obj = { kind: 'object'; value: unknown };

const isObject = (v: PyValue): v is Obj =>
  v !== null && typeof v === 'object' && 'kind' in v && v.kind === 'object';

export function isTensorRef(v: PyValue): v is { kind: 'object'; value: TensorRef } {
  return isObject(v) && typeof v.value === 'object' && v.value !== null && 'storage' in v.value;
}

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

function counts(v: PyValue | undefined, what: string, source: string): number[] {
  if (!Array.isArray(v) || !v.every(isCount)) {
    throw new Error(`${source}: ${what} is ${describe(v)}, not a tuple of whole numbers`);
  }
  return Array.from(v as number[]);
}

/** The reducers of the allowed globals: tensors, parameters and OrderedDicts. */
function makeReducer(source: string) {
  return (fn: PyGlobal, args: PyValue[]): PyValue => {
    const name = `${fn.module}.${fn.name}`;
    if (name === 'collections.OrderedDict') {
      const out = new PyDict();
      const pairs = args[0];
      if (Array.isArray(pairs)) {
        for (const pair of pairs) {
          if (Array.isArray(pair) && pair.length === 2) out.set(pair[0]!, pair[1]!);
        }
      }
      return out;
    }
    if (name === 'torch._utils._rebuild_tensor' || name === 'torch._utils._rebuild_tensor_v2') {
      const [storage, offset, size, stride] = args;
      if (!isStorage(storage) || !isCount(offset)) {
        throw new Error(
          `${source}: ${name} called with ${describe(storage)} and offset ${describe(offset)}, not a storage and an offset`,
        );
      }
      const shape = counts(size, 'a tensor size', source);
      const strides = counts(stride, 'a tensor stride', source);
      if (strides.length !== shape.length) {
        throw new Error(
          `${source}: a tensor of ${shape.length} dimensions with ${strides.length} strides`,
        );
      }
      const ref: TensorRef = { storage: storage.value, offset, shape, stride: strides };
      return { kind: 'object', value: ref };
    }
    if (name === 'torch._utils._rebuild_parameter') {
      if (!isTensorRef(args[0] ?? null)) {
        throw new Error(`${source}: _rebuild_parameter of ${describe(args[0])}, not a tensor`);
      }
      return args[0]!;
    }
    throw new Error(`${source}: refusing to call '${name}'`);
  };
}

const isStorage = (v: PyValue | undefined): v is { kind: 'object'; value: StorageRef } =>
  v !== undefined &&
  isObject(v) &&
  typeof v.value === 'object' &&
  v.value !== null &&
  'numel' in v.value;

function storageFromPid(pid: PyValue, source: string, storages: Map<string, StorageRef>): Obj {
  if (!(pid instanceof PyTuple) || pid[0] !== 'storage') {
    throw new Error(`${source}: persistent id ${describe(pid)} is not a storage record`);
  }
  const [, type, key, , numel, view] = pid;
  const typeName = type && typeof type === 'object' && 'name' in type ? String(type.name) : '';
  const dtype = STORAGE_DTYPES[typeName];
  if (!dtype) throw new Error(`${source}: unsupported storage type ${describe(type ?? null)}`);
  if (typeof key !== 'string' || !isCount(numel)) {
    throw new Error(
      `${source}: storage record ${describe(key ?? null)} has ${describe(numel ?? null)} elements, not a key and a count`,
    );
  }
  let root = storages.get(key);
  if (!root) {
    root = { key, dtype, numel };
    storages.set(key, root);
  } else if (root.dtype !== dtype || root.numel !== numel) {
    throw new Error(`${source}: storage '${key}' is recorded twice with different types or sizes`);
  }
  if (view instanceof PyTuple && view.length === 3) {
    // Legacy view: (view_key, offset, view_size) into the root storage.
    const [viewKey, viewOffset, viewSize] = view;
    if (!isCount(viewOffset) || !isCount(viewSize) || viewOffset + viewSize > numel) {
      throw new Error(
        `${source}: storage '${key}': a view of ${describe(viewSize ?? null)} elements at ${describe(viewOffset ?? null)} does not fit its ${numel}`,
      );
    }
    return {
      kind: 'object',
      value: { key: describe(viewKey ?? null), dtype, numel: viewSize, root, viewOffset },
    };
  }
  return { kind: 'object', value: root };
}

function unpickleWithStorages(
  bytes: Uint8Array,
  offset: number,
  source: string,
  storages: Map<string, StorageRef>,
) {
  return unpickle(bytes, offset, {
    allowedGlobals: ALLOWED_GLOBALS,
    reduce: makeReducer(source),
    persistentLoad: (pid) => storageFromPid(pid, source, storages),
    source,
  });
}

/**
 * Dense float32 data of a tensor whose storage bytes are known. A tensor may hold no more
 * elements than its storage (state dicts never save expanded views), so the array made
 * here is never larger than the file justifies.
 */
export function materialize(
  ref: TensorRef,
  source: string,
  name: string,
): { shape: number[]; data: Float32Array } {
  const storage = ref.storage.root ?? ref.storage;
  const base = ref.storage.root ? (ref.storage.viewOffset ?? 0) : 0;
  const where = `${source}: tensor '${name}' [${ref.shape.join(', ')}]`;
  if (!storage.bytes) {
    throw new Error(`${where}: its storage '${storage.key}' has no data in the file`);
  }
  const available = ref.storage.numel;
  let numel = 1;
  let last = ref.offset;
  for (let d = 0; d < ref.shape.length; d++) {
    numel *= ref.shape[d]!;
    if (numel > available) {
      throw new Error(
        `${where}: more elements than its storage '${storage.key}' holds (${available})`,
      );
    }
    last += (ref.shape[d]! - 1) * ref.stride[d]!;
  }
  if (numel > 0 && last >= available) {
    throw new Error(
      `${where}: reads element ${last} of its storage '${storage.key}', which has ${available} (truncated file?)`,
    );
  }
  return {
    shape: ref.shape,
    data: gatherStrided(storage.bytes, storage.dtype, ref.shape, ref.stride, base + ref.offset),
  };
}

/** Reads a `torch.save` zip checkpoint; returns the unpickled object with storages resolved. */
export function readTorchZip(bytes: Uint8Array, source: string): PyValue {
  const files = readZip(bytes, source);
  const pklName = [...files.keys()].find((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (!pklName)
    throw new Error(`${source}: zip archive without <archive>/data.pkl: not a PyTorch checkpoint`);
  const prefix = pklName.slice(0, -'data.pkl'.length);
  const byteorder = files.get(`${prefix}byteorder`)?.();
  if (byteorder && new TextDecoder().decode(byteorder).trim() !== 'little') {
    throw new Error(`${source}: big-endian checkpoints are not supported`);
  }
  const storages = new Map<string, StorageRef>();
  const { value } = unpickleWithStorages(files.get(pklName)!(), 0, source, storages);
  for (const storage of storages.values()) {
    const entry = files.get(`${prefix}data/${storage.key}`);
    if (!entry) throw new Error(`${source}: storage '${storage.key}' is missing from the archive`);
    const data = entry();
    if (data.length < storage.numel * ELEMENT_SIZE[storage.dtype]) {
      throw new Error(
        `${source}: storage '${storage.key}' is shorter than its ${storage.numel} elements (truncated?)`,
      );
    }
    storage.bytes = data;
  }
  return value;
}

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;

/** Reads a legacy (pre-zip) PyTorch checkpoint. */
export function readTorchLegacy(bytes: Uint8Array, source: string): PyValue {
  const storages = new Map<string, StorageRef>();
  const noStorages = new Map<string, StorageRef>();
  const magic = unpickleWithStorages(bytes, 0, source, noStorages);
  if (magic.value !== LEGACY_MAGIC) {
    throw new Error(`${source}: not a PyTorch legacy checkpoint (bad magic number)`);
  }
  const protocol = unpickleWithStorages(bytes, magic.end, source, noStorages);
  if (protocol.value !== 1001)
    throw new Error(`${source}: unsupported legacy protocol ${describe(protocol.value)}`);
  const sysInfo = unpickleWithStorages(bytes, protocol.end, source, noStorages);
  if (sysInfo.value instanceof Map && sysInfo.value.get('little_endian') === false) {
    throw new Error(`${source}: big-endian checkpoints are not supported`);
  }
  const obj = unpickleWithStorages(bytes, sysInfo.end, source, storages);
  const keys = unpickleWithStorages(bytes, obj.end, source, noStorages);
  if (!Array.isArray(keys.value)) throw new Error(`${source}: legacy storage key list is missing`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = keys.end;
  for (const key of keys.value) {
    const storage = typeof key === 'string' ? storages.get(key) : undefined;
    if (!storage) throw new Error(`${source}: storage ${describe(key)} is listed but never used`);
    if (storage.bytes) throw new Error(`${source}: storage '${storage.key}' is listed twice`);
    if (pos + 8 > bytes.length)
      throw new Error(`${source}: the file ends before storage '${storage.key}' (truncated)`);
    const numel = view.getBigInt64(pos, true);
    pos += 8;
    const length = numel * BigInt(ELEMENT_SIZE[storage.dtype]);
    if (numel < 0n || length > BigInt(bytes.length - pos)) {
      throw new Error(
        `${source}: storage '${storage.key}' claims ${numel} elements, more than the ${bytes.length - pos} bytes left (truncated?)`,
      );
    }
    if (Number(numel) !== storage.numel) {
      throw new Error(
        `${source}: storage '${storage.key}' has ${numel} elements, its record says ${storage.numel}`,
      );
    }
    storage.bytes = bytes.subarray(pos, pos + Number(length));
    pos += Number(length);
  }
  return obj.value;
}

export function isTorchLegacy(bytes: Uint8Array): boolean {
  // PROTO 2, LONG1 of 10 bytes: the magic number's pickle.
  return bytes.length > 4 && bytes[0] === 0x80 && bytes[2] === 0x8a && bytes[3] === 0x0a;
}

export function isZip(bytes: Uint8Array): boolean {
  return (
    bytes.length > 4 &&
    bytes[0] === 0x50 &&
    bytes[1] === 0x4b &&
    bytes[2] === 0x03 &&
    bytes[3] === 0x04
  );
}
