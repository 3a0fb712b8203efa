/**
 * The network's input from pixels in one pass: bilinear resize (half-pixel centres,
 * edges clamped), center crop and normalize, computing only the cropped pixels.
 * inputs: x [1, H, W, 3] (float32 or int32, 0–255), or x [1, H, W, 1] int32 whose every
 * element holds one pixel's 4 bytes R, G, B, A (a canvas's ImageData as it is, read through
 * an Int32Array; alpha ignored). attrs: resizedHeight, resizedWidth (the virtual resize),
 * top, left (the crop's corner in it), size, scale and shift (3 each: y = v · scale −
 * shift). Output [1, size, size, 3] float32. WASM only: resize_crop_normalize.c.
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { tf } from '../../tf';
import type { KernelArgs, KernelDefinition, TensorLike } from '../kernel';
import { pixelLayout, positiveInt } from '../kernel';
import type { WasmBackendLike } from '../wasm/module';
import { kernelsOf, offsetOf } from '../wasm/module';

export const RESIZE_CROP_NORMALIZE = 'WebnetsResizeCropNormalize';

export interface ResizeCropNormalizeAttrs {
  resizedHeight: number;
  resizedWidth: number;
  top: number;
  left: number;
  size: number;
  scale: readonly [number, number, number];
  shift: readonly [number, number, number];
}

/**
 * The call's sizes, checked: x is [1, H, W, 3] float32 or int32, or [1, H, W, 1] int32 of
 * packed RGBA bytes; the crop lies inside the virtual resized image, scale and shift are 3
 * finite numbers each.
 */
export function resizeCropGeometry(
  inputs: Record<string, TensorLike | undefined>,
  attrs: Partial<Record<keyof ResizeCropNormalizeAttrs, unknown>>,
): ResizeCropNormalizeAttrs & { height: number; width: number; layout: 'rgb' | 'rgba8' } {
  const K = RESIZE_CROP_NORMALIZE;
  const { height, width, layout } = pixelLayout(K, inputs.x, ['rgb', 'rgba8']);
  const int = (name: keyof ResizeCropNormalizeAttrs, min: number): number =>
    positiveInt(K, name, attrs[name], min);
  const g = {
    height,
    width,
    layout,
    resizedHeight: int('resizedHeight', 1),
    resizedWidth: int('resizedWidth', 1),
    top: int('top', 0),
    left: int('left', 0),
    size: int('size', 1),
  };
  if (g.top + g.size > g.resizedHeight || g.left + g.size > g.resizedWidth) {
    throw new Error(
      `${K}: the ${g.size}² crop at (${g.top}, ${g.left}) leaves the ` +
        `${g.resizedHeight}×${g.resizedWidth} resized image`,
    );
  }
  const triple = (name: 'scale' | 'shift'): [number, number, number] => {
    const v = attrs[name];
    if (
      !Array.isArray(v) ||
      v.length !== 3 ||
      v.some((n) => typeof n !== 'number' || !isFinite(n))
    ) {
      throw new Error(`${K}: attr '${name}' must be 3 finite numbers, got ${JSON.stringify(v)}`);
    }
    return v as [number, number, number];
  };
  return { ...g, scale: triple('scale'), shift: triple('shift') };
}

/**
 * Pixels [1, H, W, 3] (0–255), or [1, H, W, 1] int32 of packed RGBA bytes → the normalized
 * [1, size, size, 3] crop of their resize.
 */
export function resizeCropNormalize(x: tf.Tensor4D, attrs: ResizeCropNormalizeAttrs): tf.Tensor4D {
  return tf.engine().runKernel(RESIZE_CROP_NORMALIZE, { x }, { ...attrs });
}

function wasmResizeCropNormalize({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const b = backend as WasmBackendLike;
  const g = resizeCropGeometry(inputs, attrs ?? {});
  const x = inputs.x as TensorInfo;
  const kernels = kernelsOf(b);
  const out = b.makeOutput([1, g.size, g.size, 3], 'float32');
  const run =
    g.layout === 'rgba8'
      ? kernels.exports.resize_crop_normalize_rgba8
      : x.dtype === 'int32'
        ? kernels.exports.resize_crop_normalize_i32
        : kernels.exports.resize_crop_normalize_f32;
  run(
    ...[offsetOf(b, x), offsetOf(b, out), g.height, g.width, g.resizedHeight, g.resizedWidth],
    ...[g.top, g.left, g.size, ...g.scale, ...g.shift],
  );
  return out;
}

export const resizeCropNormalizeKernel: KernelDefinition<typeof RESIZE_CROP_NORMALIZE> = {
  name: RESIZE_CROP_NORMALIZE,
  backends: { wasm: wasmResizeCropNormalize },
};
