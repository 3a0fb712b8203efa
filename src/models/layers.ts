/**
 * One forward implementation per block kind, shared by every preset. A block is
 * prepared once from its spec and weights (layout work in ops.ts `prepare*`), then its
 * `forward` only chains ops.
 */
import type { tf } from '../tf';
import {
  conv,
  convResidual,
  pointwiseMatrix,
  prepareConv,
  preparedTensors,
  squeezeExcite,
} from './ops';
import type { PreparedConv, PreparedSqueezeExcite } from './ops';
import type { BlockSpec, ConvSpec, SqueezeExciteSpec } from './spec';

/** Reads a weight by name (createNetwork checked names and shapes beforehand). */
export type WeightReader = (name: string) => tf.Tensor;

export interface Layer {
  forward(x: tf.Tensor4D): tf.Tensor4D;
  /** Every tensor the layer reads at forward time (for disposal). */
  tensors: tf.Tensor[];
}

function prepare(spec: ConvSpec, read: WeightReader): PreparedConv {
  return prepareConv(
    spec,
    read(`${spec.name}.weight`) as tf.Tensor4D,
    read(`${spec.name}.bias`) as tf.Tensor1D,
  );
}

function prepareSE(spec: SqueezeExciteSpec, read: WeightReader): PreparedSqueezeExcite {
  return {
    reduceWeight: pointwiseMatrix(read(`${spec.reduce.name}.weight`) as tf.Tensor4D),
    reduceBias: read(`${spec.reduce.name}.bias`) as tf.Tensor1D,
    reduceAct: spec.reduce.act,
    expandWeight: pointwiseMatrix(read(`${spec.expand.name}.weight`) as tf.Tensor4D),
    expandBias: read(`${spec.expand.name}.bias`) as tf.Tensor1D,
  };
}

const convTensors = (...convs: (PreparedConv | undefined)[]) =>
  convs.flatMap((c) => (c ? preparedTensors(c) : []));
const seTensors = (se: PreparedSqueezeExcite | undefined) =>
  se ? [se.reduceWeight, se.reduceBias, se.expandWeight, se.expandBias] : [];

/** Builds the runnable layer for a block. */
export function buildLayer(block: BlockSpec, read: WeightReader): Layer {
  switch (block.kind) {
    case 'conv': {
      const c = prepare(block.conv, read);
      return { forward: (x) => conv(x, c), tensors: convTensors(c) };
    }
    case 'dwsep': {
      const dw = prepare(block.depthwise, read);
      const pw = prepare(block.pointwise, read);
      return { forward: (x) => conv(conv(x, dw), pw), tensors: convTensors(dw, pw) };
    }
    case 'mbconv': {
      const expand = block.expand && prepare(block.expand, read);
      const dw = prepare(block.depthwise, read);
      const se = block.se && prepareSE(block.se, read);
      const project = prepare(block.project, read);
      const residual = block.residual;
      return {
        forward(x) {
          let h = expand ? conv(x, expand) : x;
          h = conv(h, dw);
          if (se) h = squeezeExcite(h, se);
          return residual ? convResidual(h, project, x, 'linear') : conv(h, project);
        },
        tensors: [...convTensors(expand, dw, project), ...seTensors(se)],
      };
    }
    case 'bottleneck': {
      const a = prepare(block.a, read);
      const b = prepare(block.b, read);
      const se = block.se && prepareSE(block.se, read);
      const c = prepare(block.c, read);
      const shortcut = block.shortcut && prepare(block.shortcut, read);
      return {
        forward(x) {
          let h = conv(conv(x, a), b);
          if (se) h = squeezeExcite(h, se);
          return convResidual(h, c, shortcut ? conv(x, shortcut) : x, 'relu');
        },
        tensors: [...convTensors(a, b, c, shortcut), ...seTensors(se)],
      };
    }
  }
}
