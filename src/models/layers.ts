/**
 * One forward implementation per block kind, shared by every preset. A block is
 * prepared once from its spec, its weights and the kernel configuration of the backend
 * (ops.ts `prepare*`: implementation and weight layout chosen there), then its `forward`
 * only chains the prepared ops.
 */
import type { KernelConfig } from '../kernels';
import type { tf } from '../tf';
import { pointwiseMatrix, prepareConv, prepareResidualConv, prepareSqueezeExcite } from './ops';
import type { PreparedConv, PreparedResidualConv, PreparedSqueezeExcite } from './ops';
import type { BlockSpec, ConvSpec, SqueezeExciteSpec } from './spec';

/** Reads a weight by name (createNetwork checked names and shapes beforehand). */
export type WeightReader = (name: string) => tf.Tensor;

export interface Layer {
  forward(x: tf.Tensor4D): tf.Tensor4D;
  /** Every tensor the layer reads at forward time (for disposal). */
  tensors: tf.Tensor[];
}

/** Prepares the ops of layers for one backend's kernel configuration. */
function preparer(read: WeightReader, config: KernelConfig) {
  const weight = (spec: ConvSpec) => read(`${spec.name}.weight`) as tf.Tensor4D;
  const bias = (spec: ConvSpec) => read(`${spec.name}.bias`) as tf.Tensor1D;
  return {
    conv: (spec: ConvSpec): PreparedConv => prepareConv(spec, weight(spec), bias(spec), config),
    residualConv: (spec: ConvSpec, act: 'linear' | 'relu'): PreparedResidualConv =>
      prepareResidualConv(spec, weight(spec), bias(spec), act, config),
    se: (spec: SqueezeExciteSpec): PreparedSqueezeExcite =>
      prepareSqueezeExcite(
        {
          reduceWeight: pointwiseMatrix(weight(spec.reduce)),
          reduceBias: bias(spec.reduce),
          expandWeight: pointwiseMatrix(weight(spec.expand)),
          expandBias: bias(spec.expand),
        },
        spec.reduce.act,
        config,
      ),
  };
}

const tensorsOf = (...ops: ({ tensors: tf.Tensor[] } | undefined)[]) =>
  ops.flatMap((op) => op?.tensors ?? []);

/** Builds the runnable layer for a block on the backend `config` describes. */
export function buildLayer(block: BlockSpec, read: WeightReader, config: KernelConfig): Layer {
  const prepare = preparer(read, config);
  switch (block.kind) {
    case 'conv': {
      const c = prepare.conv(block.conv);
      return { forward: c.run, tensors: c.tensors };
    }
    case 'dwsep': {
      const dw = prepare.conv(block.depthwise);
      const pw = prepare.conv(block.pointwise);
      return { forward: (x) => pw.run(dw.run(x)), tensors: tensorsOf(dw, pw) };
    }
    case 'mbconv': {
      const expand = block.expand && prepare.conv(block.expand);
      const dw = prepare.conv(block.depthwise);
      const se = block.se && prepare.se(block.se);
      const project = block.residual ? null : prepare.conv(block.project);
      const projectAdd = block.residual ? prepare.residualConv(block.project, 'linear') : null;
      return {
        forward(x) {
          let h = expand ? expand.run(x) : x;
          h = dw.run(h);
          if (se) h = se.run(h);
          return projectAdd ? projectAdd.run(h, x) : project!.run(h);
        },
        tensors: tensorsOf(expand, dw, se, project ?? projectAdd!),
      };
    }
    case 'bottleneck': {
      const a = prepare.conv(block.a);
      const b = prepare.conv(block.b);
      const se = block.se && prepare.se(block.se);
      const c = prepare.residualConv(block.c, 'relu');
      const shortcut = block.shortcut && prepare.conv(block.shortcut);
      return {
        forward(x) {
          let h = b.run(a.run(x));
          if (se) h = se.run(h);
          return c.run(h, shortcut ? shortcut.run(x) : x);
        },
        tensors: tensorsOf(a, b, se, c, shortcut),
      };
    }
  }
}
