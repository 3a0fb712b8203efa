/**
 * The network spec: architecture as data.
 *
 * A family generator (efficientnet.ts, regnet.ts, fd-mobilenet.ts) turns the paper's
 * parameters into a `NetworkSpec` once; everything else — weight names and shapes,
 * complexity, the forward pass, the converter's name maps — reads the spec and never
 * the family's parameters again. One forward implementation exists per block kind.
 *
 * Layout conventions (webnets runtime layout, what packs store):
 * - activations are NHWC;
 * - a dense or grouped conv weight is HWIO: [k, k, inChannels / groups, outChannels],
 *   output channels ordered group by group (PyTorch's order);
 * - a depthwise conv (groups == inChannels == outChannels) weight is [k, k, channels, 1],
 *   tfjs-core's depthwise layout;
 * - every conv has a bias: batch norm is folded into weight and bias by the converter;
 * - a linear (classifier) weight is [in, out].
 */

export type Family = 'efficientnet' | 'regnet' | 'fd-mobilenet';

export type Activation = 'linear' | 'relu' | 'silu' | 'sigmoid';

export interface ConvSpec {
  /** Weight prefix in a pack: `${name}.weight`, `${name}.bias`. */
  name: string;
  inChannels: number;
  outChannels: number;
  kernel: number;
  stride: number;
  /** 1 = dense, inChannels = depthwise, anything between = grouped (RegNet). */
  groups: number;
  /** Activation applied after the (folded) normalization. */
  act: Activation;
  /**
   * 'bn': the source conv has no bias and is followed by batch norm with this epsilon
   * (folded at conversion; counted as 2·out params, as PyTorch counts them).
   * 'bias': the source conv has its own bias and no norm (squeeze-excitation convs).
   */
  norm: { kind: 'bn'; eps: number } | { kind: 'bias' };
}

/** Squeeze-excitation: global average pool, reduce conv + act, expand conv + sigmoid, scale. */
export interface SqueezeExciteSpec {
  reduce: ConvSpec; // 1×1, bias, act relu (RegNetY) or silu (EfficientNet)
  expand: ConvSpec; // 1×1, bias, act sigmoid
}

/** A plain conv-norm-act layer: stems and heads. */
export interface ConvBlockSpec {
  kind: 'conv';
  conv: ConvSpec;
}

/** FD-MobileNet's depthwise-separable unit: 3×3 depthwise + BN + ReLU, 1×1 pointwise + BN + ReLU. */
export interface DwSepBlockSpec {
  kind: 'dwsep';
  depthwise: ConvSpec;
  pointwise: ConvSpec;
}

/** EfficientNet's MBConv: [expand 1×1] → depthwise k×k → SE → project 1×1 (linear) [+ input]. */
export interface MBConvBlockSpec {
  kind: 'mbconv';
  expand?: ConvSpec;
  depthwise: ConvSpec;
  se?: SqueezeExciteSpec;
  project: ConvSpec;
  residual: boolean;
}

/** RegNet's X/Y block: 1×1 → 3×3 grouped (stride) → [SE] → 1×1 (linear), + shortcut, ReLU. */
export interface BottleneckBlockSpec {
  kind: 'bottleneck';
  a: ConvSpec;
  b: ConvSpec;
  se?: SqueezeExciteSpec;
  c: ConvSpec;
  /** Projection shortcut (1×1, stride, BN) when width or resolution changes; identity otherwise. */
  shortcut?: ConvSpec;
}

export type BlockSpec = ConvBlockSpec | DwSepBlockSpec | MBConvBlockSpec | BottleneckBlockSpec;

export interface LinearSpec {
  name: string; // `${name}.weight` [in, out], `${name}.bias` [out]
  inFeatures: number;
  outFeatures: number;
}

/** How a pack's images are prepared, as the reference implementation trains and evaluates. */
export interface Preprocessing {
  /** Square input side fed to the network. */
  inputSize: number;
  /** The shorter image side is resized to this before the center crop of `inputSize`. */
  resizeSize: number;
  interpolation: 'bilinear' | 'bicubic';
  /** Per-channel RGB mean and std on the [0, 1] scale. */
  mean: [number, number, number];
  std: [number, number, number];
}

export interface NetworkSpec {
  /** Preset id (`efficientnet-b0`) or a canonical id derived from generator parameters. */
  id: string;
  family: Family;
  /** The generator's parameters, as given (after defaults); enough to regenerate the spec. */
  config: Record<string, number | boolean | string>;
  inputSize: number;
  /** Stem, body and head, in order; global average pooling follows the last block. */
  blocks: BlockSpec[];
  /** Width of the pooled features that `embed` returns. */
  features: number;
  classifier: LinearSpec;
  preprocessing: Preprocessing;
}

/** One tensor a spec expects, in the runtime layout. */
export interface ParamSpec {
  name: string;
  shape: number[];
}

/** Every conv of a block, in forward order (used by parameter listing and complexity). */
export function blockConvs(block: BlockSpec): ConvSpec[] {
  switch (block.kind) {
    case 'conv':
      return [block.conv];
    case 'dwsep':
      return [block.depthwise, block.pointwise];
    case 'mbconv':
      return [
        ...(block.expand ? [block.expand] : []),
        block.depthwise,
        ...(block.se ? [block.se.reduce, block.se.expand] : []),
        block.project,
      ];
    case 'bottleneck':
      return [
        block.a,
        block.b,
        ...(block.se ? [block.se.reduce, block.se.expand] : []),
        block.c,
        ...(block.shortcut ? [block.shortcut] : []),
      ];
  }
}

/** How a conv runs: dense (1 group), depthwise (a group per channel) or grouped (between). */
export type ConvKind = 'dense' | 'depthwise' | 'grouped';

export function convKind(conv: ConvSpec): ConvKind {
  const { inChannels, outChannels, groups } = conv;
  if (groups === 1) return 'dense';
  if (groups === inChannels && groups === outChannels) return 'depthwise';
  return 'grouped';
}

/** Shape of a conv weight in the runtime layout (see the layout conventions above). */
export function convWeightShape(conv: ConvSpec): number[] {
  const { kernel: k, inChannels, outChannels, groups } = conv;
  if (convKind(conv) === 'depthwise') return [k, k, inChannels, 1];
  return [k, k, inChannels / groups, outChannels];
}

/** The tensors a spec's weights must provide, with their runtime shapes, in forward order. */
export function paramSpecs(spec: NetworkSpec): ParamSpec[] {
  const params: ParamSpec[] = [];
  for (const block of spec.blocks) {
    for (const conv of blockConvs(block)) {
      params.push({ name: `${conv.name}.weight`, shape: convWeightShape(conv) });
      params.push({ name: `${conv.name}.bias`, shape: [conv.outChannels] });
    }
  }
  const fc = spec.classifier;
  params.push({ name: `${fc.name}.weight`, shape: [fc.inFeatures, fc.outFeatures] });
  params.push({ name: `${fc.name}.bias`, shape: [fc.outFeatures] });
  return params;
}
