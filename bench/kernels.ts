/**
 * Micro-benchmark: each webnets WASM kernel against the stock tfjs composition it
 * replaces, on the layer shapes of RegNetX-400MF, RegNetY-400MF and EfficientNet-B0
 * (224×224 input), in Node on tfjs-backend-wasm's SIMD build, one thread.
 *
 *   npx tsx bench/kernels.ts [--reps 40] [--filter regnetx] [--json bench/results/kernels.json]
 *   node --experimental-wasm-relaxed-simd --import tsx bench/kernels.ts   # the FMA builds, as Chromium runs
 *
 * Every op on the wasm backend is synchronous, so a call's wall time is its compute plus
 * tfjs' dispatch. Each case is warmed up (V8 tiers wasm up to TurboFan), then stock and
 * kernel calls alternate and the medians are reported. Not a test: timings are noisy on
 * a shared machine; compare medians taken in one run.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { tf } from '../src/runtime/tf';
import {
  addActivation,
  depthwiseConv2d,
  groupConv2d,
  registerKernels,
  silu,
  squeezeExcite,
  wasmKernelVariant,
} from '../src/kernels';
import { randomArray } from '../test/kernels/random';
import { stockOps } from '../test/kernels/stock';
import { benchCases } from './kernel-shapes';
import type { BenchCase } from './kernel-shapes';

const {
  activate: stockActivate,
  groupConv: stockGroupConv,
  squeezeExcite: stockSqueezeExcite,
} = stockOps(tf);

const { values } = parseArgs({
  options: {
    reps: { type: 'string', default: '40' },
    filter: { type: 'string', default: '' },
    json: { type: 'string' },
  },
});
const reps = Number(values.reps);

interface Runner {
  stock(): tf.Tensor;
  kernel(): tf.Tensor;
  dispose(): void;
}

function tensor(shape: number[], seed: number, scale = 1): tf.Tensor {
  return tf.tensor(
    randomArray(
      shape.reduce((a, b) => a * b, 1),
      seed,
      scale,
    ),
    shape,
  );
}

function runner(c: BenchCase): Runner {
  if (c.op === 'groupConv') {
    const { size, channels, groupWidth, stride } = c;
    const groups = channels / groupWidth;
    const x = tensor([1, size, size, channels], 1) as tf.Tensor4D;
    const w = tensor([3, 3, groupWidth, channels], 2, 0.1) as tf.Tensor4D;
    const b = tensor([channels], 3) as tf.Tensor1D;
    const stock = stockGroupConv(w, groups);
    return {
      stock: () => stock.run(x, b, stride, 'relu'),
      kernel: () => groupConv2d(x, w, b, { strides: stride, groups, activation: 'relu' }),
      dispose: () => {
        tf.dispose([x, w, b]);
        stock.dispose();
      },
    };
  }
  if (c.op === 'squeezeExcite') {
    const { size, channels, squeezed, act, inputAct } = c;
    const x = tensor([1, size, size, channels], 1) as tf.Tensor4D;
    const weights = {
      reduceWeight: tensor([channels, squeezed], 2, 0.1) as tf.Tensor2D,
      reduceBias: tensor([squeezed], 3) as tf.Tensor1D,
      expandWeight: tensor([squeezed, channels], 4, 0.1) as tf.Tensor2D,
      expandBias: tensor([channels], 5) as tf.Tensor1D,
    };
    const { reduceWeight: w1, reduceBias: b1, expandWeight: w2, expandBias: b2 } = weights;
    return {
      stock: () => stockSqueezeExcite(x, w1, b1, w2, b2, act, inputAct),
      kernel: () => squeezeExcite(x, weights, { activation: act, inputActivation: inputAct }),
      dispose: () => tf.dispose([x, ...Object.values(weights)]),
    };
  }
  if (c.op === 'dense') {
    const x = tensor([1, c.size, c.size, c.cin], 1) as tf.Tensor4D;
    const w = tensor([1, 1, c.cin, c.cout], 2, 0.1) as tf.Tensor4D;
    const b = tensor([c.cout], 3) as tf.Tensor1D;
    const r = tensor([1, c.size, c.size, c.cout], 4) as tf.Tensor4D;
    const residual = c.residual ? r : undefined;
    const act = c.act;
    return {
      // tfjs fuses bias and ReLU into its (XNNPACK) conv; SiLU and the residual are extra ops
      stock: () =>
        tf.tidy(() => {
          const fused = act === 'relu' && !residual ? 'relu' : 'linear';
          const y = tf.fused.conv2d({
            x,
            filter: w,
            bias: b,
            strides: 1,
            pad: 0,
            activation: fused,
          });
          const summed = residual ? tf.add(y, residual) : y;
          return act === 'relu' && !residual ? summed : stockActivate(summed, act);
        }),
      kernel: () => groupConv2d(x, w, b, { strides: 1, groups: 1, activation: act }, residual),
      dispose: () => tf.dispose([x, w, b, r]),
    };
  }
  if (c.op === 'stem') {
    const x = tensor([1, c.size, c.size, 3], 1) as tf.Tensor4D;
    const w = tensor([3, 3, 3, c.cout], 2, 0.3) as tf.Tensor4D;
    const b = tensor([c.cout], 3) as tf.Tensor1D;
    const act = c.act;
    const pad: [[number, number], [number, number], [number, number], [number, number]] = [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ];
    return {
      stock: () =>
        tf.tidy(() => {
          const fused = act === 'relu' ? 'relu' : 'linear';
          const y = tf.fused.conv2d({ x, filter: w, bias: b, strides: 2, pad, activation: fused });
          return act === 'silu' ? stockActivate(y, 'silu') : y;
        }),
      kernel: () => groupConv2d(x, w, b, { strides: 2, groups: 1, activation: act }),
      dispose: () => tf.dispose([x, w, b]),
    };
  }
  if (c.op === 'depthwise') {
    const { size, channels, k, stride, act } = c;
    const x = tensor([1, size, size, channels], 1) as tf.Tensor4D;
    const w = tensor([k, k, channels, 1], 2, 0.3) as tf.Tensor4D;
    const b = tensor([channels], 3) as tf.Tensor1D;
    return {
      stock: () =>
        tf.tidy(() => {
          const fused = act === 'relu' ? 'relu' : 'linear';
          const y = tf.fused.depthwiseConv2d({
            x,
            filter: w,
            bias: b,
            strides: stride,
            pad: k >> 1,
            activation: fused,
          });
          return act === 'silu' ? stockActivate(y, 'silu') : y;
        }),
      kernel: () => depthwiseConv2d(x, w, b, { strides: stride, activation: act }),
      dispose: () => tf.dispose([x, w, b]),
    };
  }
  const x = tensor(c.shape, 1, 4);
  if (c.op === 'silu') {
    return {
      stock: () => stockActivate(x, 'silu'),
      kernel: () => silu(x),
      dispose: () => x.dispose(),
    };
  }
  const y = tensor(c.shape, 2, 4);
  return {
    stock: () => tf.tidy(() => tf.relu(tf.add(x, y))),
    kernel: () => addActivation(x, y, 'relu'),
    dispose: () => tf.dispose([x, y]),
  };
}

function timeOnce(f: () => tf.Tensor): number {
  const t0 = performance.now();
  const y = f();
  const t = performance.now() - t0;
  y.dispose();
  return t;
}

const median = (a: number[]): number => [...a].sort((p, q) => p - q)[a.length >> 1] ?? NaN;

async function main(): Promise<void> {
  await tf.setBackend('wasm');
  if (!(await registerKernels('wasm'))) throw new Error('bench: the WASM kernels did not register');
  console.log(
    `kernels build: ${wasmKernelVariant()} (Node runs relaxed SIMD only with --experimental-wasm-relaxed-simd)`,
  );
  const rows: { net: string; layer: string; count: number; stockMs: number; kernelMs: number }[] =
    [];
  for (const c of benchCases.filter((k) => `${k.net} ${k.layer}`.includes(values.filter ?? ''))) {
    const r = runner(c);
    for (let i = 0; i < 15; i++) {
      timeOnce(r.stock);
      timeOnce(r.kernel);
    }
    const stock: number[] = [];
    const kernel: number[] = [];
    for (let i = 0; i < reps; i++) {
      stock.push(timeOnce(r.stock));
      kernel.push(timeOnce(r.kernel));
    }
    r.dispose();
    const row = {
      net: c.net,
      layer: c.layer,
      count: c.count,
      stockMs: median(stock),
      kernelMs: median(kernel),
    };
    rows.push(row);
    const speedup = (row.stockMs / row.kernelMs).toFixed(1);
    console.log(
      `${c.net.padEnd(16)} ${c.layer.padEnd(34)} ×${String(c.count).padEnd(3)} ` +
        `stock ${row.stockMs.toFixed(3).padStart(7)} ms  kernel ${row.kernelMs.toFixed(3).padStart(7)} ms  ${speedup}×`,
    );
  }
  const nets = [...new Set(rows.map((r) => r.net))];
  for (const net of nets) {
    const mine = rows.filter((r) => r.net === net);
    const sum = (k: 'stockMs' | 'kernelMs'): number => mine.reduce((s, r) => s + r[k] * r.count, 0);
    console.log(
      `${net}: these layers, weighted by count: stock ${sum('stockMs').toFixed(2)} ms -> kernels ${sum('kernelMs').toFixed(2)} ms`,
    );
  }
  if (values.json) {
    const meta = {
      date: new Date().toISOString(),
      node: process.version,
      reps,
      tfjs: tf.version_core,
    };
    writeFileSync(values.json, JSON.stringify({ meta, rows }, null, 2));
  }
}

await main();
