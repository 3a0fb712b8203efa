/**
 * The e2e kernels page: runs webnets' custom kernels from the built bundle
 * (/dist/webnets.js, its internal `_kernels` export) on the 'wasm' or 'webgpu' backend
 * and compares each with the stock tfjs composition (on the same backend) and a float64
 * JS reference. `?threads=0` keeps tfjs on its unshared SIMD build even though the page
 * is cross-origin isolated (which otherwise selects the threaded build).
 * e2e/kernels.spec.ts calls `window.kernelChecks.run(backend)`.
 */
import type * as Webnets from '../../src/index';
import type { ConvCase } from '../../test/kernels/reference';
import { activate, outSize, refGroupConv, refSqueezeExcite } from '../../test/kernels/reference';
import { closeness, randomArray } from '../../test/kernels/random';
import { stockOps } from '../../test/kernels/stock';

const bundleUrl = '/dist/webnets.js';
const { tf, _kernels: kernels } = (await import(/* @vite-ignore */ bundleUrl)) as typeof Webnets;
const stock = stockOps(tf);

export interface Check {
  name: string;
  /** Largest |a − b| / (1e-5 + 1e-4·|b|): ≤ 1 passes. */
  vsReference: number;
  vsStock: number;
}

export interface KernelReport {
  backend: string;
  registered: boolean;
  sharedMemory: boolean | null;
  checks: Check[];
}

const convCases: ConvCase[] = [
  {
    batch: 1,
    height: 9,
    width: 9,
    inChannels: 16,
    outChannels: 16,
    kernel: 3,
    stride: 1,
    groups: 2,
    activation: 'relu',
  },
  {
    batch: 1,
    height: 8,
    width: 8,
    inChannels: 32,
    outChannels: 32,
    kernel: 3,
    stride: 2,
    groups: 2,
    activation: 'relu',
  },
  {
    batch: 2,
    height: 7,
    width: 5,
    inChannels: 48,
    outChannels: 48,
    kernel: 3,
    stride: 1,
    groups: 2,
    activation: 'linear',
  },
  {
    batch: 1,
    height: 6,
    width: 11,
    inChannels: 72,
    outChannels: 72,
    kernel: 3,
    stride: 2,
    groups: 3,
    activation: 'silu',
  },
  {
    batch: 2,
    height: 5,
    width: 6,
    inChannels: 6,
    outChannels: 9,
    kernel: 3,
    stride: 1,
    groups: 3,
    activation: 'relu',
  },
  {
    batch: 1,
    height: 9,
    width: 8,
    inChannels: 40,
    outChannels: 40,
    kernel: 5,
    stride: 2,
    groups: 1,
    activation: 'silu',
  },
];

function worst(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  return closeness(actual, expected).worst;
}

async function checkGroupConv(c: ConvCase, i: number): Promise<Check> {
  const { batch, height, width, inChannels: cin, outChannels: cout, kernel: k, groups } = c;
  const xData = randomArray(batch * height * width * cin, 10 + i);
  const wData = randomArray(
    k * k * (cin / groups) * cout,
    20 + i,
    Math.sqrt(3 / (k * k * (cin / groups))),
  );
  const bData = randomArray(cout, 30 + i, 0.5);
  const x = tf.tensor4d(xData, [batch, height, width, cin]);
  const w = tf.tensor4d(wData, [k, k, cin / groups, cout]);
  const b = tf.tensor1d(bData);
  const y = kernels.groupConv2d(x, w, b, { strides: c.stride, groups, activation: c.activation });
  if (y.shape.join() !== [batch, ...outSize(c), cout].join())
    throw new Error(`group conv: shape ${y.shape}`);
  const composition = stock.groupConv(w, groups);
  const expected = composition.run(x, b, c.stride, c.activation);
  // Async reads: WebGPU's dataSync is unreliable (zeros on SwiftShader).
  const got = await y.data();
  const check = {
    name: `groupConv ${batch}×${height}×${width}×${cin}→${cout} k${k} s${c.stride} g${groups} ${c.activation}`,
    vsReference: worst(got, refGroupConv(c, xData, wData, bData)),
    vsStock: worst(got, await expected.data()),
  };
  tf.dispose([x, w, b, y, expected]);
  composition.dispose();
  return check;
}

function checkElementwise(): Check[] {
  const n = 4099;
  const aData = randomArray(n, 1, 12);
  const bData = randomArray(n, 2, 12);
  const a = tf.tensor1d(aData);
  const b = tf.tensor1d(bData);
  const checks = [
    {
      name: `silu ${n}`,
      vsReference: worst(
        kernels.silu(a).dataSync(),
        Array.from(aData, (v) => activate(v, 'silu')),
      ),
      vsStock: worst(kernels.silu(a).dataSync(), stock.activate(a, 'silu').dataSync()),
    },
    {
      name: `add+relu ${n}`,
      vsReference: worst(
        kernels.addActivation(a, b, 'relu').dataSync(),
        Array.from(aData, (v, i) => activate(v + (bData[i] as number), 'relu')),
      ),
      vsStock: worst(
        kernels.addActivation(a, b, 'relu').dataSync(),
        tf.relu(tf.add(a, b)).dataSync(),
      ),
    },
  ];
  return checks;
}

function checkSqueezeExcite(
  shape: [number, number, number, number],
  cs: number,
  silu: boolean,
): Check {
  const [batch, h, w, c] = shape;
  const xData = randomArray(batch * h * w * c, 7, 3);
  const w1 = randomArray(c * cs, 1, Math.sqrt(12 / c));
  const b1 = randomArray(cs, 2, 0.5);
  const w2 = randomArray(cs * c, 3, Math.sqrt(12 / cs));
  const b2 = randomArray(c, 4, 0.5);
  const x = tf.tensor4d(xData, shape);
  const weights = {
    reduceWeight: tf.tensor2d(w1, [c, cs]),
    reduceBias: tf.tensor1d(b1),
    expandWeight: tf.tensor2d(w2, [cs, c]),
    expandBias: tf.tensor1d(b2),
  };
  const act = silu ? 'silu' : 'relu';
  const inputAct = silu ? 'silu' : 'linear';
  const got = kernels
    .squeezeExcite(x, weights, { activation: act, inputActivation: inputAct })
    .dataSync();
  const { reduceWeight, reduceBias, expandWeight, expandBias } = weights;
  const expected = stock.squeezeExcite(
    x,
    reduceWeight,
    reduceBias,
    expandWeight,
    expandBias,
    act,
    inputAct,
  );
  return {
    name: `squeezeExcite ${shape.join('×')}→${cs} ${act}${silu ? ' (silu in)' : ''}`,
    vsReference: worst(got, refSqueezeExcite(shape, xData, w1, b1, w2, b2, act, inputAct)),
    vsStock: worst(got, expected.dataSync()),
  };
}

async function run(backend: 'wasm' | 'webgpu'): Promise<KernelReport> {
  if (backend === 'wasm' && new URLSearchParams(location.search).get('threads') === '0') {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  }
  // A backend whose workers die never settles: fail with a message instead of a timeout.
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(
      () => reject(new Error(`tf.setBackend('${backend}') did not settle in 60 s`)),
      60_000,
    ),
  );
  if (!(await Promise.race([tf.setBackend(backend), timeout]))) {
    throw new Error(`backend ${backend} failed to initialize`);
  }
  const registered = await kernels.registerKernels(backend);
  const report: KernelReport = {
    backend,
    registered,
    sharedMemory: null,
    checks: [],
  };
  if (!registered) return report;
  if (backend === 'wasm') {
    const wasm = (
      tf.backend() as unknown as {
        wasm: { wasmMemory?: WebAssembly.Memory; asm?: { memory: WebAssembly.Memory } };
      }
    ).wasm;
    const memory = wasm.wasmMemory ?? wasm.asm?.memory;
    report.sharedMemory = memory ? memory.buffer instanceof SharedArrayBuffer : null;
  }
  for (const [i, c] of convCases.entries()) report.checks.push(await checkGroupConv(c, i));
  if (backend === 'wasm') {
    report.checks.push(...checkElementwise());
    report.checks.push(checkSqueezeExcite([1, 14, 14, 208], 52, false));
    report.checks.push(checkSqueezeExcite([2, 7, 5, 30], 7, true));
  }
  return report;
}

declare global {
  interface Window {
    kernelChecks: { run: typeof run };
  }
}
window.kernelChecks = { run };
document.getElementById('out')!.textContent = 'ready';
