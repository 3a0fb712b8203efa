/**
 * Where webnets spends an inference, per op type, from tfjs' `tf.profile` kernel records.
 * Convolutions are split by kernel size and kind, because "FusedConv2D" alone does not
 * say whether the 1×1 pointwise convs or the 3×3 stem dominate — which is what tells the
 * kernel work where to go next.
 */
import { DEPTHWISE_CONV2D, GROUP_CONV2D } from '../../src/kernels';
import type { KernelRecord, OpTime, RawProfile, WebnetsProfile } from './protocol';

export type { KernelRecord };
import { median } from '../../src/numeric';

// tfjs' and webnets' own (src/kernels/): the same filter layouts.
const convKernels = new Set(['Conv2D', 'FusedConv2D', GROUP_CONV2D]);
const depthwiseKernels = new Set([
  'DepthwiseConv2dNative',
  'FusedDepthwiseConv2D',
  DEPTHWISE_CONV2D,
]);

/**
 * 'FusedConv2D 1×1', 'WebnetsGroupConv2D 3×3 grouped', 'FusedDepthwiseConv2D 5×5', or the
 * kernel name. Conv filters are [kh, kw, in/groups, out], inputs NHWC.
 */
export function opType(kernel: Pick<KernelRecord, 'name' | 'inputShapes'>): string {
  const [x, filter] = kernel.inputShapes;
  const isConv = convKernels.has(kernel.name);
  if ((!isConv && !depthwiseKernels.has(kernel.name)) || filter === undefined) return kernel.name;
  const size = `${filter[0]}×${filter[1]}`;
  const grouped = isConv && x !== undefined && filter[2] !== undefined && x[3] !== filter[2];
  return `${kernel.name} ${size}${grouped ? ' grouped' : ''}`;
}

function kernelMs(kernel: KernelRecord): number {
  return typeof kernel.kernelTimeMs === 'number' ? kernel.kernelTimeMs : NaN;
}

/**
 * tfjs records an op that has a custom gradient (the fused convs and matmuls:
 * `fusedConv2d__op`) as a scope around the kernel it runs, which is recorded too; counting
 * both would count that kernel twice.
 */
export function isOpScope(kernel: Pick<KernelRecord, 'name'>): boolean {
  return kernel.name.endsWith('__op');
}

/** Every network here starts with a conv (its stem): kernels before it prepare the input. */
function isConv(name: string): boolean {
  return convKernels.has(name) || depthwiseKernels.has(name);
}

/**
 * Per op type over several profiled inferences (kernels before the network's first conv
 * counted as 'preprocess: <kernel>': predict's crop, cast and normalization): the median of its per-inference total and
 * its calls per inference; largest first.
 */
export function opTimes(runs: KernelRecord[][]): OpTime[] {
  const totals = new Map<string, number[]>();
  const calls = new Map<string, number>();
  runs.forEach((kernels, run) => {
    let inNetwork = false;
    for (const kernel of kernels) {
      if (isOpScope(kernel)) continue;
      inNetwork ||= isConv(kernel.name);
      const op = inNetwork ? opType(kernel) : `preprocess: ${kernel.name}`;
      const perRun = totals.get(op) ?? new Array<number>(runs.length).fill(0);
      perRun[run] = (perRun[run] as number) + kernelMs(kernel);
      totals.set(op, perRun);
      if (run === 0) calls.set(op, (calls.get(op) ?? 0) + 1);
    }
  });
  return [...totals.entries()]
    .map(([op, perRun]) => ({ op, ms: median(perRun), calls: calls.get(op) ?? 0 }))
    .sort((a, b) => b.ms - a.ms || a.op.localeCompare(b.op));
}

/** The page's raw profile as the report reads it: per op type, and the kernels' total. */
export function webnetsProfile(raw: RawProfile): WebnetsProfile {
  const ops = opTimes(raw.runs);
  return {
    wallMs: raw.wallMs,
    kernelMs: ops.reduce((sum, op) => sum + op.ms, 0),
    ops,
    note: raw.note,
  };
}
