/**
 * `npm run bench:worker`: what worker mode costs and saves the page's thread, in headless
 * Chromium with its fake camera (bench/worker/page.ts), after `npm run build`:
 * - the page-side step of a worker-mode call per kind of source (an element or canvas made
 *   into an ImageBitmap, …) at 640×480 and 1280×720;
 * - a model classifying the camera on the page's thread and in a worker, in alternating
 *   blocks, with the page's frame intervals (requestAnimationFrame) meanwhile.
 *
 *   npm run bench:worker [-- --runs 30 --model efficientnet-b0 --inferences 20 --blocks 3]
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from '@playwright/test';
import { chromiumArgs, chromiumPath } from '../../playwright.config';
import { startServer } from '../lib/browser';
import { runMain, wholeNumber } from '../lib/options';
import { root } from '../lib/paths';
import type { BlockingRow, SourceCostRow } from './page';

interface WorkerBench {
  sources(sizes: [number, number][], runs: number): Promise<SourceCostRow[]>;
  blocking(
    model: string,
    size: [number, number],
    inferences: number,
    blocks: number,
  ): Promise<BlockingRow[]>;
}

const ms = (v: number) => v.toFixed(2).padStart(7);

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '30' },
      model: { type: 'string', default: 'efficientnet-b0' },
      inferences: { type: 'string', default: '20' },
      blocks: { type: 'string', default: '3' },
      port: { type: 'string', default: '5207' },
    },
  });
  const runs = wholeNumber('runs', values.runs, 3);
  const inferences = wholeNumber('inferences', values.inferences, 3);
  const blocks = wholeNumber('blocks', values.blocks, 1);
  const port = wholeNumber('port', values.port, 1);
  const { model } = values;
  if (!existsSync(join(root, 'dist/webnets-worker.js'))) {
    throw new Error("no dist/webnets-worker.js: run 'npm run build' first");
  }
  const server = await startServer(port);
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: [...chromiumArgs, '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'],
  });
  try {
    const page = await browser.newPage();
    await page.goto(`http://localhost:${port}/bench/worker/page.html`);
    await page.waitForFunction(() => 'workerBench' in window);
    const sizes: [number, number][] = [
      [640, 480],
      [1280, 720],
    ];
    const sourceRows = await page.evaluate(
      ([s, r]) => (window as unknown as { workerBench: WorkerBench }).workerBench.sources(s, r),
      [sizes, runs] as const,
    );
    console.log(
      `The page's step of a worker-mode call, Chromium ${browser.version()}, median of ${runs}`,
    );
    console.log(
      `${'size'.padEnd(10)} ${'step'.padEnd(37)} ${'sync ms'.padStart(7)} ${'ready ms'.padStart(8)}`,
    );
    for (const row of sourceRows) {
      console.log(
        `${row.size.padEnd(10)} ${row.step.padEnd(37)} ${ms(row.syncMs)} ${ms(row.readyMs).padStart(8)}`,
      );
    }
    const rows = await page.evaluate(
      ([m, n, b]) =>
        (window as unknown as { workerBench: WorkerBench }).workerBench.blocking(
          m,
          [640, 480],
          n,
          b,
        ),
      [model, inferences, blocks] as const,
    );
    console.log(
      `\n${model} (synthetic) classifying a 640×480 camera, WASM, ${blocks} alternating blocks of ${inferences}`,
    );
    for (const row of rows) {
      console.log(
        `${row.mode.padEnd(12)} inference ${ms(row.inferenceMs)} ms   page frames: median ${ms(row.frameMs.median)}, p95 ${ms(row.frameMs.p95)}, max ${ms(row.frameMs.max)} ms, over 50 ms ${(row.longFrames * 100).toFixed(0).padStart(3)} %   (${row.backendReason})`,
      );
    }
  } finally {
    await browser.close();
    await server.close();
  }
  return 0;
}

await runMain('bench:worker', main);
