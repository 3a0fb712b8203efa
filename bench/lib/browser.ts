/**
 * The benchmark pages' server and browser: Vite serving the repository (cross-origin
 * isolated, the mounts of vite.config.ts) and headless Chromium through Playwright.
 */
import { join } from 'node:path';
import { chromium, type Browser } from '@playwright/test';
import { createServer, type ViteDevServer } from 'vite';
import { chromiumArgs, chromiumPath } from '../../playwright.config';
import { root } from './paths';

/** Vite serving the repository's pages (bench/<tool>/page.html) on localhost:`port`, listening. */
export async function startServer(port: number): Promise<ViteDevServer> {
  const server = await createServer({
    configFile: join(root, 'vite.config.ts'),
    // No file watching, no HMR: an edit in the repository during a run would reload the
    // page under the benchmark, which then waits out --timeout for an answer that never comes.
    server: { port, strictPort: true, host: 'localhost', hmr: false, watch: null },
    logLevel: 'warn',
    clearScreen: false,
    // Pre-bundle tfjs at start: bench/ort/forward.ts and bench/ab's page import it through the
    // sources, and a dependency Vite discovered mid-run would reload the page under the benchmark.
    optimizeDeps: {
      include: [
        '@tensorflow/tfjs-core',
        '@tensorflow/tfjs-backend-cpu',
        '@tensorflow/tfjs-backend-wasm',
        '@tensorflow/tfjs-backend-webgpu',
      ],
    },
  });
  await server.listen();
  return server;
}

/**
 * Runs `use` with Vite serving the repository on localhost:`port` and a headless Chromium
 * (/usr/bin/chromium or $WEBNETS_CHROMIUM); closes both after, however `use` ends.
 */
export async function withChromium<T>(
  port: number,
  use: (browser: Browser, base: string) => Promise<T>,
): Promise<T> {
  const server = await startServer(port);
  try {
    const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
    try {
      return await use(browser, `http://localhost:${port}`);
    } finally {
      await browser.close().catch(() => undefined);
    }
  } finally {
    await server.close();
  }
}
