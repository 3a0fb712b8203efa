/**
 * One bench/kernel-shapes.ts layer, ready to run: webnets' kernel and the stock tfjs
 * composition it replaces, on seeded random inputs (bench/kernels.ts, bench/ab.ts).
 */
import { addActivation, depthwiseConv2d, groupConv2d, silu, squeezeExcite } from '../src/kernels';
import { tf } from '../src/tf';
import { randomArray } from '../test/kernels/random';
import { stockOps } from '../test/kernels/stock';
import type { BenchCase } from './kernel-shapes';

const {
  activate: stockActivate,
  groupConv: stockGroupConv,
  squeezeExcite: stockSqueezeExcite,
} = stockOps(tf);

export interface Runner {
  stock(): tf.Tensor;
  kernel(): tf.Tensor;
  dispose(): void;
}

function tensor(shape: number[], seed: number, scale = 1): tf.Tensor {
  return tf.tensor(
    randomArray(
      shape.reduce((a, b) => a * b, 1),
      seed,
      scale,
    ),
    shape,
  );
}

export function runner(c: BenchCase): Runner {
  if (c.op === 'groupConv') {
    const { size, channels, groupWidth, stride } = c;
    const groups = channels / groupWidth;
    const x = tensor([1, size, size, channels], 1) as tf.Tensor4D;
    const w = tensor([3, 3, groupWidth, channels], 2, 0.1) as tf.Tensor4D;
    const b = tensor([channels], 3) as tf.Tensor1D;
    const stock = stockGroupConv(w, groups);
    return {
      stock: () => stock.run(x, b, stride, 'relu'),
      kernel: () => groupConv2d(x, w, b, { strides: stride, groups, activation: 'relu' }),
      dispose: () => {
        tf.dispose([x, w, b]);
        stock.dispose();
      },
    };
  }
  if (c.op === 'squeezeExcite') {
    const { size, channels, squeezed, act, inputAct } = c;
    const x = tensor([1, size, size, channels], 1) as tf.Tensor4D;
    const weights = {
      reduceWeight: tensor([channels, squeezed], 2, 0.1) as tf.Tensor2D,
      reduceBias: tensor([squeezed], 3) as tf.Tensor1D,
      expandWeight: tensor([squeezed, channels], 4, 0.1) as tf.Tensor2D,
      expandBias: tensor([channels], 5) as tf.Tensor1D,
    };
    const { reduceWeight: w1, reduceBias: b1, expandWeight: w2, expandBias: b2 } = weights;
    return {
      stock: () => stockSqueezeExcite(x, w1, b1, w2, b2, act, inputAct),
      kernel: () => squeezeExcite(x, weights, { activation: act, inputActivation: inputAct }),
      dispose: () => tf.dispose([x, ...Object.values(weights)]),
    };
  }
  if (c.op === 'dense') {
    const x = tensor([1, c.size, c.size, c.cin], 1) as tf.Tensor4D;
    const w = tensor([1, 1, c.cin, c.cout], 2, 0.1) as tf.Tensor4D;
    const b = tensor([c.cout], 3) as tf.Tensor1D;
    const r = tensor([1, c.size, c.size, c.cout], 4) as tf.Tensor4D;
    const residual = c.residual ? r : undefined;
    const act = c.act;
    return {
      // tfjs fuses bias and ReLU into its (XNNPACK) conv; SiLU and the residual are extra ops
      stock: () =>
        tf.tidy(() => {
          const fused = act === 'relu' && !residual ? 'relu' : 'linear';
          const y = tf.fused.conv2d({
            x,
            filter: w,
            bias: b,
            strides: 1,
            pad: 0,
            activation: fused,
          });
          const summed = residual ? tf.add(y, residual) : y;
          return act === 'relu' && !residual ? summed : stockActivate(summed, act);
        }),
      kernel: () => groupConv2d(x, w, b, { strides: 1, groups: 1, activation: act }, residual),
      dispose: () => tf.dispose([x, w, b, r]),
    };
  }
  if (c.op === 'stem') {
    const x = tensor([1, c.size, c.size, 3], 1) as tf.Tensor4D;
    const w = tensor([3, 3, 3, c.cout], 2, 0.3) as tf.Tensor4D;
    const b = tensor([c.cout], 3) as tf.Tensor1D;
    const act = c.act;
    const pad: [[number, number], [number, number], [number, number], [number, number]] = [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ];
    return {
      stock: () =>
        tf.tidy(() => {
          const fused = act === 'relu' ? 'relu' : 'linear';
          const y = tf.fused.conv2d({ x, filter: w, bias: b, strides: 2, pad, activation: fused });
          return act === 'silu' ? stockActivate(y, 'silu') : y;
        }),
      kernel: () => groupConv2d(x, w, b, { strides: 2, groups: 1, activation: act }),
      dispose: () => tf.dispose([x, w, b]),
    };
  }
  if (c.op === 'depthwise') {
    const { size, channels, k, stride, act } = c;
    const x = tensor([1, size, size, channels], 1) as tf.Tensor4D;
    const w = tensor([k, k, channels, 1], 2, 0.3) as tf.Tensor4D;
    const b = tensor([channels], 3) as tf.Tensor1D;
    return {
      stock: () =>
        tf.tidy(() => {
          const fused = act === 'relu' ? 'relu' : 'linear';
          const y = tf.fused.depthwiseConv2d({
            x,
            filter: w,
            bias: b,
            strides: stride,
            pad: k >> 1,
            activation: fused,
          });
          return act === 'silu' ? stockActivate(y, 'silu') : y;
        }),
      kernel: () => depthwiseConv2d(x, w, b, { strides: stride, activation: act }),
      dispose: () => tf.dispose([x, w, b]),
    };
  }
  const x = tensor(c.shape, 1, 4);
  if (c.op === 'silu') {
    return {
      stock: () => stockActivate(x, 'silu'),
      kernel: () => silu(x),
      dispose: () => x.dispose(),
    };
  }
  const y = tensor(c.shape, 2, 4);
  return {
    stock: () => tf.tidy(() => tf.relu(tf.add(x, y))),
    kernel: () => addActivation(x, y, 'relu'),
    dispose: () => tf.dispose([x, y]),
  };
}
