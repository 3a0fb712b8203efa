/**
 * What checkpoint readers produce and name maps consume: source tensors by name, in the
 * source's own layout (PyTorch: NCHW / OIHW), converted to float32.
 */
export interface SourceTensor {
  shape: number[];
  data: Float32Array;
}

export type StateDict = Map<string, SourceTensor>;
