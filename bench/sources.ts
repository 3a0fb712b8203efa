/**
 * `npm run bench:sources`: what each kind of input source adds to a prediction in headless
 * Chromium (bench/sources-page.ts), after `npm run build`. Prints median ms per source and size.
 *
 *   npm run bench:sources [-- --runs 40]
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from '@playwright/test';
import { chromiumArgs, chromiumPath } from '../playwright.config';
import { startServer } from './browser';
import type { SourceRow } from './sources-page';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: { runs: { type: 'string', default: '40' }, port: { type: 'string', default: '5205' } },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 3) {
  console.error(`bench:sources: --runs is '${values.runs}': expected a whole number ≥ 3`);
  process.exit(2);
}
if (!existsSync(join(root, 'dist/webnets.js'))) {
  console.error("bench:sources: no dist/webnets.js: run 'npm run build' first");
  process.exit(2);
}

const sizes: [number, number][] = [
  [256, 256],
  [640, 480],
  [1280, 720],
];
const server = await startServer(root, Number(values.port));
const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
try {
  const page = await browser.newPage();
  await page.goto(`http://localhost:${values.port}/bench/sources.html`);
  await page.waitForFunction(() => 'sources' in window);
  const rows = await page.evaluate(
    ([s, r]) =>
      (
        window as unknown as {
          sources: { run(s: [number, number][], r: number): Promise<SourceRow[]> };
        }
      ).sources.run(s, r),
    [sizes, runs] as const,
  );
  console.log(
    `FD-MobileNet 0.5× predict, WASM 1 thread, Chromium ${browser.version()}, median of ${runs}`,
  );
  for (const row of rows) {
    console.log(
      `${row.size.padEnd(10)} ${row.source.padEnd(18)} ${row.medianMs.toFixed(2).padStart(7)} ms`,
    );
  }
} finally {
  await browser.close();
  await server.close();
}
