/**
 * The stock tfjs compositions the kernels replace: what webnets' models run when a
 * kernel is not registered — the baseline for tests and the e2e page.
 * Takes the tfjs namespace, so the browser page can run them on the bundled tfjs.
 */
import type * as tfc from '@tensorflow/tfjs-core';
import type { KernelActivation } from '../../src/kernels';

type Tf = typeof tfc;

export interface StockGroupConv {
  run(x: tfc.Tensor4D, bias: tfc.Tensor1D, stride: number, act: KernelActivation): tfc.Tensor4D;
  dispose(): void;
}

export function stockOps(tf: Tf) {
  function activate<T extends tfc.Tensor>(x: T, act: KernelActivation): T {
    if (act === 'relu') return tf.relu(x);
    if (act === 'silu') return tf.mul(x, tf.sigmoid(x));
    return x;
  }

  /**
   * Grouped conv as a depthwise conv with channel multiplier gOut: input channel ci of
   * group g produces gOut partial outputs; summing them over the gIn inputs of the group
   * gives the grouped conv. The depthwise filter is built once, as a model would.
   */
  function groupConv(w: tfc.Tensor4D, groups: number): StockGroupConv {
    const [k = 0, , gIn = 0, cout = 0] = w.shape;
    const gOut = cout / groups;
    const dw = tf.tidy(() =>
      tf.reshape(tf.transpose(tf.reshape(w, [k, k, gIn, groups, gOut]), [0, 1, 3, 2, 4]), [
        k,
        k,
        gIn * groups,
        gOut,
      ]),
    ) as tfc.Tensor4D;
    return {
      run: (x, bias, stride, act) =>
        tf.tidy(() => {
          const pad = Math.floor(k / 2);
          const padded = tf.pad(x, [
            [0, 0],
            [pad, pad],
            [pad, pad],
            [0, 0],
          ]);
          const partial = tf.depthwiseConv2d(padded, dw, stride, 'valid');
          const [n = 0, oh = 0, ow = 0] = partial.shape;
          const summed = tf.sum(tf.reshape(partial, [n, oh, ow, groups, gIn, gOut]), 4);
          return activate(tf.add(tf.reshape(summed, [n, oh, ow, cout]), bias), act) as tfc.Tensor4D;
        }),
      dispose: () => dw.dispose(),
    };
  }

  /** Squeeze-excitation with fused 1×1 convs (bias, relu or sigmoid fused where tfjs can). */
  function squeezeExcite(
    x: tfc.Tensor4D,
    w1: tfc.Tensor2D,
    b1: tfc.Tensor1D,
    w2: tfc.Tensor2D,
    b2: tfc.Tensor1D,
    act: 'relu' | 'silu',
    inputAct: 'linear' | 'silu',
  ): tfc.Tensor4D {
    return tf.tidy(() => {
      const xa = activate(x, inputAct);
      const [c = 0, cs = 0] = w1.shape;
      const pooled = tf.mean(xa, [1, 2], true) as tfc.Tensor4D;
      const reduce: tfc.Tensor4D = tf.fused.conv2d({
        x: pooled,
        filter: tf.reshape(w1, [1, 1, c, cs]) as tfc.Tensor4D,
        strides: 1,
        pad: 'valid',
        bias: b1,
        activation: act === 'relu' ? 'relu' : 'linear',
      });
      const hidden: tfc.Tensor4D = act === 'silu' ? activate(reduce, 'silu') : reduce;
      const gate = tf.fused.conv2d({
        x: hidden,
        filter: tf.reshape(w2, [1, 1, cs, c]) as tfc.Tensor4D,
        strides: 1,
        pad: 'valid',
        bias: b2,
        activation: 'sigmoid',
      });
      return tf.mul(xa, gate);
    });
  }

  return { activate, groupConv, squeezeExcite };
}
