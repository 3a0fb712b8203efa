/**
 * FD-MobileNet (Qin et al., 2018): MobileNet with fast downsampling — the input is
 * reduced 32× within the first 12 layers (stem + 5 stride-2 depthwise units), so the
 * expensive wide layers run at 7×7. At width α every layer has floor(c·α) channels.
 *
 * Conv names are the authors' checkpoint keys (`features.conv_0`, `features.dw_conv_i`,
 * `features.pw_conv_i`; their norms are `features.norm_0`, `features.dw_norm_i`,
 * `features.pw_norm_i`), so the name map only swaps `conv` for `norm`.
 */
import { bnConv, classifier, stemBlock } from './builders';
import {
  IMAGENET_MEAN,
  IMAGENET_STD,
  checkKnownOptions,
  finiteNumber,
  paramError,
  positiveInteger,
} from './rules';
import type { BlockSpec, NetworkSpec } from './spec';

const MODEL = 'fd-mobilenet';
const BN_EPS = 1e-5;
const STEM_CHANNELS = 32;

/** The 11 depthwise-separable units at α = 1: pointwise output channels and depthwise stride. */
export const FD_UNITS: readonly { channels: number; stride: number }[] = [
  { channels: 64, stride: 2 },
  { channels: 128, stride: 2 },
  { channels: 128, stride: 1 },
  { channels: 256, stride: 2 },
  { channels: 256, stride: 1 },
  { channels: 512, stride: 2 },
  { channels: 512, stride: 1 },
  { channels: 512, stride: 1 },
  { channels: 512, stride: 1 },
  { channels: 512, stride: 1 },
  { channels: 1024, stride: 1 },
];

export interface FdMobileNetOptions {
  /** Width multiplier α > 0. */
  alpha: number;
  numClasses?: number;
}

/** Canonical id: `fd-mobilenet-<α>x`, + `-c<n>` for another class count. */
export function fdMobileNetId(config: Record<string, number>): string {
  const c = config.numClasses !== 1000 ? `-c${config.numClasses}` : '';
  return `${MODEL}-${config.alpha}x${c}`;
}

/** Parses an id written by `fdMobileNetId` back to options; undefined if it is not one. */
export function parseFdMobileNetId(id: string): FdMobileNetOptions | undefined {
  const m = /^fd-mobilenet-(\d+(?:\.\d+)?)x(?:-c(\d+))?$/.exec(id);
  if (!m) return undefined;
  const options: FdMobileNetOptions = { alpha: Number(m[1]) };
  if (m[2] !== undefined) options.numClasses = Number(m[2]);
  return options;
}

export function fdMobileNet(options: FdMobileNetOptions): NetworkSpec {
  checkKnownOptions(MODEL, options, ['alpha', 'numClasses']);
  const alpha = finiteNumber(MODEL, 'alpha', options.alpha, (x) => x > 0, 'a number > 0');
  const numClasses = positiveInteger(MODEL, 'numClasses', options.numClasses ?? 1000);
  const width = (c: number) => Math.floor(c * alpha);
  if (width(STEM_CHANNELS) < 1) {
    throw paramError(
      MODEL,
      'alpha',
      alpha,
      `≥ 1/${STEM_CHANNELS} (the stem would have no channels)`,
    );
  }
  const config = { alpha, numClasses };
  const stem = width(STEM_CHANNELS);
  const blocks: BlockSpec[] = [stemBlock('features.conv_0', stem, 'relu', BN_EPS)];
  let channels = stem;
  FD_UNITS.forEach((unit, i) => {
    const out = width(unit.channels);
    blocks.push({
      kind: 'dwsep',
      depthwise: bnConv(
        `features.dw_conv_${i}`,
        {
          inChannels: channels,
          outChannels: channels,
          kernel: 3,
          stride: unit.stride,
          groups: channels,
          act: 'relu',
        },
        BN_EPS,
      ),
      pointwise: bnConv(
        `features.pw_conv_${i}`,
        { inChannels: channels, outChannels: out, kernel: 1, act: 'relu' },
        BN_EPS,
      ),
    });
    channels = out;
  });
  return {
    id: fdMobileNetId(config),
    family: 'fd-mobilenet',
    config,
    inputSize: 224,
    blocks,
    features: channels,
    classifier: classifier(channels, numClasses),
    preprocessing: {
      inputSize: 224,
      resizeSize: 256,
      interpolation: 'bilinear',
      mean: IMAGENET_MEAN,
      std: IMAGENET_STD,
    },
  };
}
