import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readCheckpoint } from '../../src/convert/checkpoint';
import { toWebnetsWeights } from '../../src/convert/map';
import { encodePack } from '../../src/convert/write-pack';
import { createNetwork } from '../../src/models/network';
import { getSpec } from '../../src/models/presets';
import type { ConvSpec, NetworkSpec } from '../../src/models/spec';
import { blockConvs, paramSpecs } from '../../src/models/spec';
import { tf } from '../../src/tf';
import type { Layer, PreActivationStatistics } from '../../src/weights/bias-correction';
import { correctedBias, inputMeans } from '../../src/weights/bias-correction';
import { entryByteLength, numel } from '../../src/weights/pack';
import { decodeTensor } from '../../src/weights/quantize';
import { useBackend } from '../helpers/backends';
import { prng } from '../helpers/mutate';

const bn = { kind: 'bn', eps: 1e-5 } as const;
const conv = (
  name: string,
  inChannels: number,
  outChannels: number,
  kernel: number,
  act: ConvSpec['act'],
  groups = 1,
  norm: ConvSpec['norm'] = bn,
): ConvSpec => ({ name, inChannels, outChannels, kernel, stride: 1, groups, act, norm });

/** A small network of every block kind the means are carried through. */
function tinySpec(): NetworkSpec {
  const base = getSpec('fd-mobilenet-0.25x');
  return {
    ...base,
    id: 'tiny',
    blocks: [
      { kind: 'conv', conv: conv('stem', 3, 4, 3, 'relu') },
      {
        kind: 'dwsep',
        depthwise: conv('dw', 4, 4, 3, 'relu', 4),
        pointwise: conv('pw', 4, 6, 1, 'silu'),
      },
      {
        kind: 'mbconv',
        expand: conv('mb.expand', 6, 8, 1, 'silu'),
        depthwise: conv('mb.dw', 8, 8, 3, 'silu', 8),
        se: {
          reduce: conv('mb.se.reduce', 8, 2, 1, 'silu', 1, { kind: 'bias' }),
          expand: conv('mb.se.expand', 2, 8, 1, 'sigmoid', 1, { kind: 'bias' }),
        },
        project: conv('mb.project', 8, 6, 1, 'linear'),
        residual: true,
      },
      {
        kind: 'bottleneck',
        a: conv('bt.a', 6, 4, 1, 'relu'),
        b: conv('bt.b', 4, 4, 3, 'relu', 2),
        c: conv('bt.c', 4, 5, 1, 'linear'),
        shortcut: conv('bt.shortcut', 6, 5, 1, 'linear'),
      },
    ],
    features: 5,
    classifier: { name: 'fc', inFeatures: 5, outFeatures: 3 },
  };
}

function seeded(spec: NetworkSpec, seed: number) {
  const random = prng(seed);
  const tensors = new Map(
    paramSpecs(spec).map((p) => [
      p.name,
      { shape: p.shape, data: Float32Array.from({ length: numel(p.shape) }, () => random() - 0.5) },
    ]),
  );
  const statistics: PreActivationStatistics = new Map();
  for (const c of spec.blocks.flatMap(blockConvs)) {
    if (c.norm.kind !== 'bn') continue;
    statistics.set(c.name, {
      mean: Float32Array.from({ length: c.outChannels }, () => 2 * random() - 1),
      std: Float32Array.from({ length: c.outChannels }, () => 0.2 + random()),
    });
  }
  return { tensors, statistics };
}

/** E[f(m + s·z)], z standard normal, by sampling. */
function sampledMean(f: (v: number) => number, m: number, s: number, random: () => number) {
  let sum = 0;
  const n = 200_000;
  for (let k = 0; k < n; k++) {
    const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    sum += f(m + s * z);
  }
  return sum / n;
}

const relu = (v: number) => Math.max(0, v);
const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
const silu = (v: number) => v * sigmoid(v);

describe('inputMeans: every layer input mean from batch-norm statistics alone', () => {
  const spec = tinySpec();
  const { tensors, statistics } = seeded(spec, 3);
  const values = (name: string) => tensors.get(name)!.data;
  const means = inputMeans(spec, statistics, values, values);
  const stat = (name: string) => statistics.get(name)!;

  it('has a mean for every conv weight and the classifier, one per input channel', () => {
    const layers = [...spec.blocks.flatMap(blockConvs).map((c) => [c.name, c.inChannels])];
    layers.push(['fc', 5]);
    expect([...means.keys()].sort()).toEqual(layers.map(([n]) => `${n}.weight`).sort());
    for (const [name, channels] of layers) {
      expect(means.get(`${name}.weight`)!.length, String(name)).toBe(channels);
    }
    expect([...means.get('stem.weight')!]).toEqual([0, 0, 0]);
  });

  it('the mean of relu and silu of each Gaussian pre-activation, as sampling gives it', () => {
    const random = prng(8);
    for (const [layer, source, f] of [
      ['dw', 'stem', relu],
      ['pw', 'dw', relu],
      ['mb.expand', 'pw', silu],
      ['mb.dw', 'mb.expand', silu],
    ] as const) {
      const { mean, std } = stat(source);
      means.get(`${layer}.weight`)!.forEach((got, c) => {
        const want = sampledMean(f, mean[c]!, std[c]!, random);
        expect(Math.abs(got - want), `${layer} input ${c}`).toBeLessThan(0.01 * std[c]!);
      });
    }
  });

  it('squeeze-excitation gates at the mean input, residual sums and the ReLU after a shortcut', () => {
    const random = prng(9);
    const dwMean = stat('mb.dw').mean.map((m, c) =>
      sampledMean(silu, m, stat('mb.dw').std[c]!, random),
    );
    const reduce = tensors.get('mb.se.reduce.weight')!.data; // [1, 1, 8, 2]
    const expand = tensors.get('mb.se.expand.weight')!.data; // [1, 1, 2, 8]
    const r = [0, 1].map((o) =>
      silu(
        values('mb.se.reduce.bias')[o]! +
          [...dwMean].reduce((a, m, i) => a + reduce[i * 2 + o]! * m, 0),
      ),
    );
    const gate = Array.from({ length: 8 }, (_, o) =>
      sigmoid(values('mb.se.expand.bias')[o]! + r[0]! * expand[o]! + r[1]! * expand[8 + o]!),
    );
    means.get('mb.project.weight')!.forEach((got, c) => {
      expect(got).toBeCloseTo(dwMean[c]! * gate[c]!, 2);
    });
    // The residual block's output: the project's β plus its input's mean.
    means.get('bt.a.weight')!.forEach((got, c) => {
      expect(got).toBeCloseTo(stat('mb.project').mean[c]! + means.get('mb.expand.weight')![c]!, 5);
    });
    // relu(c + shortcut): a Gaussian of both means and variances.
    means.get('fc.weight')!.forEach((got, c) => {
      const m = stat('bt.c').mean[c]! + stat('bt.shortcut').mean[c]!;
      const s = Math.hypot(stat('bt.c').std[c]!, stat('bt.shortcut').std[c]!);
      expect(Math.abs(got - sampledMean(relu, m, s, random))).toBeLessThan(0.01 * s);
    });
  });

  it('names a conv whose statistics are missing', () => {
    const partial = new Map(statistics);
    partial.delete('mb.expand');
    expect(() => inputMeans(spec, partial, values, values)).toThrow(
      /conv mb.expand: no batch-norm statistics for its 8 output channels/,
    );
  });
});

describe('correctedBias: the stored weight answers the mean input as the exact one does', () => {
  it.each([
    ['dense 3×3', conv('c', 6, 5, 3, 'relu')],
    ['grouped 3×3', conv('c', 6, 4, 3, 'relu', 2)],
    ['depthwise 3×3', conv('c', 6, 6, 3, 'relu', 6)],
    ['classifier', { inFeatures: 7, outFeatures: 3 }],
  ] as [string, Layer][])('%s', (_, layer) => {
    const random = prng(4);
    const c = 'inFeatures' in layer ? undefined : layer;
    const [inputs, outputs] =
      'inFeatures' in layer
        ? [layer.inFeatures, layer.outFeatures]
        : [layer.inChannels, layer.outChannels];
    const taps = c ? c.kernel * c.kernel : 1;
    const inPerGroup = c ? c.inChannels / c.groups : inputs;
    const outPerGroup = c ? c.outChannels / c.groups : outputs;
    const size = taps * inPerGroup * outputs;
    const exact = Float32Array.from({ length: size }, () => random() - 0.5);
    const stored = exact.map((v) => v + 0.05 * (random() - 0.3));
    const bias = Float32Array.from({ length: outputs }, () => random());
    const mean = Float64Array.from({ length: inputs }, () => random() * 2);
    const respond = (w: Float32Array, b: Float32Array) =>
      Array.from(b, (bo, o) => {
        let y = bo;
        for (let t = 0; t < taps; t++) {
          for (let i = 0; i < inPerGroup; i++) {
            y +=
              w[(t * inPerGroup + i) * outputs + o]! *
              mean[Math.floor(o / outPerGroup) * inPerGroup + i]!;
          }
        }
        return y;
      });
    const want = respond(exact, bias);
    const uncorrected = respond(stored, bias);
    const got = respond(stored, correctedBias(layer, exact, stored, bias, mean));
    got.forEach((y, o) => {
      expect(Math.abs(uncorrected[o]! - want[o]!)).toBeGreaterThan(1e-3);
      expect(y).toBeCloseTo(want[o]!, 5);
    });
  });
});

describe('encodePack with statistics: int8 biases corrected, nothing else changed', () => {
  const spec = tinySpec();
  const { tensors, statistics } = seeded(spec, 12);
  const plain = encodePack(spec, tensors, 'int8');
  const corrected = encodePack(spec, tensors, 'int8', statistics);

  it('same entries and weight bytes; each bias after an int8 weight is the corrected one', () => {
    expect(corrected.entries).toEqual(plain.entries);
    expect(corrected.data.length).toBe(plain.data.length);
    const values = (name: string) => tensors.get(name)!.data;
    const means = inputMeans(spec, statistics, values, values);
    let at = 0;
    const decoded = new Map<string, Float32Array>();
    let int8Biases = 0;
    for (const entry of corrected.entries) {
      const bytes = (pack: typeof plain) => pack.data.subarray(at, at + entryByteLength(entry));
      const got = decodeTensor(entry, bytes(corrected));
      const before = decodeTensor(entry, bytes(plain));
      const weight = entry.name.replace(/\.bias$/, '.weight');
      if (entry.name.endsWith('.weight')) {
        expect(got, entry.name).toEqual(before);
        decoded.set(entry.name, got);
      } else {
        const weightEntry = corrected.entries.find((e) => e.name === weight)!;
        if (weightEntry.dtype === 'int8') {
          int8Biases++;
          const layer =
            spec.blocks.flatMap(blockConvs).find((c) => `${c.name}.weight` === weight) ??
            spec.classifier;
          const want = correctedBias(
            layer,
            values(weight),
            decoded.get(weight)!,
            values(entry.name),
            means.get(weight)!,
          );
          want.forEach((v, i) => expect(got[i], `${entry.name}[${i}]`).toBeCloseTo(v, 2));
          // The stem's input has mean 0: nothing to correct there.
          if (weight !== 'stem.weight') expect(got, entry.name).not.toEqual(before);
        } else {
          expect(got, entry.name).toEqual(before);
        }
      }
      at += entryByteLength(entry);
    }
    expect(int8Biases).toBeGreaterThan(3);
  });
});

describe("the FD-MobileNet authors' 0.25× checkpoint: corrected int8 biases move the output less", () => {
  const shared = '../shared';
  const checkpoint = `${shared}/weights/fd-mobilenet/0.25x-FDMobileNet-224.pth.tar`;
  const images = ['chelsea', 'coffee', 'camera', 'motorcycle_left'];

  function required(path: string): string {
    if (!existsSync(path)) {
      throw new Error(
        `${path} is missing: this test reads the FD-MobileNet checkpoint and reference inputs from ../shared (see ../shared/README.md)`,
      );
    }
    return path;
  }

  /** The reference's preprocessed NCHW input as NHWC. */
  function input(image: string): tf.Tensor4D {
    const raw = readFileSync(required(`${shared}/reference/${image}.input.f32`));
    const nchw = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
    return tf.tidy(() => tf.transpose(tf.tensor4d(nchw, [1, 3, 224, 224]), [0, 2, 3, 1]));
  }

  function logits(
    spec: NetworkSpec,
    weights: Map<string, { shape: number[]; data: Float32Array }>,
  ) {
    const tensors: tf.NamedTensorMap = {};
    for (const [name, t] of weights) tensors[name] = tf.tensor(t.data, t.shape, 'float32');
    const network = createNetwork(spec, tensors);
    try {
      return images.map((image) => {
        const x = input(image);
        const out = network.forward(x);
        const values = out.logits.dataSync() as Float32Array;
        tf.dispose([x, out.logits, out.features]);
        return values;
      });
    } finally {
      network.dispose();
    }
  }

  function decoded(spec: NetworkSpec, pack: ReturnType<typeof encodePack>) {
    const out = new Map<string, { shape: number[]; data: Float32Array }>();
    let at = 0;
    for (const entry of pack.entries) {
      const length = entryByteLength(entry);
      out.set(entry.name, {
        shape: entry.shape,
        data: decodeTensor(entry, pack.data.subarray(at, at + length)),
      });
      at += length;
    }
    return out;
  }

  const softmax = (l: Float32Array) => {
    const max = Math.max(...l);
    const e = Array.from(l, (v) => Math.exp(v - max));
    const sum = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / sum);
  };
  const kl = (a: Float32Array, b: Float32Array) => {
    const [p, q] = [softmax(a), softmax(b)];
    return p.reduce((s, pi, i) => s + pi * Math.log(pi / q[i]!), 0);
  };

  it('mean KL to float32 over the reference photos at most half of the uncorrected', async () => {
    await useBackend('wasm+kernels');
    const spec = getSpec('fd-mobilenet-0.25x');
    const statistics: PreActivationStatistics = new Map();
    const tensors = toWebnetsWeights(
      spec,
      readCheckpoint(new Uint8Array(readFileSync(required(checkpoint))), checkpoint),
      statistics,
    );
    const exact = logits(spec, tensors);
    const meanKL = (pack: ReturnType<typeof encodePack>) => {
      const got = logits(spec, decoded(spec, pack));
      return got.reduce((s, l, i) => s + kl(exact[i]!, l), 0) / images.length;
    };
    const plain = meanKL(encodePack(spec, tensors, 'int8'));
    const corrected = meanKL(encodePack(spec, tensors, 'int8', statistics));
    expect(corrected, `mean KL corrected ${corrected}, plain ${plain}`).toBeLessThan(0.5 * plain);
  });
});
