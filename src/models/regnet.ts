/**
 * RegNet (Radosavovic et al., 2020): the quantized-linear design space.
 *
 * Block j < depth gets the linear width u_j = w0 + wa·j, snapped to the nearest
 * w0·wm^k in log space and then to a multiple of 8; consecutive blocks of equal width
 * form a stage (stride 2 at its first block). Stage widths are then made compatible
 * with the group width exactly as torchvision's `_adjust_widths_groups_compatibilty`
 * does (group width capped at the bottleneck width, bottleneck width rounded with
 * `_make_divisible` to a multiple of it). RegNetY adds squeeze-excitation whose width is
 * round(0.25 · block input width). Stem: 3×3 stride-2 conv to 32 channels.
 *
 * Widths are computed in float64 as pycls and timm do; torchvision computes them in
 * float32, which agrees for every preset (the parameter-count tests compare them).
 *
 * `rounding: 'pycls'` adjusts widths as pycls (and timm) do instead — the nearest
 * multiple of the group width, round(w/g)·g — which differs from torchvision's
 * `_make_divisible` for some members (RegNetX-400MF's last stage: 384 vs 400;
 * RegNetY-4.0GF's second: 192 vs 256). Use it to convert pycls or timm checkpoints.
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
import { roundHalfEven } from '../numeric';
import type { BlockSpec, BottleneckBlockSpec, NetworkSpec } from './spec';

const MODEL = 'regnet';
const STEM_WIDTH = 32;
const WIDTH_QUANTUM = 8;
const SE_RATIO = 0.25;
/** torchvision's `_regnet` batch norm (eps 1e-5) for every RegNet. */
export const REGNET_BN_EPS = 1e-5;

export interface RegNetOptions {
  depth: number;
  w0: number;
  wa: number;
  wm: number;
  groupWidth: number;
  /** RegNetY: squeeze-excitation in every block. */
  se?: boolean;
  /** Bottleneck ratio b (the paper's RegNet fixes b = 1; kept for the AnyNet space). */
  bottleneck?: number;
  /** Whose width/group adjustment to follow (see the header); default torchvision. */
  rounding?: 'torchvision' | 'pycls';
  numClasses?: number;
}

const KNOWN_OPTIONS = [
  'depth',
  'w0',
  'wa',
  'wm',
  'groupWidth',
  'se',
  'bottleneck',
  'rounding',
  'numClasses',
];

export interface RegNetStage {
  width: number;
  depth: number;
  groupWidth: number;
}

/** Validates the design-space parameters (error names the parameter and its domain). */
function validate(options: RegNetOptions): Required<RegNetOptions> {
  checkKnownOptions(MODEL, options, KNOWN_OPTIONS);
  const depth = positiveInteger(MODEL, 'depth', options.depth);
  const w0 = options.w0;
  if (typeof w0 !== 'number' || !Number.isInteger(w0) || w0 <= 0 || w0 % WIDTH_QUANTUM !== 0) {
    throw paramError(MODEL, 'w0', w0, `a positive multiple of ${WIDTH_QUANTUM}`);
  }
  const wa = finiteNumber(MODEL, 'wa', options.wa, (x) => x >= 0, 'a number ≥ 0');
  const wm = finiteNumber(MODEL, 'wm', options.wm, (x) => x > 1, 'a number > 1');
  const groupWidth = positiveInteger(MODEL, 'groupWidth', options.groupWidth);
  const se = options.se ?? false;
  if (typeof se !== 'boolean') throw paramError(MODEL, 'se', se, 'true or false');
  const bottleneck = finiteNumber(
    MODEL,
    'bottleneck',
    options.bottleneck ?? 1,
    (x) => x > 0,
    'a number > 0',
  );
  const rounding = options.rounding ?? 'torchvision';
  if (rounding !== 'torchvision' && rounding !== 'pycls') {
    throw paramError(MODEL, 'rounding', rounding, "'torchvision' or 'pycls'");
  }
  if (rounding === 'pycls' && bottleneck !== 1) {
    // pycls rounds to lcm(group width, b) when b > 1; only the RegNet space (b = 1) is here.
    throw paramError(MODEL, 'rounding', rounding, "'torchvision' when bottleneck ≠ 1");
  }
  const numClasses = positiveInteger(MODEL, 'numClasses', options.numClasses ?? 1000);
  return { depth, w0, wa, wm, groupWidth, se, bottleneck, rounding, numClasses };
}

/** Per-block widths u_j quantized in log space and to multiples of 8 (pycls `generate_regnet`). */
export function blockWidths(depth: number, w0: number, wa: number, wm: number): number[] {
  const widths: number[] = [];
  for (let j = 0; j < depth; j++) {
    const u = j * wa + w0;
    const k = roundHalfEven(Math.log(u / w0) / Math.log(wm));
    widths.push(roundHalfEven((w0 * wm ** k) / WIDTH_QUANTUM) * WIDTH_QUANTUM);
  }
  return widths;
}

/** The stages of a design-space member, after width/group compatibility adjustment. */
export function regnetStages(options: RegNetOptions): RegNetStage[] {
  const p = validate(options);
  const stages: RegNetStage[] = [];
  for (const width of blockWidths(p.depth, p.w0, p.wa, p.wm)) {
    const last = stages[stages.length - 1];
    if (last && last.width === width) last.depth += 1;
    else stages.push({ width, depth: 1, groupWidth: p.groupWidth });
  }
  return stages.map((stage, s) => {
    const bottleneckWidth = Math.trunc(stage.width * p.bottleneck);
    const groupWidth = Math.min(stage.groupWidth, bottleneckWidth);
    const adjusted =
      p.rounding === 'pycls'
        ? Math.max(groupWidth, roundHalfEven(bottleneckWidth / groupWidth) * groupWidth)
        : makeDivisible(bottleneckWidth, groupWidth);
    const width = Math.trunc(adjusted / p.bottleneck);
    // torchvision rebuilds the bottleneck width as round(width · b); with b ≠ 1 that can
    // land off the group grid, which would silently change the group width.
    const rebuilt = roundHalfEven(width * p.bottleneck);
    if (rebuilt % groupWidth !== 0) {
      throw paramError(
        MODEL,
        'groupWidth',
        p.groupWidth,
        `a group width dividing stage ${s}'s bottleneck width ${rebuilt} (stage width ${width}, bottleneck ${p.bottleneck}) after adjustment`,
      );
    }
    return { width, depth: stage.depth, groupWidth };
  });
}

/**
 * Canonical id: `regnet{x|y}-d<depth>-w<w0>-a<wa>-m<wm>-g<group width>`, then `-b<b>`,
 * `-pycls`, `-c<n>` where those differ from the defaults.
 */
export function regnetId(config: Record<string, number | boolean | string>): string {
  const b = config.bottleneck !== 1 ? `-b${config.bottleneck}` : '';
  const rounding = config.rounding === 'pycls' ? '-pycls' : '';
  const c = config.numClasses !== 1000 ? `-c${config.numClasses}` : '';
  const core = `d${config.depth}-w${config.w0}-a${config.wa}-m${config.wm}-g${config.groupWidth}`;
  return `regnet${config.se ? 'y' : 'x'}-${core}${b}${rounding}${c}`;
}

/** Parses an id written by `regnetId` back to options; undefined if it is not one. */
export function parseRegnetId(id: string): RegNetOptions | undefined {
  const num = '(\\d+(?:\\.\\d+)?)';
  const m = new RegExp(
    `^regnet([xy])-d(\\d+)-w(\\d+)-a${num}-m${num}-g(\\d+)(?:-b${num})?(-pycls)?(?:-c(\\d+))?$`,
  ).exec(id);
  if (!m) return undefined;
  const [, xy, d, w0, wa, wm, g, b, pycls, c] = m;
  const options: RegNetOptions = {
    depth: Number(d),
    w0: Number(w0),
    wa: Number(wa),
    wm: Number(wm),
    groupWidth: Number(g),
    se: xy === 'y',
  };
  if (b !== undefined) options.bottleneck = Number(b);
  if (pycls !== undefined) options.rounding = 'pycls';
  if (c !== undefined) options.numClasses = Number(c);
  return options;
}

/** Builds the spec of any member of the design space. */
export function regnet(options: RegNetOptions): NetworkSpec {
  const config = validate(options);
  const stages = regnetStages(config);
  const eps = REGNET_BN_EPS;
  const blocks: BlockSpec[] = [stemBlock('stem', STEM_WIDTH, 'relu', eps)];
  let widthIn = STEM_WIDTH;
  stages.forEach((stage, s) => {
    for (let i = 0; i < stage.depth; i++) {
      const stride = i === 0 ? 2 : 1;
      blocks.push(
        bottleneckBlock(`stages.${s}.${i}`, widthIn, stage, stride, config.bottleneck, config.se),
      );
      widthIn = stage.width;
    }
  });
  return {
    id: regnetId(config),
    family: 'regnet',
    config,
    inputSize: 224,
    blocks,
    features: widthIn,
    classifier: classifier(widthIn, config.numClasses),
    // torchvision's IMAGENET1K_V2 recipe, which every RegNet in models/models.json uses.
    preprocessing: {
      inputSize: 224,
      resizeSize: 232,
      interpolation: 'bilinear',
      mean: IMAGENET_MEAN,
      std: IMAGENET_STD,
    },
  };
}

/** torchvision's ResBottleneckBlock: 1×1 → 3×3 grouped → [SE] → 1×1, + shortcut, ReLU. */
function bottleneckBlock(
  name: string,
  widthIn: number,
  stage: RegNetStage,
  stride: number,
  bottleneck: number,
  se: boolean,
): BottleneckBlockSpec {
  const eps = REGNET_BN_EPS;
  const widthOut = stage.width;
  const wb = roundHalfEven(widthOut * bottleneck);
  const groups = wb / stage.groupWidth;
  const block: BottleneckBlockSpec = {
    kind: 'bottleneck',
    a: bnConv(`${name}.a`, { inChannels: widthIn, outChannels: wb, kernel: 1, act: 'relu' }, eps),
    b: bnConv(
      `${name}.b`,
      { inChannels: wb, outChannels: wb, kernel: 3, stride, groups, act: 'relu' },
      eps,
    ),
    c: bnConv(
      `${name}.c`,
      { inChannels: wb, outChannels: widthOut, kernel: 1, act: 'linear' },
      eps,
    ),
  };
  // The SE width is relative to the block's input width, as in pycls and torchvision.
  if (se) block.se = squeezeExcite(`${name}.se`, wb, roundHalfEven(SE_RATIO * widthIn), 'relu');
  if (widthIn !== widthOut || stride !== 1) {
    block.shortcut = bnConv(
      `${name}.shortcut`,
      { inChannels: widthIn, outChannels: widthOut, kernel: 1, stride, act: 'linear' },
      eps,
    );
  }
  return block;
}
