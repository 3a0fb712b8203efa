/**
 * `openCheckpoint`: any supported checkpoint file → its tensors by name, each read into
 * float32 when asked for (`readCheckpoint`: all of them at once).
 *
 * Accepts a bare state dict or a dict holding one under `state_dict` (also `model_state`,
 * pycls's key, and `model`); strips the `module.` prefix that DataParallel adds.
 */
import type { PyValue } from './pickle';
import { PyDict, describe } from './pickle';
import { openSafetensors, isSafetensors } from './safetensors';
import type { LazyStateDict, StateDict } from './state-dict';
import {
  isTensorRef,
  isTorchLegacy,
  isZip,
  materialize,
  readTorchLegacy,
  readTorchZip,
} from './torch';

export type CheckpointFormat = 'torch-zip' | 'torch-legacy' | 'safetensors';

export function detectFormat(bytes: Uint8Array, fileName: string): CheckpointFormat {
  if (isZip(bytes)) return 'torch-zip';
  if (isTorchLegacy(bytes)) return 'torch-legacy';
  if (isSafetensors(bytes)) return 'safetensors';
  throw new Error(
    `${fileName}: not a PyTorch checkpoint (zip or legacy) nor a safetensors file ` +
      `(${bytes.length} bytes; first bytes ${Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ')})`,
  );
}

const NESTED_KEYS = ['state_dict', 'model_state', 'model'];

function findStateDict(obj: PyValue, fileName: string, depth = 0): PyDict {
  if (!(obj instanceof PyDict))
    throw new Error(`${fileName}: the checkpoint holds ${describe(obj)}, not a dict of tensors`);
  const hasTensors = [...obj.values()].some(isTensorRef);
  if (hasTensors) return obj;
  for (const key of NESTED_KEYS) {
    const nested = obj.get(key);
    // Each nesting level is a different key of NESTED_KEYS' order at most once per level;
    // a dict that contains itself (through the pickle memo) stops here.
    if (nested instanceof PyDict && depth < NESTED_KEYS.length)
      return findStateDict(nested, fileName, depth + 1);
  }
  const keys = [...obj.keys()].slice(0, 20).map(describe).join(', ');
  throw new Error(
    `${fileName}: no state dict found (top-level keys: ${keys}; expected tensors or one of ${NESTED_KEYS.join(', ')})`,
  );
}

function stripPrefix(name: string): string {
  return name.startsWith('module.') ? name.slice('module.'.length) : name;
}

/**
 * The checkpoint's tensors, names and shapes checked now, values read (and checked against
 * the file) by each tensor's `read()`. They view `bytes`, which must outlive them.
 */
export function openCheckpoint(bytes: Uint8Array, fileName: string): LazyStateDict {
  const format = detectFormat(bytes, fileName);
  if (format === 'safetensors') {
    const sd = openSafetensors(bytes, fileName);
    return new Map([...sd].map(([k, v]) => [stripPrefix(k), v]));
  }
  const obj =
    format === 'torch-zip' ? readTorchZip(bytes, fileName) : readTorchLegacy(bytes, fileName);
  const dict = findStateDict(obj, fileName);
  const out: LazyStateDict = new Map();
  for (const [key, value] of dict) {
    if (typeof key !== 'string') {
      throw new Error(`${fileName}: state dict key ${describe(key)} is not a tensor name`);
    }
    const name = stripPrefix(key);
    if (!isTensorRef(value))
      throw new Error(
        `${fileName}: state dict entry '${name}' is ${describe(value)}, not a tensor`,
      );
    const ref = value.value;
    out.set(name, { shape: ref.shape, read: () => materialize(ref, fileName, name).data });
  }
  return out;
}

/** Every tensor of the checkpoint in float32, each checked against the file. */
export function readCheckpoint(bytes: Uint8Array, fileName: string): StateDict {
  const out: StateDict = new Map();
  for (const [name, t] of openCheckpoint(bytes, fileName)) {
    out.set(name, { shape: t.shape, data: t.read() });
  }
  return out;
}
