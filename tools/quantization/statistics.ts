/**
 * The per-layer statistics that set how much a network's output moves when its weights
 * move (by int8 codes or any other error), measured on the report's inputs:
 *
 *   npx tsx tools/quantization/statistics.ts [--models key,key]
 *
 * Per conv (y its output before the activation, x its input, w_c an output channel's
 * folded weights, over the images and positions):
 * - gain: Var(Δy_c)/Var(y_c) per unit of relative weight noise, ‖w_c‖²·E[x²] / Var(y_c)
 *   (E[x²]: the mean over the channel's inputs); 1/gain is how far above the noise floor
 *   a relative weight error of 1 leaves the channel. Median over channels.
 * - alignment: Var(y_c) / (‖w_c‖²·Var(x)): 1 for weights pointing anywhere, more when
 *   they point along the directions in which the input varies (trained filters do).
 * - offset: ΣE[x]² / ΣVar(x) of the input, over its channels (what the mean error ΔW·E[x]
 *   adds, before bias correction).
 * - spread: standard deviation over output channels of log10 ‖w_c‖ (batch norm's
 *   per-channel scale folded in); kurtosis and peak/rms of a channel's values (median).
 * - active: the share of positions where y > 0 (ReLU convs; median over channels).
 * Per network: the median over inputs of the logits' standard deviation over classes,
 * of the top-1 − top-2 logit gap and top-1 probability; and KL(float32 ‖ noisy) with
 * every weight plus Gaussian noise of 10⁻³ × its channel's rms (the report's fragility).
 */
import { parseArgs } from 'node:util';
import type { SourceTensor } from '../../src/convert/state-dict';
import { registerKernels } from '../../src/kernels';
import { getSpec } from '../../src/models/presets';
import type { ConvSpec, NetworkSpec } from '../../src/models/spec';
import { convKind, convWeightShape } from '../../src/models/spec';
import { tf } from '../../src/tf';
import { channelAxis } from '../../src/weights/quantize';
import type { Source } from './sources';
import { SOURCES, makeInputs } from './sources';
import { act, convolve, walk } from './trained-like';

export interface ConvStatistics {
  conv: string;
  kind: 'depthwise' | 'grouped' | 'dense' | '1×1' | 'squeeze-excite';
  gain: number;
  alignment: number;
  offset: number;
  spread: number;
  kurtosis: number;
  peakToRms: number;
  /** NaN where the activation is not ReLU. */
  active: number;
  /** The rms of the conv's output after its activation. */
  outputRms: number;
}

const median = (values: ArrayLike<number>): number => {
  const sorted = Array.from(values)
    .filter((v) => Number.isFinite(v))
    .sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const m = sorted.length >> 1;
  return sorted.length % 2 ? sorted[m]! : (sorted[m - 1]! + sorted[m]!) / 2;
};

/** Per output channel: the values of a runtime-layout weight. */
export function channelValues(shape: readonly number[], data: Float32Array): Float64Array[] {
  const axis = channelAxis(shape);
  const channels = shape[axis]!;
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const lists: number[][] = Array.from({ length: channels }, () => []);
  for (let i = 0; i < data.length; i++) lists[Math.floor(i / inner) % channels]!.push(data[i]!);
  return lists.map((l) => Float64Array.from(l));
}

/** Standard deviation over channels of log10 ‖w_c‖; median kurtosis and peak/rms. */
export function weightShape(values: Float64Array[]): {
  spread: number;
  kurtosis: number;
  peakToRms: number;
} {
  const norms: number[] = [];
  const kurtosis: number[] = [];
  const peak: number[] = [];
  for (const v of values) {
    const n = v.length;
    const mean = v.reduce((a, b) => a + b, 0) / n;
    let m2 = 0;
    let m4 = 0;
    let sq = 0;
    let max = 0;
    for (const x of v) {
      m2 += (x - mean) ** 2 / n;
      m4 += (x - mean) ** 4 / n;
      sq += x * x;
      max = Math.max(max, Math.abs(x));
    }
    if (sq === 0) continue;
    norms.push(Math.log10(Math.sqrt(sq)));
    if (n >= 16 && m2 > 0) kurtosis.push(m4 / (m2 * m2));
    peak.push(max / Math.sqrt(sq / n));
  }
  const mean = norms.reduce((a, b) => a + b, 0) / norms.length;
  const spread = Math.sqrt(norms.reduce((a, b) => a + (b - mean) ** 2, 0) / norms.length);
  return { spread, kurtosis: median(kurtosis), peakToRms: median(peak) };
}

/** The input channels output channel c reads. */
function inputsOf(conv: ConvSpec, c: number): [number, number] {
  if (convKind(conv) === 'depthwise') return [c, c + 1];
  const inPerGroup = conv.inChannels / conv.groups;
  const group = Math.floor(c / (conv.outChannels / conv.groups));
  return [group * inPerGroup, (group + 1) * inPerGroup];
}

function convStatistics(
  x: tf.Tensor4D,
  conv: ConvSpec,
  weights: Map<string, SourceTensor>,
  kind: ConvStatistics['kind'],
): { stats: ConvStatistics; y: tf.Tensor4D } {
  const w = weights.get(`${conv.name}.weight`)!;
  const b = weights.get(`${conv.name}.bias`)!;
  const pre = tf.tidy(() => tf.add(convolve(x, conv, w.data), tf.tensor1d(b.data)) as tf.Tensor4D);
  const [xMean, xSquare, yMean, yVar, positive] = tf
    .tidy(() => {
      const xm = tf.moments(x, [0, 1, 2]);
      const ym = tf.moments(pre, [0, 1, 2]);
      return [
        xm.mean,
        tf.mean(tf.square(x), [0, 1, 2]),
        ym.mean,
        ym.variance,
        tf.mean(tf.cast(tf.greater(pre, 0), 'float32'), [0, 1, 2]),
      ];
    })
    .map((t) => {
      const v = t.dataSync() as Float32Array;
      t.dispose();
      return v;
    }) as Float32Array[];
  void yMean;
  const values = channelValues(convWeightShape(conv), w.data);
  const gain: number[] = [];
  const alignment: number[] = [];
  for (let c = 0; c < conv.outChannels; c++) {
    const [lo, hi] = inputsOf(conv, c);
    let square = 0;
    let variance = 0;
    for (let k = lo; k < hi; k++) {
      square += xSquare![k]! / (hi - lo);
      variance += (xSquare![k]! - xMean![k]! ** 2) / (hi - lo);
    }
    const norm2 = values[c]!.reduce((a, v) => a + v * v, 0);
    if (!(yVar![c]! > 0) || norm2 === 0) continue;
    gain.push((norm2 * square) / yVar![c]!);
    if (variance > 0) alignment.push(yVar![c]! / (norm2 * variance));
  }
  let meanSquares = 0;
  let variances = 0;
  for (let k = 0; k < xMean!.length; k++) {
    meanSquares += xMean![k]! ** 2;
    variances += xSquare![k]! - xMean![k]! ** 2;
  }
  const offset = meanSquares / variances;
  const y = tf.tidy(() => act(pre, conv.act));
  if (y !== pre) pre.dispose();
  const outputRms = tf.tidy(() => tf.sqrt(tf.mean(tf.square(y))).dataSync()[0]!);
  return {
    stats: {
      conv: conv.name,
      kind,
      gain: median(gain),
      alignment: median(alignment),
      offset,
      ...weightShape(values),
      active: conv.act === 'relu' ? median(positive!) : NaN,
      outputRms,
    },
    y,
  };
}

export interface NetworkStatistics {
  convs: ConvStatistics[];
  /** Median over inputs: the logits' standard deviation over classes. */
  logitStd: number;
  /** Median over inputs: top-1 logit − top-2 logit. */
  logitGap: number;
  /** Median over inputs: the top-1 probability. */
  p1: number;
}

/** Per-conv and logit statistics of `weights` on `inputs` (NHWC, preprocessed). */
export function networkStatistics(
  spec: NetworkSpec,
  weights: Map<string, SourceTensor>,
  inputs: tf.Tensor4D[],
): NetworkStatistics {
  const se = new Set<string>();
  for (const block of spec.blocks) {
    if ((block.kind === 'mbconv' || block.kind === 'bottleneck') && block.se) {
      se.add(block.se.reduce.name).add(block.se.expand.name);
    }
  }
  const convs: ConvStatistics[] = [];
  const x = walk(spec, tf.concat(inputs, 0), (h, conv) => {
    const kind: ConvStatistics['kind'] = se.has(conv.name)
      ? 'squeeze-excite'
      : convKind(conv) === 'dense' && conv.kernel === 1
        ? '1×1'
        : convKind(conv);
    const { stats, y } = convStatistics(h, conv, weights, kind);
    convs.push(stats);
    return y;
  });
  const fc = spec.classifier;
  const logits = tf.tidy(() =>
    tf.add(
      tf.matMul(
        tf.mean(x, [1, 2]) as tf.Tensor2D,
        tf.tensor2d(weights.get(`${fc.name}.weight`)!.data, [fc.inFeatures, fc.outFeatures]),
      ),
      tf.tensor1d(weights.get(`${fc.name}.bias`)!.data),
    ),
  );
  x.dispose();
  const rows = logits.arraySync() as number[][];
  logits.dispose();
  const std: number[] = [];
  const gap: number[] = [];
  const p1: number[] = [];
  for (const row of rows) {
    const mean = row.reduce((a, b) => a + b, 0) / row.length;
    std.push(Math.sqrt(row.reduce((a, b) => a + (b - mean) ** 2, 0) / row.length));
    const sorted = [...row].sort((a, b) => b - a);
    gap.push(sorted[0]! - sorted[1]!);
    const z = row.reduce((a, v) => a + Math.exp(v - sorted[0]!), 0);
    p1.push(1 / z);
  }
  return { convs, logitStd: median(std), logitGap: median(gap), p1: median(p1) };
}

/** By layer kind: the median over convs of each statistic. */
export function byKind(
  convs: ConvStatistics[],
): Map<ConvStatistics['kind'] | 'stem', Omit<ConvStatistics, 'conv' | 'kind'> & { convs: number }> {
  const groups = new Map<ConvStatistics['kind'] | 'stem', ConvStatistics[]>();
  convs.forEach((c, i) => {
    const kind = i === 0 ? 'stem' : c.kind;
    groups.set(kind, [...(groups.get(kind) ?? []), c]);
  });
  const out = new Map();
  for (const [kind, list] of groups) {
    const m = (f: (c: ConvStatistics) => number) => median(list.map(f));
    out.set(kind, {
      convs: list.length,
      gain: m((c) => c.gain),
      alignment: m((c) => c.alignment),
      offset: m((c) => c.offset),
      spread: m((c) => c.spread),
      kurtosis: m((c) => c.kurtosis),
      peakToRms: m((c) => c.peakToRms),
      active: m((c) => c.active),
      outputRms: m((c) => c.outputRms),
    });
  }
  return out;
}

const f = (x: number) =>
  Number.isNaN(x) ? '' : Math.abs(x) >= 100 ? x.toFixed(0) : x.toPrecision(3);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { models: { type: 'string' }, layers: { type: 'boolean', default: false } },
  });
  const wanted = values.models?.split(',');
  const sources: Source[] = wanted ? SOURCES.filter((s) => wanted.includes(s.key)) : SOURCES;
  tf.env().set('PROD', true);
  if (!(await tf.setBackend('wasm')) || !(await registerKernels('wasm'))) {
    throw new Error("the WASM backend or webnets' kernels did not start in this Node");
  }
  for (const source of sources) {
    const spec = getSpec(source.id);
    const inputs = await makeInputs(spec);
    const all = [...inputs.photos, ...inputs.views].map((p) => p.x);
    const { tensors } = source.tensors(spec, all);
    const s = networkStatistics(spec, tensors, all);
    tf.dispose(all);
    console.log(
      `\n${source.key} (${source.weights}): logit std ${f(s.logitStd)}, top-1 − top-2 logit ${f(s.logitGap)}, p1 ${f(s.p1)}`,
    );
    console.log(
      'kind | convs | gain | alignment | offset | spread | kurtosis | peak/rms | active | out rms',
    );
    for (const [kind, k] of byKind(s.convs)) {
      console.log(
        [
          kind,
          k.convs,
          f(k.gain),
          f(k.alignment),
          f(k.offset),
          f(k.spread),
          f(k.kurtosis),
          f(k.peakToRms),
          f(k.active),
          f(k.outputRms),
        ].join(' | '),
      );
    }
    if (values.layers) {
      for (const c of s.convs) {
        console.log(
          [
            c.conv,
            c.kind,
            f(c.gain),
            f(c.alignment),
            f(c.offset),
            f(c.spread),
            f(c.kurtosis),
            f(c.peakToRms),
            f(c.active),
            f(c.outputRms),
          ].join(' | '),
        );
      }
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
