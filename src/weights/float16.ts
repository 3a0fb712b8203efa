/**
 * IEEE half precision: the converter's encoder and the loader's decoder, one codec.
 */
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The largest finite half. */
export const HALF_MAX = 65504;

/** float → half bits, round to nearest even (subnormals, overflow to ∞, NaN kept). */
export function floatToHalf(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const biased = (x >>> 23) & 0xff;
  const mantissa = x & 0x7fffff;
  if (biased === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const exp = biased - 127 + 15;
  if (exp >= 0x1f) return sign | 0x7c00;
  if (exp <= 0) {
    const shift = 14 - exp;
    if (shift > 24) return sign;
    const m = mantissa | 0x800000;
    let h = m >>> shift;
    const rest = m & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rest > half || (rest === half && h & 1)) h++;
    return sign | h;
  }
  let h = sign | (exp << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && h & 1)) h++;
  return h;
}

/** half bits → float. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/** The half bits of the next representable value above a finite half (toward +∞). */
function nextUp(h: number): number {
  if (h === 0x8000) return 0x0001; // −0 → smallest positive subnormal
  return h & 0x8000 ? h - 1 : h + 1;
}

/** The half bits of the next representable value below a finite half (toward −∞). */
function nextDown(h: number): number {
  if (h === 0x0000) return 0x8001;
  return h & 0x8000 ? h + 1 : h - 1;
}

/** The smallest half ≥ value, as bits (value finite and within ±HALF_MAX). */
export function halfAtLeast(value: number): number {
  const h = floatToHalf(value);
  return halfToFloat(h) < value ? nextUp(h) : h;
}

/** The largest half ≤ value, as bits (value finite and within ±HALF_MAX). */
export function halfAtMost(value: number): number {
  const h = floatToHalf(value);
  return halfToFloat(h) > value ? nextDown(h) : h;
}

let table: Float32Array | null = null;

/** Every half's float value, indexed by its bits (256 KB, made on first use). */
export function halfTable(): Float32Array {
  if (!table) {
    table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) table[h] = halfToFloat(h);
  }
  return table;
}
