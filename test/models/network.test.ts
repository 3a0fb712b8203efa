/**
 * createNetwork's contract (weights checked, ownership, input checks) and the grouped-conv
 * ops against an independent formulation, on cpu and wasm.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createNetwork } from '../../src/models/network';
import { kernelConfig, packDenseFilter, selectConv, unpackDenseFilter } from '../../src/kernels';
import { prepareConv, prepareResidualConv } from '../../src/models/ops';
import type { ConvSpec } from '../../src/models/spec';
import {
  denseConv,
  groupedConv,
  prepareGroupedFilter,
  splitGroupedConv,
  splitGroupedFilter,
} from '../../src/models/stock';
import { getSpec } from '../../src/models/presets';
import { tf } from '../../src/tf';
import { syntheticWeights } from '../../src/weights/synthetic';
import { TEST_BACKENDS, useBackend } from '../helpers/backends';

/** A grouped conv as one dense conv whose filter is zero outside each group's block. */
function blockDiagonalConv(
  x: tf.Tensor4D,
  hwio: tf.Tensor4D,
  bias: tf.Tensor1D,
  stride: number,
  groups: number,
): tf.Tensor4D {
  return tf.tidy((): tf.Tensor4D => {
    const [k, , inPerGroup, out] = hwio.shape;
    const outPerGroup = out / groups;
    const w = hwio.arraySync();
    const dense = tf.buffer([k, k, inPerGroup * groups, out]);
    for (let y = 0; y < k; y++)
      for (let xx = 0; xx < k; xx++)
        for (let i = 0; i < inPerGroup; i++)
          for (let o = 0; o < out; o++) {
            const g = Math.floor(o / outPerGroup);
            dense.set(w[y]![xx]![i]![o]!, y, xx, g * inPerGroup + i, o);
          }
    const y = tf.conv2d(x, dense.toTensor() as tf.Tensor4D, stride, k >> 1);
    return tf.relu(tf.add<tf.Tensor4D>(y, bias));
  });
}

describe.each(TEST_BACKENDS)('on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it.each([
    [9, 12, 3, 1],
    [10, 24, 2, 2],
    [7, 40, 5, 2],
  ])(
    'grouped conv (side %i, %i channels, %i groups, stride %i): both forms agree with a block-diagonal conv',
    async (side, channels, groups, stride) => {
      const x = tf.randomNormal([2, side, side, channels], 0, 1, 'float32', 1) as tf.Tensor4D;
      const w = tf.randomNormal(
        [3, 3, channels / groups, channels],
        0,
        0.3,
        'float32',
        2,
      ) as tf.Tensor4D;
      const b = tf.randomNormal([channels], 0, 0.3, 'float32', 3) as tf.Tensor1D;
      const reference = await blockDiagonalConv(x, w, b, stride, groups).data();
      const depthwiseForm = prepareGroupedFilter(w, groups);
      const split = splitGroupedFilter(w, b, groups);
      const viaDepthwise = await groupedConv(x, depthwiseForm, b, stride, groups, 'relu').data();
      const viaSplit = await splitGroupedConv(
        x,
        split.filters,
        split.biases,
        stride,
        'relu',
      ).data();
      for (const actual of [viaDepthwise, viaSplit]) {
        expect(actual.length).toBe(reference.length);
        const maxDiff = Math.max(...actual.map((v, i) => Math.abs(v - reference[i]!)));
        expect(maxDiff).toBeLessThan(1e-4);
      }
    },
  );

  it('a 1×1 conv on a packed filter gives what the HWIO filter gives (kernel, or unpacked)', async () => {
    const x = tf.randomNormal([2, 5, 6, 64], 0, 1, 'float32', 4) as tf.Tensor4D;
    const w = tf.randomNormal([1, 1, 64, 40], 0, 0.2, 'float32', 5) as tf.Tensor4D;
    const b = tf.randomNormal([40], 0, 0.3, 'float32', 6) as tf.Tensor1D;
    const r = tf.randomNormal([2, 5, 6, 40], 0, 1, 'float32', 7) as tf.Tensor4D;
    const spec: ConvSpec = {
      name: 'conv',
      inChannels: 64,
      outChannels: 40,
      kernel: 1,
      stride: 1,
      groups: 1,
      act: 'relu',
      norm: { kind: 'bias' },
    };
    const config = kernelConfig();
    // Packed where webnets' kernel reads packed filters; elsewhere the packing's inverse.
    const kernel = backend === 'wasm+kernels';
    expect(selectConv({ kind: 'dense', ...spec }, config)).toBe(kernel ? 'kernel-packed' : 'stock');
    const weight = kernel ? w : unpackDenseFilter(packDenseFilter(w));
    const plain = prepareConv(spec, weight, b, config);
    const closing = prepareResidualConv({ ...spec, act: 'linear' }, weight, b, 'relu', config);
    for (const residual of [undefined, r]) {
      const hwio = denseConv(x, w, b, 1, residual ? 'linear' : 'relu');
      const want = await (residual ? tf.relu(tf.add(hwio, residual)) : hwio).data();
      const got = await (residual ? closing.run(x, residual) : plain.run(x)).data();
      const maxDiff = Math.max(...got.map((v, i) => Math.abs(v - want[i]!)));
      expect(maxDiff).toBeLessThan(1e-5);
    }
    tf.dispose([...plain.tensors, ...closing.tensors]);
    tf.dispose([x, w, b, r, weight]);
  });

  it('takes ownership of the weights: dispose() frees them all, and forward and logits leak nothing', async () => {
    const spec = getSpec('regnety-200mf');
    const before = tf.memory().numTensors;
    const network = createNetwork(spec, syntheticWeights(spec, 1));
    const created = tf.memory().numTensors;
    const input = tf.zeros([2, 32, 32, 3]) as tf.Tensor4D;
    for (let i = 0; i < 3; i++) {
      const { logits, features } = network.forward(input);
      tf.dispose([logits, features, network.logits(input)]);
    }
    expect(tf.memory().numTensors).toBe(created + 1);
    input.dispose();
    network.dispose();
    network.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(() => network.forward(tf.zeros([1, 32, 32, 3]))).toThrow(
      /forward\(\) after dispose\(\)/,
    );
  });

  it('refuses weights that do not fit the spec, naming each tensor and owning nothing', () => {
    const spec = getSpec('fd-mobilenet-0.25x');
    const weights = syntheticWeights(spec, 1);
    const tensors = tf.memory().numTensors;
    weights['features.dw_conv_3.weight']!.dispose();
    delete weights['features.dw_conv_3.weight'];
    const bias = weights['classifier.bias']!;
    weights['classifier.bias'] = tf.zeros([10]);
    weights['features.extra'] = tf.zeros([1]);
    expect(() => createNetwork(spec, weights)).toThrow(
      /weights for fd-mobilenet-0\.25x do not match its spec: missing features\.dw_conv_3\.weight \[3, 3, 32, 1\]; classifier\.bias is \[10\], expected \[1000\]; unexpected tensor features\.extra/,
    );
    expect(tf.memory().numTensors).toBe(tensors + 1); // −1 disposed, +2 added: the caller still owns them
    tf.dispose([bias, ...Object.values(weights)]);
  });

  it('refuses an input that is not a float32 NHWC RGB batch', () => {
    const spec = getSpec('fd-mobilenet-0.25x');
    const network = createNetwork(spec, syntheticWeights(spec, 1));
    const nchw = tf.zeros([1, 3, 224, 224]) as tf.Tensor4D;
    expect(() => network.forward(nchw)).toThrow(
      /network fd-mobilenet-0\.25x: input must be a float32 NHWC batch \[N, 224, 224, 3\], got float32 \[1, 3, 224, 224\]/,
    );
    tf.dispose(nchw);
    network.dispose();
  });
});
