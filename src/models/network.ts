/**
 * A runnable network: a spec bound to weights on the current tfjs backend.
 * (The implementation, `createNetwork`, lives here too; see layers.ts for the blocks.)
 */
import type { tf } from '../runtime/tf';
import type { NetworkSpec } from './spec';

export interface NetworkOutput {
  /** [N, classes] */
  logits: tf.Tensor2D;
  /** [N, features]: the globally pooled features the classifier reads. */
  features: tf.Tensor2D;
}

export interface Network {
  readonly spec: NetworkSpec;
  /**
   * Runs the network on a normalized NHWC float32 batch [N, inputSize, inputSize, 3].
   * Intermediates are freed inside; the caller owns (and disposes) the two outputs.
   */
  forward(input: tf.Tensor4D): NetworkOutput;
  /** Frees the weights (and anything derived from them at creation). */
  dispose(): void;
}
