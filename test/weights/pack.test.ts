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
import { loadPack, validateManifest } from '../../src/weights/load';
import type { PackDtype, PackEntry, PackManifest } from '../../src/weights/pack';
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
          outChannels: 72,
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
          inChannels: 72,
          outChannels: 72,
          kernel: 3,
          stride: 1,
          groups: 72,
          act: 'relu',
          norm: bn,
        },
        pointwise: {
          name: 'b0.pw',
          inChannels: 72,
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
const misbehave = new Map<string, 'truncate' | 'stall' | 'overlong'>();

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
        if (mode === 'overlong') res.end(Buffer.concat([bytes, Buffer.alloc(70_000)]));
        else res.end(mode === 'truncate' ? bytes.subarray(0, bytes.length - 10) : bytes);
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
  /** The most a decoded value may differ from the original, for the entry's storage dtype. */
  function tolerance(entry: PackEntry, ref: Float32Array): (i: number) => number {
    // float16: half an ulp (2^-11 relative), or half the subnormal spacing 2^-24.
    if (entry.dtype !== 'int8') {
      return entry.dtype === 'float32'
        ? () => 0
        : (i) => Math.max(Math.abs(ref[i]!) * 2 ** -11, 2 ** -25);
    }
    // int8: under one step of the channel's stored scale (codes are a neighbour of the
    // value, keeping the channel's sum), a scale at least (max − offset)/255 for an
    // offset at most one half-ulp below the minimum, and at most 2^-10 above it.
    const axis = entry.channelAxis;
    const channels = entry.shape[axis]!;
    const inner = entry.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    const channel = (i: number) => Math.floor(i / inner) % channels;
    const lo = new Array<number>(channels).fill(Infinity);
    const hi = new Array<number>(channels).fill(-Infinity);
    ref.forEach((v, i) => {
      lo[channel(i)] = Math.min(lo[channel(i)]!, v);
      hi[channel(i)] = Math.max(hi[channel(i)]!, v);
    });
    return (i) => {
      const c = channel(i);
      const step = ((hi[c]! - lo[c]! + Math.abs(lo[c]!) * 2 ** -10) / 255) * (1 + 2 ** -10);
      return step + 2 ** -24;
    };
  }

  it.each([
    ['float32', { float32: 8 }],
    ['float16', { float16: 8 }],
    // int8 codes for every weight, float16 biases: with its tiny channels (the 4-byte
    // affine weighs) the int8 tensors already take the budget, so nothing stays float16.
    ['int8', { int8: 4, float16: 4 }],
  ] as const)(
    'round-trips %s weights within the storage dtype of each tensor %o',
    async (dtype, dtypes) => {
      const manifest = await write(dtype, dtype, tinySpec(), 2048);
      expect(Object.keys(manifest.shards).length).toBeGreaterThan(1);
      const entries = manifest.weightsManifest.flatMap((g) => g.weights);
      const counts: Record<string, number> = {};
      for (const e of entries) counts[e.dtype] = (counts[e.dtype] ?? 0) + 1;
      expect(counts).toEqual(dtypes);
      const progress: number[] = [];
      const { weights, fromCache } = await loadPack(`${base}/${dtype}/model.json`, {
        spec: tinySpec(),
        onProgress: (p) => progress.push(p.loaded / p.total),
      });
      expect(fromCache).toBe(false);
      expect(progress[0]).toBe(0);
      expect(progress.at(-1)).toBe(1);
      const want = tensorsFor(tinySpec());
      for (const entry of entries) {
        const got = await weights[entry.name]!.data();
        const ref = want.get(entry.name)!.data;
        expect(weights[entry.name]!.shape).toEqual(entry.shape);
        const bound = tolerance(entry, ref);
        ref.forEach((v, i) =>
          expect(Math.abs(got[i]! - v), `${entry.name}[${i}]`).toBeLessThanOrEqual(bound(i)),
        );
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
      /misshaped\/model\.json: tensor 'stem\.weight' has shape \[3, 3, 3, 9\], expected \[3, 3, 3, 72\]/,
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

  it('a server that stalls mid-shard, after the stall timeout', async () => {
    await write('float32', 'stall2');
    misbehave.set('/stall2/group1-shard1of1.bin', 'stall');
    const before = tf.memory().numTensors;
    await expect(
      loadPack(`${base}/stall2/model.json`, { spec: tinySpec(), stallTimeout: 300 }),
    ).rejects.toThrow(
      /stall2\/group1-shard1of1\.bin: no data for 0\.3 s after 100 bytes \(stalled server; the stallTimeout option/,
    );
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a server that sends more bytes than the pack declares', async () => {
    await write('float32', 'overlong');
    misbehave.set('/overlong/group1-shard1of1.bin', 'overlong');
    await expectRejects(
      `${base}/overlong/model.json`,
      /overlong\/group1-shard1of1\.bin: the server sent more than \d+ bytes, the size model\.json declares/,
    );
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
    ).rejects.toThrow(/tiny-test-net: tensor 'b0\.dw\.bias' \[72\] is missing/);
    await expect(readFile(join(root, 'never/model.json'))).rejects.toThrow(/ENOENT/);
  });
});

describe('validateManifest names the pack URL and the entry for every broken model.json', () => {
  const url = 'https://example.test/packs/tiny/model.json';
  let good: PackManifest;
  beforeAll(async () => {
    good = await write('int8', 'validate');
  });
  type Json = Record<string, unknown> & {
    weightsManifest: { paths: string[]; weights: Record<string, unknown>[] }[];
    shards: Record<string, { bytes: number; sha256: string }>;
  };
  const weights = (m: Json) => m.weightsManifest[0]!.weights;
  const entry = (m: Json, name: string) => weights(m).find((e) => e.name === name)!;
  const shard = (m: Json) => Object.values(m.shards)[0]!;

  it.each<[string, (m: Json) => unknown, RegExp]>([
    ['not an object', () => [1, 2], /not a webnets pack/],
    ['no format', (m) => ({ ...m, format: undefined }), /not a webnets pack/],
    [
      'a version-1 pack',
      (m) => ({ ...m, formatVersion: 1 }),
      /pack format version 1; this webnets reads version 2: convert the checkpoint again/,
    ],
    [
      'a newer pack',
      (m) => ({ ...m, formatVersion: 3 }),
      /pack format version 3; .*update webnets/,
    ],
    [
      'another model id',
      (m) => ({ ...m, modelId: 'other' }),
      /the pack holds weights for 'other', not 'tiny-test-net'/,
    ],
    [
      'another config',
      (m) => ({ ...m, config: { alpha: 0.2 } }),
      /family 'fd-mobilenet' with config \{"alpha":0\.2\} is not tiny-test-net's \(fd-mobilenet, \{"alpha":0\.1\}\)/,
    ],
    [
      'another family',
      (m) => ({ ...m, family: 'regnet' }),
      /family 'regnet' .* is not tiny-test-net's/,
    ],
    ['an unknown pack dtype', (m) => ({ ...m, dtype: 'int4' }), /unknown pack dtype 'int4'/],
    ['no labels', (m) => ({ ...m, labels: 7 }), /"labels" is missing or not a string/],
    [
      'no weightsManifest',
      (m) => ({ ...m, weightsManifest: {} }),
      /"weightsManifest" is missing or empty/,
    ],
    [
      'an entry without a name',
      (m) => {
        weights(m).push({ shape: [1] });
      },
      /weightsManifest entry 8 is not an object with a name/,
    ],
    [
      'an unknown tensor dtype',
      (m) => {
        entry(m, 'stem.weight').dtype = 'int4';
      },
      /tensor 'stem\.weight': unknown dtype 'int4'/,
    ],
    [
      'a negative dimension',
      (m) => {
        entry(m, 'stem.weight').shape = [-3, 3, 3, 72];
      },
      /tensor 'stem\.weight': shape \[-3, 3, 3, 72\] is not a list of dimensions/,
    ],
    [
      'a 2³¹ dimension',
      (m) => {
        entry(m, 'stem.weight').shape = [2 ** 31, 3, 3, 72];
      },
      /tensor 'stem\.weight': shape \[2147483648, 3, 3, 72\] is not a list of dimensions/,
    ],
    [
      'a fractional dimension',
      (m) => {
        entry(m, 'stem.bias').shape = [71.5];
      },
      /tensor 'stem\.bias': shape \[71\.5\] is not a list/,
    ],
    [
      'a shape the spec does not have',
      (m) => {
        entry(m, 'stem.bias').shape = [71];
      },
      /tensor 'stem\.bias' has shape \[71\], expected \[72\] for tiny-test-net/,
    ],
    [
      'a missing tensor',
      (m) => {
        weights(m).splice(3, 1);
      },
      /tensor 'b0\.dw\.bias' \[72\] is missing/,
    ],
    [
      'an extra tensor',
      (m) => {
        weights(m).push({ name: 'extra.weight', shape: [2], dtype: 'float32' });
      },
      /tensor 'extra\.weight' is not a tensor of tiny-test-net/,
    ],
    [
      'a tensor listed twice',
      (m) => {
        weights(m).push({ ...weights(m)[0]! });
      },
      /tensor 'stem\.weight' is listed twice/,
    ],
    [
      'an int8 channel axis outside the shape',
      (m) => {
        entry(m, 'b0.pw.weight').channelAxis = 4;
      },
      /tensor 'b0\.pw\.weight': int8 channelAxis 4 is not an axis of its shape \[1, 1, 72, 300\]/,
    ],
    [
      'an int8 affine of the wrong length',
      (m) => {
        entry(m, 'b0.pw.weight').channelAxis = 2;
      },
      /weightsManifest group 0: its tensors' shapes and dtypes take \d+ bytes, its shards declare \d+/,
    ],
    [
      'a dtype whose bytes differ from the shards',
      (m) => {
        entry(m, 'stem.weight').dtype = 'float32';
      },
      /weightsManifest group 0: its tensors' shapes and dtypes take \d+ bytes, its shards declare \d+/,
    ],
    [
      'a shard size that differs',
      (m) => {
        shard(m).bytes += 4;
      },
      /weightsManifest group 0: its tensors' shapes and dtypes take \d+ bytes, its shards declare \d+/,
    ],
    [
      'a shard without a hash',
      (m) => {
        shard(m).sha256 = 'abc';
      },
      /shard 'group1-shard1of1\.bin' has no recorded size and sha256/,
    ],
    [
      'a shard path twice',
      (m) => {
        m.weightsManifest[0]!.paths.push(m.weightsManifest[0]!.paths[0]!);
      },
      /shard path 'group1-shard1of1\.bin' is empty, not a string or listed twice/,
    ],
    [
      'a shard nobody uses',
      (m) => {
        m.shards['spare.bin'] = { ...shard(m) };
      },
      /"shards" lists 'spare\.bin', which no weightsManifest group uses/,
    ],
  ])('%s', (_, mutateManifest, message) => {
    const m = structuredClone(good) as unknown as Json;
    const replaced = mutateManifest(m);
    const manifest = replaced === undefined ? m : replaced;
    expect(() => validateManifest(manifest, url, tinySpec())).toThrow(
      new RegExp(`^${url.replace(/[./]/g, '\\$&')}: ${message.source}`),
    );
  });

  it('accepts the pack as written', () => {
    expect(validateManifest(structuredClone(good), url, tinySpec()).modelId).toBe('tiny-test-net');
  });
});
