/**
 * The e2e kernels page: runs webnets' custom kernels, built from the sources by Vite
 * (src/kernels is internal: the public bundle does not export it), on the 'wasm' or 'webgpu' backend
 * and compares each with the stock tfjs composition (on the same backend) and a float64
 * JS reference. `?threads=0` keeps tfjs on its unshared SIMD build even though the page
 * is cross-origin isolated (which otherwise selects the threaded build).
 * e2e/kernels.spec.ts calls `window.kernelChecks.run(backend)`.
 */
import '@tensorflow/tfjs-backend-webgpu'; // src/tf.ts has cpu and wasm; pages add WebGPU
import * as kernels from '../../src/kernels';
import { tf } from '../../src/tf';
import type { ConvCase, ConvRow } from '../../test/kernels/reference';
import {
  activate,
  convCase,
  outSize,
  refDepthwise,
  refGroupConv,
  refSqueezeExcite,
} from '../../test/kernels/reference';
import { closeness, randomArray } from '../../test/kernels/random';
import { stockOps } from '../../test/kernels/stock';

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
  /** Which build of the WASM kernels runs (relaxed SIMD where the engine has it). */
  wasmVariant: string | null;
  checks: Check[];
}

/** A conv case (test/kernels/reference.ts's row) and whether it adds a residual. */
type ResidualConvRow = [...ConvRow, boolean];
const convRows: ResidualConvRow[] = [
  [1, 9, 9, 16, 16, 3, 1, 2, 'relu', false], // group width 8
  [1, 8, 8, 32, 32, 3, 2, 2, 'relu', false], // 16, stride 2
  [2, 7, 5, 48, 48, 3, 1, 2, 'linear', true], // 24, batch 2, residual
  [1, 6, 11, 72, 72, 3, 2, 3, 'silu', false],
  [2, 5, 6, 6, 9, 3, 1, 3, 'relu', false], // tails: 2 → 3 channels per group
  [1, 9, 8, 40, 40, 5, 2, 1, 'silu', false],
  [1, 7, 7, 64, 48, 1, 1, 1, 'relu', true], // RegNet's 1×1 c conv + shortcut + ReLU
  [1, 15, 14, 3, 32, 3, 2, 1, 'silu', false], // EfficientNet's stem
];
const convCases = convRows.map((row) => ({
  case: convCase(row.slice(0, 9) as ConvRow),
  residual: row[9],
}));

function worst(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  return closeness(actual, expected).worst;
}

async function checkGroupConv(c: ConvCase, withResidual: boolean, i: number): Promise<Check> {
  const { batch, height, width, inChannels: cin, outChannels: cout, kernel: k, groups } = c;
  const outShape: [number, number, number, number] = [batch, ...outSize(c), cout];
  const fan = k * k * (cin / groups);
  const xData = randomArray(batch * height * width * cin, 10 + i);
  const wData = randomArray(fan * cout, 20 + i, Math.sqrt(3 / fan));
  const bData = randomArray(cout, 30 + i, 0.5);
  const rData = randomArray(
    outShape.reduce((p, d) => p * d, 1),
    40 + i,
  );
  const x = tf.tensor4d(xData, [batch, height, width, cin]);
  const w = tf.tensor4d(wData, [k, k, cin / groups, cout]);
  const b = tf.tensor1d(bData);
  const r = withResidual ? tf.tensor4d(rData, outShape) : undefined;
  const attrs = { strides: c.stride, groups, activation: c.activation };
  const y = kernels.groupConv2d(x, w, b, attrs, r);
  if (y.shape.join() !== outShape.join()) throw new Error(`group conv: shape ${y.shape}`);
  const composition = stock.groupConv(w, groups);
  const expected = tf.tidy(() => {
    const linear = composition.run(x, b, c.stride, 'linear');
    return stock.activate(r ? tf.add(linear, r) : linear, c.activation);
  });
  // Async reads: WebGPU's dataSync is unreliable (zeros on SwiftShader).
  const got = await y.data();
  const check = {
    name: `groupConv ${batch}×${height}×${width}×${cin}→${cout} k${k} s${c.stride} g${groups} ${c.activation}${r ? ' +residual' : ''}`,
    vsReference: worst(got, refGroupConv(c, xData, wData, bData, r ? rData : undefined)),
    vsStock: worst(got, await expected.data()),
  };
  tf.dispose([x, w, b, y, expected, ...(r ? [r] : [])]);
  composition.dispose();
  return check;
}

function checkDepthwise(shape: [number, number, number, number], k: number, stride: number): Check {
  const c = shape[3];
  const xData = randomArray(
    shape.reduce((a, b) => a * b, 1),
    50 + k,
  );
  const wData = randomArray(k * k * c, 60 + k, Math.sqrt(3 / (k * k)));
  const bData = randomArray(c, 70 + k, 0.5);
  const x = tf.tensor4d(xData, shape);
  const w = tf.tensor4d(wData, [k, k, c, 1]);
  const b = tf.tensor1d(bData);
  const got = kernels.depthwiseConv2d(x, w, b, { strides: stride, activation: 'silu' }).dataSync();
  const expected = tf.tidy(() =>
    stock.activate(
      tf.fused.depthwiseConv2d({ x, filter: w, bias: b, strides: stride, pad: k >> 1 }),
      'silu',
    ),
  );
  return {
    name: `depthwiseConv ${shape.join('×')} k${k} s${stride} silu`,
    vsReference: worst(got, refDepthwise(shape, k, stride, 'silu', xData, wData, bData)),
    vsStock: worst(got, expected.dataSync()),
  };
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
    wasmVariant: backend === 'wasm' ? kernels.wasmKernelVariant() : null,
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
  for (const [i, c] of convCases.entries()) {
    report.checks.push(await checkGroupConv(c.case, c.residual, i));
  }
  if (backend === 'wasm') {
    report.checks.push(...checkElementwise());
    report.checks.push(
      checkDepthwise([1, 30, 30, 24], 3, 1),
      checkDepthwise([2, 14, 14, 20], 5, 2),
    );
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
