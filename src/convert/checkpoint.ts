/**
 * `readCheckpoint`: any supported checkpoint file → StateDict (float32 tensors by name).
 *
 * Accepts a bare state dict or a dict holding one under `state_dict` (also `model_state`,
 * pycls's key, and `model`); strips the `module.` prefix that DataParallel adds.
 */
import type { PyValue } from './pickle';
import { PyDict, describe } from './pickle';
import { readSafetensors, isSafetensors } from './safetensors';
import type { StateDict } from './state-dict';
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

export function readCheckpoint(bytes: Uint8Array, fileName: string): StateDict {
  const format = detectFormat(bytes, fileName);
  if (format === 'safetensors') {
    const sd = readSafetensors(bytes, fileName);
    return new Map([...sd].map(([k, v]) => [stripPrefix(k), v]));
  }
  const obj =
    format === 'torch-zip' ? readTorchZip(bytes, fileName) : readTorchLegacy(bytes, fileName);
  const dict = findStateDict(obj, fileName);
  const out: StateDict = new Map();
  for (const [key, value] of dict) {
    if (typeof key !== 'string') {
      throw new Error(`${fileName}: state dict key ${describe(key)} is not a tensor name`);
    }
    const name = stripPrefix(key);
    if (!isTensorRef(value))
      throw new Error(
        `${fileName}: state dict entry '${name}' is ${describe(value)}, not a tensor`,
      );
    out.set(name, materialize(value.value, fileName, name));
  }
  return out;
}
