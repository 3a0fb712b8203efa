import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writePack } from '../../src/convert/write-pack';
import type { SourceTensor } from '../../src/convert/state-dict';
import type { NetworkSpec } from '../../src/models/spec';
import { paramSpecs } from '../../src/models/spec';
import { tf } from '../../src/tf';
import { loadPack } from '../../src/weights/load';
import type { PackDtype, PackManifest } from '../../src/weights/pack';
import { syntheticValues } from '../../src/weights/synthetic';

/** A small but real spec: a stem conv, a depthwise-separable unit, a classifier. */
function tinySpec(id = 'tiny-test-net'): NetworkSpec {
  const bn = { kind: 'bn' as const, eps: 1e-5 };
  return {
    id,
    family: 'fd-mobilenet',
    config: { alpha: 0.1 },
    inputSize: 32,
    blocks: [
      {
        kind: 'conv',
        conv: {
          name: 'stem',
          inChannels: 3,
          outChannels: 8,
          kernel: 3,
          stride: 2,
          groups: 1,
          act: 'relu',
          norm: bn,
        },
      },
      {
        kind: 'dwsep',
        depthwise: {
          name: 'b0.dw',
          inChannels: 8,
          outChannels: 8,
          kernel: 3,
          stride: 1,
          groups: 8,
          act: 'relu',
          norm: bn,
        },
        pointwise: {
          name: 'b0.pw',
          inChannels: 8,
          outChannels: 300,
          kernel: 1,
          stride: 1,
          groups: 1,
          act: 'relu',
          norm: bn,
        },
      },
    ],
    features: 300,
    classifier: { name: 'classifier', inFeatures: 300, outFeatures: 10 },
    preprocessing: {
      inputSize: 32,
      resizeSize: 36,
      interpolation: 'bilinear',
      mean: [0.5, 0.5, 0.5],
      std: [0.25, 0.25, 0.25],
    },
  };
}

/** Weights with a per-channel range spread of 10⁴, as batch-norm folding produces. */
function tensorsFor(spec: NetworkSpec): Map<string, SourceTensor> {
  const out = new Map<string, SourceTensor>();
  for (const p of paramSpecs(spec)) {
    const data = syntheticValues(p, 3);
    const channels = p.shape[p.shape.length - 1]!;
    if (channels > 1) data.forEach((v, i) => (data[i] = v * 10 ** (((i % channels) % 5) - 2)));
    out.set(p.name, { shape: p.shape, data });
  }
  return out;
}

const source = {
  file: 'tiny.pth',
  sha256: '0'.repeat(64),
  format: 'torch-zip' as const,
  naming: 'webnets' as const,
};

let root: string;
let server: ReturnType<typeof createServer>;
let base: string;
/** Per-path overrides the tests use to simulate broken servers. */
const misbehave = new Map<string, 'truncate' | 'stall'>();

beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await mkdtemp(join(tmpdir(), 'webnets-pack-'));
  server = createServer((req, res) => {
    const path = decodeURIComponent(req.url ?? '/');
    readFile(join(root, path)).then(
      (bytes) => {
        const mode = misbehave.get(path);
        if (mode === 'stall') {
          res.writeHead(200, { 'Content-Length': bytes.length });
          res.write(bytes.subarray(0, 100)); // and never finish
          return;
        }
        res.writeHead(200);
        res.end(mode === 'truncate' ? bytes.subarray(0, bytes.length - 10) : bytes);
      },
      () => {
        res.writeHead(404);
        res.end('not found');
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, 'localhost', resolve));
  base = `http://localhost:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  server.close();
  await rm(root, { recursive: true, force: true });
});

async function write(
  dtype: PackDtype,
  dir: string,
  spec = tinySpec(),
  shardBytes?: number,
): Promise<PackManifest> {
  return writePack({
    spec,
    tensors: tensorsFor(spec),
    dtype,
    source,
    labels: 'imagenet-1k',
    outDir: join(root, dir),
    ...(shardBytes ? { shardBytes } : {}),
  });
}

describe('packs: write, then load over HTTP with integrity checks', () => {
  it.each([
    ['float32', 0],
    ['float16', 2 ** -11],
    ['int8', 1 / 255],
  ] as const)(
    'round-trips %s weights (relative error per channel ≤ %f)',
    async (dtype, tolerance) => {
      const manifest = await write(dtype, dtype, tinySpec(), 2048);
      expect(Object.keys(manifest.shards).length).toBeGreaterThan(1);
      const progress: number[] = [];
      const { weights, fromCache } = await loadPack(`${base}/${dtype}/model.json`, {
        spec: tinySpec(),
        onProgress: (p) => progress.push(p.loaded / p.total),
      });
      expect(fromCache).toBe(false);
      expect(progress[0]).toBe(0);
      expect(progress.at(-1)).toBe(1);
      const want = tensorsFor(tinySpec());
      for (const p of paramSpecs(tinySpec())) {
        const got = await weights[p.name]!.data();
        const ref = want.get(p.name)!.data;
        expect(weights[p.name]!.shape).toEqual(p.shape);
        const channels = p.shape[p.shape.length - 1]!;
        // float16 subnormals (|v| < 6.1e-5) are spaced 2^-24 apart: half a step is the best rounding.
        const halfSubnormalStep = dtype === 'float16' ? 2 ** -25 : 1e-12;
        // Compare against the range of each value's own channel (int8 is per-channel affine).
        const range = new Array<number>(channels).fill(0);
        ref.forEach((v, i) => (range[i % channels] = Math.max(range[i % channels]!, Math.abs(v))));
        ref.forEach((v, i) => {
          const scale =
            dtype === 'int8' && !p.name.endsWith('.bias') ? 2 * range[i % channels]! : Math.abs(v);
          expect(Math.abs(got[i]! - v), `${p.name}[${i}]`).toBeLessThanOrEqual(
            tolerance * scale + halfSubnormalStep,
          );
        });
      }
      tf.dispose(Object.values(weights));
    },
  );
});

describe('loadPack rejects broken packs, naming the file, leaving no tensors behind', () => {
  const expectRejects = async (url: string, message: RegExp, spec = tinySpec()) => {
    const before = tf.memory().numTensors;
    await expect(loadPack(url, { spec })).rejects.toThrow(message);
    expect(tf.memory().numTensors).toBe(before);
  };

  it('a truncated shard', async () => {
    await write('float32', 'trunc');
    misbehave.set('/trunc/group1-shard1of1.bin', 'truncate');
    await expectRejects(
      `${base}/trunc/model.json`,
      /trunc\/group1-shard1of1\.bin: \d+ bytes, expected \d+ \(truncated/,
    );
  });

  it('a shard whose bytes do not match its sha256', async () => {
    await write('float32', 'tampered');
    const shard = join(root, 'tampered/group1-shard1of1.bin');
    const bytes = await readFile(shard);
    bytes[100] = bytes[100]! ^ 0xff;
    await writeFile(shard, bytes);
    await expectRejects(
      `${base}/tampered/model.json`,
      /tampered\/group1-shard1of1\.bin: sha256 [0-9a-f]{64} does not match/,
    );
  });

  it('a manifest for another architecture', async () => {
    await write('float32', 'other', tinySpec('some-other-net'));
    await expectRejects(
      `${base}/other/model.json`,
      /other\/model\.json: the pack holds weights for 'some-other-net', not 'tiny-test-net'/,
    );
  });

  it('a manifest whose tensor shapes do not fit the spec', async () => {
    const manifest = await write('float32', 'misshaped');
    manifest.weightsManifest[0]!.weights[0]!.shape = [3, 3, 3, 9];
    await writeFile(join(root, 'misshaped/model.json'), JSON.stringify(manifest));
    await expectRejects(
      `${base}/misshaped/model.json`,
      /tensor 'stem\.weight' has shape \[3, 3, 3, 9\], expected \[3, 3, 3, 8\]/,
    );
  });

  it('a 404', async () => {
    await expectRejects(`${base}/nowhere/model.json`, /nowhere\/model\.json: HTTP 404/);
  });

  it('an aborted download', async () => {
    await write('float32', 'stall');
    misbehave.set('/stall/group1-shard1of1.bin', 'stall');
    const controller = new AbortController();
    const before = tf.memory().numTensors;
    const loading = loadPack(`${base}/stall/model.json`, {
      spec: tinySpec(),
      signal: controller.signal,
      onProgress: (p) => p.loaded > 0 && controller.abort(),
    });
    await expect(loading).rejects.toThrow(/stall\/group1-shard1of1\.bin: download aborted/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('no file written when the tensors do not fit the spec', async () => {
    const tensors = tensorsFor(tinySpec());
    tensors.delete('b0.dw.bias');
    await expect(
      writePack({
        spec: tinySpec(),
        tensors,
        dtype: 'float32',
        source,
        labels: 'imagenet-1k',
        outDir: join(root, 'never'),
      }),
    ).rejects.toThrow(/tiny-test-net: tensor 'b0\.dw\.bias' \[8\] is missing/);
    await expect(readFile(join(root, 'never/model.json'))).rejects.toThrow(/ENOENT/);
  });
});
