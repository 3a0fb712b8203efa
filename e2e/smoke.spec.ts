import { expect, test } from '@playwright/test';
import type * as Webnets from '../src/index';

test('dist/webnets.js loads from a plain module script, cross-origin isolated, and runs on every backend', async ({
  page,
}) => {
  await page.goto('/e2e/pages/smoke.html');
  await expect(page.locator('#out')).toHaveText(/webnets \d+\.\d+\.\d+/);
  const result = await page.evaluate(async () => {
    const { load, tf } = (window as unknown as { webnets: typeof Webnets }).webnets;
    const out: Record<string, { backend: string; logits: number; finite: boolean }> = {};
    for (const backend of ['cpu', 'wasm', 'webgpu'] as const) {
      const model = await load('fd-mobilenet-0.25x', { synthetic: true, backend });
      const pixels = tf.fill<typeof tf.Rank.R3>([64, 80, 3], 128, 'int32');
      const logits = await model.predict(pixels);
      pixels.dispose();
      out[backend] = {
        backend: model.backend,
        logits: logits.length,
        finite: logits.every(Number.isFinite),
      };
      model.dispose();
    }
    return { out, isolated: crossOriginIsolated, gpu: 'gpu' in navigator };
  });
  expect(result.isolated).toBe(true);
  expect(result.gpu).toBe(true);
  for (const backend of ['cpu', 'wasm', 'webgpu']) {
    expect(result.out[backend]).toEqual({ backend, logits: 1000, finite: true });
  }
});
