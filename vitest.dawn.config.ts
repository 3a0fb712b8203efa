import { defineConfig } from 'vitest/config';
import { nodeTests } from './vitest.config';

/**
 * `npm run test:dawn`: the tests that run WebGPU in Node over Dawn's binding (npm webgpu) on a
 * Vulkan driver, Mesa's lavapipe where there is no GPU (tools/lavapipe.sh).
 */
export default defineConfig({ test: { ...nodeTests, include: ['test/**/*.dawn.test.ts'] } });
