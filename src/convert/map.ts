/**
 * State dict (source naming and layout) → webnets runtime weights, for one spec.
 *
 * The source naming is detected from the keys (one name-map module per naming, in
 * ./names). For every conv of the spec: fetch its weight [O, I/groups, k, k] and either
 * its batch norm (folded: w' = w·γ/√(var+eps), b' = β − mean·γ/√(var+eps), with the
 * spec's eps) or its own bias; transpose OIHW → HWIO (depthwise → [k, k, C, 1]). The
 * classifier's [out, in] becomes [in, out]. Every shape is checked, and a missing, extra
 * or misshaped tensor is reported by name with the expected shape, before any value is
 * read; then each runtime tensor is made when read, from only the source tensors it needs.
 * Pure functions.
 */
import { blockConvs, convKind } from '../models/spec';
import type { ConvSpec, NetworkSpec } from '../models/spec';
import { fdMobileNetAuthors } from './names/fd-mobilenet';
import { timmEfficientNet } from './names/timm-efficientnet';
import { timmRegNet } from './names/timm-regnet';
import { torchvisionEfficientNet } from './names/torchvision-efficientnet';
import { torchvisionRegNet } from './names/torchvision-regnet';
import type { ConvSource, Naming } from './names/types';
import type { LazyStateDict, LazyTensor, SourceTensor, StateDict } from './state-dict';
import { lazyTensor } from './state-dict';
import type { PreActivation, PreActivationStatistics } from '../weights/bias-correction';

export const NAMINGS: readonly Naming[] = [
  torchvisionEfficientNet,
  timmEfficientNet,
  torchvisionRegNet,
  timmRegNet,
  fdMobileNetAuthors,
];

/** Buffers PyTorch saves that carry nothing the forward pass needs. */
const IGNORED = /(^|\.)num_batches_tracked$/;

/** The naming of a state dict for a spec's family, told by a key only that naming has. */
export function detectNaming(spec: NetworkSpec, stateDict: StateDict | LazyStateDict): Naming {
  const candidates = NAMINGS.filter((n) => n.family === spec.family);
  const found = candidates.find((n) => stateDict.has(n.marker));
  if (found) return found;
  const sample = [...stateDict.keys()].slice(0, 3).join(', ');
  throw new Error(
    `cannot tell which ${spec.family} naming the state dict uses (first keys: ${sample || 'none'}); ` +
      `expected a key ${candidates.map((n) => `'${n.marker}' (${n.naming})`).join(' or ')}`,
  );
}

const shapeText = (shape: readonly number[]) => `[${shape.join(', ')}]`;

/** Collects every problem before throwing, so one run names them all. */
class Reader {
  readonly used = new Set<string>();
  readonly problems: string[] = [];
  constructor(private readonly stateDict: LazyStateDict) {}

  take(name: string, shape: number[]): LazyTensor | undefined {
    const tensor = this.stateDict.get(name);
    this.used.add(name);
    if (!tensor) {
      this.problems.push(`missing ${name} (expected ${shapeText(shape)})`);
      return undefined;
    }
    if (shapeText(tensor.shape) !== shapeText(shape)) {
      this.problems.push(`${name} is ${shapeText(tensor.shape)}, expected ${shapeText(shape)}`);
      return undefined;
    }
    return tensor;
  }
}

/**
 * Per-output-channel scale and shift of a conv: folded batch norm, or the conv's bias. With
 * a batch norm, also its β and |γ| (what an int8 pack's bias correction needs).
 */
type Affine = (() => { scale?: Float64Array; shift: Float32Array }) & {
  batchNorm?: () => PreActivation;
};

function affine(conv: ConvSpec, source: ConvSource, reader: Reader): Affine | undefined {
  const c = conv.outChannels;
  if ('bias' in source) {
    const bias = reader.take(source.bias, [c]);
    return bias && (() => ({ shift: bias.read() }));
  }
  if (conv.norm.kind !== 'bn') {
    throw new Error(`conv ${conv.name} has a bias in the spec but a batch norm in the name map`);
  }
  const [gamma, beta, mean, variance] = ['weight', 'bias', 'running_mean', 'running_var'].map((p) =>
    reader.take(`${source.bn}.${p}`, [c]),
  );
  if (!gamma || !beta || !mean || !variance) return undefined;
  const { eps } = conv.norm;
  const make = () => {
    const [g, b, m, v] = [gamma, beta, mean, variance].map((t) => t.read()) as Float32Array[];
    const scale = new Float64Array(c);
    const shift = new Float32Array(c);
    for (let o = 0; o < c; o++) {
      scale[o] = g![o]! / Math.sqrt(v![o]! + eps);
      shift[o] = b![o]! - m![o]! * scale[o]!;
    }
    return { scale, shift };
  };
  const batchNorm = (): PreActivation => ({
    mean: Float32Array.from(beta.read()),
    std: gamma.read().map(Math.abs),
  });
  return Object.assign(make, { batchNorm });
}

/** HWIO [k, k, I/groups, O]; depthwise [k, k, C, 1]. */
function runtimeShape(conv: ConvSpec): number[] {
  const { kernel: k, outChannels: out } = conv;
  return convKind(conv) === 'depthwise'
    ? [k, k, out, 1]
    : [k, k, conv.inChannels / conv.groups, out];
}

/** OIHW weight (optionally scaled per output channel) → the runtime layout of spec.ts. */
function toRuntimeLayout(conv: ConvSpec, oihw: Float32Array, scale?: Float64Array): SourceTensor {
  const { kernel: k, outChannels: out, groups } = conv;
  const inPerGroup = conv.inChannels / groups;
  const data = new Float32Array(oihw.length);
  const depthwise = convKind(conv) === 'depthwise';
  // Runtime index: HWIO [k, k, inPerGroup, out]; depthwise [k, k, C, 1] (C = out, inPerGroup = 1).
  for (let o = 0; o < out; o++) {
    const s = scale ? scale[o]! : 1;
    for (let i = 0; i < inPerGroup; i++) {
      for (let y = 0; y < k; y++) {
        for (let x = 0; x < k; x++) {
          const src = ((o * inPerGroup + i) * k + y) * k + x;
          const dst = depthwise ? (y * k + x) * out + o : ((y * k + x) * inPerGroup + i) * out + o;
          data[dst] = oihw[src]! * s;
        }
      }
    }
  }
  return { shape: runtimeShape(conv), data };
}

/** [out, in] → [in, out]. */
function transposeLinear(w: Float32Array, out: number, inFeatures: number): Float32Array {
  const t = new Float32Array(w.length);
  for (let o = 0; o < out; o++)
    for (let i = 0; i < inFeatures; i++) t[i * out + o] = w[o * inFeatures + i]!;
  return t;
}

/**
 * The spec's weights (names as `paramSpecs(spec)`, runtime layout, BN folded) from a
 * state dict in any supported naming, each made when read. Throws naming every missing,
 * extra or misshaped tensor before reading any value. `statistics`, if given, receives each
 * folded batch norm's β and |γ| by conv name (read at once: a few floats a channel).
 */
export function planWebnetsWeights(
  spec: NetworkSpec,
  stateDict: LazyStateDict,
  statistics?: PreActivationStatistics,
): Map<string, LazyTensor> {
  const naming = detectNaming(spec, stateDict);
  const names = naming.map(spec);
  const reader = new Reader(stateDict);
  const weights = new Map<string, LazyTensor>();
  for (const conv of spec.blocks.flatMap(blockConvs)) {
    const source = names.convs.get(conv.name);
    if (!source)
      throw new Error(`the ${naming.naming} name map has no entry for conv ${conv.name}`);
    const { kernel: k, outChannels, inChannels, groups } = conv;
    const weight = reader.take(source.weight, [outChannels, inChannels / groups, k, k]);
    const ab = affine(conv, source, reader);
    if (!weight || !ab) continue;
    if (statistics && ab.batchNorm) statistics.set(conv.name, ab.batchNorm());
    weights.set(`${conv.name}.weight`, {
      shape: runtimeShape(conv),
      read: () => toRuntimeLayout(conv, weight.read(), ab().scale).data,
    });
    weights.set(`${conv.name}.bias`, {
      shape: [outChannels],
      read: () => Float32Array.from(ab().shift),
    });
  }
  const fc = spec.classifier;
  const fcWeight = reader.take(names.classifier.weight, [fc.outFeatures, fc.inFeatures]);
  const fcBias = reader.take(names.classifier.bias, [fc.outFeatures]);
  if (fcWeight && fcBias) {
    weights.set(`${fc.name}.weight`, {
      shape: [fc.inFeatures, fc.outFeatures],
      read: () => transposeLinear(fcWeight.read(), fc.outFeatures, fc.inFeatures),
    });
    weights.set(`${fc.name}.bias`, {
      shape: [fc.outFeatures],
      read: () => Float32Array.from(fcBias.read()),
    });
  }
  for (const key of stateDict.keys()) {
    if (!reader.used.has(key) && !IGNORED.test(key))
      reader.problems.push(`unexpected tensor ${key}`);
  }
  if (reader.problems.length > 0) {
    const shown = reader.problems.slice(0, 12).join('; ');
    const more = reader.problems.length > 12 ? `; and ${reader.problems.length - 12} more` : '';
    throw new Error(`the ${naming.naming} state dict does not fit ${spec.id}: ${shown}${more}`);
  }
  return weights;
}

/** `planWebnetsWeights` of a state dict in memory, every tensor made at once. */
export function toWebnetsWeights(
  spec: NetworkSpec,
  stateDict: StateDict,
  statistics?: PreActivationStatistics,
): Map<string, SourceTensor> {
  const lazy: LazyStateDict = new Map([...stateDict].map(([k, t]) => [k, lazyTensor(t)]));
  const out = new Map<string, SourceTensor>();
  for (const [name, t] of planWebnetsWeights(spec, lazy, statistics)) {
    out.set(name, { shape: t.shape, data: t.read() });
  }
  return out;
}
