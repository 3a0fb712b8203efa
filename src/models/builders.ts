/**
 * Constructors for the spec's leaf records, shared by the family generators so that a
 * conv, a squeeze-excitation and a classifier are spelled the same way everywhere.
 */
import type { Activation, BlockSpec, ConvSpec, LinearSpec, SqueezeExciteSpec } from './spec';

export interface ConvShape {
  inChannels: number;
  outChannels: number;
  kernel: number;
  stride?: number;
  groups?: number;
  act: Activation;
}

/** A conv without bias followed by batch norm with epsilon `eps` (folded at conversion). */
export function bnConv(name: string, shape: ConvShape, eps: number): ConvSpec {
  return {
    name,
    inChannels: shape.inChannels,
    outChannels: shape.outChannels,
    kernel: shape.kernel,
    stride: shape.stride ?? 1,
    groups: shape.groups ?? 1,
    act: shape.act,
    norm: { kind: 'bn', eps },
  };
}

/** The block every family starts with: a 3×3 stride-2 conv from RGB, batch norm, `act`. */
export function stemBlock(
  name: string,
  outChannels: number,
  act: Activation,
  eps: number,
): BlockSpec {
  return {
    kind: 'conv',
    conv: bnConv(name, { inChannels: 3, outChannels, kernel: 3, stride: 2, act }, eps),
  };
}

/**
 * Squeeze-excitation on `channels` channels squeezed to `squeeze`: 1×1 convs with their
 * own biases (no norm), `act` after the reduce conv, sigmoid after the expand conv.
 */
export function squeezeExcite(
  name: string,
  channels: number,
  squeeze: number,
  act: Activation,
): SqueezeExciteSpec {
  const biasConv = (suffix: string, inChannels: number, outChannels: number, a: Activation) => ({
    name: `${name}.${suffix}`,
    inChannels,
    outChannels,
    kernel: 1,
    stride: 1,
    groups: 1,
    act: a,
    norm: { kind: 'bias' as const },
  });
  return {
    reduce: biasConv('reduce', channels, squeeze, act),
    expand: biasConv('expand', squeeze, channels, 'sigmoid'),
  };
}

/** The classifier every family ends with, read from the globally pooled features. */
export function classifier(inFeatures: number, outFeatures: number): LinearSpec {
  return { name: 'classifier', inFeatures, outFeatures };
}
