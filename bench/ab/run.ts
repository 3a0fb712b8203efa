/**
 * `npm run bench:ab`: the WASM kernels against another commit's, in one process: that
 * commit's build (src/kernels/wasm/binary.generated.ts at REV) is instantiated on the same
 * tfjs memory with its own constants table, and the two modules are swapped between
 * alternating timed calls — on the networks' layers and on whole networks (bench/ab/core.ts).
 * This machine's speed drifts by up to 1.5× within minutes, more than most kernel changes;
 * runs in separate processes cannot see a 5% change, alternating in one process can.
 *
 *   npm run bench:ab -- --against HEAD~1 [--filter 'dw 7²'] \
 *     [--networks fd-mobilenet-0.5x,efficientnet-b0] [--rounds 30] [--browser chromium|firefox|webkit]
 *     [--port 5204] [--against-blocks 8x4|16x2]
 *
 * (the npm script is `node --experimental-wasm-relaxed-simd --import tsx bench/ab/run.ts`).
 * Layers run only with --filter (a substring of "<net> <layer>", '' for all), networks only
 * with --networks; neither: every layer. `--browser NAME` runs it in a page (bench/ab/page.html;
 * needs `npm run build` for tfjs' WASM files in dist/) of headless Chromium, Firefox ESR or
 * WebKitGTK (bench/lib/browser.ts): each engine compiles the kernels its own way, and Chromium's
 * V8 is newer than Node 20's. Both builds must export the same functions with the same parameter counts
 * (a changed signature cannot be swapped): the script says which differ. `--against stock`
 * times each layer on tfjs' own ops instead (XNNPACK's, where tfjs has the op), alternated with
 * webnets' kernels: what routing that layer to tfjs would gain on an engine; `--against threads1
 * --threads N` each layer on webnets' kernels with 1 thread against N (a page only).
 * `--against-blocks 8x4|16x2` runs a build from before 2026-12-05 in those register blocks
 * (its `layout` bits chose them; SpiderMonkey ran 8x4), so a change is judged against what
 * that engine ran then.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { tf } from '../../src/tf';
import { parseBrowser, withBrowser, type BrowserName } from '../lib/browser';
import { list, OptionError, runMain, wholeNumber } from '../lib/options';
import { root } from '../lib/paths';
import { OLD_BLOCK_CODES, runAb, type AbOptions } from './core';

/** The base64 modules of src/kernels/wasm/binary.generated.ts at `rev`. */
function modulesAt(rev: string): Record<string, string> {
  const path = 'src/kernels/wasm/binary.generated.ts';
  const text = execFileSync('git', ['show', `${rev}:${path}`], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const modules: Record<string, string> = {};
  for (const m of text.matchAll(/'([a-z-]+)':\s*'([A-Za-z0-9+/=]+)'/g)) {
    modules[m[1] as string] = m[2] as string;
  }
  if (Object.keys(modules).length === 0)
    throw new Error(
      `found no kernel modules in ${rev}:${path} (a commit before the current file format?)`,
    );
  return modules;
}

function againstBlocks(value: string | undefined): AbOptions['otherBlocks'] {
  if (value === undefined) return undefined;
  if (!Object.hasOwn(OLD_BLOCK_CODES, value)) {
    throw new OptionError(
      `--against-blocks: expected one of ${Object.keys(OLD_BLOCK_CODES).join(', ')}, got '${value}'`,
    );
  }
  return value as keyof typeof OLD_BLOCK_CODES;
}

async function inNode(options: AbOptions): Promise<void> {
  await tf.setBackend('wasm');
  await runAb(options, (line) => console.log(line));
}

async function inBrowser(name: BrowserName, options: AbOptions, port: number): Promise<void> {
  if (!existsSync(join(root, 'dist/tfjs-backend-wasm-simd.wasm'))) {
    throw new Error("--browser: dist/ has no tfjs WASM files: run 'npm run build' first");
  }
  await withBrowser(name, port, async (browser, base) => {
    const page = await browser.newPage();
    page.onConsole((text) => {
      if (!text.startsWith('[vite]')) console.log(text);
    });
    page.onError((message) => console.log(`[page error] ${message}`));
    await page.goto(`${base}/bench/ab/page.html`);
    await page.waitFor("'ab' in window");
    console.log(browser.version);
    await page.evaluate((o) => window.ab.run(o), options);
    await page.close();
  });
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      against: { type: 'string' },
      filter: { type: 'string' },
      networks: { type: 'string' },
      rounds: { type: 'string', default: '30' },
      browser: { type: 'string' },
      threads: { type: 'string', default: '1' },
      port: { type: 'string', default: '5204' },
      'against-blocks': { type: 'string' },
    },
  });
  if (!values.against) {
    throw new OptionError('--against REV is required (the commit whose kernels to compare with)');
  }
  const networks = list(values.networks, []);
  const options: AbOptions = {
    modules:
      values.against === 'stock' || values.against === 'threads1'
        ? values.against
        : modulesAt(values.against),
    threads: wholeNumber('threads', values.threads, 1),
    label: values.against,
    filter: values.filter ?? (networks.length > 0 ? null : ''),
    networks,
    rounds: wholeNumber('rounds', values.rounds, 2),
    otherBlocks: againstBlocks(values['against-blocks']),
  };
  const port = wholeNumber('port', values.port, 1);
  if (options.otherBlocks !== undefined && typeof options.modules === 'string') {
    throw new OptionError(
      `--against-blocks needs --against REV (a build), not '${options.modules}'`,
    );
  }
  if (options.modules === 'threads1' && (values.browser === undefined || options.threads < 2)) {
    throw new OptionError(
      '--against threads1 needs --browser NAME and --threads N (2 or more): Node runs tfjs on one thread',
    );
  }
  await (values.browser === undefined
    ? inNode(options)
    : inBrowser(parseBrowser(values.browser), options, port));
  return 0;
}

await runMain('bench:ab', main);
