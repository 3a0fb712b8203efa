/**
 * What webnets remembers per device across page loads (calibration.ts's timings, verify.ts's
 * canary verdicts): JSON records in localStorage under keys starting 'webnets.' (worker
 * mode relays those to the page, runtime/worker/), in memory where there is no storage.
 */

/** Used where localStorage is missing or refuses (Node, sandboxed frames, storage off). */
const memory = new Map<string, string>();

function storage(): Pick<Storage, 'getItem' | 'setItem'> {
  try {
    const ls = (globalThis as { localStorage?: Storage }).localStorage;
    if (ls !== undefined) {
      ls.getItem('webnets.');
      return ls;
    }
  } catch {
    // Access can throw (opaque origins, blocked storage): fall through to memory.
  }
  return { getItem: (k) => memory.get(k) ?? null, setItem: (k, v) => void memory.set(k, v) };
}

/** The record under `key` if there is one that `isRecord` accepts, else null. */
export function recall<T>(key: string, isRecord: (value: unknown) => value is T): T | null {
  const text = storage().getItem(key);
  if (text === null) return null;
  try {
    const value: unknown = JSON.parse(text);
    return isRecord(value) ? value : null;
  } catch {
    return null;
  }
}

export function remember(key: string, record: unknown): void {
  try {
    storage().setItem(key, JSON.stringify(record));
  } catch {
    memory.set(key, JSON.stringify(record)); // quota exceeded: remember for this page only
  }
}
