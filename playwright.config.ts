import { existsSync } from 'node:fs';
import { defineConfig } from '@playwright/test';

/**
 * End-to-end tests run in the system Chromium (Playwright cannot download browsers
 * here). WebGPU needs a secure context, so pages are served from http://localhost by
 * Vite with cross-origin isolation headers (threaded WASM needs them).
 */
export const defaultChromium = '/usr/bin/chromium';

/**
 * The Chromium the tests drive: the binary WEBNETS_CHROMIUM names, else Debian's
 * /usr/bin/chromium; `missing` says, naming both, why it cannot run (null when it exists).
 */
export function findChromium(
  env: Record<string, string | undefined> = process.env,
  exists: (path: string) => boolean = existsSync,
): { path: string; missing: string | null } {
  const named = env.WEBNETS_CHROMIUM ?? env.CHROMIUM_PATH;
  const path = named ?? defaultChromium;
  if (exists(path)) return { path, missing: null };
  const where = named
    ? `WEBNETS_CHROMIUM=${named}: no such file`
    : `no Chromium at ${defaultChromium}, and WEBNETS_CHROMIUM is not set`;
  return {
    path,
    missing: `${where}. The browser tests need a Chromium: install Debian's (apt-get install -y chromium) for ${defaultChromium}, or set WEBNETS_CHROMIUM to a Chromium binary.`,
  };
}

export const chromiumPath = findChromium().path;

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
  globalSetup: './e2e/global-setup.ts',
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
