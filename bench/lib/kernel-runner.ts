/**
 * One bench/lib/kernel-cases.ts case ready to run, prepared as the network prepares it
 * (src/models/ops.ts) on seeded random weights and input: `kernel` by the active backend's
 * kernel configuration (webnets' kernels, as the network runs there), `stock` by the same
 * configuration with none of webnets' kernels (the tfjs composition they replace).
 */
import * as K from '../../src/kernels';
import { outSide } from '../../src/models/complexity';
import type { KernelConfig } from '../../src/kernels';
import {
  pointwiseMatrix,
  prepareConv,
  prepareResidualConv,
  prepareSqueezeExcite,
} from '../../src/models/ops';
import type { ConvSpec, SqueezeExciteSpec } from '../../src/models/spec';
import { convWeightShape } from '../../src/models/spec';
import * as stock from '../../src/models/stock';
import { tf } from '../../src/tf';
import { randomArray } from '../../test/kernels/random';
import type { KernelCase, KernelOp } from './kernel-cases';

export interface Runner {
  stock(): tf.Tensor;
  kernel(): tf.Tensor;
  dispose(): void;
}

function tensor(shape: number[], seed: number, scale = 1): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(randomArray(size, seed, scale), shape);
}

/** The active backend's configuration without any of webnets' kernels. */
function stockConfig(config: KernelConfig): KernelConfig {
  const none = Object.fromEntries(Object.keys(config.kernels).map((k) => [k, false]));
  return { ...config, kernels: none as KernelConfig['kernels'] };
}

type Op = (x: tf.Tensor4D) => tf.Tensor;
type Prepare = (config: KernelConfig) => { run: Op; tensors: tf.Tensor[] };

function convOp(
  conv: ConvSpec,
  residual: 'linear' | 'relu' | null,
  out: number,
): [Prepare, tf.Tensor[]] {
  const w = tensor(convWeightShape(conv), 2, 0.1) as tf.Tensor4D;
  const b = tensor([conv.outChannels], 3) as tf.Tensor1D;
  if (residual === null) return [(config) => prepareConv(conv, w, b, config), [w, b]];
  const r = tensor([1, out, out, conv.outChannels], 4) as tf.Tensor4D;
  const prepare: Prepare = (config) => {
    const op = prepareResidualConv(conv, w, b, residual, config);
    return { run: (x) => op.run(x, r), tensors: op.tensors };
  };
  return [prepare, [w, b, r]];
}

function seOp(se: SqueezeExciteSpec): [Prepare, tf.Tensor[]] {
  const [c, s] = [se.reduce.inChannels, se.reduce.outChannels];
  const weights = {
    reduceWeight: pointwiseMatrix(tensor([1, 1, c, s], 2, 0.1) as tf.Tensor4D),
    reduceBias: tensor([s], 3) as tf.Tensor1D,
    expandWeight: pointwiseMatrix(tensor([1, 1, s, c], 4, 0.1) as tf.Tensor4D),
    expandBias: tensor([c], 5) as tf.Tensor1D,
  };
  const prepare: Prepare = (config) => prepareSqueezeExcite(weights, se.reduce.act, config);
  return [prepare, Object.values(weights)];
}

/** The op's input shape, how to prepare it, and the tensors it was given. */
function prepared(op: KernelOp): { input: number[]; prepare: Prepare; owned: tf.Tensor[] } {
  switch (op.kind) {
    case 'conv': {
      const { conv, size, residual } = op;
      const out = outSide(size, conv);
      const [prepare, owned] = convOp(conv, residual, out);
      return { input: [1, size, size, conv.inChannels], prepare, owned };
    }
    case 'squeezeExcite': {
      const [prepare, owned] = seOp(op.se);
      return { input: [1, op.size, op.size, op.se.reduce.inChannels], prepare, owned };
    }
    case 'silu': {
      const prepare: Prepare = (config) => ({
        run: K.selectSilu(config) === 'kernel' ? K.silu : stock.silu,
        tensors: [],
      });
      return { input: op.shape, prepare, owned: [] };
    }
    case 'addActivation': {
      const y = tensor(op.shape, 2, 4) as tf.Tensor4D;
      const prepare: Prepare = (config) => ({
        run:
          K.selectAddActivation(op.act, config) === 'kernel'
            ? (x) => K.addActivation(x, y, op.act)
            : (x) => stock.addActivation(x, y, op.act),
        tensors: [],
      });
      return { input: op.shape, prepare, owned: [y] };
    }
  }
}

/**
 * Both sides of a case on the active backend (webnets' kernels registered there), `kernel`
 * as `config` picks (default: the backend's).
 */
export function runner(c: KernelCase, config: KernelConfig = K.kernelConfig()): Runner {
  const { input, prepare, owned } = prepared(c.op);
  const x = tensor(input, 1, 4) as tf.Tensor4D;
  const ours = prepare(config);
  const theirs = prepare(stockConfig(config));
  return {
    stock: () => tf.tidy(() => theirs.run(x)),
    kernel: () => tf.tidy(() => ours.run(x)),
    dispose: () => tf.dispose([x, ...owned, ...ours.tensors, ...theirs.tensors]),
  };
}
