import { defineConfig } from '@playwright/test';

/**
 * End-to-end tests run in the system Chromium (Playwright cannot download browsers
 * here). WebGPU needs a secure context, so pages are served from http://localhost by
 * Vite with cross-origin isolation headers (threaded WASM needs them).
 */
export const chromiumPath =
  process.env.WEBNETS_CHROMIUM ?? process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const chromiumArgs = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--enable-unsafe-webgpu',
];

const port = Number(process.env.WEBNETS_E2E_PORT ?? 5199);

export default defineConfig({
  testDir: 'e2e',
  outputDir: 'test-results/e2e',
  timeout: 180_000,
  expect: { timeout: 60_000 },
  workers: 1,
  retries: 0,
  reporter: [['list']],
  globalSetup: ['./e2e/global-setup.ts', './e2e/demo-setup.ts'],
  use: {
    baseURL: `http://localhost:${port}`,
    browserName: 'chromium',
    headless: true,
    launchOptions: { executablePath: chromiumPath, args: chromiumArgs },
    trace: 'retain-on-failure',
  },
  webServer: {
    command: `npx vite --port ${port} --strictPort`,
    url: `http://localhost:${port}/e2e/pages/smoke.html`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
