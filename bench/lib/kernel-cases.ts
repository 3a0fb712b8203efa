/**
 * The layers bench/kernels and bench/ab time, read from the networks' specs (src/models/):
 * every op a network runs on a feature map, with that map's side at the spec's input size,
 * batch 1. Each case holds the spec's own record (a ConvSpec, a SqueezeExciteSpec), so
 * bench/lib/kernel-runner.ts prepares it exactly as the network does (src/models/ops.ts).
 * Layers of the same shape in a network are one case with their count.
 *
 * - every conv: dense (the stem's 3×3 from RGB, the 1×1s, the projection shortcuts),
 *   depthwise, grouped; a block's last conv with its residual add and activation fused,
 *   as prepareResidualConv runs it;
 * - every squeeze-excitation, on the map it scales;
 * - the residual add + activation of every block that has one (what runs where the conv
 *   cannot fuse it);
 * - SiLU after every dense conv that has it (what runs where the conv cannot fuse it).
 */
import { blockOutSide, outSide } from '../../src/models/complexity';
import { getSpec } from '../../src/models/presets';
import type { BlockSpec, ConvSpec, NetworkSpec, SqueezeExciteSpec } from '../../src/models/spec';
import { convKind } from '../../src/models/spec';

/** The networks webnets must run fast (the benchmark's four). */
export const BENCH_NETWORKS = [
  'regnetx-400mf',
  'regnety-400mf',
  'efficientnet-b0',
  'fd-mobilenet-0.5x',
] as const;

/** One op on one map: what bench/lib/kernel-runner.ts prepares and runs. */
export type KernelOp =
  | {
      kind: 'conv';
      conv: ConvSpec;
      /** Side of the square map the conv reads. */
      size: number;
      /** The residual add fused after the conv, with its activation (the conv's own is linear). */
      residual: 'linear' | 'relu' | null;
    }
  | { kind: 'squeezeExcite'; se: SqueezeExciteSpec; size: number }
  | { kind: 'silu'; shape: number[] }
  | { kind: 'addActivation'; act: 'linear' | 'relu'; shape: number[] };

export interface KernelCase {
  net: string;
  /** Unique within its network: the op and every size it depends on. */
  layer: string;
  /** How many layers of the network are this case. */
  count: number;
  op: KernelOp;
}

type Named = { layer: string; op: KernelOp };

const map = (size: number, channels: number): string => `${size}²×${channels}`;

function convCase(conv: ConvSpec, size: number, residual: 'linear' | 'relu' | null): Named {
  const { kernel: k, stride, inChannels, outChannels, groups } = conv;
  const act = residual ?? conv.act;
  const s = stride > 1 ? ` s${stride}` : '';
  const kind = convKind(conv);
  const layer =
    kind === 'depthwise'
      ? `dw ${map(size, inChannels)} k${k}${s} ${act}`
      : kind === 'grouped'
        ? `grouped ${k}×${k} ${map(size, inChannels)} g${inChannels / groups}${s} ${act}`
        : `${k}×${k} ${map(size, inChannels)}→${outChannels}${s} ${act}${residual ? ' +res' : ''}`;
  return { layer, op: { kind: 'conv', conv, size, residual } };
}

/** A conv, and the SiLU after it where the conv cannot fuse it (dense convs on tfjs). */
function convCases(
  conv: ConvSpec,
  size: number,
  residual: 'linear' | 'relu' | null = null,
): Named[] {
  const cases = [convCase(conv, size, residual)];
  if (conv.act === 'silu' && convKind(conv) === 'dense') {
    const out = outSide(size, conv);
    const shape = [1, out, out, conv.outChannels];
    cases.push({ layer: `silu ${map(out, conv.outChannels)}`, op: { kind: 'silu', shape } });
  }
  return cases;
}

function seCase(se: SqueezeExciteSpec, size: number): Named {
  const { inChannels, outChannels, act } = se.reduce;
  return {
    layer: `se ${map(size, inChannels)}→${outChannels} ${act}`,
    op: { kind: 'squeezeExcite', se, size },
  };
}

function addCase(act: 'linear' | 'relu', size: number, channels: number): Named {
  const shape = [1, size, size, channels];
  return { layer: `add+${act} ${map(size, channels)}`, op: { kind: 'addActivation', act, shape } };
}

/** A block's cases as src/models/layers.ts runs it, from the side of its input map. */
function blockCases(block: BlockSpec, side: number): Named[] {
  switch (block.kind) {
    case 'conv':
      return convCases(block.conv, side);
    case 'dwsep':
      return [
        ...convCases(block.depthwise, side),
        ...convCases(block.pointwise, outSide(side, block.depthwise)),
      ];
    case 'mbconv': {
      const out = outSide(side, block.depthwise);
      const residual = block.residual ? ('linear' as const) : null;
      return [
        ...(block.expand ? convCases(block.expand, side) : []),
        ...convCases(block.depthwise, side),
        ...(block.se ? [seCase(block.se, out)] : []),
        ...convCases(block.project, out, residual),
        ...(residual ? [addCase(residual, out, block.project.outChannels)] : []),
      ];
    }
    case 'bottleneck': {
      const out = outSide(side, block.b);
      return [
        ...convCases(block.a, side),
        ...convCases(block.b, side),
        ...(block.se ? [seCase(block.se, out)] : []),
        ...convCases(block.c, out, 'relu'),
        ...(block.shortcut ? convCases(block.shortcut, side) : []),
        addCase('relu', out, block.c.outChannels),
      ];
    }
  }
}

/** Every case of one network, in forward order of first appearance, counted. */
export function networkCases(spec: NetworkSpec): KernelCase[] {
  const byLayer = new Map<string, KernelCase>();
  let side = spec.inputSize;
  for (const block of spec.blocks) {
    for (const c of blockCases(block, side)) {
      const seen = byLayer.get(c.layer);
      if (seen) seen.count++;
      else byLayer.set(c.layer, { net: spec.id, count: 1, ...c });
    }
    side = blockOutSide(block, side);
  }
  return [...byLayer.values()];
}

export function kernelCases(networks: readonly string[] = BENCH_NETWORKS): KernelCase[] {
  return networks.flatMap((id) => networkCases(getSpec(id)));
}
