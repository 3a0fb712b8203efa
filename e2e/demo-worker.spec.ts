/**
 * The camera demo's "Run in a worker" switch, in real Chromium with the fake camera playing
 * chelsea.png: the model moves into a worker and back, keeps classifying, and the latency
 * table shows the page's frame time beside each model's inference latency.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect, test } from '@playwright/test';
import { fakeCameraVideo, launchWithFakeCamera } from './fake-camera';

const PACK = resolve(import.meta.dirname, '../models/packs/fd-mobilenet-0.5x/model.json');

test('camera demo: the worker switch runs the model in a worker and back, and shows the page frame time', async ({
  playwright,
}, testInfo) => {
  for (const needed of [fakeCameraVideo, PACK]) {
    if (!existsSync(needed)) {
      throw new Error(
        `${needed} is missing: e2e/global-setup.ts makes it (see its warnings above).`,
      );
    }
  }
  const browser = await launchWithFakeCamera(playwright);
  try {
    const page = await browser.newPage({
      baseURL: testInfo.project.use.baseURL,
      viewport: { width: 1280, height: 860 },
    });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const webnetsWorkers = () =>
      page.workers().filter((w) => w.url().includes('webnets-worker.js')).length;

    await page.goto('/demo/?backend=wasm&threads=1&worker=1');
    await expect(page.locator('#worker')).toBeChecked();
    await expect(page.locator('#model-status')).toContainText('pretrained weights');
    await expect(page.locator('#model-thread')).toHaveText(
      'Runs in a worker: the page keeps its frames while the model works.',
    );
    await expect(page.locator('#predictions li .label').first()).toHaveText('Egyptian cat');
    const current = page.locator('#latency tr[aria-current="true"]');
    await expect(current.locator('th')).toHaveText('FD-MobileNet 0.5× · wasm · worker');
    await expect(current.locator('td.median')).toHaveText(/^\d+(\.\d+)? ms$/);
    await expect(current.locator('td.frame')).toHaveText(/^\d+(\.\d+)? ms$/);
    expect(webnetsWorkers()).toBe(1);
    await page.screenshot({ path: testInfo.outputPath('camera-demo-worker.png'), fullPage: true });

    // Off: the model loads on the page's thread, the worker goes, the camera keeps running.
    await page.locator('#worker').uncheck();
    await expect(page.locator('#model-thread')).toHaveText(
      "Runs on the page's thread: each inference holds up the page's frames.",
    );
    await expect(current.locator('th')).toHaveText('FD-MobileNet 0.5× · wasm');
    await expect(current.locator('td.frame')).toHaveText(/^\d+(\.\d+)? ms$/);
    await expect(page.locator('#predictions li .label').first()).toHaveText('Egyptian cat');
    await expect.poll(webnetsWorkers).toBe(0);
    // Both rows stay in the table, each with its own frame time.
    await expect(page.locator('#latency tr')).toHaveCount(2);
    expect(errors).toEqual([]);
  } finally {
    await browser.close();
  }
});
