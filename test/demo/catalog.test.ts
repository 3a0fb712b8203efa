import { describe, expect, it } from 'vitest';
import {
  buildCatalog,
  defaultEntry,
  defaultSelection,
  parsePublishedModels,
  weightsAdvice,
} from '../../demo/lib/catalog';
import { parsePackIndex } from '../../demo/lib/pack-index';

const c = (params: number, macs: number, activations: number) => ({ params, macs, activations });
const presets = [
  { id: 'efficientnet-b0', complexity: c(5.3e6, 0.39e9, 6.7e6) },
  { id: 'fd-mobilenet-0.25x', complexity: c(383160, 0.012e9, 0.5e6) },
  { id: 'regnetx-200mf', complexity: c(2.7e6, 0.2e9, 2.2e6) },
  { id: 'fd-mobilenet-0.5x', complexity: c(993928, 0.04e9, 1e6) },
];
const index = parsePackIndex({
  format: 'webnets-pack-index',
  generated: '2024-05-01T00:00:00.000Z',
  packs: [
    {
      id: 'fd-mobilenet-0.25x',
      path: 'fd-mobilenet-0.25x/model.json',
      dtype: 'float32',
      bytes: 1532640,
      source: { file: '0.25x-FDMobileNet-224.pth.tar', sha256: '881f' },
    },
    {
      id: 'fd-mobilenet-0.5x',
      path: 'fd-mobilenet-0.5x/model.json',
      dtype: 'float32',
      bytes: 3975712,
      source: { file: '0.5x-FDMobileNet-224.pth.tar', sha256: '2659' },
    },
  ],
});
// The shape of models/models.json (tools/reference/make_model_list.py), trimmed.
const published = parsePublishedModels({
  $comment: 'generated',
  pretrained: {
    'fd-mobilenet-0.5x': {
      top1: 56.3,
      file: 'fd-mobilenet/0.5x-FDMobileNet-224.pth.tar',
      url: 'https://x/0.5x.pth.tar',
    },
    'fd-mobilenet-0.25x': { top1: null, file: 'fd-mobilenet/0.25x-FDMobileNet-224.pth.tar' },
    'efficientnet-b0': {
      top1: 77.692,
      url: 'https://download.pytorch.org/models/efficientnet_b0_rwightman-3dd342df.pth',
    },
  },
});

describe('buildCatalog', () => {
  const catalog = buildCatalog(presets, index, published, 'http://localhost:5173/packs/index.json');

  it('puts FD-MobileNet 0.5× first, then packs, then synthetic-only presets by MACs', () => {
    expect(catalog.map((e) => e.id)).toEqual([
      'fd-mobilenet-0.5x',
      'fd-mobilenet-0.25x',
      'regnetx-200mf',
      'efficientnet-b0',
    ]);
    expect(defaultEntry(catalog)?.id).toBe('fd-mobilenet-0.5x');
  });

  it('resolves pack URLs against the index and joins published accuracy', () => {
    const fd = catalog[0];
    expect(fd?.pack?.url).toBe('http://localhost:5173/packs/fd-mobilenet-0.5x/model.json');
    expect(fd?.top1).toBe(56.3);
    expect(fd?.source).toBe('fd-mobilenet/0.5x-FDMobileNet-224.pth.tar');
    const b0 = catalog.find((e) => e.id === 'efficientnet-b0');
    expect(b0?.pack).toBeNull();
    expect(b0?.top1).toBe(77.692);
    expect(b0?.source).toBe(
      'https://download.pytorch.org/models/efficientnet_b0_rwightman-3dd342df.pth',
    );
    expect(catalog.find((e) => e.id === 'regnetx-200mf')?.top1).toBeNull();
  });

  it('works without any pack index (nothing prepared)', () => {
    const bare = buildCatalog(presets, null, [], 'http://localhost/packs/index.json');
    expect(bare.every((e) => e.pack === null)).toBe(true);
    expect(bare[0]?.id).toBe('fd-mobilenet-0.5x');
  });

  it('starts the latency page with the packs and the cheapest model of each family', () => {
    const more = buildCatalog(
      [
        ...presets,
        { id: 'efficientnet-b1', complexity: c(7.8e6, 0.7e9, 10.9e6) },
        { id: 'regnetx-400mf', complexity: c(5.2e6, 0.4e9, 3.1e6) },
      ],
      index,
      published,
      'http://localhost/packs/index.json',
    );
    expect(defaultSelection(more).sort()).toEqual([
      'efficientnet-b0',
      'fd-mobilenet-0.25x',
      'fd-mobilenet-0.5x',
      'regnetx-200mf',
    ]);
  });

  it('says how to get weights for a model', () => {
    expect(weightsAdvice('efficientnet-b0')).toContain('npx webnets fetch-weights efficientnet-b0');
    expect(weightsAdvice('efficientnet-b0')).toContain('--arch efficientnet-b0');
  });
});

describe('parsers', () => {
  it('reject malformed files, naming the field', () => {
    expect(() => parsePackIndex({ format: 'other', packs: [] })).toThrow(
      /format must be 'webnets-pack-index'/,
    );
    expect(() =>
      parsePackIndex({ format: 'webnets-pack-index', packs: [{ id: 'x', bytes: 1 }] }),
    ).toThrow(/packs\[0\]\.path/);
    expect(() => parsePublishedModels({ models: [] })).toThrow(/expected \{ "pretrained"/);
    expect(() => parsePublishedModels({ pretrained: { a: { top1: '77' } } })).toThrow(
      /pretrained\["a"\]\.top1 must be a number or null/,
    );
  });
});

describe('the real models/models.json', () => {
  it('parses, with the published accuracies the checkpoints’ authors give', async () => {
    const { readFileSync } = await import('node:fs');
    const list = parsePublishedModels(JSON.parse(readFileSync('models/models.json', 'utf8')));
    const byId = new Map(list.map((m) => [m.id, m]));
    // shared/README.md: FD-MobileNet 0.5× 56.3 %, 1× 65.3 %, 0.25× unpublished.
    expect(byId.get('fd-mobilenet-0.5x')?.top1).toBe(56.3);
    expect(byId.get('fd-mobilenet-1x')?.top1).toBe(65.3);
    expect(byId.get('fd-mobilenet-0.25x')?.top1).toBeNull();
    expect(byId.get('fd-mobilenet-0.5x')?.source).toMatch(/0\.5x-FDMobileNet-224\.pth\.tar$/);
  });
});
