/**
 * `npm run bench:kernels`: each layer of the benchmark's networks (bench/lib/kernel-cases.ts,
 * read from their specs) as the network runs it with webnets' WASM kernels, against the stock
 * tfjs composition they replace, in Node on tfjs-backend-wasm's SIMD build, one thread.
 *
 *   npm run bench:kernels -- [--filter regnetx] [--reps 40] [--json bench/results/kernels.json]
 *
 * The npm script runs Node with --experimental-wasm-relaxed-simd: the FMA builds, as Chromium
 * runs them. Every op on the wasm backend is synchronous, so a call's wall time is its compute
 * plus tfjs' dispatch. Each case is warmed up (V8 tiers wasm up to TurboFan), then stock and
 * kernel calls alternate and the medians are reported. Not a test: timings are noisy on a
 * shared machine; compare medians taken in one run.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { registerKernels, wasmKernelVariant } from '../../src/kernels';
import { tf } from '../../src/tf';
import { kernelCases } from '../lib/kernel-cases';
import { runner } from '../lib/kernel-runner';
import { runMain, wholeNumber } from '../lib/options';
import { alternateSync } from '../lib/stats';
import { formatTable, ms } from '../lib/table';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      reps: { type: 'string', default: '40' },
      filter: { type: 'string', default: '' },
      json: { type: 'string' },
    },
  });
  const reps = wholeNumber('reps', values.reps, 1);
  const filter = values.filter;
  await tf.setBackend('wasm');
  if (!(await registerKernels('wasm'))) throw new Error('the WASM kernels did not register');
  console.log(
    `kernels build: ${wasmKernelVariant()} (Node runs relaxed SIMD only with --experimental-wasm-relaxed-simd)`,
  );
  const cases = kernelCases().filter((c) => `${c.net} ${c.layer}`.includes(filter));
  if (cases.length === 0) throw new Error(`--filter '${filter}' matches no layer`);
  const rows = cases.map((c) => {
    const r = runner(c);
    try {
      const calls = [() => r.stock().dispose(), () => r.kernel().dispose()];
      const [stockMs, kernelMs] = alternateSync(calls, { rounds: reps, warmup: 15 }) as [
        number,
        number,
      ];
      const row = { net: c.net, layer: c.layer, count: c.count, stockMs, kernelMs };
      console.log(
        `${c.net.padEnd(18)} ${c.layer.padEnd(40)} ×${String(c.count).padEnd(3)} ` +
          `stock ${ms(stockMs).padStart(7)} ms  kernel ${ms(kernelMs).padStart(7)} ms  ${(stockMs / kernelMs).toFixed(1)}×`,
      );
      return row;
    } finally {
      r.dispose();
    }
  });
  const nets = [...new Set(rows.map((r) => r.net))];
  console.log(
    `\n${formatTable(
      ['network', 'layers', 'stock ms (Σ count × median)', 'kernels ms', 'stock/kernels'],
      nets.map((net) => {
        const mine = rows.filter((r) => r.net === net);
        const sum = (k: 'stockMs' | 'kernelMs'): number =>
          mine.reduce((s, r) => s + r[k] * r.count, 0);
        const layers = mine.reduce((s, r) => s + r.count, 0);
        const [a, b] = [sum('stockMs'), sum('kernelMs')];
        return [net, String(layers), ms(a), ms(b), `${(a / b).toFixed(2)}×`];
      }),
    )}`,
  );
  if (values.json) {
    const meta = {
      date: new Date().toISOString(),
      node: process.version,
      reps,
      tfjs: tf.version_core,
    };
    writeFileSync(values.json, JSON.stringify({ meta, rows }, null, 2));
  }
  return 0;
}

await runMain('bench:kernels', main);
