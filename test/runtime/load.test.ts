import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { complexity } from '../../src/models/complexity';
import { getSpec, presetIds } from '../../src/models/presets';
import { isCached, listModels, load, selectBackend, tf } from '../../src/index';

// tf.memory() needs an initialized backend; load itself picks its own.
beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('load with synthetic weights (Node: auto → wasm)', () => {
  it('loads a preset, classifies a tensor, describes itself, frees everything', async () => {
    const before = tf.memory().numTensors;
    const model = await load('fd-mobilenet-0.25x', { synthetic: 3 });
    expect(model.id).toBe('fd-mobilenet-0.25x');
    expect(model.backend).toBe('wasm');
    expect(model.backendReason).toMatch(
      /^wasm(-simd)? \(1 thread\): no WebGPU \(navigator\.gpu is missing\)$/,
    );
    expect(model.inputSize).toBe(224);
    const spec = getSpec('fd-mobilenet-0.25x');
    expect(model.info).toMatchObject({
      family: 'fd-mobilenet',
      complexity: complexity(spec),
      preprocessing: spec.preprocessing,
      synthetic: true,
      labelSet: 'imagenet-1k',
      source: { format: 'synthetic', seed: 3 },
    });
    expect(model.info.labels.length).toBe(1000);
    expect(model.info.labels[285]).toBe('Egyptian cat');

    const image = tf.tidy(() =>
      tf.cast(tf.mul(tf.randomUniform([240, 320, 3], 0, 1, 'float32', 1), 255), 'int32'),
    ) as tf.Tensor3D;
    const loaded = tf.memory().numTensors;
    const top = await model.classify(image, { topK: 3 });
    expect(top.length).toBe(3);
    expect(top[0]!.probability).toBeGreaterThanOrEqual(top[1]!.probability);
    expect((await model.embed(image)).length).toBe(spec.features);
    const logits = await model.predict(image);
    expect(logits.length).toBe(1000);
    expect(top[0]!.index).toBe(logits.indexOf(Math.max(...logits)));
    expect(tf.memory().numTensors).toBe(loaded);
    image.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('same seed, same outputs; another seed, other outputs', async () => {
    const x = tf.fill([64, 64, 3], 128, 'int32') as tf.Tensor3D;
    const a = await load('fd-mobilenet-0.25x', { synthetic: true, backend: 'cpu' });
    const b = await load('fd-mobilenet-0.25x', { synthetic: 0, backend: 'cpu' });
    const c = await load('fd-mobilenet-0.25x', { synthetic: 1, backend: 'cpu' });
    const [la, lb, lc] = await Promise.all([a.predict(x), b.predict(x), c.predict(x)]);
    expect(Array.from(la)).toEqual(Array.from(lb));
    expect(Array.from(la)).not.toEqual(Array.from(lc));
    [a, b, c].forEach((m) => m.dispose());
    x.dispose();
  });

  it('refuses bad calls with the fix in the message, allocating nothing', async () => {
    const before = tf.memory().numTensors;
    await expect(load('fd-mobilenet-0.25x')).rejects.toThrow(
      "load('fd-mobilenet-0.25x'): no weights: pass weightsUrl (a pack's model.json, made by `npx webnets convert`), pretrained: true (the published checkpoint, converted in the page) or synthetic: true",
    );
    await expect(
      load('fd-mobilenet-0.25x', { synthetic: true, weightsUrl: '/x/model.json' }),
    ).rejects.toThrow(
      'give one of weightsUrl, pretrained and synthetic, not weightsUrl and synthetic',
    );
    await expect(load('fd-mobilenet-0.25x', { synthetic: 1.5 })).rejects.toThrow(
      'synthetic is 1.5: expected true or a whole-number seed',
    );
    await expect(load('resnet-50', { synthetic: true })).rejects.toThrow(
      /unknown model id 'resnet-50'; expected one of efficientnet-b0/,
    );
    await expect(
      load('fd-mobilenet-0.25x', { synthetic: true, backend: 'gpu' as 'cpu' }),
    ).rejects.toThrow(/backend: expected 'auto', 'webgpu', 'wasm', 'cpu', got "gpu"/);
    await expect(
      load('fd-mobilenet-0.25x', {
        weightsUrl: 'http://127.0.0.1:9/none/model.json',
        backend: 'cpu',
      }),
    ).rejects.toThrow(/^http:\/\/127\.0\.0\.1:9\/none\/model\.json: /);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('listModels and selectBackend', () => {
  it('lists every preset with its complexity and published weights', () => {
    const list = listModels();
    expect(list.map((m) => m.id)).toEqual(presetIds());
    const fd = list.find((m) => m.id === 'fd-mobilenet-0.5x')!;
    expect(fd.complexity.params).toBe(993928); // the checkpoint's count (../shared/README.md)
    expect(fd.pretrained).toMatchObject({ weights: '0.5x-FDMobileNet-224.pth.tar', top1: 56.3 });
    expect(list.find((m) => m.id === 'efficientnet-b0')!.pretrained?.top1).toBeGreaterThan(70);
    // What pretrained: true verifies against: the full hash, torch.hub's prefix, or nothing.
    expect(fd.pretrained?.sha256).toBe(
      '2659c821467f37fd265f73ffbce4ed8d4c212347db97d4f7e7cb0922f065d054',
    );
    expect(list.find((m) => m.id === 'efficientnet-b0')!.pretrained?.sha256).toBe('3dd342df');
    expect(list.find((m) => m.id === 'fd-mobilenet-1x')!.pretrained?.sha256).toBeNull();
  });

  it('selectBackend resolves auto without loading anything', async () => {
    const before = tf.memory().numTensors;
    expect(await selectBackend()).toMatchObject({ backend: 'wasm', rule: 'no-webgpu' });
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('isCached', () => {
  it('is false where nothing can be cached (Node has no IndexedDB), checking options as load does', async () => {
    await expect(isCached('fd-mobilenet-0.5x', { weightsUrl: 'packs/x/model.json' })).resolves.toBe(
      false,
    );
    await expect(isCached('efficientnet-b0', { pretrained: true })).resolves.toBe(false);
    await expect(isCached('fd-mobilenet-0.5x', { synthetic: true })).resolves.toBe(false);
    await expect(isCached('resnet-50', { synthetic: true })).rejects.toThrow(/resnet-50/);
    await expect(
      isCached('fd-mobilenet-0.5x', { synthetic: true, weightsUrl: 'a/model.json' }),
    ).rejects.toThrow(
      "load('fd-mobilenet-0.5x'): give one of weightsUrl, pretrained and synthetic, not weightsUrl and synthetic",
    );
    await expect(isCached('fd-mobilenet-0.5x', {})).rejects.toThrow(/no weights: pass weightsUrl/);
    await expect(
      isCached('efficientnet-b0', { pretrained: true, dtype: 'bfloat16' as 'int8' }),
    ).rejects.toThrow(
      `load('efficientnet-b0'): dtype "bfloat16": expected one of float32, float16, int8`,
    );
    await expect(
      isCached('efficientnet-b0', {
        pretrained: true,
        checkpoints: { 'efficientnet-b0': { url: 'https://x/b0.pth', sha256: 'abc' } },
      }),
    ).rejects.toThrow(/sha256 is "abc": expected the file's sha256/);
  });
});

describe('weights that cannot be read', () => {
  it('are read once, while the backend starts, and their error is the load error as it is (no backend tried after it)', async () => {
    const requests: string[] = [];
    const server = createServer((req, res) => {
      requests.push(req.url ?? '');
      res.writeHead(404).end('not here');
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/packs/b0/model.json`;
    try {
      const before = tf.memory().numTensors;
      const failure = await load('efficientnet-b0', { weightsUrl: url, backend: 'auto' }).then(
        () => null,
        (err: Error) => err.message,
      );
      expect(failure).toMatch(new RegExp(`^${url.replace(/[.?/]/g, '\\$&')}: .*404`));
      expect(failure).not.toMatch(/building the network|fell back/);
      expect(requests).toEqual(['/packs/b0/model.json']);
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      server.close();
    }
  });
});
