/**
 * What float16 and int8 packs cost in accuracy and bytes, measured:
 *
 *   npx tsx tools/quantization/report.ts [--models key,key] [--skip table,table] [--out DIR]
 *
 * (--skip: any of sensitivity, budgets, codes, fragility; --no-sensitivity is --skip sensitivity.)
 *
 * For FD-MobileNet 0.25× and 0.5× (the authors' checkpoints in ../shared/weights) and for
 * EfficientNet-B0, RegNetY-400MF and RegNetX-400MF with seeded trained-like weights
 * (trained-like.ts; also FD-MobileNet 0.25×, to compare the generator with the real
 * checkpoint), it writes float32, float16 and int8 packs with `writePack`, reads them
 * back with `readPack`, and runs every photo in ../shared/images through webnets'
 * preprocessing and each pack (Node, WASM backend with webnets' kernels). Against
 * float32 on the same input it reports top-1 agreement (over all inputs and over those
 * where float32's top-1 leads its top-2 by ≥ 0.05), the largest change of any class's
 * probability, and the KL divergence KL(p_float32 ‖ p_pack). It does the same on 40
 * "views" (five crops of each photo, and their mirror images) for a larger sample.
 *
 * Then, to show where 8 bits hurt and what fixes it: per-tensor sensitivity (one tensor
 * int8, the rest float32; mean KL over photos and views) summed per layer kind; the
 * int8 policy's budget (the weights whose codes lose most per byte stay float16 within
 * a share of the float32 bytes) from 0 to 0.35, against the rule before it (fewest
 * values per output channel first); and other codes at the
 * shipped budget (nearest rounding, symmetric, least-squares clipped ranges, float32
 * biases and affine). Results: `<out>/RESULTS.md` (default tools/quantization/) and
 * the raw figures in test-results/quantization-results.json.
 */
import { execSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { format } from 'prettier';
import { fileFetch, packUrl } from '../../src/convert/file-fetch';
import type { SourceTensor } from '../../src/convert/state-dict';
import { manifestJson, writePack } from '../../src/convert/write-pack';
import { registerKernels } from '../../src/kernels';
import { createNetwork } from '../../src/models/network';
import { getSpec } from '../../src/models/presets';
import type { NetworkSpec } from '../../src/models/spec';
import { blockConvs, convKind, paramSpecs } from '../../src/models/spec';
import { tf } from '../../src/tf';
import { floatToHalf, halfAtLeast, halfAtMost, halfToFloat } from '../../src/weights/float16';
import type { PreActivationStatistics } from '../../src/weights/bias-correction';
import { correctedBias, inputMeans, layersByWeight } from '../../src/weights/bias-correction';
import type { HostWeights } from '../../src/weights/load';
import { readPack } from '../../src/weights/load';
import type { EntryDtype, PackDtype } from '../../src/weights/pack';
import { entryByteLength, numel } from '../../src/weights/pack';
import {
  INT8_PACK_BUDGET,
  channelAxis,
  decodeTensor,
  encodeAs,
  storagePlan,
  valuesPerChannel,
} from '../../src/weights/quantize';
import type { Source } from './sources';
import { SEED, SOURCES, makeInputs } from './sources';
import type { NetworkStatistics } from './statistics';
import { byKind, networkStatistics } from './statistics';
import { random } from './trained-like';

const CLEAR_LEAD = 0.05;
const DTYPES: PackDtype[] = ['float32', 'float16', 'int8'];

// ---------------------------------------------------------------------------- running

function run(
  spec: NetworkSpec,
  weights: Map<string, { shape: number[]; data: Float32Array }>,
  inputs: tf.Tensor4D[],
  what: 'logits' | 'features' = 'logits',
): Float32Array[] {
  const tensors: tf.NamedTensorMap = {};
  for (const [name, t] of weights) tensors[name] = tf.tensor(t.data, t.shape, 'float32');
  const network = createNetwork(spec, tensors);
  try {
    return inputs.map((x) => {
      const out = network.forward(x);
      const values = out[what].dataSync() as Float32Array;
      tf.dispose([out.logits, out.features]);
      return values;
    });
  } finally {
    network.dispose();
  }
}

function softmax(logits: Float32Array): Float64Array {
  const max = Math.max(...logits);
  const e = Float64Array.from(logits, (v) => Math.exp(v - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

interface Comparison {
  top1: number;
  p1: number;
  /** float32's top-1 probability minus its top-2's. */
  lead: number;
  kept: boolean;
  /** The pack's top-1, its probability there, and float32's top-2. */
  packTop1: number;
  packP1: number;
  top2: number;
  maxDeltaP: number;
  kl: number;
}

function compare(reference: Float32Array, other: Float32Array): Comparison {
  const p = softmax(reference);
  const q = softmax(other);
  const order = [...p.keys()].sort((a, b) => p[b]! - p[a]!);
  const qTop = [...q.keys()].reduce((a, b) => (q[b]! > q[a]! ? b : a), 0);
  let kl = 0;
  let maxDeltaP = 0;
  for (let i = 0; i < p.length; i++) {
    if (p[i]! > 0) kl += p[i]! * Math.log(p[i]! / Math.max(q[i]!, 1e-300));
    maxDeltaP = Math.max(maxDeltaP, Math.abs(p[i]! - q[i]!));
  }
  return {
    top1: order[0]!,
    p1: p[order[0]!]!,
    lead: p[order[0]!]! - p[order[1]!]!,
    kept: qTop === order[0],
    packTop1: qTop,
    packP1: q[qTop]!,
    top2: order[1]!,
    maxDeltaP,
    kl,
  };
}

interface Summary {
  inputs: number;
  kept: number;
  clear: number;
  clearKept: number;
  maxDeltaP: number;
  maxKL: number;
  meanKL: number;
}

function summarize(rows: Comparison[]): Summary {
  const clear = rows.filter((r) => r.lead >= CLEAR_LEAD);
  return {
    inputs: rows.length,
    kept: rows.filter((r) => r.kept).length,
    clear: clear.length,
    clearKept: clear.filter((r) => r.kept).length,
    maxDeltaP: Math.max(...rows.map((r) => r.maxDeltaP)),
    maxKL: Math.max(...rows.map((r) => r.kl)),
    meanKL: rows.reduce((a, r) => a + r.kl, 0) / rows.length,
  };
}

// ---------------------------------------------------------------------------- variants

async function packBytes(dir: string): Promise<number> {
  let total = 0;
  for (const f of await readdir(dir)) total += (await stat(join(dir, f))).size;
  return total;
}

/** Writes a real pack and reads it back: its decoded weights and its size, all files. */
async function roundTrip(
  spec: NetworkSpec,
  tensors: Map<string, SourceTensor>,
  statistics: PreActivationStatistics,
  dtype: PackDtype,
  dir: string,
): Promise<{ weights: HostWeights; bytes: number; modelJsonBytes: number }> {
  const outDir = join(dir, dtype);
  const manifest = await writePack({
    spec,
    tensors,
    statistics,
    dtype,
    source: { file: 'report', sha256: '0'.repeat(64), format: 'synthetic', naming: 'webnets' },
    labels: 'imagenet-1k',
    outDir,
  });
  const { weights } = await readPack(packUrl(outDir), { spec, fetch: fileFetch, cache: false });
  return {
    weights,
    bytes: await packBytes(outDir),
    modelJsonBytes: Buffer.byteLength(manifestJson(manifest)),
  };
}

type Code = (
  name: string,
  shape: number[],
  data: Float32Array,
) => { data: Float32Array; bytes: number };

/** The shipped codec in one storage dtype. */
const codec =
  (dtype: EntryDtype): Code =>
  (name, shape, data) => {
    const { entry, bytes } = encodeAs(name, shape, data, dtype);
    return { data: decodeTensor(entry, bytes), bytes: entryByteLength(entry) };
  };

/** Per-output-channel codes not shipped, for comparison (float32 affine: no rounding of it). */
function perChannelSimulated(
  quantizeChannel: (values: number[]) => number[],
  affineBytes: number,
): Code {
  return (_name, shape, data) => {
    const axis = channelAxis(shape);
    const channels = shape[axis]!;
    const groups: number[][] = Array.from({ length: channels }, () => []);
    data.forEach((v, i) => groups[i % channels]!.push(v));
    const quantized = groups.map(quantizeChannel);
    const out = new Float32Array(data.length);
    const next = new Array<number>(channels).fill(0);
    data.forEach((_, i) => (out[i] = quantized[i % channels]![next[i % channels]!++]!));
    return { data: out, bytes: data.length + affineBytes * channels };
  };
}

const roundHalf = (v: number) => halfToFloat(floatToHalf(v));

/** Symmetric: codes −127…127 times one half scale per channel. */
const symmetric = perChannelSimulated((g) => {
  const scale = roundHalf(Math.max(...g.map(Math.abs)) / 127 || 1);
  return g.map((v) => Math.max(-127, Math.min(127, Math.round(v / scale))) * scale);
}, 2);

/** Asymmetric with the clipping range of least squared error (a grid of 8×8 ranges). */
const mseClipped = perChannelSimulated((g) => {
  const lo0 = Math.min(...g);
  const hi0 = Math.max(...g);
  let best = g;
  let bestError = Infinity;
  for (let a = 0; a < 8; a++) {
    for (let b = 0; b < 8; b++) {
      const lo = lo0 + ((hi0 - lo0) * a) / 64;
      const hi = hi0 - ((hi0 - lo0) * b) / 64;
      const scale = hi > lo ? (hi - lo) / 255 : 1;
      const q = g.map((v) => Math.max(0, Math.min(255, Math.round((v - lo) / scale))) * scale + lo);
      const error = q.reduce((e, v, i) => e + (v - g[i]!) ** 2, 0);
      if (error < bestError) [best, bestError] = [q, error];
    }
  }
  return best;
}, 4);

/** The shipped code with each value rounded to its nearest code (the sum not kept). */
const nearestRounding = perChannelSimulated((g) => {
  const offset = halfToFloat(halfAtMost(Math.min(...g)));
  const scale = halfToFloat(halfAtLeast(Math.max((Math.max(...g) - offset) / 255, 2 ** -24)));
  return g.map(
    (v) => offset + Math.max(0, Math.min(255, Math.round((v - offset) / scale))) * scale,
  );
}, 4);

/** The shipped scheme with float32 scale and offset (8 bytes a channel). */
const float32Affine = perChannelSimulated((g) => {
  const lo = Math.min(...g);
  const hi = Math.max(...g);
  const scale = hi > lo ? (hi - lo) / 255 : 1;
  return g.map((v) => Math.round((v - lo) / scale) * scale + lo);
}, 8);

/** The relative weight noise of the fragility measurement. */
const NOISE = 1e-3;

/**
 * Every weight plus Gaussian noise of `relative` × the rms of its output channel (seeded
 * by the tensor's name); biases as they are. How far this moves the output says how much
 * the network amplifies small weight errors, whatever their code.
 */
function withNoise(
  tensors: Map<string, SourceTensor>,
  relative: number,
): Map<string, SourceTensor> {
  const out = new Map<string, SourceTensor>();
  for (const [name, t] of tensors) {
    if (t.shape.length < 2) {
      out.set(name, t);
      continue;
    }
    const channels = t.shape[channelAxis(t.shape)]!;
    const squares = new Float64Array(channels);
    t.data.forEach((v, i) => (squares[i % channels] = squares[i % channels]! + v * v));
    const rms = squares.map((s) => Math.sqrt((s * channels) / t.data.length));
    const { normal } = random(`${name}.noise`, SEED);
    out.set(name, {
      shape: t.shape,
      data: t.data.map((v, i) => v + relative * rms[i % channels]! * normal()),
    });
  }
  return out;
}

/** How an int8 pack of `spec` stores each tensor with this budget (storagePlan), by name. */
function planFor(
  spec: NetworkSpec,
  tensors: Map<string, SourceTensor>,
  budget: number,
): Map<string, EntryDtype> {
  const params = paramSpecs(spec);
  const plan = storagePlan(
    'int8',
    params.map((p) => ({ shape: p.shape, values: () => tensors.get(p.name)!.data })),
    budget,
  );
  return new Map(params.map((p, i) => [p.name, plan[i]!]));
}

/**
 * The plan before the shipped one, for comparison: the weights with the fewest values per
 * output channel float16, fewest first, each that still fits within the budget.
 */
function fewestValuesFirstPlan(spec: NetworkSpec, budget: number): Map<string, EntryDtype> {
  const params = paramSpecs(spec);
  const size = (shape: number[], dtype: EntryDtype) =>
    entryByteLength({ name: '', shape, dtype, channelAxis: channelAxis(shape) });
  const plan = new Map(params.map((p) => [p.name, p.shape.length < 2 ? 'float16' : 'int8']));
  let bytes = params.reduce((n, p) => n + size(p.shape, plan.get(p.name) as EntryDtype), 0);
  const limit = budget * params.reduce((n, p) => n + 4 * numel(p.shape), 0);
  const weights = params
    .filter((p) => p.shape.length >= 2)
    .sort((a, b) => valuesPerChannel(a.shape) - valuesPerChannel(b.shape));
  for (const w of weights) {
    const extra = size(w.shape, 'float16') - size(w.shape, 'int8');
    if (bytes + extra > limit) continue;
    plan.set(w.name, 'float16');
    bytes += extra;
  }
  return plan as Map<string, EntryDtype>;
}

/** The share of the weights' values that a plan keeps float16. */
function float16Share(spec: NetworkSpec, plan: Map<string, EntryDtype>): number {
  const weights = paramSpecs(spec).filter((p) => p.shape.length >= 2);
  const kept = weights.filter((p) => plan.get(p.name) === 'float16');
  const count = (list: typeof weights) => list.reduce((n, p) => n + numel(p.shape), 0);
  return count(kept) / count(weights);
}

/** The input mean of every layer (bias-correction.ts), by weight name. */
type Means = Map<string, Float64Array>;

/**
 * `weightCode` for the weights the plan stores int8, the shipped codec for the rest; with
 * `means`, the biases after int8 weights corrected for their mean error, as the pack's.
 */
function variant(
  spec: NetworkSpec,
  tensors: Map<string, SourceTensor>,
  weightCode: Code,
  plan: Map<string, EntryDtype>,
  means: Means | undefined,
  biases: EntryDtype = 'float16',
): { weights: HostWeights; bytes: number } {
  const weights: HostWeights = new Map();
  const layers = layersByWeight(spec);
  let bytes = 0;
  for (const [name, t] of tensors) {
    const dtype = t.shape.length < 2 ? biases : plan.get(name)!;
    const weight = name.replace(/\.bias$/, '.weight');
    const mean = means?.get(weight);
    const data =
      weight !== name && mean && plan.get(weight) === 'int8'
        ? correctedBias(
            layers.get(weight)!,
            tensors.get(weight)!.data,
            weights.get(weight)!.data,
            t.data,
            mean,
          )
        : t.data;
    const out = (dtype === 'int8' ? weightCode : codec(dtype))(name, t.shape, data);
    weights.set(name, { shape: t.shape, data: out.data });
    bytes += out.bytes;
  }
  return { weights, bytes };
}

// ---------------------------------------------------------------------------- kinds

type Kind =
  'stem' | 'depthwise' | '1×1' | 'grouped k×k' | 'dense k×k' | 'squeeze-excite' | 'classifier';

function kinds(spec: NetworkSpec): Map<string, Kind> {
  const out = new Map<string, Kind>();
  spec.blocks.forEach((block, b) => {
    const se = block.kind === 'mbconv' || block.kind === 'bottleneck' ? block.se : undefined;
    for (const conv of blockConvs(block)) {
      const kind: Kind =
        b === 0
          ? 'stem'
          : conv === se?.reduce || conv === se?.expand
            ? 'squeeze-excite'
            : convKind(conv) === 'depthwise'
              ? 'depthwise'
              : conv.kernel === 1
                ? '1×1'
                : convKind(conv) === 'grouped'
                  ? 'grouped k×k'
                  : 'dense k×k';
      out.set(`${conv.name}.weight`, kind);
    }
  });
  out.set(`${spec.classifier.name}.weight`, 'classifier');
  return out;
}

// ---------------------------------------------------------------------------- report

interface ModelResult {
  id: string;
  weights: string;
  bytes: Record<PackDtype, number>;
  modelJsonBytes: Record<PackDtype, number>;
  packs: Record<
    'float16' | 'int8',
    {
      photos: Summary;
      views: Summary;
      perPhoto: (Comparison & { photo: string })[];
      /** Inputs where float32 leads by ≥ CLEAR_LEAD and the pack's top-1 is another. */
      lost: (Comparison & { input: string })[];
    }
  >;
  sensitivity?: {
    tensor: string;
    kind: Kind;
    values: number;
    perChannel: number;
    meanKL: number;
    maxDeltaP: number;
  }[];
  budgets: {
    budget: number;
    /** Which rule chose the float16 weights. */
    rule: 'shipped' | 'fewest values per channel';
    float16Share: number;
    ratio: number;
    photos: Summary;
    views: Summary;
  }[];
  codes: { code: string; ratio: number; photos: Summary; views: Summary }[];
  /** The output's change with every weight perturbed by NOISE of its channel's rms. */
  fragility?: { photos: Summary; views: Summary };
  /** statistics.ts on the photos and views. */
  statistics?: NetworkStatistics;
}

/** The report's tables after the summary, each of which --skip can leave out. */
const TABLES = ['statistics', 'sensitivity', 'budgets', 'codes', 'fragility'] as const;
type Table = (typeof TABLES)[number];

async function measure(source: Source, tables: Set<Table>): Promise<ModelResult> {
  const spec = getSpec(source.id);
  const inputs = await makeInputs(spec);
  const photoX = inputs.photos.map((p) => p.x);
  const viewX = inputs.views.map((v) => v.x);
  const allX = [...photoX, ...viewX];
  const { tensors, statistics } = source.tensors(spec, allX);
  const values = (name: string) => tensors.get(name)!.data;
  const means = inputMeans(spec, statistics, values, values);
  const dir = await mkdtemp(join(tmpdir(), 'webnets-quant-'));
  try {
    const reference = run(spec, tensors, allX);
    const judge = (weights: HostWeights) => {
      const rows = run(spec, weights, allX).map((l, i) => compare(reference[i]!, l));
      return {
        rows,
        photos: summarize(rows.slice(0, photoX.length)),
        views: summarize(rows.slice(photoX.length)),
      };
    };
    const bytes = {} as Record<PackDtype, number>;
    const modelJsonBytes = {} as Record<PackDtype, number>;
    const packs = {} as ModelResult['packs'];
    for (const dtype of DTYPES) {
      const pack = await roundTrip(spec, tensors, statistics, dtype, dir);
      bytes[dtype] = pack.bytes;
      modelJsonBytes[dtype] = pack.modelJsonBytes;
      if (dtype === 'float32') continue;
      const { rows, photos, views } = judge(pack.weights);
      const names = [...inputs.photos, ...inputs.views].map((x) => x.name);
      packs[dtype] = {
        photos,
        views,
        perPhoto: inputs.photos.map((p, i) => ({ photo: p.name, ...rows[i]! })),
        lost: rows
          .map((r, i) => ({ input: names[i]!, ...r }))
          .filter((r) => r.lead >= CLEAR_LEAD && !r.kept),
      };
    }
    const ratio = (dataBytes: number) => (dataBytes + modelJsonBytes.int8) / bytes.float32;
    const budgets: ModelResult['budgets'] = [];
    const rules = [
      ['shipped', (budget: number) => planFor(spec, tensors, budget)],
      ['fewest values per channel', (budget: number) => fewestValuesFirstPlan(spec, budget)],
    ] as const;
    for (const budget of tables.has('budgets')
      ? [0, 0.26, INT8_PACK_BUDGET, 0.28, 0.3, 0.35]
      : []) {
      for (const [rule, planOf] of budget === 0 ? rules.slice(0, 1) : rules) {
        const plan = planOf(budget);
        const v = variant(spec, tensors, codec('int8'), plan, means);
        budgets.push({
          budget,
          rule,
          float16Share: float16Share(spec, plan),
          ratio: ratio(v.bytes),
          ...pick(judge(v.weights)),
        });
      }
    }
    const codes: ModelResult['codes'] = [];
    const shipped = planFor(spec, tensors, INT8_PACK_BUDGET);
    const codeVariants: [string, () => ReturnType<typeof variant>][] = [
      ['shipped', () => variant(spec, tensors, codec('int8'), shipped, means)],
      [
        'shipped, biases not corrected',
        () => variant(spec, tensors, codec('int8'), shipped, undefined),
      ],
      ['nearest rounding', () => variant(spec, tensors, nearestRounding, shipped, means)],
      [
        'float32 affine and biases',
        () => variant(spec, tensors, float32Affine, shipped, means, 'float32'),
      ],
      ['symmetric (scale only)', () => variant(spec, tensors, symmetric, shipped, means)],
      ['least-squares clipped range', () => variant(spec, tensors, mseClipped, shipped, means)],
    ];
    for (const [code, make] of tables.has('codes') ? codeVariants : []) {
      const v = make();
      codes.push({ code, ratio: ratio(v.bytes), ...pick(judge(v.weights)) });
    }
    const result: ModelResult = {
      id: spec.id,
      weights: source.weights,
      bytes,
      modelJsonBytes,
      packs,
      budgets,
      codes,
      ...(tables.has('fragility') ? { fragility: pick(judge(withNoise(tensors, NOISE))) } : {}),
      ...(tables.has('statistics') ? { statistics: networkStatistics(spec, tensors, allX) } : {}),
    };
    if (tables.has('sensitivity')) {
      const kindOf = kinds(spec);
      const layers = layersByWeight(spec);
      result.sensitivity = [];
      for (const [name, t] of tensors) {
        if (t.shape.length < 2) continue;
        const one = new Map(tensors);
        const stored = codec('int8')(name, t.shape, t.data).data;
        one.set(name, { shape: t.shape, data: stored });
        const biasName = name.replace(/\.weight$/, '.bias');
        const bias = tensors.get(biasName)!;
        one.set(biasName, {
          shape: bias.shape,
          data: correctedBias(layers.get(name)!, t.data, stored, bias.data, means.get(name)!),
        });
        const { rows } = judge(one);
        result.sensitivity.push({
          tensor: name,
          kind: kindOf.get(name)!,
          values: numel(t.shape),
          perChannel: numel(t.shape) / t.shape[channelAxis(t.shape)]!,
          meanKL: rows.reduce((a, r) => a + r.kl, 0) / rows.length,
          maxDeltaP: Math.max(...rows.map((r) => r.maxDeltaP)),
        });
        process.stderr.write('.');
      }
      process.stderr.write('\n');
    }
    return result;
  } finally {
    tf.dispose(allX);
    await rm(dir, { recursive: true, force: true });
  }
}

function pick(j: { photos: Summary; views: Summary }) {
  return { photos: j.photos, views: j.views };
}

// ---------------------------------------------------------------------------- markdown

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
const num = (x: number) => (x === 0 ? '0' : x < 1e-3 ? x.toExponential(1) : x.toFixed(3));
const kept = (s: Summary) => `${s.clearKept}/${s.clear} (all ${s.kept}/${s.inputs})`;

function markdown(results: ModelResult[], header: string): string {
  const lines: string[] = [header, ''];
  lines.push('## Summary', '');
  lines.push(
    "Top-1 kept: inputs where the pack's top-1 is float32's, among those where float32 leads its top-2 by ≥ 0.05 (and among all). Δp: the largest change of any class's probability. KL: KL(p_float32 ‖ p_pack), nats.",
    '',
  );
  lines.push(
    '| model | weights | dtype | bytes (all files) | of float32 | photos: top-1 kept | max Δp | max KL | views: top-1 kept | max Δp | mean KL |',
    '| --- | --- | --- | ---: | ---: | --- | ---: | ---: | --- | ---: | ---: |',
  );
  for (const r of results) {
    lines.push(
      `| ${r.id} | ${r.weights} | float32 | ${r.bytes.float32.toLocaleString('en')} | 100 % | | | | | | |`,
    );
    for (const dtype of ['float16', 'int8'] as const) {
      const p = r.packs[dtype];
      lines.push(
        `| ${r.id} | ${r.weights} | ${dtype} | ${r.bytes[dtype].toLocaleString('en')} | ${pct(r.bytes[dtype] / r.bytes.float32)} | ${kept(p.photos)} | ${num(p.photos.maxDeltaP)} | ${num(p.photos.maxKL)} | ${kept(p.views)} | ${num(p.views.maxDeltaP)} | ${num(p.views.meanKL)} |`,
      );
    }
  }
  lines.push('', '## Every photo', '');
  lines.push(
    '| model | weights | photo | float32 top-1 (p, lead) | float16: kept, Δp, KL | int8: kept, Δp, KL |',
    '| --- | --- | --- | --- | --- | --- |',
  );
  for (const r of results) {
    r.packs.int8.perPhoto.forEach((q, i) => {
      const h = r.packs.float16.perPhoto[i]!;
      const cell = (c: Comparison) =>
        `${c.kept ? 'yes' : '**no**'}, ${num(c.maxDeltaP)}, ${num(c.kl)}`;
      lines.push(
        `| ${r.id} | ${r.weights} | ${q.photo} | ${q.top1} (${q.p1.toFixed(3)}, ${q.lead.toFixed(3)}) | ${cell(h)} | ${cell(q)} |`,
      );
    });
  }
  lines.push('', '## Clear top-1s a pack changes', '');
  lines.push(
    "Every photo or view where float32's top-1 leads its top-2 by ≥ 0.05 and the pack's top-1 is another class.",
    '',
  );
  lines.push(
    "| model | weights | dtype | input | float32: top-1 (p), top-2, lead | pack's top-1 (p) | KL |",
    '| --- | --- | --- | --- | --- | --- | ---: |',
  );
  for (const r of results) {
    for (const dtype of ['float16', 'int8'] as const) {
      for (const l of r.packs[dtype].lost) {
        lines.push(
          `| ${r.id} | ${r.weights} | ${dtype} | ${l.input} | ${l.top1} (${l.p1.toFixed(3)}), ${l.top2}, ${l.lead.toFixed(3)} | ${l.packTop1} (${l.packP1.toFixed(3)}) | ${num(l.kl)} |`,
        );
      }
    }
  }
  if (results.some((r) => r.sensitivity)) {
    lines.push('', '## Where 8 bits hurt: per-tensor sensitivity by layer kind', '');
    lines.push(
      'Each weight tensor alone in int8 (the shipped code, its bias corrected), everything else float32; mean KL over the photos and views. "share of KL": the kind\'s sum over the model\'s sum.',
      '',
    );
    lines.push(
      '| model | weights | kind | tensors | share of weights | share of KL | mean KL per tensor | values per channel (median) | most sensitive tensor (KL) |',
      '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- |',
    );
    for (const r of results) {
      if (!r.sensitivity) continue;
      const totalKL = r.sensitivity.reduce((a, s) => a + s.meanKL, 0);
      const totalValues = r.sensitivity.reduce((a, s) => a + s.values, 0);
      const byKind = new Map<Kind, typeof r.sensitivity>();
      for (const s of r.sensitivity) byKind.set(s.kind, [...(byKind.get(s.kind) ?? []), s]);
      for (const [kind, list] of [...byKind].sort((a, b) => sum(b[1]) - sum(a[1]))) {
        const top = [...list].sort((a, b) => b.meanKL - a.meanKL)[0]!;
        const perChannel = list.map((s) => s.perChannel).sort((a, b) => a - b)[list.length >> 1]!;
        lines.push(
          `| ${r.id} | ${r.weights} | ${kind} | ${list.length} | ${pct(list.reduce((a, s) => a + s.values, 0) / totalValues)} | ${pct(sum(list) / totalKL)} | ${num(sum(list) / list.length)} | ${perChannel} | ${top.tensor} (${num(top.meanKL)}) |`,
        );
      }
    }
  }
  if (results.some((r) => r.budgets.length > 0)) {
    lines.push('', '## The int8 policy: which weights stay float16', '');
    lines.push(
      `Shipped rule: the weights whose int8 codes lose the largest share of their signal (mean over output channels of ‖error‖²/‖weight‖²) per byte that float16 adds stay float16, in that order, each that still fits within the budget (a share of their float32 bytes; shipped: ${INT8_PACK_BUDGET}). The rule before it: fewest values per output channel first. Biases float16 throughout, corrected for the int8 weights' mean error. "float16 share": of the weights' values. Size: data + the int8 pack's model.json, of the float32 pack.`,
      '',
    );
    lines.push(
      '| model | weights | budget | rule | float16 share | of float32 | photos+views: top-1 kept (lead ≥ 0.05) | views: mean KL | views: max Δp |',
      '| --- | --- | ---: | --- | ---: | ---: | --- | ---: | ---: |',
    );
    for (const r of results) {
      for (const t of r.budgets) {
        lines.push(
          `| ${r.id} | ${r.weights} | ${t.budget}${t.budget === INT8_PACK_BUDGET ? ' (shipped)' : ''} | ${t.rule} | ${pct(t.float16Share)} | ${pct(t.ratio)} | ${t.photos.clearKept + t.views.clearKept}/${t.photos.clear + t.views.clear} | ${num(t.views.meanKL)} | ${num(t.views.maxDeltaP)} |`,
        );
      }
    }
  }
  if (results.some((r) => r.codes.length > 0)) {
    lines.push('', '## Codes for the int8 weights (shipped plan)', '');
    lines.push(
      "The shipped code: asymmetric (scale and offset per output channel, float16), each channel's values rounded so that the codes keep the channel's sum (its response to a constant input), and each bias corrected by −ΔW·E[x], the weights' error times the layer's mean input as the batch norms say it (data-free bias correction). Each other row changes one thing: the biases as they are; every value rounded to its nearest code; float32 affine and biases; symmetric codes −127…127 with a float16 scale; the asymmetric range clipped to least squared error (an 8×8 grid).",
      '',
    );
    lines.push(
      '| model | weights | code | of float32 | photos+views: top-1 kept (lead ≥ 0.05) | views: mean KL | views: max Δp |',
      '| --- | --- | --- | ---: | --- | ---: | ---: |',
    );
    for (const r of results) {
      for (const c of r.codes) {
        lines.push(
          `| ${r.id} | ${r.weights} | ${c.code} | ${pct(c.ratio)} | ${c.photos.clearKept + c.views.clearKept}/${c.photos.clear + c.views.clear} | ${num(c.views.meanKL)} | ${num(c.views.maxDeltaP)} |`,
        );
      }
    }
  }
  if (results.some((r) => r.statistics)) {
    lines.push('', '## What the generator matches: the statistics that set sensitivity', '');
    lines.push(
      "tools/quantization/statistics.ts on the photos and views, per layer kind, median over its layers (y a conv's output before its activation, x its input, w_c an output channel's folded weights). gain: ‖w_c‖²·E[x²]/Var(y_c), the output's noise-to-signal per unit of relative weight noise. alignment: Var(y_c)/(‖w_c‖²·Var(x)), 1 for weights pointing anywhere. offset: ΣE[x]²/ΣVar(x). spread: standard deviation over channels of log10 ‖w_c‖. kurtosis, peak/rms: of a channel's values. active: share of positive ReLU inputs. Logits, median over inputs: standard deviation over classes, top-1 − top-2, top-1 probability. trained-like.ts's constants are set to the authors' FD-MobileNet rows.",
      '',
    );
    lines.push(
      '| model | weights | kind | convs | gain | alignment | offset | spread | kurtosis | peak/rms | active | logits: std, gap, p1 |',
      '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    );
    const g = (x: number) => (Number.isNaN(x) ? '' : x.toFixed(x >= 10 ? 1 : 2));
    for (const r of results) {
      const st = r.statistics;
      if (!st) continue;
      let first = true;
      for (const [kind, k] of byKind(st.convs)) {
        const logits = first ? `${g(st.logitStd)}, ${g(st.logitGap)}, ${g(st.p1)}` : '';
        first = false;
        lines.push(
          `| ${r.id} | ${r.weights} | ${kind} | ${k.convs} | ${g(k.gain)} | ${g(k.alignment)} | ${g(k.offset)} | ${g(k.spread)} | ${g(k.kurtosis)} | ${g(k.peakToRms)} | ${g(k.active)} | ${logits} |`,
        );
      }
    }
  }
  if (results.some((r) => r.fragility)) {
    lines.push('', '## How much each network amplifies weight errors', '');
    lines.push(
      `Every weight plus Gaussian noise of ${NOISE} × the rms of its output channel (seeded), biases as they are: the same relative error for every network, whatever its code. A network that moves more here moves more under any quantization.`,
      '',
    );
    lines.push(
      '| model | weights | photos+views: top-1 kept (lead ≥ 0.05) | views: mean KL | views: max Δp |',
      '| --- | --- | --- | ---: | ---: |',
    );
    for (const r of results) {
      const f = r.fragility;
      if (!f) continue;
      lines.push(
        `| ${r.id} | ${r.weights} | ${f.photos.clearKept + f.views.clearKept}/${f.photos.clear + f.views.clear} | ${num(f.views.meanKL)} | ${num(f.views.maxDeltaP)} |`,
      );
    }
  }
  return lines.join('\n') + '\n';
}

function sum(list: { meanKL: number }[]): number {
  return list.reduce((a, s) => a + s.meanKL, 0);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      models: { type: 'string' },
      'no-sensitivity': { type: 'boolean', default: false },
      skip: { type: 'string', default: '' },
      out: { type: 'string', default: 'tools/quantization' },
    },
  });
  const wanted = values.models?.split(',');
  const sources = wanted ? SOURCES.filter((s) => wanted.includes(s.key)) : SOURCES;
  if (wanted && sources.length !== wanted.length) {
    throw new Error(`--models: expected some of ${SOURCES.map((s) => s.key).join(', ')}`);
  }
  const skipped = values.skip.split(',').filter((t) => t !== '');
  const unknown = skipped.filter((t) => !(TABLES as readonly string[]).includes(t));
  if (unknown.length > 0) {
    throw new Error(`--skip ${unknown.join(',')}: expected some of ${TABLES.join(', ')}`);
  }
  if (values['no-sensitivity']) skipped.push('sensitivity');
  const tables = new Set(TABLES.filter((t) => !skipped.includes(t)));
  tf.env().set('PROD', true);
  if (!(await tf.setBackend('wasm')) || !(await registerKernels('wasm'))) {
    throw new Error("the WASM backend or webnets' kernels did not start in this Node");
  }
  const results: ModelResult[] = [];
  for (const source of sources) {
    const started = performance.now();
    results.push(await measure(source, tables));
    console.error(`${source.key}: ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }
  const dirty = execSync('git status --porcelain src tools', { encoding: 'utf8' }).trim() !== '';
  const commit =
    execSync('git rev-parse --short HEAD', { encoding: 'utf8' }).trim() +
    (dirty ? ' with uncommitted changes' : '');
  const date = new Date().toISOString().slice(0, 16).replace('T', ' ');
  const header = [
    '# What float16 and int8 packs cost: accuracy against float32, and bytes',
    '',
    `Made by \`npx tsx tools/quantization/report.ts${process.argv
      .slice(2)
      .map((a) => ` ${a}`)
      .join('')}\` at ${date} UTC, commit ${commit}, ` +
      `Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}, tfjs WASM backend with webnets' kernels. ` +
      `Inputs: the ${results[0] ? results[0].packs.int8.perPhoto.length : 0} photos of ../shared/images through webnets' preprocessing, and 40 views (5 crops of each photo and their mirror images). ` +
      'EfficientNet and RegNet use seeded trained-like weights (tools/quantization/trained-like.ts), not trained ones: their rows test the codec on realistic weight statistics, they are not accuracy estimates.',
  ].join('\n');
  mkdirSync(values.out, { recursive: true });
  // Formatted as the repository's prettier check wants them.
  mkdirSync('test-results', { recursive: true });
  writeFileSync('test-results/quantization-results.json', JSON.stringify({ header, results }));
  writeFileSync(
    join(values.out, 'RESULTS.md'),
    await format(markdown(results, header), { parser: 'markdown' }),
  );
  console.log(`wrote ${join(values.out, 'RESULTS.md')} and test-results/quantization-results.json`);
}

await main();
