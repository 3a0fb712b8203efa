import { expect, test } from '@playwright/test';
import type { Page } from '@playwright/test';
import type { KernelReport } from './pages/kernels-page';
import { serveTfjsWasm } from './runtime-fixtures';

/**
 * webnets' custom kernels (from the sources, served by Vite) in real Chromium: the WASM kernels on
 * tfjs' unshared SIMD build and on its threaded build (shared memory; the page is
 * cross-origin isolated), and the WGSL grouped conv on WebGPU (SwiftShader when headless:
 * correctness only). Each kernel is compared with the stock tfjs composition on the same
 * backend and with a float64 JS reference, within 1e-4 relative (see kernels-page.ts).
 */
async function runChecks(
  page: Page,
  url: string,
  backend: 'wasm' | 'webgpu',
): Promise<KernelReport> {
  await serveTfjsWasm(page);
  await page.goto(url);
  await expect(page.locator('#out')).toHaveText('ready');
  return page.evaluate((b) => window.kernelChecks.run(b), backend);
}

function expectAllClose(report: KernelReport): void {
  expect(report.registered, `kernels registered on ${report.backend}`).toBe(true);
  expect(report.checks.length).toBeGreaterThan(0);
  for (const c of report.checks) {
    expect(c.vsReference, `${report.backend} ${c.name} vs JS reference`).toBeLessThanOrEqual(1);
    expect(c.vsStock, `${report.backend} ${c.name} vs stock tfjs`).toBeLessThanOrEqual(1);
  }
}

test('WASM kernels on tfjs’ unshared SIMD build', async ({ page }) => {
  const report = await runChecks(page, '/e2e/pages/kernels.html?threads=0', 'wasm');
  expect(report.sharedMemory).toBe(false);
  expect(report.wasmVariant).toBe('relaxed-simd'); // Chromium has shipped relaxed SIMD since 114
  expectAllClose(report);
});

test('WASM kernels on tfjs’ threaded SIMD build (shared memory)', async ({ page }) => {
  const report = await runChecks(page, '/e2e/pages/kernels.html', 'wasm');
  expect(report.sharedMemory).toBe(true);
  expect(report.wasmVariant).toBe('threaded-relaxed-simd');
  expectAllClose(report);
});

test('WGSL grouped conv on WebGPU', async ({ page }) => {
  const report = await runChecks(page, '/e2e/pages/kernels.html', 'webgpu');
  expectAllClose(report);
});
