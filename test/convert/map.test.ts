/**
 * The name maps and BN folding of toWebnetsWeights: formats, namings, layouts and every
 * kind of mismatch. (That the converted weights compute torchvision's logits is
 * test/models/reference.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { detectNaming, toWebnetsWeights } from '../../src/convert/map';
import type { SourceTensor, StateDict } from '../../src/convert/state-dict';
import { getSpec } from '../../src/models/presets';
import { blockConvs, paramSpecs } from '../../src/models/spec';
import type { PreActivationStatistics } from '../../src/weights/bias-correction';
import { fixtureSpec, readFixture, readFixtureStateDict } from '../helpers/reference';

const REGNETY = 'regnety-d5-w16-a10-m2.3-g12';
const EFFNET = 'efficientnet-w0.25-d0.25-r240';

function expectSameWeights(a: Map<string, SourceTensor>, b: Map<string, SourceTensor>): void {
  expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
  for (const [name, t] of a) {
    expect(b.get(name)!.shape, name).toEqual(t.shape);
    expect(b.get(name)!.data, name).toEqual(t.data);
  }
}

function renamed(stateDict: StateDict, names: Record<string, string>): StateDict {
  return new Map([...stateDict].map(([key, t]) => [names[key] ?? key, t]));
}

describe('toWebnetsWeights', () => {
  it.each([REGNETY, EFFNET, 'regnetx-d5-w16-a10-m2.3-g12'])(
    '%s: the legacy and zip serializations convert to the same weights',
    (name) => {
      const fixture = readFixture(name);
      const spec = fixtureSpec(fixture);
      const zip = toWebnetsWeights(spec, readFixtureStateDict(fixture.files.zip));
      const legacy = toWebnetsWeights(spec, readFixtureStateDict(fixture.files.legacy!));
      expectSameWeights(zip, legacy);
    },
  );

  it.each([REGNETY, EFFNET])('%s: timm’s names convert to the same weights', (name) => {
    const fixture = readFixture(name);
    const spec = fixtureSpec(fixture);
    const torchvision = readFixtureStateDict(fixture.files.zip);
    const timm = renamed(torchvision, fixture.timmNames!);
    expect(detectNaming(spec, timm).naming).toBe('timm');
    expect(detectNaming(spec, torchvision).naming).toBe('torchvision');
    expectSameWeights(toWebnetsWeights(spec, torchvision), toWebnetsWeights(spec, timm));
  });

  it('produces exactly the tensors paramSpecs lists, in the runtime layout', () => {
    const fixture = readFixture(REGNETY);
    const spec = fixtureSpec(fixture);
    const weights = toWebnetsWeights(spec, readFixtureStateDict(fixture.files.zip));
    const expected = paramSpecs(spec);
    expect([...weights.keys()]).toEqual(expected.map((p) => p.name));
    for (const p of expected) expect(weights.get(p.name)!.shape, p.name).toEqual(p.shape);
  });

  it('folds batch norm and transposes OIHW → HWIO and depthwise → [k, k, C, 1]', () => {
    const fixture = readFixture(EFFNET);
    const spec = fixtureSpec(fixture);
    const sd = readFixtureStateDict(fixture.files.zip);
    const weights = toWebnetsWeights(spec, sd);
    const eps = 1e-3; // the fixture's batch-norm epsilon (b5–b7 style)
    // BN in eval mode: y = γ·(conv(x) − μ)/√(σ² + ε) + β.
    const check = (
      conv: string,
      bn: string,
      name: string,
      runtimeIndex: (o: number, i: number, y: number, x: number) => number,
    ) => {
      const w = sd.get(`${conv}.weight`)!;
      const [gamma, beta, mean, variance] = ['weight', 'bias', 'running_mean', 'running_var'].map(
        (p) => sd.get(`${bn}.${p}`)!.data,
      );
      const [out, inPerGroup, k] = w.shape as [number, number, number];
      const folded = weights.get(`${name}.weight`)!.data;
      const bias = weights.get(`${name}.bias`)!.data;
      for (const o of [0, out - 1]) {
        const scale = gamma![o]! / Math.sqrt(variance![o]! + eps);
        expect(bias[o]).toBeCloseTo(beta![o]! - mean![o]! * scale, 5);
        for (const [i, y, x] of [
          [0, 0, 0],
          [inPerGroup - 1, k - 1, 0],
          [inPerGroup - 1, 1, k - 1],
        ] as const) {
          const source = w.data[((o * inPerGroup + i) * k + y) * k + x]!;
          expect(folded[runtimeIndex(o, i, y, x)]).toBeCloseTo(source * scale, 5);
        }
      }
    };
    const first = spec.blocks[0]!;
    const stem = first.kind === 'conv' ? first.conv : undefined;
    // Stem 3×3, 3 → 8 channels: HWIO index ((y·k + x)·3 + i)·8 + o.
    expect(stem?.outChannels).toBe(8);
    check('features.0.0', 'features.0.1', 'stem', (o, i, y, x) => ((y * 3 + x) * 3 + i) * 8 + o);
    // Stage 1's depthwise 3×3 on 48 channels: [k, k, C, 1] index (y·k + x)·48 + o.
    check(
      'features.2.0.block.1.0',
      'features.2.0.block.1.1',
      'stages.1.0.depthwise',
      (o, _i, y, x) => (y * 3 + x) * 48 + o,
    );
    // The classifier [out, in] → [in, out].
    const fc = sd.get('classifier.1.weight')!;
    const [out, inFeatures] = fc.shape as [number, number];
    expect(weights.get('classifier.weight')!.data[5 * out + 3]).toBe(fc.data[3 * inFeatures + 5]);
  });

  it("hands over each folded batch norm's β and |γ| by conv name, for int8 bias correction", () => {
    const fixture = readFixture(EFFNET);
    const spec = fixtureSpec(fixture);
    const sd = readFixtureStateDict(fixture.files.zip);
    const statistics: PreActivationStatistics = new Map();
    const weights = toWebnetsWeights(spec, sd, statistics);
    expectSameWeights(weights, toWebnetsWeights(spec, sd));
    const withNorm = spec.blocks.flatMap(blockConvs).filter((c) => c.norm.kind === 'bn');
    expect([...statistics.keys()].sort()).toEqual(withNorm.map((c) => c.name).sort());
    const depthwise = statistics.get('stages.1.0.depthwise')!;
    const gamma = sd.get('features.2.0.block.1.1.weight')!.data;
    expect([...depthwise.mean]).toEqual([...sd.get('features.2.0.block.1.1.bias')!.data]);
    expect([...depthwise.std]).toEqual([...gamma].map(Math.abs));
  });

  it('ignores num_batches_tracked but reports every missing, extra and misshaped tensor', () => {
    const fixture = readFixture(REGNETY);
    const spec = fixtureSpec(fixture);
    const sd = new Map(readFixtureStateDict(fixture.files.zip));
    expect([...sd.keys()].some((k) => k.endsWith('num_batches_tracked'))).toBe(true);
    sd.delete('trunk_output.block2.block2-1.f.b.1.running_var');
    sd.set('trunk_output.block1.block1-0.extra.weight', { shape: [1], data: new Float32Array(1) });
    const fc = sd.get('fc.weight')!;
    sd.set('fc.weight', { shape: [fc.shape[1]!, fc.shape[0]!], data: fc.data });
    const error = (() => {
      try {
        toWebnetsWeights(spec, sd);
      } catch (e) {
        return (e as Error).message;
      }
      return '';
    })();
    expect(error).toMatch(/torchvision state dict does not fit regnety-d5-w16-a10-m2\.3-g12/);
    expect(error).toMatch(
      /missing trunk_output\.block2\.block2-1\.f\.b\.1\.running_var \(expected \[36\]\)/,
    );
    expect(error).toMatch(/unexpected tensor trunk_output\.block1\.block1-0\.extra\.weight/);
    expect(error).toMatch(/fc\.weight is \[84, 10\], expected \[10, 84\]/);
  });

  it('refuses a state dict of another family or an unknown naming', () => {
    const fixture = readFixture(REGNETY);
    const sd = readFixtureStateDict(fixture.files.zip);
    expect(() => toWebnetsWeights(getSpec('efficientnet-b0'), sd)).toThrow(
      /cannot tell which efficientnet naming .*first keys: stem\.0\.weight.*'features\.0\.0\.weight' \(torchvision\) or 'conv_stem\.weight' \(timm\)/,
    );
  });

  it('refuses a checkpoint of another member of the family, naming the first misfits', () => {
    const fixture = readFixture(REGNETY);
    const sd = readFixtureStateDict(fixture.files.zip);
    expect(() => toWebnetsWeights(getSpec('regnety-400mf'), sd)).toThrow(
      /does not fit regnety-400mf: trunk_output\.block1\.block1-0\.f\.a\.0\.weight is \[24, 32, 1, 1\], expected \[48, 32, 1, 1\];.* and \d+ more$/,
    );
  });
});
