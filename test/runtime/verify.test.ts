import { afterEach, describe, expect, it, vi } from 'vitest';
import { remember } from '../../src/backend/memory';
import type { AdapterFacts, BackendFacts } from '../../src/backend/policy';
import {
  canaryError,
  canaryKey,
  canarySpec,
  canaryTolerance,
  checkWebGpu,
  runCanary,
} from '../../src/backend/verify';
import { blockConvs, convKind } from '../../src/models/spec';
import { openModel } from '../../src/runtime/open';
import { tf } from '../../src/tf';
import { tinyInfo, tinyNetwork } from './tiny-network';

const adapter = (vendor: string): AdapterFacts => ({
  vendor,
  architecture: 'ampere',
  device: '',
  description: '',
  isFallbackAdapter: false,
});
const facts = (vendor: string): BackendFacts => ({
  webgpu: { status: 'ok', adapter: adapter(vendor) },
  platform: { os: 'linux', architecture: 'x86', mobile: false },
});
const build = () => Promise.resolve({ network: tinyNetwork(), info: tinyInfo });

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the WebGPU canary', () => {
  it('covers every conv kind and block kind the families use', () => {
    const convs = canarySpec.blocks.flatMap(blockConvs);
    expect(new Set(convs.map(convKind))).toEqual(new Set(['dense', 'depthwise', 'grouped']));
    expect(new Set(canarySpec.blocks.map((b) => b.kind))).toEqual(
      new Set(['conv', 'dwsep', 'mbconv', 'bottleneck']),
    );
    expect(canarySpec.blocks.some((b) => 'se' in b && b.se !== undefined)).toBe(true);
  });

  it('gives the same outputs on WASM (webnets kernels) as on the CPU, run after run, far inside the tolerance', async () => {
    await tf.setBackend('cpu');
    const before = tf.memory().numTensors;
    const [cpu] = await runCanary('cpu', 1);
    const wasm = await runCanary('wasm', 2);
    expect(cpu!.length).toBe(10 + 96 + 10);
    // predict's logits (the fused head on WebGPU) are forward's logits.
    const [forwardLogits, predictLogits] = [cpu!.subarray(0, 10), cpu!.subarray(106)];
    for (let i = 0; i < 10; i++) expect(predictLogits[i]).toBeCloseTo(forwardLogits[i]!, 5);
    // Not a degenerate network: its outputs vary and are not all zero.
    expect(Math.max(...cpu!.map(Math.abs))).toBeGreaterThan(0.1);
    for (const run of wasm) expect(canaryError(cpu!, run)).toBeLessThan(canaryTolerance / 100);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('measures a perturbation relative to the largest value; non-finite values fail outright', () => {
    const reference = Float32Array.from([4, -2, 1, 0]);
    expect(canaryError(reference, reference)).toBe(0);
    expect(canaryError(reference, Float32Array.from([4, -2, 1.04, 0]))).toBeCloseTo(0.01, 6);
    expect(canaryError(reference, Float32Array.from([4, -2, NaN, 0]))).toBe(Infinity);
    expect(canaryError(reference, Float32Array.from([4, -2, 1]))).toBe(Infinity);
    // Small outputs: differences are absolute (scale at least 1).
    expect(canaryError(Float32Array.from([0.01]), Float32Array.from([0.02]))).toBeCloseTo(0.01, 6);
  });

  it('keys a verdict by the adapter, the webnets version and the browser', () => {
    const key = canaryKey(adapter('nvidia'));
    expect(key).toMatch(/^webnets\.webgpu-canary\.v1\|nvidia\|ampere\|\|\|webnets \d+\.\d+\.\d+\|/);
    expect(canaryKey(adapter('amd'))).not.toBe(key);
  });

  it('uses a remembered verdict without opening WebGPU; without one, WebGPU must start (no WebGPU in Node)', async () => {
    const verdict = {
      passed: false,
      error: 0.02,
      tolerance: canaryTolerance,
      at: '2026-12-01T00:00:00Z',
    };
    remember(canaryKey(adapter('vendor-a')), verdict);
    expect(await checkWebGpu(adapter('vendor-a'))).toEqual({
      passed: false,
      ran: false,
      reason:
        "canary check failed: WebGPU on vendor-a ampere gave wrong results on a canary network, error 2.0e-2 > 0.001 (largest difference from the CPU's, relative to the largest value) (checked on this device 2026-12-01)",
    });
    await expect(checkWebGpu(adapter('vendor-b'))).rejects.toThrow(
      'no WebGPU (navigator.gpu is missing)',
    );
  });

  it("'auto' falls back to WASM on a device whose verdict failed, saying why, without trying WebGPU", async () => {
    remember(canaryKey(adapter('vendor-c')), {
      passed: false,
      error: null,
      tolerance: canaryTolerance,
      at: '2026-12-02T00:00:00Z',
    });
    const model = await openModel('tiny', build, {
      backend: 'auto',
      probe: () => Promise.resolve(facts('vendor-c')),
    });
    expect(model.backend).toBe('wasm');
    expect(model.backendReason).toMatch(
      /^wasm(-simd)? \(1 thread\): fell back from WebGPU: canary check failed: WebGPU on vendor-c ampere gave wrong results on a canary network, error non-finite values > 0\.001 .*\(checked on this device 2026-12-02\)$/,
    );
    model.dispose();
    // Asked not to verify, 'auto' tries WebGPU (absent in Node) and says that instead.
    const unverified = await openModel('tiny', build, {
      backend: 'auto',
      verifyWebGPU: false,
      probe: () => Promise.resolve(facts('vendor-c')),
    });
    expect(unverified.backendReason).toMatch(/fell back from WebGPU: webgpu setup failed/);
    unverified.dispose();
  });

  it('refuses a verifyWebGPU that is not a boolean', async () => {
    await expect(
      openModel('tiny', build, { backend: 'wasm', verifyWebGPU: 'yes' as unknown as boolean }),
    ).rejects.toThrow('verifyWebGPU: expected true or false, got "yes"');
  });
});
