/**
 * Pack loading in a real browser: byte-level progress, the IndexedDB cache (a second load
 * makes no network request), and broken downloads — a tampered or truncated shard, a 404,
 * a pack for another model, an abort — each rejected naming the file, with nothing cached
 * and no tensors left behind.
 */
import type { Page } from '@playwright/test';
import { expect, test } from '@playwright/test';
import type * as Webnets from '../src/index';

const pack = '/packs/fd-mobilenet-0.5x';
const shard = `${pack}/group1-shard1of1.bin`;

declare global {
  interface Window {
    webnets: { load: typeof Webnets.load; tf: typeof Webnets.tf };
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

/** Loads in the page; resolves to what happened, never throws. */
function loadIn(page: Page, id: string, url: string, abortAfterBytes = 0) {
  return page.evaluate(
    async ({ id, url, abortAfterBytes }) => {
      const { load, tf } = window.webnets;
      // The engine's count (tf.memory() would need a backend, and load() starts it).
      const tensors = () => tf.engine().state.numTensors;
      const before = tensors();
      const progress: [number, number][] = [];
      const controller = new AbortController();
      try {
        const model = await load(id, {
          weightsUrl: url,
          backend: 'wasm',
          signal: controller.signal,
          onProgress: ({ loaded, total }) => {
            progress.push([loaded, total]);
            if (abortAfterBytes && loaded >= abortAfterBytes) controller.abort();
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
        };
      } catch (err) {
        return {
          ok: false as const,
          error: (err as Error).message,
          progress,
          leaked: tensors() - before,
        };
      }
    },
    { id, url, abortAfterBytes },
  );
}

test('reports byte progress, then serves the second load from IndexedDB with no request', async ({
  page,
}) => {
  const requests = await open(page);
  const first = await loadIn(page, 'fd-mobilenet-0.5x', `${pack}/model.json`);
  expect(first).toMatchObject({ ok: true, logits: 1000, leaked: 0 });
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
  const aborted = await loadIn(page, 'fd-mobilenet-0.5x', `${pack}/model.json`, 1);
  expect(aborted.ok || aborted.error).toMatch(/aborted/);
  for (const r of [truncated, missing, other, aborted])
    expect(r).toMatchObject({ ok: false, leaked: 0 });
});
