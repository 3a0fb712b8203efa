/**
 * EfficientNet (Tan & Le, 2019): the B0 stage table, scaled by compound coefficients.
 *
 * A member is fixed by a width multiplier w, a depth multiplier d and an input size r.
 * Channels scale as torchvision's `_make_divisible(c·w, 8)`, stage repeats as
 * `ceil(n·d)`, the head is 4× the last stage's (scaled) channels (1280 at B0).
 *
 * `efficientnet({ phi })` is the paper's compound-scaling rule taken literally:
 * w = β^φ, d = α^φ, r = 224·γ^φ (α = 1.2, β = 1.1, γ = 1.15), r rounded to a multiple of 8.
 * The published B1–B7 were NOT generated that way: their coefficients were rounded by
 * hand (and torchvision evaluates some at other sizes), so the presets pass them
 * explicitly (`widthMult`, `depthMult`, `inputSize`). For comparison:
 *
 *   φ | β^φ   α^φ   r    | nearest preset (w, d, torchvision input size)
 *   0 | 1.000 1.000 224  | B0 (1.0, 1.0, 224)
 *   1 | 1.100 1.200 256  | B2 (1.1, 1.2, 288; paper 260)
 *   2 | 1.210 1.440 296  | B3 (1.2, 1.4, 300)
 *   3 | 1.331 1.728 344  | B4 (1.4, 1.8, 380)
 *   4 | 1.464 2.074 392  | B4
 *   5 | 1.611 2.488 448  | B5 (1.6, 2.2, 456)
 *   6 | 1.772 2.986 520  | B6 (1.8, 2.6, 528)
 *   7 | 1.949 3.583 592  | B7 (2.0, 3.1, 600)
 */
import { bnConv, classifier, squeezeExcite, stemBlock } from './builders';
import {
  IMAGENET_MEAN,
  IMAGENET_STD,
  checkKnownOptions,
  finiteNumber,
  makeDivisible,
  paramError,
  positiveInteger,
} from './rules';
import type { BlockSpec, MBConvBlockSpec, NetworkSpec } from './spec';

const MODEL = 'efficientnet';

/** One row of the stage table: MBConv blocks sharing expansion, kernel and output width. */
export interface MBConvStage {
  expandRatio: number;
  kernel: number;
  /** Stride of the stage's first block (the others have stride 1). */
  stride: number;
  channels: number;
  repeats: number;
}

/** EfficientNet-B0 (paper Table 1; torchvision 0.14 `_efficientnet_conf`). */
export const B0_STAGES: readonly MBConvStage[] = [
  { expandRatio: 1, kernel: 3, stride: 1, channels: 16, repeats: 1 },
  { expandRatio: 6, kernel: 3, stride: 2, channels: 24, repeats: 2 },
  { expandRatio: 6, kernel: 5, stride: 2, channels: 40, repeats: 2 },
  { expandRatio: 6, kernel: 3, stride: 2, channels: 80, repeats: 3 },
  { expandRatio: 6, kernel: 5, stride: 1, channels: 112, repeats: 3 },
  { expandRatio: 6, kernel: 5, stride: 2, channels: 192, repeats: 4 },
  { expandRatio: 6, kernel: 3, stride: 1, channels: 320, repeats: 1 },
];
export const B0_STEM_CHANNELS = 32;
export const B0_INPUT_SIZE = 224;

/** Compound-scaling bases (paper §3.3, found by grid search at φ = 1): α·β²·γ² ≈ 2. */
export const DEPTH_BASE = 1.2;
export const WIDTH_BASE = 1.1;
export const RESOLUTION_BASE = 1.15;

/** torchvision's default batch-norm epsilon (B0–B4); B5–B7 use 1e-3. */
export const DEFAULT_BN_EPS = 1e-5;

export interface EfficientNetOptions {
  /** Compound coefficient φ ≥ 0; exclusive with the three explicit multipliers. */
  phi?: number;
  widthMult?: number;
  depthMult?: number;
  /** Input side in pixels (the published resolutions are pixel sizes, not multipliers). */
  inputSize?: number;
  bnEps?: number;
  numClasses?: number;
}

const KNOWN_OPTIONS = ['phi', 'widthMult', 'depthMult', 'inputSize', 'bnEps', 'numClasses'];

/** The (w, d, r) that φ stands for under the paper's rule (see the header). */
export function compoundCoefficients(phi: number): {
  widthMult: number;
  depthMult: number;
  inputSize: number;
} {
  return {
    widthMult: WIDTH_BASE ** phi,
    depthMult: DEPTH_BASE ** phi,
    inputSize: 8 * Math.round((B0_INPUT_SIZE * RESOLUTION_BASE ** phi) / 8),
  };
}

/** Resolves and validates options: the config recorded in the spec and the (w, d, r) used. */
function resolve(options: EfficientNetOptions): {
  config: Record<string, number>;
  widthMult: number;
  depthMult: number;
  inputSize: number;
  bnEps: number;
  numClasses: number;
} {
  checkKnownOptions(MODEL, options, KNOWN_OPTIONS);
  const explicit = ['widthMult', 'depthMult', 'inputSize'] as const;
  const given = explicit.filter((k) => options[k] !== undefined);
  const bnEps = finiteNumber(
    MODEL,
    'bnEps',
    options.bnEps ?? DEFAULT_BN_EPS,
    (x) => x > 0,
    'a number > 0',
  );
  const numClasses = positiveInteger(MODEL, 'numClasses', options.numClasses ?? 1000);
  if (options.phi !== undefined) {
    if (given.length > 0) {
      throw paramError(MODEL, given[0]!, options[given[0]!], 'to be left out when phi is given');
    }
    const phi = finiteNumber(MODEL, 'phi', options.phi, (x) => x >= 0, 'a number ≥ 0');
    return { config: { phi, bnEps, numClasses }, ...compoundCoefficients(phi), bnEps, numClasses };
  }
  if (given.length !== explicit.length) {
    const missing = explicit.filter((k) => options[k] === undefined);
    throw paramError(
      MODEL,
      missing[0]!,
      undefined,
      'phi, or all of widthMult, depthMult and inputSize',
    );
  }
  const widthMult = finiteNumber(
    MODEL,
    'widthMult',
    options.widthMult,
    (x) => x > 0,
    'a number > 0',
  );
  const depthMult = finiteNumber(
    MODEL,
    'depthMult',
    options.depthMult,
    (x) => x > 0,
    'a number > 0',
  );
  const inputSize = positiveInteger(MODEL, 'inputSize', options.inputSize);
  return {
    config: { widthMult, depthMult, inputSize, bnEps, numClasses },
    widthMult,
    depthMult,
    inputSize,
    bnEps,
    numClasses,
  };
}

/** Canonical id: `efficientnet-phi<φ>` or `efficientnet-w<w>-d<d>-r<size>`, + `-e<eps>`, `-c<n>`. */
export function efficientnetId(config: Record<string, number>): string {
  const core =
    config.phi !== undefined
      ? `phi${config.phi}`
      : `w${config.widthMult}-d${config.depthMult}-r${config.inputSize}`;
  const eps = config.bnEps !== DEFAULT_BN_EPS ? `-e${config.bnEps}` : '';
  const classes = config.numClasses !== 1000 ? `-c${config.numClasses}` : '';
  return `${MODEL}-${core}${eps}${classes}`;
}

/** Parses an id written by `efficientnetId` back to options; undefined if it is not one. */
export function parseEfficientnetId(id: string): EfficientNetOptions | undefined {
  const num = '(\\d+(?:\\.\\d+)?(?:e-?\\d+)?)';
  const m = new RegExp(
    `^${MODEL}-(?:phi${num}|w${num}-d${num}-r(\\d+))(?:-e${num})?(?:-c(\\d+))?$`,
  ).exec(id);
  if (!m) return undefined;
  const [, phi, w, d, r, eps, classes] = m;
  const options: EfficientNetOptions =
    phi !== undefined
      ? { phi: Number(phi) }
      : { widthMult: Number(w), depthMult: Number(d), inputSize: Number(r) };
  if (eps !== undefined) options.bnEps = Number(eps);
  if (classes !== undefined) options.numClasses = Number(classes);
  return options;
}

/** Builds the spec of any member of the family. */
export function efficientnet(options: EfficientNetOptions): NetworkSpec {
  const { config, widthMult, depthMult, inputSize, bnEps, numClasses } = resolve(options);
  const channels = (c: number) => makeDivisible(c * widthMult, 8);
  const stemChannels = channels(B0_STEM_CHANNELS);
  const blocks: BlockSpec[] = [stemBlock('stem', stemChannels, 'silu', bnEps)];
  let inChannels = stemChannels;
  B0_STAGES.forEach((stage, s) => {
    const outChannels = channels(stage.channels);
    const repeats = Math.ceil(stage.repeats * depthMult);
    for (let i = 0; i < repeats; i++) {
      blocks.push(
        mbconv(
          `stages.${s}.${i}`,
          stage,
          inChannels,
          outChannels,
          i === 0 ? stage.stride : 1,
          bnEps,
        ),
      );
      inChannels = outChannels;
    }
  });
  const headChannels = 4 * inChannels;
  blocks.push({
    kind: 'conv',
    conv: bnConv('head', { inChannels, outChannels: headChannels, kernel: 1, act: 'silu' }, bnEps),
  });
  return {
    id: efficientnetId(config),
    family: 'efficientnet',
    config,
    inputSize,
    blocks,
    features: headChannels,
    classifier: classifier(headChannels, numClasses),
    preprocessing: {
      inputSize,
      // torchvision's B0 ratio (256 / 224) and interpolation.
      resizeSize: Math.round((inputSize * 256) / 224),
      interpolation: 'bicubic',
      mean: IMAGENET_MEAN,
      std: IMAGENET_STD,
    },
  };
}

/** torchvision's MBConv: [1×1 expand] → k×k depthwise → SE → 1×1 project [+ input]. */
function mbconv(
  name: string,
  stage: MBConvStage,
  inChannels: number,
  outChannels: number,
  stride: number,
  eps: number,
): MBConvBlockSpec {
  const expanded = makeDivisible(inChannels * stage.expandRatio, 8);
  // The squeeze width is relative to the block's input, not its expanded width.
  const squeeze = Math.max(1, Math.floor(inChannels / 4));
  const block: MBConvBlockSpec = {
    kind: 'mbconv',
    depthwise: bnConv(
      `${name}.depthwise`,
      {
        inChannels: expanded,
        outChannels: expanded,
        kernel: stage.kernel,
        stride,
        groups: expanded,
        act: 'silu',
      },
      eps,
    ),
    se: squeezeExcite(`${name}.se`, expanded, squeeze, 'silu'),
    project: bnConv(
      `${name}.project`,
      { inChannels: expanded, outChannels, kernel: 1, act: 'linear' },
      eps,
    ),
    residual: stride === 1 && inChannels === outChannels,
  };
  if (expanded !== inChannels) {
    block.expand = bnConv(
      `${name}.expand`,
      { inChannels, outChannels: expanded, kernel: 1, act: 'silu' },
      eps,
    );
  }
  return block;
}
