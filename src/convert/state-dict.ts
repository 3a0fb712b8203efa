/**
 * What checkpoint readers produce and name maps consume: source tensors by name, in the
 * source's own layout (PyTorch: NCHW / OIHW), converted to float32.
 */
export interface SourceTensor {
  shape: number[];
  data: Float32Array;
}

export type StateDict = Map<string, SourceTensor>;

/**
 * A tensor whose float32 values are made only when read: converting reads one tensor at a
 * time, so a page holds the checkpoint and the pack, not a third and fourth copy.
 */
export interface LazyTensor {
  shape: number[];
  read(): Float32Array;
}

export type LazyStateDict = Map<string, LazyTensor>;

export const lazyTensor = (t: SourceTensor): LazyTensor => ({
  shape: t.shape,
  read: () => t.data,
});

/** The values of either kind of tensor. */
export const valuesOf = (t: SourceTensor | LazyTensor): Float32Array =>
  'data' in t ? t.data : t.read();
