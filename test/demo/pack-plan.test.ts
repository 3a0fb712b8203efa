import { describe, expect, it } from 'vitest';
import type { PackManifest } from '../../src/weights/pack';
import { PACK_FORMAT_VERSION } from '../../src/weights/pack';
import {
  archForCheckpoint,
  cachedHash,
  indexEntry,
  isCheckpointFile,
  packState,
} from '../../tools/pack-plan';

const ids = [
  'fd-mobilenet-0.25x',
  'fd-mobilenet-0.5x',
  'fd-mobilenet-1x',
  'efficientnet-b0',
  'regnety-1.6gf',
];

describe('archForCheckpoint', () => {
  it('knows the FD-MobileNet authors’ file names (shared/weights)', () => {
    expect(archForCheckpoint('0.5x-FDMobileNet-224.pth.tar', ids)).toBe('fd-mobilenet-0.5x');
    expect(archForCheckpoint('0.25x-FDMobileNet-224.pth.tar', ids)).toBe('fd-mobilenet-0.25x');
    expect(archForCheckpoint('1x-FDMobileNet-224.pth.tar', ids)).toBe('fd-mobilenet-1x');
  });

  it('takes a file named after a model id, whatever the checkpoint format', () => {
    expect(archForCheckpoint('efficientnet-b0.pth', ids)).toBe('efficientnet-b0');
    expect(archForCheckpoint('regnety-1.6gf.safetensors', ids)).toBe('regnety-1.6gf');
  });

  it('matches the checkpoint a model’s published source names, else nothing', () => {
    const published = [
      { id: 'regnety-1.6gf', source: 'https://example.org/weights/regnety_016-54367f74.pth' },
    ];
    expect(archForCheckpoint('regnety_016-54367f74.pth', ids, published)).toBe('regnety-1.6gf');
    expect(archForCheckpoint('resnet50.pth', ids, published)).toBeNull();
    expect(archForCheckpoint('3x-FDMobileNet-224.pth.tar', ids)).toBeNull();
  });

  it('recognizes checkpoint extensions only', () => {
    expect(isCheckpointFile('a.PTH.TAR')).toBe(true);
    expect(isCheckpointFile('a.safetensors')).toBe(true);
    expect(isCheckpointFile('README.md')).toBe(false);
  });
});

describe('cachedHash', () => {
  const stamp = { size: 4_000_000, mtimeMs: 1700000000000, sha256: 'abc' };
  it('reuses a hash only while size and mtime match', () => {
    expect(cachedHash(stamp, { size: 4_000_000, mtimeMs: 1700000000000 })).toBe('abc');
    expect(cachedHash(stamp, { size: 4_000_000, mtimeMs: 1700000000001 })).toBeNull();
    expect(cachedHash(stamp, { size: 4_000_001, mtimeMs: 1700000000000 })).toBeNull();
    expect(cachedHash(undefined, { size: 1, mtimeMs: 1 })).toBeNull();
  });
});

function manifest(over: Partial<PackManifest> = {}): PackManifest {
  return {
    format: 'webnets-pack',
    formatVersion: PACK_FORMAT_VERSION,
    modelId: 'fd-mobilenet-0.5x',
    family: 'fd-mobilenet',
    config: { width: 0.5 },
    preprocessing: {
      inputSize: 224,
      resizeSize: 256,
      interpolation: 'bilinear',
      mean: [0.485, 0.456, 0.406],
      std: [0.229, 0.224, 0.225],
    },
    labels: 'imagenet-1k',
    dtype: 'float32',
    source: {
      file: '0.5x-FDMobileNet-224.pth.tar',
      sha256: 'sha-a',
      format: 'torch-legacy',
      naming: 'fd-mobilenet',
    },
    weightsManifest: [],
    shards: {
      'group1-shard1of2.bin': { bytes: 4194304, sha256: 'x' },
      'group1-shard2of2.bin': { bytes: 1000, sha256: 'y' },
    },
    converter: '0.1.0',
    ...over,
  };
}

describe('packState', () => {
  it('is current only for the same checkpoint, model and pack format', () => {
    expect(packState(manifest(), 'sha-a', 'fd-mobilenet-0.5x')).toEqual({ state: 'current' });
    expect(packState(null, 'sha-a', 'fd-mobilenet-0.5x')).toEqual({ state: 'missing' });
    expect(packState(manifest(), 'sha-b', 'fd-mobilenet-0.5x')).toMatchObject({
      state: 'stale',
      reason: /checkpoint changed/,
    });
    expect(packState(manifest(), 'sha-a', 'fd-mobilenet-1x')).toMatchObject({
      state: 'stale',
      reason: /for fd-mobilenet-0.5x/,
    });
    expect(
      packState({ ...manifest(), formatVersion: 0 }, 'sha-a', 'fd-mobilenet-0.5x'),
    ).toMatchObject({ state: 'stale', reason: /v0/ });
  });
});

describe('indexEntry', () => {
  it('lists the pack with its total shard size and source', () => {
    expect(indexEntry(manifest(), 'fd-mobilenet-0.5x')).toEqual({
      id: 'fd-mobilenet-0.5x',
      path: 'fd-mobilenet-0.5x/model.json',
      dtype: 'float32',
      bytes: 4195304,
      source: { file: '0.5x-FDMobileNet-224.pth.tar', sha256: 'sha-a' },
    });
  });
});

describe('archForCheckpoint with the real models/models.json', () => {
  it('recognizes a torchvision checkpoint by the file its published source names', async () => {
    const { readFileSync } = await import('node:fs');
    const { parsePublishedModels } = await import('../../demo/lib/catalog');
    const published = parsePublishedModels(JSON.parse(readFileSync('models/models.json', 'utf8')));
    const all = published.map((p) => p.id);
    expect(archForCheckpoint('efficientnet_b0_rwightman-3dd342df.pth', all, published)).toBe(
      'efficientnet-b0',
    );
    expect(archForCheckpoint('regnet_y_400mf-e6988f5f.pth', all, published)).toBe('regnety-400mf');
  });
});
