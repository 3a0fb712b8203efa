/**
 * Preprocessing as the reference evaluates: PIL's `img.resize` inside torchvision's
 * Resize(resizeSize, interpolation) → CenterCrop(inputSize) → ToTensor → Normalize(mean, std).
 *
 * 1. Resize as Pillow does, to the size torchvision gives (shorter side = resizeSize, longer
 *    side truncated): bilinear or bicubic (the pack's `interpolation`), antialiased when
 *    shrinking (the filter's support scaled by the factor), 8-bit after each pass
 *    (src/kernels/resize-crop-normalize/pillow.ts). The same bytes as Pillow's. With a
 *    region of interest, the region is the image: its size decides the resize, and it is
 *    resized as Pillow's `resize(size, box=region)` does (at its edges the filter reads the
 *    pixels around it, as Pillow's does).
 * 2. Center crop of inputSize, offsets rounded like Python's round() (half to even).
 * 3. Normalize: (x / 255 − mean) / std, folded into one multiply and one subtract.
 *
 * All three are one operation that computes only the cropped pixels: on WASM and WebGPU
 * webnets' kernel (resize_crop_normalize.c; on WebGPU one dispatch from the uploaded pixels,
 * resize-crop-normalize/webgpu.ts, so a tensor source is never read back), on every other
 * backend the same computation in JavaScript on the pixels' bytes. Pixel sources (images,
 * canvases, frames) go in as their RGBA bytes, with no tfjs fromPixels. Which:
 * kernels/config.ts `selectInput`.
 */
import type { Preprocessing } from '../models/spec';
import type { RegionOfInterest } from './classify-options';
import * as K from '../kernels';
import type { KernelConfig, ResizeCropNormalizeAttrs } from '../kernels';
import { roundHalfEven } from '../numeric';
import { imageDataOf, rgbaOf, type PreparedSource } from './source';
import { tf } from '../tf';

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
  if (!K.RESAMPLE_FILTERS.includes(p.interpolation)) {
    bad(
      `interpolation is ${JSON.stringify(p.interpolation)}: expected ${K.RESAMPLE_FILTERS.join(' or ')}`,
    );
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

/** A region of an image of height × width in pixels: Pillow's box as [top, left, bottom, right]. */
export function regionBox(
  height: number,
  width: number,
  r: RegionOfInterest,
): [number, number, number, number] {
  return [r.top * height, r.left * width, r.bottom * height, r.right * width];
}

/**
 * The resize-crop-normalize attrs for an image of height × width (or its region): the
 * resize torchvision makes, its center crop, the normalization as x · scale − shift.
 */
export function preprocessAttrs(
  height: number,
  width: number,
  p: Preprocessing,
  region: RegionOfInterest | null = null,
): ResizeCropNormalizeAttrs {
  const box = region === null ? null : regionBox(height, width, region);
  const resized =
    box === null
      ? resizedSize(height, width, p.resizeSize)
      : resizedSize(box[2] - box[0], box[3] - box[1], p.resizeSize);
  return {
    ...(box === null ? {} : { box }),
    filter: p.interpolation,
    resizedHeight: resized.height,
    resizedWidth: resized.width,
    top: roundHalfEven((resized.height - p.inputSize) / 2),
    left: roundHalfEven((resized.width - p.inputSize) / 2),
    size: p.inputSize,
    scale: p.std.map((s) => 1 / (255 * s)) as [number, number, number],
    shift: p.mean.map((m, i) => m / (p.std[i] as number)) as [number, number, number],
  };
}

/** The network's input from 8-bit pixels in JavaScript (backends without the kernel). */
function inputFromBytes(
  src: K.Bytes8,
  p: Preprocessing,
  region: RegionOfInterest | null,
): tf.Tensor4D {
  const values = K.resizeCropNormalizeBytes(src, preprocessAttrs(src.height, src.width, p, region));
  return tf.tensor4d(values, [1, p.inputSize, p.inputSize, 3], 'float32');
}

/**
 * Pixels [H, W, 3] (0–255, int32 or float32; made bytes as Pillow holds them: clamped,
 * floats rounded) → the network's input [1, inputSize, inputSize, 3], normalized float32.
 * Intermediates are freed; the caller owns the result. `region`: only that part of the pixels.
 */
export function preprocess(
  pixels: tf.Tensor3D,
  p: Preprocessing,
  config: KernelConfig = K.kernelConfig(),
  region: RegionOfInterest | null = null,
): tf.Tensor4D {
  const [height, width] = pixels.shape;
  if (K.selectInput(config) === 'kernel') {
    return tf.tidy(() =>
      K.resizeCropNormalize(
        tf.expandDims<tf.Tensor4D>(pixels, 0),
        preprocessAttrs(height, width, p, region),
      ),
    );
  }
  const data = Uint8ClampedArray.from(pixels.dataSync());
  return inputFromBytes({ data, height, width, stride: 3 }, p, region);
}

/**
 * Packed RGBA bytes [1, H, W, 1] int32 → the network's input, as `preprocess` makes it from
 * the same pixels' RGB (alpha ignored). Needs webnets' kernel (WASM or WebGPU).
 */
export function preprocessRgba(
  rgba: tf.Tensor4D,
  p: Preprocessing,
  region: RegionOfInterest | null = null,
): tf.Tensor4D {
  const [, height, width] = rgba.shape;
  return K.resizeCropNormalize(rgba, preprocessAttrs(height, width, p, region));
}

/**
 * A tensor source that the JavaScript resampling will read, with its values fetched without
 * blocking: the forward pass runs in a synchronous tf.tidy, and a tensor on WebGPU cannot be
 * read synchronously (tfjs' readSync there fails and takes the device down with it).
 */
export async function readableInput(
  prepared: PreparedSource,
  config: KernelConfig = K.kernelConfig(),
): Promise<PreparedSource> {
  if (prepared.kind !== 'tensor' || K.selectInput(config) === 'kernel') return prepared;
  const [height, width] = prepared.tensor.shape;
  // Made bytes as Pillow holds them: clamped, floats rounded (as `preprocess` does).
  const data = Uint8ClampedArray.from(await prepared.tensor.data());
  return { kind: 'rgb', data, height, width };
}

/**
 * A checked source → the network's input (call inside tf.tidy): pixel sources as their
 * RGBA bytes, to webnets' WASM kernel or to the JavaScript resampling; `region`: only that
 * part of the source (checked by classify-options.ts).
 */
export function networkInput(
  prepared: PreparedSource,
  p: Preprocessing,
  config: KernelConfig = K.kernelConfig(),
  region: RegionOfInterest | null = null,
): tf.Tensor4D {
  if (prepared.kind === 'tensor') return preprocess(prepared.tensor, p, config, region);
  if (prepared.kind === 'rgb') return inputFromBytes({ ...prepared, stride: 3 }, p, region);
  if (K.selectInput(config) === 'kernel') return preprocessRgba(rgbaOf(prepared), p, region);
  const { data, width, height } = imageDataOf(prepared.pixels);
  return inputFromBytes({ data, width, height, stride: 4 }, p, region);
}

/**
 * The input kernel run on a 2 × 2 source of packed RGBA bytes (what images, canvases and
 * frames become), where the config runs it: what compiling a network's pipelines ahead
 * (models/network.ts compileNetwork) runs to compile the input's with them. A tensor
 * source's pipeline (int32 or float32 RGB) compiles on its first call. (tfjs keys a WebGPU
 * pipeline by which input axes broadcast: a source one pixel high or wide compiles another.)
 */
export function inputKernelRuns(p: Preprocessing, config: KernelConfig): tf.Tensor[] {
  if (K.selectInput(config) !== 'kernel') return [];
  return [K.resizeCropNormalize(tf.zeros([1, 2, 2, 1], 'int32'), preprocessAttrs(2, 2, p))];
}
