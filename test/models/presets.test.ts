import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { complexity } from '../../src/models/complexity';
import { efficientnet } from '../../src/models/efficientnet';
import { fdMobileNet } from '../../src/models/fd-mobilenet';
import { getSpec, presetIds } from '../../src/models/presets';
import { blockWidths, regnet, regnetStages } from '../../src/models/regnet';
import { blockConvs, paramSpecs } from '../../src/models/spec';
import type { BlockSpec } from '../../src/models/spec';

function blockOutChannels(block: BlockSpec): number {
  switch (block.kind) {
    case 'conv':
      return block.conv.outChannels;
    case 'dwsep':
      return block.pointwise.outChannels;
    case 'mbconv':
      return block.project.outChannels;
    case 'bottleneck':
      return block.c.outChannels;
  }
}

/** Written by tools/reference/param_counts.py from torchvision 0.14's own models. */
const torchvision = JSON.parse(
  readFileSync(new URL('../fixtures/torchvision-params.json', import.meta.url), 'utf8'),
) as { params: Record<string, number> };

const SIZES = [
  '200mf',
  '400mf',
  '600mf',
  '800mf',
  '1.6gf',
  '3.2gf',
  '4.0gf',
  '6.4gf',
  '8.0gf',
  '12gf',
  '16gf',
  '32gf',
];

describe('presets', () => {
  it('lists every model id of the zoo', () => {
    const expected = [
      ...[0, 1, 2, 3, 4, 5, 6, 7].map((b) => `efficientnet-b${b}`),
      ...SIZES.map((s) => `regnetx-${s}`),
      ...SIZES.map((s) => `regnety-${s}`),
      'fd-mobilenet-0.25x',
      'fd-mobilenet-0.5x',
      'fd-mobilenet-1x',
    ];
    expect(presetIds().sort()).toEqual(expected.sort());
  });

  it.each(Object.keys(torchvision.params))('%s has torchvision’s parameter count', (id) => {
    expect(complexity(getSpec(id)).params).toBe(torchvision.params[id]);
  });

  it('covers every EfficientNet and RegNet preset with a torchvision count', () => {
    const compared = presetIds().filter((id) => !id.startsWith('fd-mobilenet'));
    expect(compared.filter((id) => torchvision.params[id] === undefined)).toEqual([]);
  });

  it('pins the headline counts of the brief', () => {
    expect(complexity(getSpec('efficientnet-b0')).params).toBe(5_288_548);
    expect(complexity(getSpec('regnety-400mf')).params).toBe(4_344_144);
    expect(complexity(getSpec('regnetx-400mf')).params).toBe(5_495_976);
  });

  it('matches the FD-MobileNet authors’ checkpoints and the paper’s MACs', () => {
    // Parameter counts of the checkpoints in ../shared/weights/fd-mobilenet (README table).
    expect(complexity(getSpec('fd-mobilenet-0.25x')).params).toBe(383_160);
    expect(complexity(getSpec('fd-mobilenet-0.5x')).params).toBe(993_928);
    // The paper's complexities: 12, 40 and 144 million multiply-adds (within 2 %).
    const mmacs = (id: string) => complexity(getSpec(id)).macs / 1e6;
    expect(Math.abs(mmacs('fd-mobilenet-0.25x') / 12 - 1)).toBeLessThan(0.02);
    expect(Math.abs(mmacs('fd-mobilenet-0.5x') / 40 - 1)).toBeLessThan(0.02);
    expect(Math.abs(mmacs('fd-mobilenet-1x') / 144 - 1)).toBeLessThan(0.02);
  });

  it.each(presetIds())('%s builds a consistent spec and reports its complexity', (id) => {
    const spec = getSpec(id);
    expect(spec.id).toBe(id);
    expect(spec.preprocessing.inputSize).toBe(spec.inputSize);
    expect(spec.classifier.inFeatures).toBe(spec.features);
    const names = paramSpecs(spec).map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    // Channels chain: each block reads what the previous one wrote.
    let channels = 3;
    for (const block of spec.blocks) {
      expect(blockConvs(block)[0]!.inChannels).toBe(channels);
      channels = blockOutChannels(block);
    }
    expect(channels).toBe(spec.features);
    const c = complexity(spec);
    expect(c.params).toBeGreaterThan(0);
    expect(c.macs).toBeGreaterThan(c.params / 10);
    expect(c.activations).toBeGreaterThan(0);
  });

  it('names the RegNet MAC budget in the id (within 15 %)', () => {
    for (const xy of ['x', 'y']) {
      for (const size of SIZES) {
        const budget = parseFloat(size) * (size.endsWith('gf') ? 1e9 : 1e6);
        const macs = complexity(getSpec(`regnet${xy}-${size}`)).macs;
        expect(Math.abs(macs / budget - 1), `regnet${xy}-${size}`).toBeLessThan(0.15);
      }
    }
  });

  it('prepares inputs as the published weights in models/models.json expect, with their parameter counts', () => {
    const list = JSON.parse(
      readFileSync(new URL('../../models/models.json', import.meta.url), 'utf8'),
    ) as { pretrained: Record<string, { params: number | null; preprocessing: unknown }> };
    for (const [id, entry] of Object.entries(list.pretrained)) {
      const spec = getSpec(id);
      expect(spec.preprocessing, id).toEqual(entry.preprocessing);
      if (entry.params !== null) expect(complexity(spec).params, id).toBe(entry.params);
    }
  });

  it('records each reference BN epsilon in the spec', () => {
    const eps = (id: string) => {
      const block = getSpec(id).blocks[0]!;
      return block.kind === 'conv' && block.conv.norm.kind === 'bn' ? block.conv.norm.eps : NaN;
    };
    expect(['b0', 'b1', 'b2', 'b3', 'b4'].map((b) => eps(`efficientnet-${b}`))).toEqual(
      Array(5).fill(1e-5),
    );
    expect(['b5', 'b6', 'b7'].map((b) => eps(`efficientnet-${b}`))).toEqual(Array(3).fill(1e-3));
    expect(eps('regnety-400mf')).toBe(1e-5);
    expect(eps('fd-mobilenet-0.5x')).toBe(1e-5);
  });
});

describe('generators', () => {
  it('round-trips generated ids through getSpec', () => {
    const specs = [
      efficientnet({ phi: 1.5 }),
      efficientnet({ widthMult: 0.25, depthMult: 0.5, inputSize: 224, numClasses: 10 }),
      efficientnet({ widthMult: 1.1, depthMult: 1.2, inputSize: 260, bnEps: 1e-3 }),
      regnet({ depth: 16, w0: 48, wa: 27.89, wm: 2.09, groupWidth: 8, se: true }),
      regnet({ depth: 5, w0: 16, wa: 10, wm: 2.3, groupWidth: 12, bottleneck: 2, numClasses: 7 }),
      regnet({ depth: 22, w0: 24, wa: 24.48, wm: 2.54, groupWidth: 16, rounding: 'pycls' }),
      fdMobileNet({ alpha: 0.75 }),
    ];
    for (const spec of specs) expect(getSpec(spec.id)).toEqual(spec);
  });

  it('gives a preset the same architecture as its generator call', () => {
    const preset = getSpec('regnety-400mf');
    const generated = regnet({ depth: 16, w0: 48, wa: 27.89, wm: 2.09, groupWidth: 8, se: true });
    expect(generated.blocks).toEqual(preset.blocks);
  });

  it('scales EfficientNet by the compound rule', () => {
    expect(efficientnet({ phi: 0 }).blocks).toEqual(getSpec('efficientnet-b0').blocks);
    const phi2 = efficientnet({ phi: 2 });
    expect(phi2.inputSize).toBe(296); // 224 · 1.15² = 296.2
    expect(phi2.config).toMatchObject({ phi: 2 });
  });

  it('quantizes RegNet widths and adjusts them to the group width as torchvision does', () => {
    // u_j = 16 + 10j → log-quantized to 16·2.3^k → multiples of 8: 16, 40, 40, 40, 88.
    expect(blockWidths(5, 16, 10, 2.3)).toEqual([16, 40, 40, 40, 88]);
    // Group width 12: 16 → 24 (2 groups), 40 → 36 (3 groups), 88 → 84 (7 groups).
    expect(regnetStages({ depth: 5, w0: 16, wa: 10, wm: 2.3, groupWidth: 12 })).toEqual([
      { width: 24, depth: 1, groupWidth: 12 },
      { width: 36, depth: 3, groupWidth: 12 },
      { width: 84, depth: 1, groupWidth: 12 },
    ]);
    // RegNetX-400MF as torchvision builds it, and as pycls (and timm) build it.
    const x400 = { depth: 22, w0: 24, wa: 24.48, wm: 2.54, groupWidth: 16 };
    expect(regnetStages({ ...x400, rounding: 'pycls' }).map((s) => s.width)).toEqual([
      32, 64, 160, 384,
    ]);
    expect(
      regnetStages({ depth: 22, w0: 24, wa: 24.48, wm: 2.54, groupWidth: 16 }).map((s) => s.width),
    ).toEqual([32, 64, 160, 400]);
  });
});

describe('bad input', () => {
  const cases: [string, () => unknown, RegExp][] = [
    [
      'unknown id',
      () => getSpec('resnet-50'),
      /unknown model id 'resnet-50'.*efficientnet-b0.*regnety-32gf.*fd-mobilenet-1x/,
    ],
    [
      'φ < 0',
      () => efficientnet({ phi: -1 }),
      /efficientnet: phi = -1 is invalid; expected a number ≥ 0/,
    ],
    [
      'φ with multipliers',
      () => efficientnet({ phi: 1, widthMult: 1 }),
      /efficientnet: widthMult .*left out when phi is given/,
    ],
    [
      'missing multiplier',
      () => efficientnet({ widthMult: 1, depthMult: 1 }),
      /efficientnet: inputSize .*expected phi, or all of/,
    ],
    [
      'width ≤ 0',
      () => efficientnet({ widthMult: 0, depthMult: 1, inputSize: 224 }),
      /efficientnet: widthMult = 0 .*> 0/,
    ],
    [
      'wm ≤ 1',
      () => regnet({ depth: 16, w0: 48, wa: 27.89, wm: 1, groupWidth: 8 }),
      /regnet: wm = 1 is invalid; expected a number > 1/,
    ],
    [
      'w0 not a multiple of 8',
      () => regnet({ depth: 16, w0: 44, wa: 27.89, wm: 2, groupWidth: 8 }),
      /regnet: w0 = 44 .*positive multiple of 8/,
    ],
    [
      'w0 ≤ 0',
      () => regnet({ depth: 16, w0: 0, wa: 27.89, wm: 2, groupWidth: 8 }),
      /regnet: w0 = 0 .*positive multiple of 8/,
    ],
    [
      'wa < 0',
      () => regnet({ depth: 16, w0: 48, wa: -1, wm: 2, groupWidth: 8 }),
      /regnet: wa = -1 .*≥ 0/,
    ],
    [
      'depth < 1',
      () => regnet({ depth: 0, w0: 48, wa: 27.89, wm: 2, groupWidth: 8 }),
      /regnet: depth = 0 .*integer ≥ 1/,
    ],
    [
      'group width 0',
      () => regnet({ depth: 4, w0: 48, wa: 27.89, wm: 2, groupWidth: 0 }),
      /regnet: groupWidth = 0 .*integer ≥ 1/,
    ],
    [
      'group width not dividing the adjusted width',
      // b = 3: stage width 16 → bottleneck 48 → 48 (g 16) → width 16 → round(16·3) = 48 ✓;
      // stage width 40 → 120 → make_divisible(120, 16) = 128 → width 42 → round(126) = 126 ✗.
      () => regnet({ depth: 5, w0: 16, wa: 10, wm: 2.3, groupWidth: 16, bottleneck: 3 }),
      /regnet: groupWidth = 16 is invalid; expected a group width dividing stage \d's bottleneck width 126/,
    ],
    [
      'unknown rounding',
      () => regnet({ depth: 5, w0: 16, wa: 10, wm: 2.3, groupWidth: 8, rounding: 'timm' as never }),
      /regnet: rounding = "timm" is invalid; expected 'torchvision' or 'pycls'/,
    ],
    [
      'pycls rounding with b ≠ 1',
      () =>
        regnet({
          depth: 5,
          w0: 16,
          wa: 10,
          wm: 2.3,
          groupWidth: 8,
          bottleneck: 2,
          rounding: 'pycls',
        }),
      /regnet: rounding = "pycls" is invalid; expected 'torchvision' when bottleneck ≠ 1/,
    ],
    [
      'α ≤ 0',
      () => fdMobileNet({ alpha: 0 }),
      /fd-mobilenet: alpha = 0 is invalid; expected a number > 0/,
    ],
    ['α too small', () => fdMobileNet({ alpha: 0.01 }), /fd-mobilenet: alpha = 0.01 .*≥ 1\/32/],
    [
      'unknown option',
      () => fdMobileNet({ alpha: 1, width: 2 } as never),
      /fd-mobilenet: unknown option 'width'/,
    ],
    ['bad generated id', () => getSpec('regnetx-d5-w44-a10-m2.3-g12'), /regnet: w0 = 44/],
  ];
  it.each(cases)(
    '%s throws a message naming model, parameter and expectation',
    (_, fn, message) => {
      expect(fn).toThrow(message);
    },
  );
});
