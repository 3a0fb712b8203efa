/**
 * `load(id, { pretrained: true })` in Chromium, against local mirrors of seeded checkpoints
 * (another origin than the page's, as the publishers are): the first load downloads,
 * verifies, converts in the conversion worker (dist/webnets-convert.js) and caches; the
 * second makes no request (the mirror is stopped); the logits equal those of the pack
 * `webnets convert` makes of the same file; safetensors with timm names and worker mode
 * too. A wrong hash, a truncated download, a stalled server, an abort, a 404, a server
 * without CORS headers and a checkpoint of another architecture each fail naming the URL
 * and leave no cache entry, no tensor.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { expect, test } from '@playwright/test';
import { getSpec } from '../src/models/presets';
import type * as Webnets from '../src/index';
import type { PackManifest } from '../src/weights/pack';
import { sha256Hex } from '../src/weights/sha256';
import type { Mirror } from '../test/helpers/checkpoint-mirror';
import { startMirror } from '../test/helpers/checkpoint-mirror';
import {
  safetensors,
  seededStateDict,
  torchLegacy,
  torchZip,
} from '../test/helpers/checkpoint-files';

declare global {
  interface Window {
    webnets: {
      isCached: typeof Webnets.isCached;
      load: typeof Webnets.load;
      tf: typeof Webnets.tf;
    };
  }
}

const b0 = getSpec('efficientnet-b0');
// models/models.json's `file`s (the publishers' paths, as a mirror lays them out).
const b0Path = '/torchvision/efficientnet_b0_rwightman-3dd342df.pth';
const rxPath = '/torchvision/regnet_x_400mf-62229a5f.pth';
const timmPath = '/timm/efficientnet_b0.ra_in1k/model.safetensors';
const files = new Map<string, Uint8Array>();
const sha = new Map<string, string>();
let mirror: Mirror;
let noCors: Mirror;
let dir: string;

test.beforeAll(async () => {
  const put = async (path: string, bytes: Uint8Array) => {
    files.set(path, bytes);
    sha.set(path, await sha256Hex(bytes));
  };
  await put(b0Path, torchZip(seededStateDict(b0, 'torchvision', 1)));
  await put(rxPath, torchLegacy(seededStateDict(getSpec('regnetx-400mf'), 'torchvision', 2)));
  await put(timmPath, safetensors(seededStateDict(b0, 'timm', 3)));
  // The pack `webnets convert` makes of the same torchvision file, served beside it.
  dir = mkdtempSync(join(tmpdir(), 'webnets-pretrained-e2e-'));
  writeFileSync(join(dir, 'b0.pth'), files.get(b0Path)!);
  execFileSync(process.execPath, [
    'bin/webnets.js',
    'convert',
    join(dir, 'b0.pth'),
    '--arch',
    'efficientnet-b0',
    '--out',
    join(dir, 'pack'),
  ]);
  const manifest = JSON.parse(readFileSync(join(dir, 'pack/model.json'), 'utf8')) as PackManifest;
  for (const p of ['model.json', ...manifest.weightsManifest[0]!.paths]) {
    files.set(`/cli-pack/${p}`, readFileSync(join(dir, 'pack', p)));
  }
  mirror = await startMirror(files);
  noCors = await startMirror(files, { cors: false });
});

test.afterAll(async () => {
  await mirror?.close();
  await noCors?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function open(page: Page): Promise<void> {
  await page.goto('/e2e/pages/weights.html');
  await expect(page).toHaveTitle('ready');
}

interface Attempt {
  id?: string;
  url: string;
  sha256: string;
  stallTimeout?: number;
  abortAfterBytes?: number;
  worker?: boolean;
  weightsUrl?: string;
}

/** One load in the page; resolves to what happened (never throws). */
function loadIn(page: Page, a: Attempt) {
  return page.evaluate(async (a) => {
    const { load, tf } = window.webnets;
    const id = a.id ?? 'efficientnet-b0';
    const tensors = () => tf.engine().state.numTensors;
    const cached = async () => Object.keys(await tf.io.listModels());
    const before = tensors();
    const progress: [number, number][] = [];
    const controller = new AbortController();
    const started = performance.now();
    try {
      const model = await load(id, {
        ...(a.weightsUrl
          ? { weightsUrl: a.weightsUrl }
          : { pretrained: true, checkpoints: { [id]: { url: a.url, sha256: a.sha256 } } }),
        backend: 'wasm',
        signal: controller.signal,
        ...(a.worker ? { worker: true } : {}),
        ...(a.stallTimeout !== undefined ? { stallTimeout: a.stallTimeout } : {}),
        onProgress: ({ loaded, total }) => {
          progress.push([loaded, total]);
          if (a.abortAfterBytes && loaded >= a.abortAfterBytes) controller.abort();
        },
      });
      if (a.worker) await tf.setBackend('cpu'); // the page's own tf, for the input
      const pixels = tf.tidy(() =>
        tf.cast(tf.mul(tf.randomUniform([230, 250, 3], 0, 1, 'float32', 5), 255), 'int32'),
      );
      const logits = Array.from(await model.predict(pixels as Webnets.tf.Tensor3D));
      pixels.dispose();
      const source = model.info.source;
      model.dispose();
      return {
        ok: true as const,
        logits,
        source,
        progress,
        ms: performance.now() - started,
        leaked: tensors() - before,
        cached: await cached(),
      };
    } catch (err) {
      return {
        ok: false as const,
        error: (err as Error).message,
        leaked: tensors() - before,
        cached: await cached(),
      };
    }
  }, a);
}

const pretrainedKeys = (cached: string[]) => cached.filter((k) => k.includes('/pretrained/'));

test('downloads, verifies, converts in a worker and caches; the second load is offline; logits equal the CLI pack', async ({
  page,
}) => {
  test.setTimeout(300_000);
  await open(page);
  const url = `${mirror.url}${b0Path}`;
  const cachedAs = (dtype?: string, cache?: boolean) =>
    page.evaluate(
      ([url, sha256, dtype, cache]) =>
        window.webnets.isCached('efficientnet-b0', {
          pretrained: true,
          checkpoints: { 'efficientnet-b0': { url: url!, sha256: sha256! } },
          ...(dtype ? { dtype: dtype as 'int8' } : {}),
          ...(cache !== undefined ? { cache } : {}),
        }),
      [url, sha.get(b0Path), dtype, cache] as const,
    );
  expect(await cachedAs(), 'isCached before the first load').toBe(false);
  const first = await loadIn(page, { url, sha256: sha.get(b0Path)! });
  if (!first.ok) throw new Error(first.error);
  expect(await cachedAs(), 'isCached after the first load').toBe(true);
  expect(await cachedAs('int8'), 'isCached as another dtype').toBe(false);
  expect(await cachedAs(undefined, false), 'isCached with cache: false').toBe(false);
  await expect(cachedAs('float64')).rejects.toThrow(
    `load('efficientnet-b0'): dtype "float64": expected one of float32, float16, int8`,
  );
  const requests = mirror.requests.length;
  expect(first.leaked).toBe(0);
  expect(first.source).toMatchObject({
    url,
    sha256: sha.get(b0Path),
    format: 'torch-zip',
    naming: 'torchvision',
  });
  expect(first.progress.at(-1)).toEqual([files.get(b0Path)!.length, files.get(b0Path)!.length]);
  expect(pretrainedKeys(first.cached)).toEqual([
    `indexeddb://webnets/pretrained/efficientnet-b0/${sha.get(b0Path)}-float32`,
  ]);
  expect(mirror.requests.filter((r) => r === b0Path)).toHaveLength(1);
  expect(mirror.requests.length, 'isCached makes no request').toBe(requests);

  const cli = await loadIn(page, {
    url: '',
    sha256: '',
    weightsUrl: `${mirror.url}/cli-pack/model.json`,
  });
  if (!cli.ok) throw new Error(cli.error);
  expect(first.logits).toEqual(cli.logits);

  await mirror.close(); // offline: only the cache can answer
  try {
    const second = await loadIn(page, { url, sha256: sha.get(b0Path)! });
    if (!second.ok) throw new Error(second.error);
    expect(second.logits).toEqual(first.logits);
  } finally {
    mirror = await startMirror(files, { port: Number(new URL(mirror.url).port) });
  }
});

test('timm safetensors in worker mode, and a torch legacy file', async ({ page }) => {
  test.setTimeout(300_000);
  await open(page);
  const timm = await loadIn(page, {
    url: `${mirror.url}${timmPath}`,
    sha256: sha.get(timmPath)!,
    worker: true,
  });
  if (!timm.ok) throw new Error(timm.error);
  expect(timm.source).toMatchObject({ format: 'safetensors', naming: 'timm' });
  const legacy = await loadIn(page, {
    id: 'regnetx-400mf',
    url: `${mirror.url}${rxPath}`,
    sha256: sha.get(rxPath)!,
  });
  if (!legacy.ok) throw new Error(legacy.error);
  expect(legacy.source).toMatchObject({ format: 'torch-legacy', naming: 'torchvision' });
  expect(pretrainedKeys(legacy.cached)).toContain(
    `indexeddb://webnets/pretrained/regnetx-400mf/${sha.get(rxPath)}-float32`,
  );
});

test('each bad download or file is named and leaves no cache entry, no tensor', async ({
  page,
}) => {
  test.setTimeout(300_000);
  await open(page);
  const good = sha.get(b0Path)!;
  const cases: [string, Attempt, RegExp][] = [
    [
      'a wrong hash',
      { url: `${mirror.url}${b0Path}`, sha256: sha.get(rxPath)! },
      /efficientnet_b0_rwightman-3dd342df\.pth: sha256 [0-9a-f]{64} does not match the [0-9a-f]{64}/,
    ],
    [
      'a truncated download',
      { url: `${mirror.url}/truncate${b0Path}`, sha256: good },
      /truncate\/torchvision\/efficientnet_b0_rwightman-3dd342df\.pth: (download failed after \d+ bytes|received \d+ of)/,
    ],
    [
      'a stalled server',
      { url: `${mirror.url}/stall${b0Path}`, sha256: good, stallTimeout: 500 },
      /stall\/torchvision\/efficientnet_b0_rwightman-3dd342df\.pth: no data for 0\.5 s/,
    ],
    [
      'an abort',
      { url: `${mirror.url}${b0Path}`, sha256: good, abortAfterBytes: 1 },
      // load() rejects with the signal's AbortError, as for packs (e2e/weights.spec.ts).
      /aborted/,
    ],
    ['a 404', { url: `${mirror.url}/nowhere.pth`, sha256: good }, /nowhere\.pth: HTTP 404/],
    [
      'a server without CORS headers',
      { url: `${noCors.url}${b0Path}`, sha256: good },
      /efficientnet_b0_rwightman-3dd342df\.pth: the server answered without CORS headers \(Access-Control-Allow-Origin\).*Ways out: .*baseUrl.*`npx webnets fetch-weights <id>` .*weightsUrl/,
    ],
    [
      'a checkpoint of another architecture',
      { url: `${mirror.url}${rxPath}`, sha256: sha.get(rxPath)! },
      /regnet_x_400mf-62229a5f\.pth: regnet_x_400mf-62229a5f\.pth: cannot tell which efficientnet naming the state dict uses/,
    ],
  ];
  for (const [what, attempt, message] of cases) {
    const result = await loadIn(page, attempt);
    expect(result.ok, what).toBe(false);
    if (result.ok) continue;
    expect(result.error, what).toMatch(message);
    expect(result.leaked, what).toBe(0);
    expect(pretrainedKeys(result.cached), what).toEqual([]);
  }
});

/**
 * Makes the next conversion worker die without an `error` event, once it has the job:
 * `terminate` ends it from the page right after posting the job; `close` runs it behind a
 * module that silences it and has it close itself when the job arrives (Chromium may still
 * run the task at hand: its messages are swallowed, as a hung worker's would never come).
 * `null` leaves workers alone.
 */
function dyingConversionWorkers(): void {
  const w = window as unknown as { convertWorkerFate: 'terminate' | 'close' | null };
  w.convertWorkerFate = null;
  const Native = window.Worker;
  window.Worker = class extends Native {
    constructor(url: string | URL, options?: WorkerOptions) {
      const href = new URL(url, location.href).href;
      const fate = href.includes('webnets-convert') ? w.convertWorkerFate : null;
      if (fate === 'close') {
        const source = `import ${JSON.stringify(href)};
self.postMessage = () => {};
self.addEventListener('message', () => self.close());`;
        super(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })), options);
        return;
      }
      super(url, options);
      if (fate === 'terminate') {
        const post = this.postMessage.bind(this) as (m: unknown, t: Transferable[]) => void;
        this.postMessage = ((message: unknown, transfer: Transferable[]) => {
          post(message, transfer);
          this.terminate();
        }) as Worker['postMessage'];
      }
    }
  };
}

test('a conversion worker that dies silently fails the load naming the id and URL, caches nothing; the next load works', async ({
  page,
}) => {
  test.setTimeout(300_000);
  await page.addInitScript(dyingConversionWorkers);
  await open(page);
  const url = `${mirror.url}${b0Path}`;
  for (const fate of ['terminate', 'close'] as const) {
    await page.evaluate((fate) => {
      (window as unknown as { convertWorkerFate: string }).convertWorkerFate = fate;
    }, fate);
    const result = await loadIn(page, { url, sha256: sha.get(b0Path)!, stallTimeout: 3000 });
    expect(result.ok, fate).toBe(false);
    if (result.ok) continue;
    // (load prefixes the step that failed: 'building the network on wasm failed: ')
    expect(result.error, fate).toContain(
      `${url}: the conversion worker stopped answering while converting efficientnet_b0_rwightman-3dd342df.pth for load('efficientnet-b0'): no word from it for 3 s (ended from outside, crashed or out of memory); nothing was cached, and the next load starts a new worker`,
    );
    expect(result.leaked, fate).toBe(0);
    expect(pretrainedKeys(result.cached), fate).toEqual([]);
  }
  await page.evaluate(() => {
    (window as unknown as { convertWorkerFate: null }).convertWorkerFate = null;
  });
  const next = await loadIn(page, { url, sha256: sha.get(b0Path)!, stallTimeout: 3000 });
  if (!next.ok) throw new Error(next.error);
  expect(pretrainedKeys(next.cached)).toEqual([
    `indexeddb://webnets/pretrained/efficientnet-b0/${sha.get(b0Path)}-float32`,
  ]);
});

test("the camera demo's download button fetches, converts and runs a published checkpoint", async ({
  page,
}) => {
  test.setTimeout(300_000);
  // The FD-MobileNet authors' 0.5× checkpoint (../shared), at its publisher's path on a mirror;
  // no prepared packs, so the demo starts on synthetic weights.
  const shared = join(import.meta.dirname, '../../shared');
  const file = '/fd-mobilenet/0.5x-FDMobileNet-224.pth.tar';
  const published = await startMirror(
    new Map([[file, new Uint8Array(readFileSync(join(shared, 'weights', file)))]]),
  );
  try {
    await page.route('**/packs/index.json', (route) => route.fulfill({ status: 404 }));
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(
      `/demo/?backend=wasm&threads=1&checkpoints=${encodeURIComponent(published.url)}`,
    );
    await expect(page.locator('#model')).toHaveValue('fd-mobilenet-0.5x');
    await expect(page.locator('#model-status')).toContainText('synthetic weights');
    const button = page.locator('#download-pretrained');
    await expect(button).toHaveText(/^Download pretrained weights \(≈ \d+(\.\d+)? MiB\)$/);
    await button.click();
    await expect(page.locator('#model-status')).toContainText('pretrained weights', {
      timeout: 120_000,
    });
    await expect(page.locator('#weights-note')).toBeHidden();
    expect(published.requests).toEqual([file]);
    await page.locator('#file').setInputFiles(join(shared, 'images/chelsea.png'));
    await expect(page.locator('#predictions li .label').first()).toHaveText('Egyptian cat');
    expect(errors).toEqual([]);
    // A reload finds the converted pack in the cache: pretrained at once, no download.
    await page.reload();
    await expect(page.locator('#model-status')).toContainText('pretrained weights', {
      timeout: 60_000,
    });
    await expect(page.locator('#download-pretrained')).toHaveCount(0);
    expect(published.requests).toEqual([file]);
    expect(errors).toEqual([]);
  } finally {
    await published.close();
  }
});

test("the latency page's download converts a checkpoint, and its runs measure the cached weights", async ({
  page,
}) => {
  test.setTimeout(300_000);
  // No prepared packs: every model starts on synthetic weights. The seeded EfficientNet-B0
  // checkpoint is given as a checkpoint of one's own (its hash is not the published one).
  await page.route('**/packs/index.json', (route) => route.fulfill({ status: 404 }));
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const own = `efficientnet-b0:${sha.get(b0Path)}:${mirror.url}${b0Path}`;
  const gets = () => mirror.requests.filter((r) => r === b0Path).length;
  const before = gets();
  await page.goto(
    `/demo/latency.html?models=efficientnet-b0&configs=wasm-1&warmup=1&runs=2&checkpoint=${encodeURIComponent(own)}`,
  );
  const row = page.locator('#models label.check', {
    has: page.locator('input[value="efficientnet-b0"]'),
  });
  await expect(row.locator('.badge')).toHaveText('synthetic');
  const offer = row.locator('button.download-pretrained');
  await expect(offer).toHaveText('Download pretrained weights (≈ 20.2 MiB)');
  await offer.click();
  await expect(row.locator('.inline-download progress')).toBeVisible();
  await expect(row.locator('.inline-download')).toContainText(
    /Downloading EfficientNet-B0|Converting EfficientNet-B0's checkpoint…/,
  );
  await expect(row.locator('.badge')).toHaveText('pretrained', { timeout: 120_000 });
  await expect(row.locator('.inline-download, button.download-pretrained')).toHaveCount(0);
  expect(gets() - before).toBe(1);

  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.locator('#run-status')).toHaveText(/^Done: 1 of 1 measurements\./, {
    timeout: 150_000,
  });
  const result = page.locator('#results tbody tr[data-model="efficientnet-b0"]');
  await expect(result.locator('.badge')).toHaveText('pretrained');
  await expect(result.locator('[data-column="median"]')).toHaveText(/^\d+(\.\d+)? ms$/);
  // The runner page read the converted pack from IndexedDB: no second download.
  expect(gets() - before).toBe(1);
  await expect(page.locator('#run-errors')).toBeHidden();
  expect(errors).toEqual([]);
  // A reload remembers the download (the SDK's cache has the pack): no offer, no request.
  await page.reload();
  await expect(row.locator('.badge')).toHaveText('pretrained');
  await expect(row.locator('button.download-pretrained')).toHaveCount(0);
  expect(gets() - before).toBe(1);
  expect(errors).toEqual([]);
});
