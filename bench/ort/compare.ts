/**
 * Pure helpers the benchmark page uses on both sides' numbers: the ORT input made from the
 * same pixels webnets gets, and how far two logit vectors are apart.
 */
import { roundHalfEven } from '../../src/numeric';
import type { Agreement } from './protocol';

/**
 * What torchvision's CenterCrop(size) → ToTensor → Normalize does to a square HWC 0–255
 * image whose side is already the resize size: the NCHW float32 input ORT gets. webnets
 * gets the HWC image itself and does the same steps in its own preprocessing (its resize
 * to the same side is the identity), so both sides see the same numbers.
 */
export function centerCropNormalizedNchw(
  hwc: Float32Array,
  side: number,
  crop: number,
  mean: readonly number[],
  std: readonly number[],
): Float32Array {
  if (hwc.length !== side * side * 3) {
    throw new Error(
      `image: expected ${side}×${side}×3 = ${side * side * 3} values, got ${hwc.length}`,
    );
  }
  if (crop > side) throw new Error(`crop ${crop} is larger than the image side ${side}`);
  const offset = roundHalfEven((side - crop) / 2);
  const out = new Float32Array(3 * crop * crop);
  for (let c = 0; c < 3; c++) {
    const m = mean[c] as number;
    const s = std[c] as number;
    for (let y = 0; y < crop; y++) {
      for (let x = 0; x < crop; x++) {
        const v = hwc[((y + offset) * side + (x + offset)) * 3 + c] as number;
        out[(c * crop + y) * crop + x] = (v / 255 - m) / s;
      }
    }
  }
  return out;
}

/** Index of the largest value (the first one on ties). */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) {
    if ((values[i] as number) > (values[best] as number)) best = i;
  }
  return best;
}

/** max |a − b|, max |b| (b is the reference side) and both top-1 classes. */
export function agreement(a: ArrayLike<number>, b: ArrayLike<number>): Agreement {
  if (a.length !== b.length) {
    throw new Error(`logits: the sides give ${a.length} and ${b.length} values`);
  }
  let maxAbsDiff = 0;
  let maxAbsLogit = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    // NaN must not pass as agreement: Math.max would drop it.
    maxAbsDiff = Number.isNaN(x - y) ? NaN : Math.max(maxAbsDiff, Math.abs(x - y));
    maxAbsLogit = Math.max(maxAbsLogit, Math.abs(y));
  }
  return { maxAbsDiff, maxAbsLogit, top1: [argmax(a), argmax(b)] };
}

/** max |Δ| relative to max |logit|: scale-free, so random-weight nets with small logits compare too. */
export function relativeError(a: Agreement): number {
  return a.maxAbsLogit > 0 ? a.maxAbsDiff / a.maxAbsLogit : a.maxAbsDiff;
}
