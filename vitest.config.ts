import { defineConfig } from 'vitest/config';

/** Unit tests run in Node on the cpu and wasm backends. */
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // tfjs keeps global state (backends, registries): one file per worker process.
    pool: 'forks',
    server: { deps: { external: [/@tensorflow/] } },
  },
});
