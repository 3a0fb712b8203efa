/**
 * The WASM kernels against another commit's, in one process: that commit's build
 * (src/kernels/wasm/binary.generated.ts at REV) is instantiated on the same tfjs memory
 * with its own constants table, and the two modules are swapped between alternating
 * timed calls — on bench/kernel-shapes.ts's layers and on whole networks (bench/ab-core.ts).
 * This machine's speed drifts by up to 1.5× within minutes, more than most kernel changes;
 * runs in separate processes cannot see a 5% change, alternating in one process can.
 *
 *   node --experimental-wasm-relaxed-simd --import tsx bench/ab.ts --against HEAD~1 \
 *     [--filter 'dw 7²'] [--networks fd-mobilenet-0.5x,efficientnet-b0] [--rounds 30] [--browser]
 *
 * Layers run only with --filter (a substring of "<net> <layer>", '' for all), networks only
 * with --networks; neither: every layer. `--browser` runs it in headless Chromium
 * (bench/ab.html; needs `npm run build` for tfjs' WASM files in dist/): Chromium's V8 is
 * newer than Node 20's and compiles the kernels differently, and the benchmark's targets
 * are Chromium's. Both builds must export the same functions with the same parameter counts
 * (a changed signature cannot be swapped): the script says which differ.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { tf } from '../src/tf';
import { runAb, type AbOptions } from './ab-core';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const { values } = parseArgs({
  options: {
    against: { type: 'string' },
    filter: { type: 'string' },
    networks: { type: 'string' },
    rounds: { type: 'string', default: '30' },
    browser: { type: 'boolean', default: false },
    port: { type: 'string', default: '5204' },
  },
});
function fail(message: string): never {
  console.error(`bench/ab: ${message}`);
  process.exit(2);
}
if (!values.against) fail('--against REV is required (the commit whose kernels to compare with)');
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 2) {
  fail(`--rounds is '${values.rounds}': expected a whole number ≥ 2`);
}

/** The base64 modules of src/kernels/wasm/binary.generated.ts at `rev`. */
function modulesAt(rev: string): Record<string, string> {
  const path = 'src/kernels/wasm/binary.generated.ts';
  const text = execFileSync('git', ['show', `${rev}:${path}`], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const modules: Record<string, string> = {};
  for (const m of text.matchAll(/'([a-z-]+)':\s*'([A-Za-z0-9+/=]+)'/g)) {
    modules[m[1] as string] = m[2] as string;
  }
  if (Object.keys(modules).length === 0)
    throw new Error(
      `bench/ab: found no kernel modules in ${rev}:${path} (a commit before the current file format?)`,
    );
  return modules;
}

async function inNode(options: AbOptions): Promise<void> {
  await tf.setBackend('wasm');
  await runAb(options, (line) => console.log(line));
}

async function inChromium(options: AbOptions): Promise<void> {
  if (!existsSync(join(root, 'dist/tfjs-backend-wasm-simd.wasm'))) {
    throw new Error("bench/ab --browser: dist/ has no tfjs WASM files: run 'npm run build' first");
  }
  const { chromium } = await import('@playwright/test');
  const { chromiumArgs, chromiumPath } = await import('../playwright.config');
  const { startServer } = await import('./browser');
  const port = Number(values.port);
  const server = await startServer(root, port);
  const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
  try {
    const page = await browser.newPage();
    page.on('console', (m) => {
      if (!m.text().startsWith('[vite]')) console.log(m.text());
    });
    await page.goto(`http://localhost:${port}/bench/ab.html`);
    await page.waitForFunction(() => 'ab' in window);
    console.log(`Chromium ${browser.version()}`);
    await page.evaluate((o) => window.ab.run(o), options);
  } finally {
    await browser.close();
    await server.close();
  }
}

const options: AbOptions = {
  modules: modulesAt(values.against),
  label: values.against,
  filter: values.filter ?? (values.networks ? null : ''),
  networks: values.networks?.split(',').filter(Boolean) ?? [],
  rounds,
};
// Say what went wrong in one line: tfjs' Node module rethrows uncaught errors with its own
// source attached, which buries the message.
await (values.browser ? inChromium(options) : inNode(options)).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
