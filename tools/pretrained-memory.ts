/**
 * What converting the largest published preset in a page takes: a seeded RegNetY-32GF
 * checkpoint in torchvision's names and torch.save's zip format (145 M parameters, as large
 * as the published file), served locally, loaded with `load(id, { pretrained: true })` in
 * headless Chromium (cpu backend, no cache). Sampled every 50 ms: the resident memory of
 * the page's renderer process (which runs the page and its workers: `VmRSS` in
 * /proc/<pid>/status, the pid from the DevTools protocol's `SystemInfo.getProcessInfo`)
 * above its level before the load, and the page thread's JS heap plus ArrayBuffer backing
 * stores (`Runtime.getHeapUsage`). Prints the peaks against the checkpoint's size. Linux.
 *
 * Usage: npx tsx tools/pretrained-memory.ts [preset id, default regnety-32gf]
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium } from '@playwright/test';
import { chromiumArgs, chromiumPath } from '../playwright.config';
import { getSpec } from '../src/models/presets';
import { sha256Hex } from '../src/weights/sha256';
import { seededStateDict, torchZip } from '../test/helpers/checkpoint-files';
import { startMirror } from '../test/helpers/checkpoint-mirror';

const id = process.argv[2] ?? 'regnety-32gf';
const root = resolve(import.meta.dirname, '..');
const mb = (n: number) => `${(n / 2 ** 20).toFixed(0)} MiB`;

const started = performance.now();
const checkpoint = torchZip(seededStateDict(getSpec(id), 'torchvision', 1));
const sha256 = await sha256Hex(checkpoint);
console.log(
  `${id}: seeded checkpoint ${mb(checkpoint.length)} (${((performance.now() - started) / 1000).toFixed(0)} s)`,
);
const mirror = await startMirror(new Map([['/checkpoint.pth', checkpoint]]));

// The page and dist/ from one origin (the conversion worker must be same-origin).
const page = createServer((req, res) => {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  if (path === '/') {
    res.setHeader('Content-Type', 'text/html');
    res.end('<!doctype html><title>memory</title>');
    return;
  }
  try {
    const body = readFileSync(join(root, 'dist', path));
    res.setHeader('Content-Type', path.endsWith('.wasm') ? 'application/wasm' : 'text/javascript');
    res.end(body);
  } catch {
    res.writeHead(404).end();
  }
});
await new Promise<void>((done) => page.listen(0, 'localhost', done));
const origin = `http://localhost:${(page.address() as AddressInfo).port}`;

const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
const context = await browser.newContext();
const tab = await context.newPage();
await tab.goto(`${origin}/`);
const pageSession = await context.newCDPSession(tab);

interface Peak {
  heap: number;
  buffers: number;
  total: number;
}
const peak: Peak = { heap: 0, buffers: 0, total: 0 };
const browserSession = await browser.newBrowserCDPSession();
const { processInfo } = (await browserSession.send('SystemInfo.getProcessInfo')) as {
  processInfo: { type: string; id: number }[];
};
const renderers = processInfo.filter((p) => p.type === 'renderer').map((p) => p.id);
const rss = (): number =>
  renderers.reduce((n, pid) => {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      return n + (m ? Number(m[1]) * 1024 : 0);
    } catch {
      return n;
    }
  }, 0);
const baseline = rss();
let rssPeak = baseline;
let sampling = true;

async function sample(): Promise<void> {
  while (sampling) {
    rssPeak = Math.max(rssPeak, rss());
    const usage = (await pageSession.send('Runtime.getHeapUsage')) as {
      usedSize: number;
      backingStorageSize?: number;
    };
    const buffers = usage.backingStorageSize ?? 0;
    peak.heap = Math.max(peak.heap, usage.usedSize);
    peak.buffers = Math.max(peak.buffers, buffers);
    peak.total = Math.max(peak.total, usage.usedSize + buffers);
    await new Promise((r) => setTimeout(r, 50));
  }
}
const sampler = sample();

// A string, not a function: tsx's helpers (__name) do not exist in the page.
const result = (await tab.evaluate(`(async () => {
  const { load } = await import('/webnets.js');
  const t0 = performance.now();
  let downloadMs = 0;
  try {
    const model = await load(${JSON.stringify(id)}, {
      pretrained: true,
      checkpoints: { ${JSON.stringify(id)}: { url: ${JSON.stringify(`${mirror.url}/checkpoint.pth`)}, sha256: '${sha256}' } },
      backend: 'cpu',
      cache: false,
      onProgress: ({ loaded, total }) => { if (loaded === total) downloadMs = performance.now() - t0; },
    });
    const loadMs = performance.now() - t0;
    model.dispose();
    return { ok: true, downloadMs, loadMs };
  } catch (err) {
    return { ok: false, error: err.message };
  }
})()`)) as { ok: boolean };
sampling = false;
await sampler;
console.log(JSON.stringify(result));
const times = (n: number) => `${(n / checkpoint.length).toFixed(2)} × the checkpoint`;
console.log(
  `renderer (page + workers): ${renderers.length} process(es), resident ${mb(baseline)} before, peak ${mb(rssPeak)}: +${mb(rssPeak - baseline)} = ${times(rssPeak - baseline)}`,
);
console.log(
  `page thread: peak JS heap ${mb(peak.heap)}, ArrayBuffers ${mb(peak.buffers)}, together ${mb(peak.total)} = ${times(peak.total)}`,
);
await browser.close();
await mirror.close();
page.close();
