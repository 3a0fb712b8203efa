import { configDefaults, defineConfig, type ViteUserConfig } from 'vitest/config';

/** How every test file runs: in Node, one file per worker process. */
export const nodeTests: NonNullable<ViteUserConfig['test']> = {
  environment: 'node',
  testTimeout: 120_000,
  hookTimeout: 120_000,
  // tfjs keeps global state (backends, registries): one file per worker process.
  pool: 'forks',
  server: { deps: { external: [/@tensorflow/] } },
};

/**
 * Unit tests run in Node on the cpu and wasm backends. `*.dawn.test.ts` run WebGPU over Dawn's
 * Node binding and a Vulkan driver, which `npm test` does not need: `npm run test:dawn`
 * (vitest.dawn.config.ts).
 */
export default defineConfig({
  test: {
    ...nodeTests,
    include: ['test/**/*.test.ts'],
    exclude: [...configDefaults.exclude, 'test/**/*.dawn.test.ts'],
  },
});
