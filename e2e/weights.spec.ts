/**
 * Pack loading in a real browser: byte-level progress, the IndexedDB cache (a second load
 * makes no network request), an int8 pack decoded in the page, and broken packs — mutated
 * model.json files, missing, tampered, truncated or overlong shards, servers that stall,
 * a pack for another model, an abort — each rejected naming the URL and the entry, with
 * nothing cached and no tensors left behind, and the next good load working.
 */
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { expect, test } from '@playwright/test';
import type * as Webnets from '../src/index';
import type { PackManifest } from '../src/weights/pack';

const pack = '/packs/fd-mobilenet-0.5x';
const shard = `${pack}/group1-shard1of1.bin`;

declare global {
  interface Window {
    webnets: {
      isCached: typeof Webnets.isCached;
      load: typeof Webnets.load;
      tf: typeof Webnets.tf;
    };
  }
}

async function open(page: Page): Promise<string[]> {
  const requests: string[] = [];
  page.on('request', (r) => {
    const path = new URL(r.url()).pathname;
    if (path.startsWith('/packs/')) requests.push(path);
  });
  await page.goto('/e2e/pages/weights.html');
  await expect(page).toHaveTitle('ready');
  return requests;
}

interface LoadIn {
  abortAfterBytes?: number;
  stallTimeout?: number;
}

/** Loads in the page; resolves to what happened, never throws. */
function loadIn(page: Page, id: string, url: string, opts: LoadIn = {}) {
  return page.evaluate(
    async ({ id, url, opts }) => {
      const { load, tf } = window.webnets;
      // The engine's count (tf.memory() would need a backend, and load() starts it).
      const tensors = () => tf.engine().state.numTensors;
      const cached = async () => Object.keys(await tf.io.listModels());
      const before = tensors();
      const progress: [number, number][] = [];
      const controller = new AbortController();
      try {
        const model = await load(id, {
          weightsUrl: url,
          backend: 'wasm',
          signal: controller.signal,
          ...(opts.stallTimeout !== undefined ? { stallTimeout: opts.stallTimeout } : {}),
          onProgress: ({ loaded, total }) => {
            progress.push([loaded, total]);
            if (opts.abortAfterBytes && loaded >= opts.abortAfterBytes) controller.abort();
          },
        });
        const pixels = tf.zeros<Webnets.tf.Rank.R3>([224, 224, 3], 'int32');
        const logits = await model.predict(pixels);
        pixels.dispose();
        model.dispose();
        return {
          ok: true as const,
          progress,
          logits: logits.length,
          leaked: tensors() - before,
          cached: await cached(),
        };
      } catch (err) {
        return {
          ok: false as const,
          error: (err as Error).message,
          progress,
          leaked: tensors() - before,
          cached: await cached(),
        };
      }
    },
    { id, url, opts },
  );
}

test('reports byte progress, then serves the second load from IndexedDB with no request', async ({
  page,
}) => {
  const requests = await open(page);
  // isCached resolves a relative URL as load does, and lists the cache without reading it.
  const cached = (url: string) =>
    page.evaluate((url) => window.webnets.isCached('fd-mobilenet-0.5x', { weightsUrl: url }), url);
  expect(await cached(`${pack}/model.json`)).toBe(false);
  const first = await loadIn(page, 'fd-mobilenet-0.5x', `${pack}/model.json`);
  expect(first).toMatchObject({ ok: true, logits: 1000, leaked: 0 });
  expect(await cached(`${pack}/model.json`)).toBe(true);
  expect(await cached(`../..${pack}/model.json`), 'the same pack by a relative URL').toBe(true);
  expect(await cached('/packs/fd-mobilenet-0.25x/model.json'), 'another pack').toBe(false);
  const total = first.progress.at(-1)![1];
  expect(first.progress[0]).toEqual([0, total]);
  expect(first.progress.at(-1)).toEqual([total, total]);
  first.progress.forEach(
    ([loaded], i) => i && expect(loaded).toBeGreaterThanOrEqual(first.progress[i - 1]![0]),
  );
  expect(requests).toEqual([`${pack}/model.json`, shard]);

  requests.length = 0;
  const second = await loadIn(page, 'fd-mobilenet-0.5x', `${pack}/model.json`);
  expect(second).toMatchObject({ ok: true, logits: 1000, leaked: 0 });
  expect(requests).toEqual([]);
});

test('a tampered shard is refused by name and never cached; the next good load works', async ({
  page,
}) => {
  const requests = await open(page);
  await page.route(`**${shard}`, async (route) => {
    const response = await route.fetch();
    const body = await response.body();
    body[1000] = body[1000]! ^ 0xff;
    await route.fulfill({ response, body });
  });
  const bad = await loadIn(page, 'fd-mobilenet-0.5x', `${pack}/model.json`);
  expect(bad.ok).toBe(false);
  expect(bad).toMatchObject({ leaked: 0 });
  expect(bad.ok || bad.error).toMatch(/group1-shard1of1\.bin: sha256 [0-9a-f]{64} does not match/);

  await page.unroute(`**${shard}`);
  requests.length = 0;
  const good = await loadIn(page, 'fd-mobilenet-0.5x', `${pack}/model.json`);
  expect(good).toMatchObject({ ok: true, leaked: 0 });
  expect(requests).toContain(shard); // nothing bad was cached: it had to download
});

test('a truncated shard, a 404, a pack for another model and an abort are each named', async ({
  page,
}) => {
  await open(page);
  await page.route(`**${shard}`, async (route) => {
    const response = await route.fetch();
    await route.fulfill({ response, body: (await response.body()).subarray(0, 5000) });
  });
  const truncated = await loadIn(page, 'fd-mobilenet-0.5x', `${pack}/model.json`);
  expect(truncated.ok || truncated.error).toMatch(
    /group1-shard1of1\.bin: 5000 bytes, expected \d+ \(truncated/,
  );
  await page.unroute(`**${shard}`);

  const missing = await loadIn(page, 'fd-mobilenet-0.5x', '/packs/nowhere/model.json');
  expect(missing.ok || missing.error).toMatch(/nowhere\/model\.json: HTTP 404/);

  const other = await loadIn(page, 'fd-mobilenet-0.25x', `${pack}/model.json`);
  expect(other.ok || other.error).toMatch(
    /model\.json: the pack holds weights for 'fd-mobilenet-0\.5x', not 'fd-mobilenet-0\.25x'/,
  );

  await page.route(`**${shard}`, async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 500));
    await route.continue();
  });
  const aborted = await loadIn(page, 'fd-mobilenet-0.5x', `${pack}/model.json`, {
    abortAfterBytes: 1,
  });
  expect(aborted.ok || aborted.error).toMatch(/aborted/);
  for (const r of [truncated, missing, other, aborted])
    expect(r).toMatchObject({ ok: false, leaked: 0 });
});

/** The float32 0.5× pack's model.json, as global setup wrote it. */
function goodManifest(): PackManifest {
  return JSON.parse(readFileSync(`models${pack}/model.json`, 'utf8')) as PackManifest;
}

type Mutable = PackManifest & Record<string, unknown>;
const entry = (m: Mutable, name: string) =>
  m.weightsManifest[0]!.weights.find((e) => e.name === name)! as Record<string, unknown>;
const shardName = 'group1-shard1of1.bin';
const url = `${pack}/model.json`;

/** Each mutation of model.json and the error it must give, after `<model.json's URL>: ` or
 * (a shard's problem) `<the shard's URL>: `. */
const brokenManifests: [string, (m: Mutable) => void, RegExp][] = [
  [
    'a dtype whose bytes disagree with the shards',
    (m) => (entry(m, 'features.conv_0.weight').dtype = 'float16'),
    /weightsManifest group 0: its tensors' shapes and dtypes take \d+ bytes, its shards declare \d+/,
  ],
  [
    'an unknown dtype',
    (m) => (entry(m, 'features.conv_0.weight').dtype = 'bfloat8'),
    /tensor 'features\.conv_0\.weight': unknown dtype 'bfloat8'/,
  ],
  [
    'an int8 entry whose per-channel affine is on an axis the shape lacks',
    (m) => Object.assign(entry(m, 'features.pw_conv_0.weight'), { dtype: 'int8', channelAxis: 4 }),
    /tensor 'features\.pw_conv_0\.weight': int8 channelAxis 4 is not an axis of its shape \[1, 1, 16, 32\]/,
  ],
  [
    'a negative dimension',
    (m) => (entry(m, 'classifier.bias').shape = [-1000]),
    /tensor 'classifier\.bias': shape \[-1000\] is not a list of dimensions/,
  ],
  [
    'a 2³¹ dimension',
    (m) => (entry(m, 'classifier.weight').shape = [2 ** 31, 1000]),
    /tensor 'classifier\.weight': shape \[2147483648, 1000\] is not a list of dimensions/,
  ],
  [
    'a missing weight',
    (m) => m.weightsManifest[0]!.weights.splice(2, 1),
    /tensor 'features\.dw_conv_0\.weight' \[3, 3, 16, 1\] is missing/,
  ],
  [
    'an extra weight',
    (m) =>
      m.weightsManifest[0]!.weights.push({ name: 'head.weight', shape: [4], dtype: 'float32' }),
    /tensor 'head\.weight' is not a tensor of fd-mobilenet-0\.5x/,
  ],
  [
    'a spec for another architecture',
    (m) => (m.config = { alpha: 0.25, numClasses: 1000 }),
    /family 'fd-mobilenet' with config \{"alpha":0\.25,"numClasses":1000\} is not fd-mobilenet-0\.5x's/,
  ],
  [
    'a wrong hash',
    (m) => (m.shards[shardName]!.sha256 = 'ab'.repeat(32)),
    /^packs\/fd-mobilenet-0\.5x\/group1-shard1of1\.bin: sha256 [0-9a-f]{64} does not match the pack's (ab){32}/,
  ],
  [
    'a pack of the old format',
    (m) => (m.formatVersion = 1 as never),
    /pack format version 1; this webnets reads version 2: convert the checkpoint again/,
  ],
];

test('broken model.json files are each refused naming the URL and the entry; nothing cached; a good load follows', async ({
  page,
}) => {
  await open(page);
  for (const [what, mutate, message] of brokenManifests) {
    const manifest = goodManifest() as Mutable;
    mutate(manifest);
    await page.route(`**${url}`, (route) => route.fulfill({ json: manifest }));
    const result = await loadIn(page, 'fd-mobilenet-0.5x', url);
    await page.unroute(`**${url}`);
    expect(result, what).toMatchObject({ ok: false, leaked: 0, cached: [] });
    const at = message.source.startsWith('^')
      ? message.source.slice(1)
      : `packs/fd-mobilenet-0\\.5x/model\\.json: ${message.source}`;
    expect(result.ok || result.error, what).toMatch(new RegExp(`http://localhost:\\d+/${at}`));
  }
  const good = await loadIn(page, 'fd-mobilenet-0.5x', url);
  expect(good).toMatchObject({ ok: true, leaked: 0 });
  expect(good.ok && good.cached).toHaveLength(1);
});

test('missing and overlong shards and stalled servers are refused by URL; nothing cached; a good load follows', async ({
  page,
}) => {
  await open(page);
  const shard = readFileSync(`models${pack}/${shardName}`);
  // A server on another origin (CORS) that sends headers and 1000 bytes, then nothing;
  // or nothing at all.
  const stalls = createServer((req, res) => {
    if (req.url === '/headers-only.bin') return; // never answers
    res.writeHead(200, {
      'Content-Length': shard.length,
      'Access-Control-Allow-Origin': '*',
      'Cross-Origin-Resource-Policy': 'cross-origin',
    });
    res.write(shard.subarray(0, 1000));
  });
  await new Promise<void>((resolve) => stalls.listen(0, 'localhost', resolve));
  const stallBase = `http://localhost:${(stalls.address() as AddressInfo).port}`;
  try {
    const cases: [string, () => Promise<unknown>, LoadIn, RegExp][] = [
      [
        'a missing shard',
        () => page.route(`**${pack}/${shardName}`, (r) => r.fulfill({ status: 404, body: '' })),
        {},
        /group1-shard1of1\.bin: HTTP 404/,
      ],
      [
        'more bytes than declared',
        () =>
          page.route(`**${pack}/${shardName}`, (r) =>
            r.fulfill({ body: Buffer.concat([shard, Buffer.alloc(4096)]) }),
          ),
        {},
        /group1-shard1of1\.bin: the server sent more than \d+ bytes, the size model\.json declares/,
      ],
      ...(['partial.bin', 'headers-only.bin'] as const).map(
        (file): [string, () => Promise<unknown>, LoadIn, RegExp] => [
          `a server that stalls (${file})`,
          () => {
            const manifest = goodManifest();
            manifest.weightsManifest[0]!.paths = [`${stallBase}/${file}`];
            manifest.shards = { [`${stallBase}/${file}`]: manifest.shards[shardName]! };
            return page.route(`**${url}`, (r) => r.fulfill({ json: manifest }));
          },
          { stallTimeout: 1500 },
          new RegExp(
            `${file.replace('.', '\\.')}: no data for 1\\.5 s( after \\d+ bytes)? \\(stalled server; the stallTimeout option`,
          ),
        ],
      ),
    ];
    for (const [what, route, opts, message] of cases) {
      await route();
      const result = await loadIn(page, 'fd-mobilenet-0.5x', url, opts);
      await page.unrouteAll({ behavior: 'ignoreErrors' });
      expect(result, what).toMatchObject({ ok: false, leaked: 0, cached: [] });
      expect(result.ok || result.error, what).toMatch(message);
    }
  } finally {
    stalls.closeAllConnections();
    stalls.close();
  }
  const good = await loadIn(page, 'fd-mobilenet-0.5x', url);
  expect(good).toMatchObject({ ok: true, leaked: 0 });
});

test('an int8 pack decodes in the page and keeps the float32 top-1 of a photo; one with a misplaced affine is refused', async ({
  page,
}) => {
  const dir = mkdtempSync(join(tmpdir(), 'webnets-e2e-int8-'));
  try {
    // The CLI, as a user converts (dist/, built by npm test before the browser tests).
    execFileSync(process.execPath, [
      'bin/webnets.js',
      'convert',
      '../shared/weights/fd-mobilenet/0.25x-FDMobileNet-224.pth.tar',
      '--arch',
      'fd-mobilenet-0.25x',
      '--out',
      dir,
      '--dtype',
      'int8',
    ]);
    await page.route('**/int8-pack/*', (route) =>
      route.fulfill({
        body: readFileSync(join(dir, new URL(route.request().url()).pathname.split('/').pop()!)),
      }),
    );
    // The same pack with one weight's per-channel affine on another axis (64 channels'
    // scale and offset, not 128): its bytes no longer add up, and the load says so.
    const manifest = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as Mutable;
    expect(entry(manifest, 'features.pw_conv_5.weight')).toMatchObject({
      shape: [1, 1, 64, 128],
      dtype: 'int8',
      channelAxis: 3,
    });
    entry(manifest, 'features.pw_conv_5.weight').channelAxis = 2;
    await page.route('**/int8-bad-affine/*', (route) =>
      route.request().url().endsWith('/model.json')
        ? route.fulfill({ json: manifest })
        : route.fulfill({ body: readFileSync(join(dir, shardName)) }),
    );
    await open(page);
    const bad = await loadIn(page, 'fd-mobilenet-0.25x', '/int8-bad-affine/model.json');
    expect(bad).toMatchObject({ ok: false, leaked: 0, cached: [] });
    expect(bad.ok || bad.error).toMatch(
      /http:\/\/localhost:\d+\/int8-bad-affine\/model\.json: weightsManifest group 0: its tensors' shapes and dtypes take \d+ bytes, its shards declare \d+/,
    );
    const result = await page.evaluate(async () => {
      const { load } = window.webnets;
      const image = new Image();
      image.src = '/shared/images/chelsea.png';
      await image.decode();
      const top = async (url: string) => {
        const model = await load('fd-mobilenet-0.25x', { weightsUrl: url, backend: 'wasm' });
        const best = await model.classify(image, { topK: 1000 });
        model.dispose();
        return best;
      };
      const f32 = await top('/packs/fd-mobilenet-0.25x/model.json');
      const int8 = await top('/int8-pack/model.json');
      const p = new Map(int8.map((c) => [c.index, c.probability]));
      return {
        f32: f32[0]!.index,
        int8: int8[0]!.index,
        maxDeltaP: Math.max(...f32.map((c) => Math.abs(c.probability - p.get(c.index)!))),
      };
    });
    expect(result.f32).toBe(285); // Egyptian cat
    expect(result.int8).toBe(result.f32);
    expect(result.maxDeltaP).toBeLessThan(0.1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
