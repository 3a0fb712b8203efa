/**
 * Named networks: each preset is a generator call with the published parameters.
 * `getSpec` also accepts the canonical ids the generators give to any other member
 * (`efficientnet-phi1.5`, `regnety-d16-w48-a27.89-m2.09-g8`, `fd-mobilenet-0.75x`).
 */
import { efficientnet, parseEfficientnetId } from './efficientnet';
import { fdMobileNet, parseFdMobileNetId } from './fd-mobilenet';
import { parseRegnetId, regnet } from './regnet';
import type { Preprocessing, NetworkSpec } from './spec';

type Interpolation = Preprocessing['interpolation'];

/**
 * torchvision 0.14 EfficientNet builders (width, depth, BN eps) and the eval transforms
 * (crop, resize, interpolation) of the ImageNet weights models/models.json lists
 * (IMAGENET1K_V1, but V2 for B1). torchvision evaluates B2 at 288 (paper: 260).
 */
const EFFICIENTNETS: [string, number, number, number, number, Interpolation, number][] = [
  ['b0', 1.0, 1.0, 224, 256, 'bicubic', 1e-5],
  ['b1', 1.0, 1.1, 240, 255, 'bilinear', 1e-5],
  ['b2', 1.1, 1.2, 288, 288, 'bicubic', 1e-5],
  ['b3', 1.2, 1.4, 300, 320, 'bicubic', 1e-5],
  ['b4', 1.4, 1.8, 380, 384, 'bicubic', 1e-5],
  ['b5', 1.6, 2.2, 456, 456, 'bicubic', 1e-3],
  ['b6', 1.8, 2.6, 528, 528, 'bicubic', 1e-3],
  ['b7', 2.0, 3.1, 600, 600, 'bicubic', 1e-3],
];

/**
 * RegNet sizes: [name, depth, w0, wa, wm, group width, whose model it is]. torchvision
 * 0.14 ships 400MF, 800MF, 1.6GF, 3.2GF, 8.0GF, 16GF and 32GF: its `regnet.py` values,
 * built with its width adjustment. The other sizes exist only in pycls
 * (`configs/dds_baselines`, as in timm's `model_cfgs`): pycls's values, built with
 * pycls's adjustment, so that they are the networks pycls and timm published (the two
 * rules differ for the 4.0GF models: see regnet.ts).
 */
type RegNetRow = [string, number, number, number, number, number, 'torchvision' | 'pycls'];
const REGNETX: RegNetRow[] = [
  ['200mf', 13, 24, 36.44, 2.49, 8, 'pycls'],
  ['400mf', 22, 24, 24.48, 2.54, 16, 'torchvision'],
  ['600mf', 16, 48, 36.97, 2.24, 24, 'pycls'],
  ['800mf', 16, 56, 35.73, 2.28, 16, 'torchvision'],
  ['1.6gf', 18, 80, 34.01, 2.25, 24, 'torchvision'],
  ['3.2gf', 25, 88, 26.31, 2.25, 48, 'torchvision'],
  ['4.0gf', 23, 96, 38.65, 2.43, 40, 'pycls'],
  ['6.4gf', 17, 184, 60.83, 2.07, 56, 'pycls'],
  ['8.0gf', 23, 80, 49.56, 2.88, 120, 'torchvision'],
  ['12gf', 19, 168, 73.36, 2.37, 112, 'pycls'],
  ['16gf', 22, 216, 55.59, 2.1, 128, 'torchvision'],
  ['32gf', 23, 320, 69.86, 2.0, 168, 'torchvision'],
];
const REGNETY: RegNetRow[] = [
  ['200mf', 13, 24, 36.44, 2.49, 8, 'pycls'],
  ['400mf', 16, 48, 27.89, 2.09, 8, 'torchvision'],
  ['600mf', 15, 48, 32.54, 2.32, 16, 'pycls'],
  ['800mf', 14, 56, 38.84, 2.4, 16, 'torchvision'],
  ['1.6gf', 27, 48, 20.71, 2.65, 24, 'torchvision'],
  ['3.2gf', 21, 80, 42.63, 2.66, 24, 'torchvision'],
  ['4.0gf', 22, 96, 31.41, 2.24, 64, 'pycls'],
  ['6.4gf', 25, 112, 33.22, 2.27, 72, 'pycls'],
  ['8.0gf', 17, 192, 76.82, 2.19, 56, 'torchvision'],
  ['12gf', 19, 168, 73.36, 2.37, 112, 'pycls'],
  ['16gf', 18, 200, 106.23, 2.48, 112, 'torchvision'],
  ['32gf', 20, 232, 115.89, 2.53, 232, 'torchvision'],
];

const FD_MOBILENETS: [string, number][] = [
  ['0.25x', 0.25],
  ['0.5x', 0.5],
  ['1x', 1],
];

function named(spec: NetworkSpec, id: string, preprocessing?: Partial<Preprocessing>): NetworkSpec {
  return { ...spec, id, preprocessing: { ...spec.preprocessing, ...preprocessing } };
}

const PRESETS = new Map<string, () => NetworkSpec>();
for (const [
  b,
  widthMult,
  depthMult,
  inputSize,
  resizeSize,
  interpolation,
  bnEps,
] of EFFICIENTNETS) {
  PRESETS.set(`efficientnet-${b}`, () =>
    named(efficientnet({ widthMult, depthMult, inputSize, bnEps }), `efficientnet-${b}`, {
      resizeSize,
      interpolation,
    }),
  );
}
for (const [xy, table] of [
  ['x', REGNETX],
  ['y', REGNETY],
] as const) {
  for (const [size, depth, w0, wa, wm, groupWidth, rounding] of table) {
    const id = `regnet${xy}-${size}`;
    const se = xy === 'y';
    PRESETS.set(id, () => named(regnet({ depth, w0, wa, wm, groupWidth, se, rounding }), id));
  }
}
for (const [size, alpha] of FD_MOBILENETS) {
  const id = `fd-mobilenet-${size}`;
  PRESETS.set(id, () => named(fdMobileNet({ alpha }), id));
}

/** Every preset id, family by family. */
export function presetIds(): string[] {
  return [...PRESETS.keys()];
}

/**
 * The spec for a preset id or a generator's canonical id. Throws on anything else,
 * listing the presets and the generated-id forms.
 */
export function getSpec(id: string): NetworkSpec {
  const preset = PRESETS.get(id);
  if (preset) return preset();
  const effnet = parseEfficientnetId(id);
  if (effnet) return efficientnet(effnet);
  const reg = parseRegnetId(id);
  if (reg) return regnet(reg);
  const fd = parseFdMobileNetId(id);
  if (fd) return fdMobileNet(fd);
  throw new Error(
    `unknown model id '${id}'; expected one of ${presetIds().join(', ')}, or a generated id ` +
      `(efficientnet-phi<φ>, efficientnet-w<w>-d<d>-r<size>, regnet{x|y}-d<depth>-w<w0>-a<wa>-m<wm>-g<group width>, fd-mobilenet-<α>x)`,
  );
}
