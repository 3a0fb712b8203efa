/**
 * Model complexity from the spec alone, at the spec's input size, batch 1.
 *
 * - params: as PyTorch counts `parameters()`: conv weights, 2 per batch-norm channel
 *   (γ, β; running statistics are buffers), conv biases (squeeze-excitation), classifier.
 * - macs: multiply-accumulates of every conv (k·k·in/groups·out per output pixel; SE
 *   convs run on the 1×1 pooled map) and of the classifier. Element-wise work (norm,
 *   activations, additions, pooling, SE scaling) is not counted, as in pycls's `flops`
 *   (which, unlike this, also adds one per bias).
 * - activations: the RegNet paper's measure, pycls's `acts`: the size of every conv's
 *   output tensor plus the classifier's output.
 */
import { blockConvs } from './spec';
import type { BlockSpec, ConvSpec, NetworkSpec } from './spec';

export interface Complexity {
  params: number;
  macs: number;
  activations: number;
}

/** PyTorch's output side for a k×k conv padded k//2 on both sides. */
export function outSide(side: number, conv: ConvSpec): number {
  const pad = Math.floor(conv.kernel / 2);
  return Math.floor((side + 2 * pad - conv.kernel) / conv.stride) + 1;
}

function convParams(conv: ConvSpec): number {
  const weights = (conv.kernel * conv.kernel * conv.inChannels * conv.outChannels) / conv.groups;
  return weights + (conv.norm.kind === 'bn' ? 2 : 1) * conv.outChannels;
}

/**
 * Every conv of a block with the side of the map it reads: the block input, the map
 * after the block's strided conv, or the squeeze-excitation's pooled 1×1 map.
 */
function convInputs(block: BlockSpec, side: number): [ConvSpec, number][] {
  const se = (b: { se?: { reduce: ConvSpec; expand: ConvSpec } }): [ConvSpec, number][] =>
    b.se
      ? [
          [b.se.reduce, 1],
          [b.se.expand, 1],
        ]
      : [];
  switch (block.kind) {
    case 'conv':
      return [[block.conv, side]];
    case 'dwsep':
      return [
        [block.depthwise, side],
        [block.pointwise, outSide(side, block.depthwise)],
      ];
    case 'mbconv':
      return [
        ...(block.expand ? [[block.expand, side] as [ConvSpec, number]] : []),
        [block.depthwise, side],
        ...se(block),
        [block.project, outSide(side, block.depthwise)],
      ];
    case 'bottleneck':
      return [
        [block.a, side],
        [block.b, side],
        ...se(block),
        [block.c, outSide(side, block.b)],
        ...(block.shortcut ? [[block.shortcut, side] as [ConvSpec, number]] : []),
      ];
  }
}

/** The side of a block's output map. */
export function blockOutSide(block: BlockSpec, side: number): number {
  for (const conv of blockConvs(block)) if (conv.stride !== 1) return outSide(side, conv);
  return side;
}

export function complexity(spec: NetworkSpec): Complexity {
  let params = 0;
  let macs = 0;
  let activations = 0;
  let side = spec.inputSize;
  for (const block of spec.blocks) {
    for (const [conv, inSide] of convInputs(block, side)) {
      const out = outSide(inSide, conv);
      params += convParams(conv);
      macs +=
        ((conv.kernel * conv.kernel * conv.inChannels * conv.outChannels) / conv.groups) *
        out *
        out;
      activations += conv.outChannels * out * out;
    }
    side = blockOutSide(block, side);
  }
  const fc = spec.classifier;
  params += fc.inFeatures * fc.outFeatures + fc.outFeatures;
  macs += fc.inFeatures * fc.outFeatures;
  activations += fc.outFeatures;
  return { params, macs, activations };
}
