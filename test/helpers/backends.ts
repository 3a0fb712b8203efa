/**
 * The backends unit tests run networks on: tfjs's cpu, tfjs's wasm with its stock ops,
 * and wasm with webnets' custom kernels registered (what pages run). Kernels stay
 * registered once registered, so list 'wasm+kernels' after 'wasm' in a test file.
 */
import { registerKernels } from '../../src/kernels';
import { tf } from '../../src/tf';

export const TEST_BACKENDS = ['cpu', 'wasm', 'wasm+kernels'] as const;
export type TestBackend = (typeof TEST_BACKENDS)[number];

export async function useBackend(backend: TestBackend): Promise<void> {
  const name = backend === 'cpu' ? 'cpu' : 'wasm';
  if (!(await tf.setBackend(name))) throw new Error(`tfjs backend ${name} failed to initialize`);
  if (backend === 'wasm+kernels' && !(await registerKernels('wasm'))) {
    throw new Error(
      'webnets WASM kernels could not be registered (does this Node run WebAssembly SIMD?)',
    );
  }
}
