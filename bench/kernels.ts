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
import { tf } from '../src/tf';
import { registerKernels, wasmKernelVariant } from '../src/kernels';
import { benchCases } from './kernel-shapes';
import { runner } from './kernels-runner';

const { values } = parseArgs({
  options: {
    reps: { type: 'string', default: '40' },
    filter: { type: 'string', default: '' },
    json: { type: 'string' },
  },
});
const reps = Number(values.reps);

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
