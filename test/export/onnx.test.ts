/**
 * The ONNX writer (src/export/), run by onnxruntime-web's WASM build in Node: a tiny network
 * per block kind, RegNetY-400MF and EfficientNet-B0 from the benchmark's seeded packs, and
 * the FD-MobileNet authors' pack exported by `webnets export --onnx` give webnets' own
 * logits (tfjs cpu) — and FD-MobileNet PyTorch's; bad input fails naming the file and
 * leaves no file behind.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourceTensor } from '../../src/convert/state-dict';
import { onnxModel, summarizeOnnx } from '../../src/export/onnx';
import { exportPackToOnnx, readPackArrays } from '../../src/export/pack';
import { bnConv, classifier, squeezeExcite, stemBlock } from '../../src/models/builders';
import { createNetwork } from '../../src/models/network';
import { getSpec } from '../../src/models/presets';
import { IMAGENET_MEAN, IMAGENET_STD } from '../../src/models/rules';
import type { BlockSpec, Family, NetworkSpec } from '../../src/models/spec';
import { paramSpecs } from '../../src/models/spec';
import { tf } from '../../src/tf';
import { syntheticValues } from '../../src/weights/synthetic';
import { torchvisionLikeStateDict, writeSyntheticPack } from '../../bench/ort/synthetic';
import { PROTO_PATH, SCHEMA_PATH, schemaModule } from '../../tools/build-onnx-schema';
import { webnets } from '../helpers/cli';

ort.env.wasm.numThreads = 1;

const EPS = 1e-5;

/**
 * max|Δ| / max|logit| allowed between ORT on the exported file and its reference: float32
 * on both sides, summed in different orders over up to ~60 layers (measured 2026-12-04:
 * 4e-7 to 1.1e-6 on the presets below).
 */
const TOLERANCE = 1e-4;

/** A spec around `blocks` (stem first), `width` features into a 10-class classifier. */
function tinySpec(id: string, family: Family, blocks: BlockSpec[], width: number): NetworkSpec {
  return {
    id,
    family,
    config: {},
    inputSize: 32,
    blocks,
    features: width,
    classifier: classifier(width, 10),
    preprocessing: {
      inputSize: 32,
      resizeSize: 36,
      interpolation: 'bilinear',
      mean: IMAGENET_MEAN,
      std: IMAGENET_STD,
    },
  };
}

const conv = (
  name: string,
  i: number,
  o: number,
  k: number,
  act: 'relu' | 'silu' | 'linear',
  stride = 1,
  groups = 1,
) => bnConv(name, { inChannels: i, outChannels: o, kernel: k, stride, groups, act }, EPS);

/** One tiny network per block kind (and per variant of it: SE, shortcut, expand, residual). */
const tinyNetworks: NetworkSpec[] = [
  tinySpec('tiny-conv', 'regnet', [stemBlock('stem', 8, 'relu', EPS)], 8),
  tinySpec(
    'tiny-dwsep',
    'fd-mobilenet',
    [
      stemBlock('stem', 8, 'relu', EPS),
      {
        kind: 'dwsep',
        depthwise: conv('dw0', 8, 8, 3, 'relu', 2, 8),
        pointwise: conv('pw0', 8, 16, 1, 'relu'),
      },
      {
        kind: 'dwsep',
        depthwise: conv('dw1', 16, 16, 3, 'relu', 1, 16),
        pointwise: conv('pw1', 16, 16, 1, 'relu'),
      },
    ],
    16,
  ),
  tinySpec(
    'tiny-mbconv',
    'efficientnet',
    [
      stemBlock('stem', 8, 'silu', EPS),
      {
        kind: 'mbconv',
        depthwise: conv('b0.dw', 8, 8, 3, 'silu', 1, 8),
        se: squeezeExcite('b0.se', 8, 2, 'silu'),
        project: conv('b0.project', 8, 8, 1, 'linear'),
        residual: true,
      },
      {
        kind: 'mbconv',
        expand: conv('b1.expand', 8, 24, 1, 'silu'),
        depthwise: conv('b1.dw', 24, 24, 5, 'silu', 2, 24),
        se: squeezeExcite('b1.se', 24, 2, 'silu'),
        project: conv('b1.project', 24, 12, 1, 'linear'),
        residual: false,
      },
      {
        kind: 'mbconv',
        expand: conv('b2.expand', 12, 36, 1, 'silu'),
        depthwise: conv('b2.dw', 36, 36, 3, 'silu', 1, 36),
        project: conv('b2.project', 36, 12, 1, 'linear'),
        residual: true,
      },
      { kind: 'conv', conv: conv('head', 12, 32, 1, 'silu') },
    ],
    32,
  ),
  tinySpec(
    'tiny-bottleneck',
    'regnet',
    [
      stemBlock('stem', 8, 'relu', EPS),
      {
        kind: 'bottleneck',
        a: conv('s0.a', 8, 16, 1, 'relu'),
        b: conv('s0.b', 16, 16, 3, 'relu', 2, 2),
        se: squeezeExcite('s0.se', 16, 2, 'relu'),
        c: conv('s0.c', 16, 16, 1, 'linear'),
        shortcut: conv('s0.shortcut', 8, 16, 1, 'linear', 2),
      },
      {
        kind: 'bottleneck',
        a: conv('s1.a', 16, 16, 1, 'relu'),
        b: conv('s1.b', 16, 16, 3, 'relu', 1, 4),
        c: conv('s1.c', 16, 16, 1, 'linear'),
      },
    ],
    16,
  ),
];

/** Seeded weights for every tensor of the spec (runtime layout). */
function seededWeights(spec: NetworkSpec, seed: number): Map<string, SourceTensor> {
  return new Map(
    paramSpecs(spec).map((p) => [p.name, { shape: p.shape, data: syntheticValues(p, seed) }]),
  );
}

/** An NCHW image (ORT's layout) as NHWC (webnets'): the same numbers. */
function nhwcOf(nchw: Float32Array, size: number): Float32Array {
  const nhwc = new Float32Array(nchw.length);
  const plane = size * size;
  for (let c = 0; c < 3; c++)
    for (let i = 0; i < plane; i++) nhwc[i * 3 + c] = nchw[c * plane + i]!;
  return nhwc;
}

/** A seeded normalized input, NCHW (ORT) and the same numbers NHWC (webnets). */
function input(size: number, seed: number): { nchw: Float32Array; nhwc: Float32Array } {
  const nchw = syntheticValues({ name: 'input', shape: [1, 3, size, size] }, seed).map(
    (v) => v * 8,
  );
  return { nchw, nhwc: nhwcOf(nchw, size) };
}

/** webnets' logits on tfjs' cpu backend. */
async function webnetsLogits(
  spec: NetworkSpec,
  weights: Map<string, SourceTensor>,
  nhwc: Float32Array,
): Promise<Float32Array> {
  await tf.setBackend('cpu');
  const tensors = Object.fromEntries(
    [...weights].map(([name, t]) => [name, tf.tensor(t.data, t.shape, 'float32')]),
  );
  const network = createNetwork(spec, tensors);
  const size = spec.inputSize;
  const x = tf.tensor4d(nhwc, [1, size, size, 3]);
  try {
    const { logits, features } = network.forward(x);
    const values = (await logits.data()) as Float32Array;
    tf.dispose([logits, features]);
    return values;
  } finally {
    x.dispose();
    network.dispose();
  }
}

async function ortLogits(
  model: Uint8Array,
  nchw: Float32Array,
  size: number,
): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(model, { graphOptimizationLevel: 'all' });
  try {
    const out = await session.run({ input: new ort.Tensor('float32', nchw, [1, 3, size, size]) });
    return out.logits!.data as Float32Array;
  } finally {
    await session.release();
  }
}

/** max |a − b| / max |b|. */
function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  expect(scale).toBeGreaterThan(0);
  return diff / scale;
}

describe('onnxModel: ORT runs the exported graph as webnets runs the spec', () => {
  it.each(tinyNetworks.map((s) => [s.id, s] as const))('%s', async (_, spec) => {
    const weights = seededWeights(spec, 7);
    const { nchw, nhwc } = input(spec.inputSize, 3);
    const model = onnxModel(spec, weights);
    const [theirs, ours] = [
      await ortLogits(model, nchw, 32),
      await webnetsLogits(spec, weights, nhwc),
    ];
    expect(relativeError(theirs, ours)).toBeLessThan(TOLERANCE);
  });

  it('writes opset 13, batch 1, NCHW input and the nodes PyTorch writes for the blocks', () => {
    const spec = tinyNetworks.find((s) => s.id === 'tiny-mbconv')!;
    const summary = summarizeOnnx(onnxModel(spec, seededWeights(spec, 1)));
    expect(summary).toMatchObject({
      irVersion: 7,
      opset: 13,
      inputs: [{ name: 'input', dims: [1, 3, 32, 32] }],
      outputs: [{ name: 'logits', dims: [1, 10] }],
    });
    // 10 convs (stem, 3 depthwise, 2 expand, 3 project, head) + 4 SE convs; SiLU = Sigmoid · x
    // after the stem, the 3 depthwise, the 2 expand, the 2 SE reduce convs and the head (9);
    // the 2 SE gates: Sigmoid, then Mul with the block's map; 2 residual Adds; the
    // classifier's GlobalAveragePool, Flatten and Gemm.
    expect(summary.ops).toEqual({
      Conv: 14,
      Sigmoid: 11,
      Mul: 11,
      GlobalAveragePool: 3,
      Add: 2,
      Flatten: 1,
      Gemm: 1,
    });
  });

  it('names a missing or misshaped tensor', () => {
    const spec = tinyNetworks[0]!;
    const weights = seededWeights(spec, 1);
    weights.delete('stem.bias');
    expect(() => onnxModel(spec, weights)).toThrow(
      /tiny-conv: tensor 'stem.bias' \[8\] is missing/,
    );
    const bad = seededWeights(spec, 1);
    bad.set('classifier.weight', { shape: [10, 8], data: new Float32Array(80) });
    expect(() => onnxModel(spec, bad)).toThrow(
      /'classifier.weight' is \[10, 8\].*expected \[8, 10\]/,
    );
  });
});

describe("presets with the benchmark's seeded weights: ORT runs the exported pack as webnets does", () => {
  // The packs `npm run bench` makes for the networks without a checkpoint at hand
  // (torchvision-like weights, random batch-norm statistics folded by the converter),
  // exported as the benchmark exports them, on a seeded input.
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'webnets-export-seeded-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it.each(['regnety-400mf', 'efficientnet-b0'])(
    `%s: ORT's logits within ${TOLERANCE} of webnets' (tfjs cpu)`,
    async (id) => {
      const spec = getSpec(id);
      const packDir = join(dir, id);
      await writeSyntheticPack(spec, torchvisionLikeStateDict(spec), packDir);
      const { pack, out } = await exportPackToOnnx(packDir, join(dir, `${id}.onnx`));
      const { nchw, nhwc } = input(spec.inputSize, 5);
      const theirs = await ortLogits(new Uint8Array(await readFile(out)), nchw, spec.inputSize);
      const ours = await webnetsLogits(spec, pack.weights, nhwc);
      expect(relativeError(theirs, ours)).toBeLessThan(TOLERANCE);
    },
    120_000,
  );
});

describe('webnets export --onnx', () => {
  const checkpoint = '../shared/weights/fd-mobilenet/0.5x-FDMobileNet-224.pth.tar';
  const reference = '../shared/reference/fd-mobilenet.json';
  let dir: string;
  let pack: string;

  beforeAll(async () => {
    for (const path of [checkpoint, reference]) {
      if (!existsSync(path)) throw new Error(`${path} is missing: see ../shared/README.md`);
    }
    dir = await mkdtemp(join(tmpdir(), 'webnets-export-'));
    pack = join(dir, 'fd-0.5x');
    const converted = await webnets(
      'convert',
      checkpoint,
      '--arch',
      'fd-mobilenet-0.5x',
      '--out',
      pack,
    );
    expect(converted.code, converted.stderr).toBe(0);
  }, 120_000);

  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("writes the FD-MobileNet authors' network: ORT gives PyTorch's and webnets' logits on the reference photo", async () => {
    const out = join(dir, 'fd.onnx');
    const { code, stdout, stderr } = await webnets(
      'export',
      '--onnx',
      pack,
      '--out',
      out,
      '--json',
    );
    expect(code, stderr).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      model: 'fd-mobilenet-0.5x',
      out,
      opset: 13,
      nodes: 49,
    });
    const model = new Uint8Array(await readFile(out));
    expect(summarizeOnnx(model).metadata).toMatchObject({ 'webnets.modelId': 'fd-mobilenet-0.5x' });
    const photo = new Float32Array(
      readFileSync('../shared/reference/chelsea.input.f32').buffer.slice(0),
    );
    const pytorch = (
      JSON.parse(readFileSync(reference, 'utf8')) as {
        models: Record<string, Record<string, { logits: number[] }>>;
      }
    ).models['fd-mobilenet-0.5x']!['chelsea']!.logits;
    const theirs = await ortLogits(model, photo, 224);
    expect(relativeError(theirs, pytorch)).toBeLessThan(TOLERANCE);
    const { spec, weights } = await readPackArrays(pack);
    const ours = await webnetsLogits(spec, weights, nhwcOf(photo, 224));
    expect(relativeError(theirs, ours)).toBeLessThan(TOLERANCE);
  }, 120_000);

  it('names the missing model.json of a folder that is no pack, and writes nothing', async () => {
    const empty = join(dir, 'not-a-pack');
    await mkdir(empty);
    const out = join(dir, 'none.onnx');
    const { code, stderr } = await webnets('export', '--onnx', empty, '--out', out);
    expect(code).not.toBe(0);
    expect(stderr).toContain(`${join(empty, 'model.json')}: no such file: expected a webnets pack`);
    expect(existsSync(out)).toBe(false);
  });

  it('names the model.json and the id of a pack for a model webnets does not know', async () => {
    const other = join(dir, 'unknown-arch');
    await mkdir(other);
    const manifest = JSON.parse(await readFile(join(pack, 'model.json'), 'utf8')) as object;
    await writeFile(
      join(other, 'model.json'),
      JSON.stringify({ ...manifest, modelId: 'resnet-50' }),
    );
    const out = join(dir, 'unknown.onnx');
    const { code, stderr } = await webnets(
      'export',
      '--onnx',
      join(other, 'model.json'),
      '--out',
      out,
    );
    expect(code).not.toBe(0);
    expect(stderr).toContain(`${join(other, 'model.json')}: unknown model id 'resnet-50'`);
    expect(existsSync(out)).toBe(false);
  });

  it('names a shard whose bytes are not what the pack recorded, and keeps the old file', async () => {
    const broken = join(dir, 'broken');
    await mkdir(broken);
    const manifest = JSON.parse(await readFile(join(pack, 'model.json'), 'utf8')) as {
      shards: Record<string, unknown>;
    };
    await writeFile(join(broken, 'model.json'), JSON.stringify(manifest));
    for (const shard of Object.keys(manifest.shards)) {
      const bytes = await readFile(join(pack, shard));
      bytes[100] = bytes[100]! ^ 0xff;
      await writeFile(join(broken, shard), bytes);
    }
    const out = join(dir, 'kept.onnx');
    await writeFile(out, 'an older file');
    const { code, stderr } = await webnets('export', '--onnx', broken, '--out', out);
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/group1-shard1of1\.bin: sha256 \w+ does not match/);
    expect(await readFile(out, 'utf8')).toBe('an older file');
  });

  it('asks for --onnx and --out', async () => {
    const noInput = await webnets('export', '--out', join(dir, 'x.onnx'));
    expect(noInput.stderr).toMatch(/--onnx <pack dir\|model.json> is required/);
    const noOut = await webnets('export', '--onnx', pack);
    expect(noOut.stderr).toMatch(/--out <file.onnx> is required/);
  });
});

describe('src/export/onnx-schema.generated.ts', () => {
  it('is the schema of src/export/onnx.proto (npm run build:onnx-schema)', () => {
    expect(readFileSync(SCHEMA_PATH, 'utf8')).toBe(schemaModule(readFileSync(PROTO_PATH, 'utf8')));
  });
});
