/**
 * Preprocessing as the reference evaluates (torchvision's Resize(resizeSize) →
 * CenterCrop(inputSize) → ToTensor → Normalize(mean, std)), as tfjs ops on the model's
 * backend: no per-pixel JavaScript.
 *
 * 1. Pre-shrink (anti-aliasing). A plain bilinear resize samples 2×2 pixels per output
 *    pixel, so shrinking a 1080p camera frame ~4× to 256 px aliases (PIL's bilinear,
 *    which the reference uses, widens its filter instead). When the shorter side is at
 *    least twice `resizeSize`, the image is first averaged over k×k blocks (k = the
 *    whole factor that keeps it ≥ resizeSize), an area filter; the crop of the image is
 *    centred so the dropped remainder rows/columns split evenly.
 * 2. Bilinear resize with half-pixel centres (PyTorch/PIL's convention, edge-clamped) to
 *    the size torchvision gives: shorter side = resizeSize, longer side truncated.
 * 3. Center crop of inputSize, offsets rounded like Python's round() (half to even).
 * 4. Normalize: (x / 255 − mean) / std, folded into one multiply and one subtract.
 *
 * On WASM with webnets' kernels, 2–4 are one kernel that computes only the cropped
 * pixels (src/kernels/resize-crop-normalize/, src/kernels/area-shrink-rgba/); elsewhere
 * they are tfjs ops. There, images, canvases and video frames also skip tfjs' fromPixels:
 * their RGBA bytes go to the kernels as they are (`networkInput`), pre-shrink included.
 * Which: kernels/config.ts `selectInput`, for the backend's kernel configuration.
 *
 * 'bicubic' packs are resized bilinearly: tfjs-core has no bicubic resize. The
 * difference to PIL bicubic is small next to the pre-shrink's, and the same on every backend.
 */
import type { Preprocessing } from '../models/spec';
import * as K from '../kernels';
import type { KernelConfig } from '../kernels';
import { pixelsOf, rgbaOf, type PreparedSource } from './source';
import { tf } from '../tf';

/** Every size and offset of the pipeline for one input size. */
export interface PreprocessPlan {
  /** Area pre-shrink factor (1 = none) and the centred region it averages. */
  shrink: number;
  region: { top: number; left: number; height: number; width: number };
  /** Size after the bilinear resize (before cropping). */
  resized: { height: number; width: number };
  /** Top-left corner of the inputSize × inputSize crop in the resized image. */
  crop: { top: number; left: number };
}

/** Python 3's round(): halves go to the even neighbour (torchvision's center_crop uses it). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** torchvision's Resize(size) for an int size: shorter side → size, longer side truncated. */
export function resizedSize(
  height: number,
  width: number,
  resizeSize: number,
): { height: number; width: number } {
  if (height <= width)
    return { height: resizeSize, width: Math.floor((resizeSize * width) / height) };
  return { height: Math.floor((resizeSize * height) / width), width: resizeSize };
}

export function checkPreprocessing(p: Preprocessing, where: string): void {
  const bad = (what: string): never => {
    throw new Error(`${where}: preprocessing.${what}`);
  };
  if (!Number.isInteger(p.inputSize) || p.inputSize < 1) {
    bad(`inputSize is ${p.inputSize}: expected a whole number ≥ 1`);
  }
  if (!Number.isInteger(p.resizeSize) || p.resizeSize < p.inputSize) {
    bad(`resizeSize is ${p.resizeSize}: expected a whole number ≥ inputSize (${p.inputSize})`);
  }
  for (const key of ['mean', 'std'] as const) {
    const v = p[key];
    if (
      !Array.isArray(v) ||
      v.length !== 3 ||
      v.some((x) => typeof x !== 'number' || !isFinite(x))
    ) {
      bad(`${key} is ${JSON.stringify(v)}: expected 3 numbers`);
    }
  }
  if (p.std.some((s) => s <= 0)) bad(`std is ${JSON.stringify(p.std)}: expected 3 numbers > 0`);
}

export function planPreprocessing(height: number, width: number, p: Preprocessing): PreprocessPlan {
  const k = Math.floor(Math.min(height, width) / p.resizeSize);
  const shrink = k >= 2 ? k : 1;
  const regionHeight = Math.floor(height / shrink) * shrink;
  const regionWidth = Math.floor(width / shrink) * shrink;
  const resized = resizedSize(height, width, p.resizeSize);
  return {
    shrink,
    region: {
      top: Math.floor((height - regionHeight) / 2),
      left: Math.floor((width - regionWidth) / 2),
      height: regionHeight,
      width: regionWidth,
    },
    resized,
    crop: {
      top: roundHalfEven((resized.height - p.inputSize) / 2),
      left: roundHalfEven((resized.width - p.inputSize) / 2),
    },
  };
}

/** Normalize's (x / 255 − mean) / std as x · scale − shift. */
function normalization(p: Preprocessing): {
  scale: [number, number, number];
  shift: [number, number, number];
} {
  return {
    scale: p.std.map((s) => 1 / (255 * s)) as [number, number, number],
    shift: p.mean.map((m, i) => m / (p.std[i] as number)) as [number, number, number],
  };
}

/** Steps 2–4 as webnets' WASM kernel, on RGB pixels or packed RGBA bytes. */
function resizeCropKernel(x: tf.Tensor4D, plan: PreprocessPlan, p: Preprocessing): tf.Tensor4D {
  return K.resizeCropNormalize(x, {
    resizedHeight: plan.resized.height,
    resizedWidth: plan.resized.width,
    ...plan.crop,
    size: p.inputSize,
    ...normalization(p),
  });
}

/**
 * Pixels [H, W, 3] (0–255, int32 or float32) → the network's input [1, inputSize, inputSize, 3],
 * normalized float32. Intermediates are freed; the caller owns the result.
 */
export function preprocess(
  pixels: tf.Tensor3D,
  p: Preprocessing,
  config: KernelConfig = K.kernelConfig(),
): tf.Tensor4D {
  const [height, width] = pixels.shape;
  const plan = planPreprocessing(height, width, p);
  const { scale, shift } = normalization(p);
  return tf.tidy(() => {
    let x = tf.expandDims<tf.Tensor4D>(pixels, 0);
    if (plan.shrink > 1) {
      const { top, left, height: h, width: w } = plan.region;
      x = tf.cast(x, 'float32');
      if (h !== height || w !== width) x = tf.slice(x, [0, top, left, 0], [1, h, w, 3]);
      x = tf.avgPool(x, plan.shrink, plan.shrink, 'valid');
    }
    // One pass on WASM (webnets' kernel): the crop's pixels only, normalized as they are made.
    if (K.selectInput(config).resizeCrop === 'kernel') {
      return resizeCropKernel(x, plan, p);
    }
    x = tf.cast(x, 'float32');
    const [, h, w] = x.shape;
    if (h !== plan.resized.height || w !== plan.resized.width) {
      x = tf.image.resizeBilinear(x, [plan.resized.height, plan.resized.width], false, true);
    }
    x = tf.slice(x, [0, plan.crop.top, plan.crop.left, 0], [1, p.inputSize, p.inputSize, 3]);
    return tf.sub(tf.mul(x, tf.tensor1d(scale)), tf.tensor1d(shift));
  });
}

/**
 * Packed RGBA bytes [1, H, W, 1] int32 → the network's input, as `preprocess` makes it from
 * the same pixels' RGB (alpha ignored): the pre-shrink and the resize-crop-normalize as two
 * kernels. Needs webnets' WASM kernels (kernels/config.ts `selectInput`).
 */
export function preprocessRgba(rgba: tf.Tensor4D, p: Preprocessing): tf.Tensor4D {
  const [, height, width] = rgba.shape;
  const plan = planPreprocessing(height, width, p);
  return tf.tidy(() => {
    const x =
      plan.shrink > 1 ? K.areaShrinkRgba(rgba, { ...plan.region, factor: plan.shrink }) : rgba;
    return resizeCropKernel(x, plan, p);
  });
}

/**
 * A checked source → the network's input (call inside tf.tidy): pixel sources as RGBA bytes
 * where webnets' WASM kernels run, else through tfjs' fromPixels (on WebGPU a GPU upload).
 */
export function networkInput(
  prepared: PreparedSource,
  p: Preprocessing,
  config: KernelConfig = K.kernelConfig(),
): tf.Tensor4D {
  if (prepared.kind === 'pixels' && K.selectInput(config).rgba) {
    return preprocessRgba(rgbaOf(prepared), p);
  }
  return preprocess(pixelsOf(prepared), p, config);
}
