import { expect, test } from '@playwright/test';
import type * as tfType from '@tensorflow/tfjs-core';

test('dist/webnets.js loads from a plain module script, cross-origin isolated, on every backend', async ({
  page,
}) => {
  await page.goto('/e2e/pages/smoke.html');
  await expect(page.locator('#out')).toHaveText(/webnets \d+\.\d+\.\d+/);
  const result = await page.evaluate(async () => {
    const { tf } = (window as unknown as { webnets: { tf: typeof tfType } }).webnets;
    const out: Record<string, number[]> = {};
    for (const backend of ['cpu', 'wasm', 'webgpu']) {
      await tf.setBackend(backend);
      await tf.ready();
      const y = tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]]));
      out[backend] = Array.from(await y.data());
    }
    return { out, isolated: crossOriginIsolated, gpu: 'gpu' in navigator };
  });
  expect(result.isolated).toBe(true);
  expect(result.gpu).toBe(true);
  expect(result.out).toEqual({ cpu: [11], wasm: [11], webgpu: [11] });
});
