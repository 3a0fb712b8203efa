/**
 * A small real network for testing the model object before (and independently of) the
 * real families: 3×3 stride-2 conv + ReLU → global average pool (the features) → dense.
 */
import type { Network } from '../../src/models/network';
import type { NetworkSpec, Preprocessing } from '../../src/models/spec';
import type { ModelInfo } from '../../src/runtime/model';
import { tf } from '../../src/tf';

export const tinyPreprocessing: Preprocessing = {
  inputSize: 16,
  resizeSize: 18,
  interpolation: 'bilinear',
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
};

export const tinyLabels = Array.from({ length: 10 }, (_, i) => `class-${i}`);

export function tinySpec(classes = 10): NetworkSpec {
  return {
    id: 'tiny',
    family: 'fd-mobilenet',
    config: {},
    inputSize: 16,
    blocks: [],
    features: 6,
    classifier: { name: 'fc', inFeatures: 6, outFeatures: classes },
    preprocessing: tinyPreprocessing,
  };
}

function seeded(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648 - 0.5;
  });
}

/** Builds the network's weights on the active backend. */
export function tinyNetwork(classes = 10, seed = 7): Network {
  const spec = tinySpec(classes);
  const conv = tf.tensor4d(seeded(3 * 3 * 3 * 6, seed), [3, 3, 3, 6]);
  const bias = tf.tensor1d(seeded(6, seed + 1));
  const fc = tf.tensor2d(seeded(6 * classes, seed + 2), [6, classes]);
  const fcBias = tf.tensor1d(seeded(classes, seed + 3));
  return {
    spec,
    forward: (x) =>
      tf.tidy(() => {
        const h = tf.relu(tf.add(tf.conv2d(x, conv, 2, 'same'), bias));
        const features = tf.mean(h, [1, 2]) as tf.Tensor2D;
        const logits = tf.add(tf.matMul(features, fc), fcBias) as tf.Tensor2D;
        return { logits, features };
      }),
    logits(x) {
      return tf.tidy(() => this.forward(x).logits);
    },
    dispose: () => tf.dispose([conv, bias, fc, fcBias]),
  };
}

export const tinyInfo: ModelInfo = {
  family: 'fd-mobilenet',
  complexity: { params: 3 * 3 * 3 * 6 + 6 + 6 * 10 + 10, macs: 0, activations: 0 },
  preprocessing: tinyPreprocessing,
  synthetic: true,
  labelSet: 'test',
  labels: tinyLabels,
  source: { format: 'synthetic', seed: 7 },
};
