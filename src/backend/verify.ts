/**
 * Trust, then verify: some GPU drivers return wrong results without an error (Adreno devices
 * right only on a pipeline's first run, Mali depthwise convs off: LiteRT 8065, tfjs 6775).
 * Before 'auto' runs a model on WebGPU on a device for the first time, a small fixed network
 * with seeded weights runs on WebGPU (twice) and on tfjs' CPU backend, and the outputs are
 * compared. The verdict is remembered per device (memory.ts), so this costs once.
 *
 * The canary is built by the networks' own code (models/network.ts), so it runs the
 * kernels a model runs: dense 3×3 and 1×1 convs, depthwise 3×3 and 5×5 (stride 1 and 2),
 * grouped convs (group widths 8 and 16), squeeze-excitation's channel multiply, residual
 * adds, a projection shortcut, ReLU, SiLU and sigmoid, the pooled features and the classifier
 * (apart, as `forward` runs them, and fused, as `logits` does).
 */
import { createNetwork } from '../models/network';
import type { ConvSpec, NetworkSpec, SqueezeExciteSpec } from '../models/spec';
import { tf } from '../tf';
import { VERSION } from '../version';
import { syntheticWeights, tensorRandom } from '../weights/synthetic';
import { activateBackend, runOn } from './activate';
import { recall, remember } from './memory';
import type { AdapterFacts, BackendName } from './policy';
import { adapterName } from './policy';

const bn = { kind: 'bn', eps: 1e-5 } as const;

function conv(
  name: string,
  inChannels: number,
  outChannels: number,
  kernel: number,
  stride: number,
  groups: number,
  act: ConvSpec['act'],
  norm: ConvSpec['norm'] = bn,
): ConvSpec {
  return { name, inChannels, outChannels, kernel, stride, groups, act, norm };
}

function se(name: string, channels: number, act: 'relu' | 'silu'): SqueezeExciteSpec {
  return {
    reduce: conv(`${name}.reduce`, channels, 8, 1, 1, 1, act, { kind: 'bias' }),
    expand: conv(`${name}.expand`, 8, channels, 1, 1, 1, 'sigmoid', { kind: 'bias' }),
  };
}

/** The canary: 32×32 input, one block of each kind the families use, 96 features, 10 classes. */
export const canarySpec: NetworkSpec = {
  id: 'webgpu-canary',
  family: 'regnet',
  config: {},
  inputSize: 32,
  blocks: [
    { kind: 'conv', conv: conv('stem', 3, 16, 3, 2, 1, 'relu') },
    {
      kind: 'dwsep',
      depthwise: conv('dwsep.dw', 16, 16, 3, 1, 16, 'relu'),
      pointwise: conv('dwsep.pw', 16, 24, 1, 1, 1, 'relu'),
    },
    {
      kind: 'mbconv',
      expand: conv('mb1.expand', 24, 48, 1, 1, 1, 'silu'),
      depthwise: conv('mb1.dw', 48, 48, 5, 2, 48, 'silu'),
      se: se('mb1.se', 48, 'silu'),
      project: conv('mb1.project', 48, 32, 1, 1, 1, 'linear'),
      residual: false,
    },
    {
      kind: 'mbconv',
      expand: conv('mb2.expand', 32, 64, 1, 1, 1, 'silu'),
      depthwise: conv('mb2.dw', 64, 64, 3, 1, 64, 'silu'),
      se: se('mb2.se', 64, 'silu'),
      project: conv('mb2.project', 64, 32, 1, 1, 1, 'linear'),
      residual: true,
    },
    {
      kind: 'bottleneck',
      a: conv('y.a', 32, 48, 1, 1, 1, 'relu'),
      b: conv('y.b', 48, 48, 3, 2, 6, 'relu'),
      se: se('y.se', 48, 'relu'),
      c: conv('y.c', 48, 48, 1, 1, 1, 'linear'),
      shortcut: conv('y.shortcut', 32, 48, 1, 2, 1, 'linear'),
    },
    {
      kind: 'bottleneck',
      a: conv('x.a', 48, 48, 1, 1, 1, 'relu'),
      b: conv('x.b', 48, 48, 3, 1, 3, 'relu'),
      c: conv('x.c', 48, 48, 1, 1, 1, 'linear'),
    },
    { kind: 'conv', conv: conv('head', 48, 96, 1, 1, 1, 'relu') },
  ],
  features: 96,
  classifier: { name: 'fc', inFeatures: 96, outFeatures: 10 },
  preprocessing: {
    inputSize: 32,
    resizeSize: 32,
    interpolation: 'bilinear',
    mean: [0, 0, 0],
    std: [1, 1, 1],
  },
};

const canarySeed = 21;

/**
 * The largest difference allowed between WebGPU's and the CPU's outputs, as a share of the
 * largest output value. Float32 backends agree to about 1e-6 here (summation order only);
 * the driver faults this looks for are off by whole percents or give garbage.
 */
export const canaryTolerance = 1e-3;

/** The canary's seeded input, values in [-2, 2). */
function canaryInput(): tf.Tensor4D {
  const size = canarySpec.inputSize;
  const random = tensorRandom('canary.input', canarySeed);
  const values = Float32Array.from({ length: size * size * 3 }, () => random() * 4 - 2);
  return tf.tensor4d(values, [1, size, size, 3]);
}

/** Runs the canary `runs` times on backend `name`: each run's logits, features, and logits as predict computes them. */
export async function runCanary(name: BackendName, runs: number): Promise<Float32Array[]> {
  await activateBackend(name);
  const network = await runOn(name, () =>
    createNetwork(canarySpec, syntheticWeights(canarySpec, canarySeed)),
  );
  try {
    const outputs: Float32Array[] = [];
    for (let run = 0; run < runs; run++) {
      const out = await runOn(name, () =>
        tf.tidy(() => {
          const input = canaryInput();
          const { logits, features } = network.forward(input);
          // predict's path too: on WebGPU the pool and classifier are one kernel there.
          const predicted = network.logits(input);
          return tf.concat([logits, features, predicted].map((t) => tf.reshape(t, [-1])));
        }),
      );
      try {
        outputs.push((await out.data()) as Float32Array);
      } finally {
        out.dispose();
      }
    }
    return outputs;
  } finally {
    network.dispose();
  }
}

/**
 * How far `observed` is from `reference`: the largest absolute difference over the largest
 * absolute reference value (at least 1). Infinity for a non-finite value or a length mismatch.
 */
export function canaryError(reference: Float32Array, observed: Float32Array): number {
  if (reference.length !== observed.length) return Infinity;
  let scale = 1;
  for (const v of reference) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let i = 0; i < reference.length; i++) {
    const diff = Math.abs((observed[i] as number) - (reference[i] as number));
    if (!Number.isFinite(diff)) return Infinity;
    worst = Math.max(worst, diff);
  }
  return worst / scale;
}

/** A device's verdict, remembered. */
export interface CanaryVerdict {
  passed: boolean;
  /** The worst run's error (canaryError); null when it was not finite. */
  error: number | null;
  tolerance: number;
  /** ISO date of the check. */
  at: string;
}

function isVerdict(value: unknown): value is CanaryVerdict {
  const v = value as CanaryVerdict | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.passed === 'boolean' &&
    (typeof v.error === 'number' || v.error === null) &&
    typeof v.tolerance === 'number' &&
    typeof v.at === 'string'
  );
}

/**
 * Where a verdict is kept: what the adapter says about itself, the webnets version (its
 * kernels) and the browser's user agent (its WebGPU implementation and driver workarounds
 * change with it). A new browser or webnets checks again.
 */
export function canaryKey(adapter: AdapterFacts): string {
  const ua = (globalThis.navigator as { userAgent?: string } | undefined)?.userAgent ?? '';
  const { vendor, architecture, device, description } = adapter;
  return [
    'webnets.webgpu-canary.v1',
    vendor,
    architecture,
    device,
    description,
    `webnets ${VERSION}`,
    ua,
  ].join('|');
}

function errorText(error: number | null): string {
  return error === null ? 'non-finite values' : error.toExponential(1);
}

/** The verdict in words: the end of a model's backendReason, or of an error's message. */
export function describeVerdict(
  verdict: CanaryVerdict,
  adapter: AdapterFacts,
  remembered: boolean,
): string {
  const when = remembered ? ` (checked on this device ${verdict.at.slice(0, 10)})` : '';
  return verdict.passed
    ? `canary check passed: WebGPU matched the CPU on a canary network, error ${errorText(verdict.error)} ≤ ${verdict.tolerance}${when}`
    : `canary check failed: WebGPU on ${adapterName(adapter)} gave wrong results on a canary network, error ${errorText(verdict.error)} > ${verdict.tolerance} (largest difference from the CPU's, relative to the largest value)${when}`;
}

/** What `checkWebGpu` found: whether to trust WebGPU here, and why in words. */
export interface WebGpuCheck {
  passed: boolean;
  reason: string;
  /** Whether the canary ran now (false: a remembered verdict). */
  ran: boolean;
}

/**
 * The verdict for this device: remembered, else the canary run on WebGPU (twice: some
 * drivers are right on a pipeline's first run only) and on the CPU, compared, and
 * remembered. Rejects when WebGPU cannot start (activate.ts names what is missing); a
 * canary that starts but cannot finish on WebGPU fails the check, not remembered (the
 * cause may pass).
 */
export async function checkWebGpu(adapter: AdapterFacts): Promise<WebGpuCheck> {
  const key = canaryKey(adapter);
  const known = recall(key, isVerdict);
  if (known !== null) {
    return { passed: known.passed, reason: describeVerdict(known, adapter, true), ran: false };
  }
  await activateBackend('webgpu');
  let gpu: Float32Array[];
  try {
    gpu = await runCanary('webgpu', 2);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return {
      passed: false,
      reason: `canary check failed: the canary network could not run on WebGPU: ${why}`,
      ran: true,
    };
  }
  const [reference] = await runCanary('cpu', 1);
  const errors = gpu.map((observed) => canaryError(reference!, observed));
  const worst = Math.max(...errors);
  const verdict: CanaryVerdict = {
    passed: worst <= canaryTolerance,
    error: Number.isFinite(worst) ? worst : null,
    tolerance: canaryTolerance,
    at: new Date().toISOString(),
  };
  remember(key, verdict);
  return { passed: verdict.passed, reason: describeVerdict(verdict, adapter, false), ran: true };
}
