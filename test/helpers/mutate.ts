/**
 * Seeded mutations of a file's bytes, for fuzzing readers: random bytes, truncation, runs
 * of 0xFF, and 32-bit fields overwritten with values that break size arithmetic.
 */
export interface Mutation {
  /** What was done, for the failure message (reproducible from the seed). */
  what: string;
  bytes: Uint8Array;
}

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIELD_VALUES = [0, 1, 0x7f, 0xff, 0xffff, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

export function mutate(original: Uint8Array, seed: number): Mutation {
  const random = prng(seed);
  const int = (n: number) => Math.floor(random() * n);
  const bytes = original.slice();
  const kind = int(4);
  if (kind === 0) {
    const count = 1 + int(8);
    const at: number[] = [];
    for (let i = 0; i < count; i++) {
      const p = int(bytes.length);
      bytes[p] = int(256);
      at.push(p);
    }
    return { what: `random bytes at ${at.join(', ')}`, bytes };
  }
  if (kind === 1) {
    const length = int(original.length);
    return { what: `truncated to ${length} bytes`, bytes: original.slice(0, length) };
  }
  if (kind === 2) {
    const start = int(bytes.length);
    const length = 1 + int(64);
    bytes.fill(0xff, start, start + length);
    return { what: `0xFF × ${length} at ${start}`, bytes };
  }
  const at = int(Math.max(1, bytes.length - 3));
  const view = new DataView(bytes.buffer);
  const old = view.getUint32(at, true);
  const value =
    random() < 0.7 ? FIELD_VALUES[int(FIELD_VALUES.length)]! : (old + int(65536) - 32768) >>> 0;
  view.setUint32(at, value, true);
  return { what: `u32 at ${at}: ${old} → ${value}`, bytes };
}
