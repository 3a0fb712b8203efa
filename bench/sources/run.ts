/**
 * `npm run bench:sources`: what each kind of input source adds to a prediction in headless
 * Chromium (bench/sources/page.ts), after `npm run build`. Prints median ms per source and size.
 *
 *   npm run bench:sources [-- --runs 40] [--port 5205]
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { withChromium } from '../lib/browser';
import { runMain, wholeNumber } from '../lib/options';
import { root } from '../lib/paths';
import type { SourceRow } from './page';

const sizes: [number, number][] = [
  [256, 256],
  [640, 480],
  [1280, 720],
];

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { runs: { type: 'string', default: '40' }, port: { type: 'string', default: '5205' } },
  });
  const runs = wholeNumber('runs', values.runs, 3);
  const port = wholeNumber('port', values.port, 1);
  if (!existsSync(join(root, 'dist/webnets.js'))) {
    throw new Error("no dist/webnets.js: run 'npm run build' first");
  }
  await withChromium(port, async (browser, base) => {
    const page = await browser.newPage();
    await page.goto(`${base}/bench/sources/page.html`);
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
  });
  return 0;
}

await runMain('bench:sources', main);
