/**
 * Layer shapes of the networks webnets must run fast, for bench/kernels.ts (224×224
 * input, batch 1). Derived from the papers' tables and pycls / the EfficientNet reference:
 * - RegNetX-400MF: stage depths 1, 2, 7, 12; widths 32, 64, 160, 384; group width 16;
 *   bottleneck ratio 1; each stage's first block downsamples in its 3×3 grouped conv.
 * - RegNetY-400MF: depths 1, 3, 6, 6; widths 48, 104, 208, 440; group width 8; SE after
 *   the grouped conv, squeezed to ¼ of the block's input width, ReLU.
 * - EfficientNet-B0: MBConv stages (expand, k, stride, out, repeats) (1,3,1,16,1)
 *   (6,3,2,24,2) (6,5,2,40,2) (6,3,2,80,3) (6,5,1,112,3) (6,5,2,192,4) (6,3,1,320,1);
 *   SE squeezed to ¼ of the block input, SiLU everywhere.
 * Dense rows are 1×1 convs (the bulk of RegNet's MACs, EfficientNet's expand/project, FD-MobileNet's pointwise),
 * weighted by how many each network has; not every 1×1 shape is listed.
 */
export type BenchCase = { net: string; layer: string; count: number } & (
  | { op: 'groupConv'; size: number; channels: number; groupWidth: number; stride: number }
  | {
      op: 'squeezeExcite';
      size: number;
      channels: number;
      squeezed: number;
      act: 'relu' | 'silu';
      inputAct: 'linear' | 'silu';
    }
  | { op: 'silu' | 'addRelu'; shape: number[] }
  | { op: 'stem'; size: number; cout: number; act: 'relu' | 'silu' }
  | {
      op: 'dense';
      size: number;
      cin: number;
      cout: number;
      act: 'linear' | 'relu' | 'silu';
      residual: boolean;
    }
  | {
      op: 'depthwise';
      size: number;
      channels: number;
      k: number;
      stride: number;
      act: 'relu' | 'silu';
    }
);

/** A 1×1 conv (stride 1): RegNet's a/c convs, EfficientNet's expand (SiLU) and project. */
const dense = (
  net: string,
  size: number,
  cin: number,
  cout: number,
  count: number,
  act: 'linear' | 'relu' | 'silu',
  residual = false,
): BenchCase => ({
  net,
  layer: `1×1 ${size}²×${cin}→${cout} ${act}${residual ? ' +res' : ''}`,
  count,
  op: 'dense',
  size,
  cin,
  cout,
  act,
  residual,
});

const depthwise = (
  size: number,
  channels: number,
  k: number,
  stride: number,
  count: number,
  net = 'efficientnet-b0',
  act: 'relu' | 'silu' = 'silu',
): BenchCase => ({
  net,
  layer: `dw ${size}²×${channels} k${k} s${stride} ${act}`,
  count,
  op: 'depthwise',
  size,
  channels,
  k,
  stride,
  act,
});

/** A RegNet stage's grouped convs: the downsampling first block, then the others. */
function regnetGroupConvs(
  net: string,
  groupWidth: number,
  stages: [number, number, number][],
): BenchCase[] {
  return stages.flatMap(([inSize, width, depth]) => [
    {
      net,
      layer: `b ${inSize}²×${width} s2`,
      count: 1,
      op: 'groupConv',
      size: inSize,
      channels: width,
      groupWidth,
      stride: 2,
    },
    ...(depth > 1
      ? [
          {
            net,
            layer: `b ${inSize / 2}²×${width} s1`,
            count: depth - 1,
            op: 'groupConv',
            size: inSize / 2,
            channels: width,
            groupWidth,
            stride: 1,
          } as BenchCase,
        ]
      : []),
  ]);
}

const regnetX: BenchCase[] = [
  ...regnetGroupConvs('regnetx-400mf', 16, [
    [112, 32, 1],
    [56, 64, 2],
    [28, 160, 7],
    [14, 384, 12],
  ]),
  dense('regnetx-400mf', 112, 32, 32, 1, 'relu'),
  dense('regnetx-400mf', 56, 32, 32, 1, 'linear', true),
  dense('regnetx-400mf', 28, 64, 64, 3, 'relu'),
  dense('regnetx-400mf', 14, 160, 160, 13, 'relu'),
  dense('regnetx-400mf', 7, 384, 384, 23, 'relu'),
  {
    net: 'regnetx-400mf',
    layer: 'add+relu 56²×32',
    count: 1,
    op: 'addRelu',
    shape: [1, 56, 56, 32],
  },
  {
    net: 'regnetx-400mf',
    layer: 'add+relu 28²×64',
    count: 2,
    op: 'addRelu',
    shape: [1, 28, 28, 64],
  },
  {
    net: 'regnetx-400mf',
    layer: 'add+relu 14²×160',
    count: 7,
    op: 'addRelu',
    shape: [1, 14, 14, 160],
  },
  {
    net: 'regnetx-400mf',
    layer: 'add+relu 7²×384',
    count: 12,
    op: 'addRelu',
    shape: [1, 7, 7, 384],
  },
];

const se = (
  net: string,
  size: number,
  channels: number,
  squeezed: number,
  count: number,
  silu: boolean,
): BenchCase => ({
  net,
  layer: `se ${size}²×${channels}→${squeezed}${silu ? ' (silu in)' : ''}`,
  count,
  op: 'squeezeExcite',
  size,
  channels,
  squeezed,
  act: silu ? 'silu' : 'relu',
  inputAct: silu ? 'silu' : 'linear',
});

const regnetY: BenchCase[] = [
  ...regnetGroupConvs('regnety-400mf', 8, [
    [112, 48, 1],
    [56, 104, 3],
    [28, 208, 6],
    [14, 440, 6],
  ]),
  se('regnety-400mf', 56, 48, 8, 1, false),
  se('regnety-400mf', 28, 104, 12, 1, false),
  se('regnety-400mf', 28, 104, 26, 2, false),
  se('regnety-400mf', 14, 208, 26, 1, false),
  se('regnety-400mf', 14, 208, 52, 5, false),
  se('regnety-400mf', 7, 440, 52, 1, false),
  se('regnety-400mf', 7, 440, 110, 5, false),
  // 1×1 a/c convs (widths 104 and 440 leave a two-vector remainder after 16-wide blocks).
  dense('regnety-400mf', 112, 32, 48, 1, 'relu'),
  dense('regnety-400mf', 28, 104, 104, 5, 'relu'),
  dense('regnety-400mf', 14, 208, 208, 11, 'relu'),
  dense('regnety-400mf', 7, 440, 440, 11, 'relu'),
];

/** EfficientNet-B0: the SiLUs after the stem and expand convs, and SE (fed by the depthwise conv). */
const efficientNet: BenchCase[] = [
  {
    net: 'efficientnet-b0',
    layer: 'silu 112²×32 (stem)',
    count: 1,
    op: 'silu',
    shape: [1, 112, 112, 32],
  },
  {
    net: 'efficientnet-b0',
    layer: 'silu 112²×96 (expand)',
    count: 1,
    op: 'silu',
    shape: [1, 112, 112, 96],
  },
  {
    net: 'efficientnet-b0',
    layer: 'silu 56²×144 (expand)',
    count: 2,
    op: 'silu',
    shape: [1, 56, 56, 144],
  },
  {
    net: 'efficientnet-b0',
    layer: 'silu 28²×240 (expand)',
    count: 2,
    op: 'silu',
    shape: [1, 28, 28, 240],
  },
  {
    net: 'efficientnet-b0',
    layer: 'silu 14²×480 (expand)',
    count: 3,
    op: 'silu',
    shape: [1, 14, 14, 480],
  },
  {
    net: 'efficientnet-b0',
    layer: 'silu 14²×672 (expand)',
    count: 3,
    op: 'silu',
    shape: [1, 14, 14, 672],
  },
  {
    net: 'efficientnet-b0',
    layer: 'silu 7²×1152 (expand)',
    count: 4,
    op: 'silu',
    shape: [1, 7, 7, 1152],
  },
  {
    net: 'efficientnet-b0',
    layer: 'silu 7²×1280 (head)',
    count: 1,
    op: 'silu',
    shape: [1, 7, 7, 1280],
  },
  dense('efficientnet-b0', 112, 16, 96, 1, 'silu'),
  dense('efficientnet-b0', 56, 24, 144, 2, 'silu'),
  dense('efficientnet-b0', 56, 144, 24, 1, 'linear', true),
  dense('efficientnet-b0', 28, 240, 40, 1, 'linear', true),
  dense('efficientnet-b0', 14, 80, 480, 3, 'silu'),
  dense('efficientnet-b0', 14, 480, 80, 2, 'linear', true),
  dense('efficientnet-b0', 14, 672, 112, 2, 'linear', true),
  dense('efficientnet-b0', 7, 192, 1152, 4, 'silu'),
  dense('efficientnet-b0', 7, 1152, 192, 3, 'linear', true),
  dense('efficientnet-b0', 7, 320, 1280, 1, 'silu'),
  depthwise(112, 32, 3, 1, 1),
  depthwise(112, 96, 3, 2, 1),
  depthwise(56, 144, 3, 1, 1),
  depthwise(56, 144, 5, 2, 1),
  depthwise(28, 240, 5, 1, 1),
  depthwise(28, 240, 3, 2, 1),
  depthwise(14, 480, 3, 1, 2),
  depthwise(14, 480, 5, 1, 1),
  depthwise(14, 672, 5, 1, 2),
  depthwise(14, 672, 5, 2, 1),
  depthwise(7, 1152, 5, 1, 3),
  depthwise(7, 1152, 3, 1, 1),
  se('efficientnet-b0', 112, 32, 8, 1, true),
  se('efficientnet-b0', 56, 96, 4, 1, true),
  se('efficientnet-b0', 56, 144, 6, 1, true),
  se('efficientnet-b0', 28, 144, 6, 1, true),
  se('efficientnet-b0', 28, 240, 10, 1, true),
  se('efficientnet-b0', 14, 240, 10, 1, true),
  se('efficientnet-b0', 14, 480, 20, 3, true),
  se('efficientnet-b0', 14, 672, 28, 2, true),
  se('efficientnet-b0', 7, 672, 28, 1, true),
  se('efficientnet-b0', 7, 1152, 48, 4, true),
];

/** FD-MobileNet 0.5×: the pointwise convs (ReLU), 80% of its MACs, and the depthwise ones. */
const fdDepthwise = (size: number, channels: number, stride: number, count: number): BenchCase =>
  depthwise(size, channels, 3, stride, count, 'fd-mobilenet-0.5x', 'relu');
const fdMobileNet: BenchCase[] = [
  fdDepthwise(112, 16, 2, 1),
  fdDepthwise(56, 32, 2, 1),
  fdDepthwise(28, 64, 1, 1),
  fdDepthwise(28, 64, 2, 1),
  fdDepthwise(14, 128, 1, 1),
  fdDepthwise(14, 128, 2, 1),
  fdDepthwise(7, 256, 1, 4),
  dense('fd-mobilenet-0.5x', 56, 16, 32, 1, 'relu'),
  dense('fd-mobilenet-0.5x', 28, 32, 64, 1, 'relu'),
  dense('fd-mobilenet-0.5x', 28, 64, 64, 1, 'relu'),
  dense('fd-mobilenet-0.5x', 14, 64, 128, 1, 'relu'),
  dense('fd-mobilenet-0.5x', 14, 128, 128, 1, 'relu'),
  dense('fd-mobilenet-0.5x', 7, 128, 256, 1, 'relu'),
  dense('fd-mobilenet-0.5x', 7, 256, 256, 4, 'relu'),
  dense('fd-mobilenet-0.5x', 7, 256, 512, 1, 'relu'),
];

/** Every network's stem: a dense 3×3 stride-2 conv of the RGB input (pad 1). */
const stem = (net: string, cout: number, act: 'relu' | 'silu'): BenchCase => ({
  net,
  layer: `stem 224²×3→${cout} 3×3 s2 ${act}`,
  count: 1,
  op: 'stem',
  size: 224,
  cout,
  act,
});

export const benchCases: BenchCase[] = [
  stem('regnetx-400mf', 32, 'relu'),
  ...regnetX,
  stem('regnety-400mf', 32, 'relu'),
  ...regnetY,
  stem('efficientnet-b0', 32, 'silu'),
  ...efficientNet,
  stem('fd-mobilenet-0.5x', 16, 'relu'),
  ...fdMobileNet,
];
