/**
 * The area pre-shrink of packed RGBA pixels: each factor × factor block of a region becomes
 * its mean RGB (alpha dropped). inputs: x [1, H, W, 1] int32 of packed RGBA bytes (as for
 * the resize-crop-normalize kernel). attrs: top, left, height, width (the region; height
 * and width multiples of factor), factor ≥ 2. Output [1, height / factor, width / factor,
 * 3] float32, 0–255. WASM only: area_shrink_rgba.c.
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { tf } from '../../tf';
import type { KernelArgs, KernelDefinition, TensorLike } from '../kernel';
import { pixelLayout, positiveInt } from '../kernel';
import type { WasmBackendLike } from '../wasm/module';
import { kernelsOf, offsetOf } from '../wasm/module';

export const AREA_SHRINK_RGBA = 'WebnetsAreaShrinkRgba';

export interface AreaShrinkRgbaAttrs {
  top: number;
  left: number;
  height: number;
  width: number;
  factor: number;
}

/**
 * The call's sizes, checked: x is [1, H, W, 1] int32 of packed RGBA bytes, the region lies
 * inside it and its sides are whole multiples of factor ≥ 2.
 */
export function areaShrinkGeometry(
  inputs: Record<string, TensorLike | undefined>,
  attrs: Partial<Record<keyof AreaShrinkRgbaAttrs, unknown>>,
): AreaShrinkRgbaAttrs & { imageWidth: number; outHeight: number; outWidth: number } {
  const K = AREA_SHRINK_RGBA;
  const { height, width } = pixelLayout(K, inputs.x, ['rgba8']);
  const int = (name: keyof AreaShrinkRgbaAttrs, min: number): number =>
    positiveInt(K, name, attrs[name], min);
  const g = {
    top: int('top', 0),
    left: int('left', 0),
    height: int('height', 1),
    width: int('width', 1),
    factor: int('factor', 2),
  };
  if (g.top + g.height > height || g.left + g.width > width) {
    throw new Error(
      `${K}: the ${g.height}×${g.width} region at (${g.top}, ${g.left}) leaves the ${height}×${width} image`,
    );
  }
  if (g.height % g.factor !== 0 || g.width % g.factor !== 0) {
    throw new Error(
      `${K}: the region ${g.height}×${g.width} is not a whole number of ${g.factor}×${g.factor} blocks`,
    );
  }
  return {
    ...g,
    imageWidth: width,
    outHeight: g.height / g.factor,
    outWidth: g.width / g.factor,
  };
}

/** Packed RGBA pixels [1, H, W, 1] int32 → the mean RGB of each factor² block of a region. */
export function areaShrinkRgba(x: tf.Tensor4D, attrs: AreaShrinkRgbaAttrs): tf.Tensor4D {
  return tf.engine().runKernel(AREA_SHRINK_RGBA, { x }, { ...attrs });
}

function wasmAreaShrinkRgba({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const b = backend as WasmBackendLike;
  const g = areaShrinkGeometry(inputs, attrs ?? {});
  const out = b.makeOutput([1, g.outHeight, g.outWidth, 3], 'float32');
  kernelsOf(b).exports.area_shrink_rgba8(
    ...[offsetOf(b, inputs.x as TensorInfo), offsetOf(b, out), g.imageWidth],
    ...[g.top, g.left, g.outHeight, g.outWidth, g.factor],
  );
  return out;
}

export const areaShrinkRgbaKernel: KernelDefinition<typeof AREA_SHRINK_RGBA> = {
  name: AREA_SHRINK_RGBA,
  backends: { wasm: wasmAreaShrinkRgba },
};
