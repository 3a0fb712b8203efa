/**
 * One forward implementation per block kind, shared by every preset. A block is
 * prepared once from its spec, its weights and the kernel configuration of the backend
 * (ops.ts `prepare*`: implementation, fusion and weight layout chosen there), then its
 * `forward` only chains the prepared ops.
 */
import type { KernelConfig } from '../kernels';
import type { tf } from '../tf';
import {
  pointwiseMatrix,
  prepareConv,
  prepareEntryConv,
  prepareExcitedConv,
  prepareOutputConv,
  prepareProjectedOutput,
  prepareSeparable,
  thenOutput,
} from './ops';
import type {
  ConvWeights,
  Flow,
  PreparedConv,
  PreparedEntry,
  PreparedOutput,
  ResidualAct,
  SqueezeExciteOp,
} from './ops';
import type { BlockSpec, ConvSpec, SqueezeExciteSpec } from './spec';

/** Reads a weight by name (createNetwork checked names and shapes beforehand). */
export type WeightReader = (name: string) => tf.Tensor;

export interface Layer {
  forward(input: Flow): Flow;
  /** Every tensor the layer reads at forward time (for disposal). */
  tensors: tf.Tensor[];
  /** Its output Flow carries the next block's first conv (`entered`), chained in. */
  chainsNext: boolean;
}

/**
 * How a block links to its neighbours: the next block's first conv, which the block's
 * output op computes too where the kernel config picks it, and whether this block's own
 * first conv arrives computed (the previous layer's `chainsNext`).
 */
export interface Link {
  next?: ConvSpec;
  entered: boolean;
}

/** The conv a block starts with on its input, where a block before it may compute it. */
export function entryConv(block: BlockSpec | undefined): ConvSpec | undefined {
  return block?.kind === 'bottleneck' ? block.a : undefined;
}

/** Prepares the ops of layers for one backend's kernel configuration. */
function preparer(read: WeightReader, config: KernelConfig, link: Link) {
  const weights = (spec: ConvSpec): ConvWeights => ({
    spec,
    weight: read(`${spec.name}.weight`) as tf.Tensor4D,
    bias: read(`${spec.name}.bias`) as tf.Tensor1D,
  });
  const excitation = (se: SqueezeExciteSpec): SqueezeExciteOp => ({
    reduceAct: se.reduce.act,
    squeezed: se.reduce.outChannels,
    weights: () => ({
      reduceWeight: pointwiseMatrix(read(`${se.reduce.name}.weight`) as tf.Tensor4D),
      reduceBias: read(`${se.reduce.name}.bias`) as tf.Tensor1D,
      expandWeight: pointwiseMatrix(read(`${se.expand.name}.weight`) as tf.Tensor4D),
      expandBias: read(`${se.expand.name}.bias`) as tf.Tensor1D,
    }),
  });
  const next = link.next && weights(link.next);
  return {
    /** The block's first conv, or the map the previous block chained in. */
    entry: (spec: ConvSpec): PreparedEntry => prepareEntryConv(weights(spec), link.entered, config),
    conv: (spec: ConvSpec): PreparedConv => {
      const w = weights(spec);
      return prepareConv(spec, w.weight, w.bias, config);
    },
    /** A k×k grouped or depthwise conv, then the block's 1×1 output conv. */
    separable: (first: ConvSpec, output: ConvSpec, residualAct: ResidualAct): PreparedOutput =>
      prepareSeparable(weights(first), weights(output), residualAct, config, next),
    /** [Squeeze-excitation, then] the block's output conv. */
    output: (
      se: SqueezeExciteSpec | undefined,
      output: ConvSpec,
      residualAct: ResidualAct,
    ): PreparedOutput => {
      if (!se) return prepareOutputConv(weights(output), residualAct, config, next);
      const { weights: seWeights, reduceAct } = excitation(se);
      const out = weights(output);
      return prepareExcitedConv(seWeights(), reduceAct, out, residualAct, config, next);
    },
    /**
     * first → [SE →] output + projection shortcut, act: `run(h, x)` with the block's input,
     * or null where the config keeps the projection apart.
     */
    projected: (
      first: ConvSpec,
      se: SqueezeExciteSpec | undefined,
      output: ConvSpec,
      shortcut: ConvSpec,
      act: 'linear' | 'relu',
    ): PreparedOutput | null =>
      prepareProjectedOutput(
        weights(first),
        se && excitation(se),
        weights(output),
        weights(shortcut),
        act,
        config,
        next,
      ),
  };
}

const tensorsOf = (...ops: ({ tensors: tf.Tensor[] } | undefined)[]) =>
  ops.flatMap((op) => op?.tensors ?? []);

/**
 * Builds the runnable layer for a block on the backend `config` describes, linked to its
 * neighbours by `link` (network.ts plans it from the layer before).
 */
export function buildLayer(
  block: BlockSpec,
  read: WeightReader,
  config: KernelConfig,
  link: Link = { entered: false },
): Layer {
  const prepare = preparer(read, config, link);
  switch (block.kind) {
    case 'conv': {
      const c = prepare.conv(block.conv);
      return { forward: (input) => ({ x: c.run(input.x) }), tensors: c.tensors, chainsNext: false };
    }
    case 'dwsep': {
      const unit = prepare.separable(block.depthwise, block.pointwise, null);
      return {
        forward: (input) => unit.run(input.x),
        tensors: unit.tensors,
        chainsNext: unit.chains,
      };
    }
    case 'mbconv': {
      const expand = block.expand && prepare.conv(block.expand);
      const dw = prepare.conv(block.depthwise);
      const out = prepare.output(block.se, block.project, block.residual ? 'linear' : null);
      return {
        forward({ x }) {
          const h = dw.run(expand ? expand.run(x) : x);
          return out.run(h, block.residual ? x : undefined);
        },
        tensors: tensorsOf(expand, dw, out),
        chainsNext: out.chains,
      };
    }
    case 'bottleneck': {
      const a = prepare.entry(block.a);
      const projected =
        block.shortcut && prepare.projected(block.b, block.se, block.c, block.shortcut, 'relu');
      if (projected) {
        return {
          forward: (input) => projected.run(a.run(input), input.x),
          tensors: tensorsOf(a, projected),
          chainsNext: projected.chains,
        };
      }
      // b → [SE →] c + shortcut, ReLU: with SE between them, b and c cannot be fused.
      const rest = block.se
        ? thenOutput(prepare.conv(block.b), prepare.output(block.se, block.c, 'relu'))
        : prepare.separable(block.b, block.c, 'relu');
      const shortcut = block.shortcut && prepare.conv(block.shortcut);
      return {
        forward: (input) => rest.run(a.run(input), shortcut ? shortcut.run(input.x) : input.x),
        tensors: tensorsOf(a, rest, shortcut),
        chainsNext: rest.chains,
      };
    }
  }
}
