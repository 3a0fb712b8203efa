import { describe, expect, it } from 'vitest';
import {
  checkpointChoiceQuery,
  downloadText,
  hasCheckpoint,
  offerText,
  parseCheckpointChoice,
  pretrainedLoadOptions,
} from '../../demo/lib/pretrained';

const sha = 'ab'.repeat(32);

describe("the pages' checkpoint choice", () => {
  it('reads a mirror and checkpoints of ones own from the address, and writes them back', () => {
    const search =
      '?checkpoints=http%3A%2F%2Flocalhost%3A9%2Fmirror' +
      `&checkpoint=efficientnet-b0:${sha}:http://localhost:9/own/b0.pth?x=1` +
      `&checkpoint=regnetx-400mf:${'cd'.repeat(32)}:http://localhost:9/rx.safetensors`;
    const choice = parseCheckpointChoice(search);
    expect(choice).toEqual({
      baseUrl: 'http://localhost:9/mirror',
      checkpoints: {
        'efficientnet-b0': { url: 'http://localhost:9/own/b0.pth?x=1', sha256: sha },
        'regnetx-400mf': { url: 'http://localhost:9/rx.safetensors', sha256: 'cd'.repeat(32) },
      },
    });
    expect(
      parseCheckpointChoice(new URLSearchParams(checkpointChoiceQuery(choice)).toString()),
    ).toEqual(choice);
    expect(parseCheckpointChoice('')).toEqual({});
    expect(checkpointChoiceQuery({})).toEqual([]);
  });

  it('names a malformed checkpoint= value and what it should be', () => {
    expect(() => parseCheckpointChoice('checkpoint=efficientnet-b0:abc:http://x/b0.pth')).toThrow(
      '?checkpoint=efficientnet-b0:abc:http://x/b0.pth: expected <model id>:<sha256, 64 lowercase hex digits>:<url>',
    );
  });

  it("gives load's options: the mirror, and only this model's own checkpoint", () => {
    const choice = parseCheckpointChoice(
      `checkpoints=http://m/&checkpoint=efficientnet-b0:${sha}:http://o/b0.pth`,
    );
    expect(pretrainedLoadOptions('efficientnet-b0', choice)).toEqual({
      pretrained: true,
      baseUrl: 'http://m/',
      checkpoints: { 'efficientnet-b0': { url: 'http://o/b0.pth', sha256: sha } },
    });
    expect(pretrainedLoadOptions('regnety-400mf', choice)).toEqual({
      pretrained: true,
      baseUrl: 'http://m/',
    });
    expect(pretrainedLoadOptions('regnety-400mf', {})).toEqual({ pretrained: true });
  });

  it('offers a model with a published checkpoint or one given for it', () => {
    const own = parseCheckpointChoice(`checkpoint=regnetx-200mf:${sha}:http://o/rx.pth`);
    expect(hasCheckpoint({ id: 'efficientnet-b0', source: 'https://x/b0.pth' }, {})).toBe(true);
    expect(hasCheckpoint({ id: 'regnetx-200mf', source: null }, {})).toBe(false);
    expect(hasCheckpoint({ id: 'regnetx-200mf', source: null }, own)).toBe(true);
  });
});

describe('what a download shows', () => {
  it('sizes the offer at 4 bytes a parameter', () => {
    expect(offerText({ complexity: { params: 5_288_548 } })).toBe(
      'Download pretrained weights (≈ 20.2 MiB)',
    );
  });

  it('counts bytes, then says a complete checkpoint is being converted', () => {
    expect(downloadText('EfficientNet-B0', { loaded: 1024 ** 2, total: 2 * 1024 ** 2 }, true)).toBe(
      'Downloading EfficientNet-B0: 1.0 MiB of 2.0 MiB',
    );
    expect(downloadText('EfficientNet-B0', { loaded: 2048, total: 2048 }, true)).toBe(
      "Converting EfficientNet-B0's checkpoint…",
    );
    // A pack has nothing to convert once downloaded.
    expect(downloadText('EfficientNet-B0', { loaded: 2048, total: 2048 }, false)).toBe(
      'Downloading EfficientNet-B0: 2 KiB of 2 KiB',
    );
  });
});
