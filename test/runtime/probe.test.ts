import { afterEach, describe, expect, it, vi } from 'vitest';
import { platformFromUserAgent, probeFacts, probeWebGpu } from '../../src/backend/probe';
import { missingCapabilities } from '../../src/backend/webgpu';
import { selectBackend } from '../../src/backend/select';

afterEach(() => {
  vi.unstubAllGlobals();
});

function fakeGpu(adapter: unknown): { requestAdapter: () => Promise<unknown> } {
  return { requestAdapter: () => Promise.resolve(adapter) };
}

describe('probing the page', () => {
  it('reads OS and architecture from user-agent strings', () => {
    const pixel =
      'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36';
    expect(platformFromUserAgent(pixel)).toEqual({
      os: 'android',
      architecture: 'arm',
      mobile: true,
    });
    const pi =
      'Mozilla/5.0 (X11; Linux aarch64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';
    expect(platformFromUserAgent(pi)).toEqual({ os: 'linux', architecture: 'arm', mobile: false });
    const win =
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0';
    expect(platformFromUserAgent(win)).toEqual({
      os: 'windows',
      architecture: 'x86',
      mobile: false,
    });
    const iphone =
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148';
    expect(platformFromUserAgent(iphone)).toEqual({ os: 'ios', architecture: 'arm', mobile: true });
    // A Mac does not say which CPU it has: unknown, left to the adapter's info.
    const mac = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 Chrome/126.0';
    expect(platformFromUserAgent(mac)).toEqual({ os: 'macos', architecture: '', mobile: false });
  });

  it('finds no WebGPU in Node', async () => {
    expect(await probeWebGpu()).toEqual({ status: 'missing' });
    const choice = await selectBackend();
    expect(choice).toMatchObject({
      backend: 'wasm',
      rule: 'no-webgpu',
      reason: 'no WebGPU (navigator.gpu is missing)',
    });
  });

  it('reports a null adapter, a rejected request and a failing device', async () => {
    vi.stubGlobal('navigator', { gpu: fakeGpu(null) });
    expect(await probeWebGpu()).toEqual({ status: 'no-adapter' });
    vi.stubGlobal('navigator', {
      gpu: { requestAdapter: () => Promise.reject(new Error('GPU process crashed')) },
    });
    expect(await probeWebGpu()).toEqual({ status: 'no-adapter', error: 'GPU process crashed' });
    const info = { vendor: 'NVIDIA', architecture: 'Ampere', device: '', description: '' };
    vi.stubGlobal('navigator', {
      gpu: fakeGpu({
        info,
        requestDevice: () => Promise.reject(new Error('limits not supported')),
      }),
    });
    expect(await probeWebGpu()).toEqual({
      status: 'no-device',
      adapter: {
        vendor: 'nvidia',
        architecture: 'ampere',
        device: '',
        description: '',
        isFallbackAdapter: false,
      },
      error: 'limits not supported',
    });
  });

  it("reads the adapter's info (Chromium 156: isFallbackAdapter on neither adapter nor info) and frees the test device", async () => {
    const destroy = vi.fn();
    vi.stubGlobal('navigator', {
      gpu: fakeGpu({
        info: { vendor: 'google', architecture: 'swiftshader', device: '', description: '' },
        requestDevice: () => Promise.resolve({ destroy }),
      }),
    });
    const facts = await probeWebGpu();
    expect(facts).toEqual({
      status: 'ok',
      adapter: {
        vendor: 'google',
        architecture: 'swiftshader',
        device: '',
        description: '',
        isFallbackAdapter: false,
      },
    });
    expect(destroy).toHaveBeenCalledOnce();
    expect(await selectBackend()).toMatchObject({
      backend: 'wasm',
      reason: 'software WebGPU adapter (google swiftshader)',
    });
  });

  it("opens the device as tfjs' WebGPU backend does (its optional features, limits raised to the adapter's), with shader-f16 where the adapter has it", async () => {
    const requested: object[] = [];
    const limits = {
      maxComputeInvocationsPerWorkgroup: 1024,
      maxComputeWorkgroupSizeX: 1024,
      maxComputeWorkgroupStorageSize: 32768,
      maxStorageBuffersPerShaderStage: 10,
      maxStorageBufferBindingSize: 2 ** 30,
      maxBufferSize: 2 ** 31,
      maxComputeWorkgroupsPerDimension: 65535,
    };
    vi.stubGlobal('navigator', {
      gpu: fakeGpu({
        info: { vendor: 'nvidia', architecture: 'ampere' },
        features: new Set(['timestamp-query', 'shader-f16']),
        limits,
        requestDevice: (descriptor: object) => {
          requested.push(descriptor);
          return Promise.resolve({ destroy: () => undefined });
        },
      }),
    });
    expect(await probeWebGpu()).toMatchObject({ status: 'ok' });
    expect(requested).toEqual([
      {
        requiredFeatures: ['timestamp-query', 'shader-f16'],
        requiredLimits: {
          maxComputeWorkgroupStorageSize: 32768,
          maxComputeWorkgroupsPerDimension: 65535,
          maxStorageBufferBindingSize: 2 ** 30,
          maxBufferSize: 2 ** 31,
          maxComputeWorkgroupSizeX: 1024,
          maxComputeInvocationsPerWorkgroup: 1024,
        },
      },
    ]);
  });

  it('names the limits an adapter lacks (compatibility-mode sized) and opens no device', async () => {
    const requestDevice = vi.fn();
    vi.stubGlobal('navigator', {
      gpu: fakeGpu({
        info: { vendor: 'qualcomm', architecture: 'adreno-6xx' },
        features: new Set(),
        limits: { maxComputeInvocationsPerWorkgroup: 128, maxStorageBuffersPerShaderStage: 4 },
        requestDevice,
      }),
    });
    expect(await probeWebGpu()).toMatchObject({
      status: 'unsupported',
      missing: [
        'limit maxComputeInvocationsPerWorkgroup 128 < 256',
        'limit maxStorageBuffersPerShaderStage 4 < 8',
      ],
    });
    expect(requestDevice).not.toHaveBeenCalled();
    expect(
      missingCapabilities(
        { features: new Set(['timestamp-query']), limits: {} },
        { features: ['shader-f16'], limits: {} },
      ),
    ).toEqual(['feature shader-f16']);
  });

  it('says when navigator.gpu is missing because the page is not a secure context', async () => {
    vi.stubGlobal('navigator', {});
    vi.stubGlobal('isSecureContext', false);
    expect(await probeWebGpu()).toEqual({ status: 'missing', insecure: true });
  });

  it('takes isFallbackAdapter from the adapter (older) or its info (newer), and requestAdapterInfo() where info is absent', async () => {
    const device = { destroy: () => undefined };
    vi.stubGlobal('navigator', {
      gpu: fakeGpu({
        isFallbackAdapter: true,
        info: { vendor: 'x' },
        requestDevice: () => Promise.resolve(device),
      }),
    });
    expect(await probeWebGpu()).toMatchObject({ adapter: { isFallbackAdapter: true } });
    vi.stubGlobal('navigator', {
      gpu: fakeGpu({
        info: { vendor: 'x', isFallbackAdapter: true },
        requestDevice: () => Promise.resolve(device),
      }),
    });
    expect(await probeWebGpu()).toMatchObject({ adapter: { isFallbackAdapter: true } });
    vi.stubGlobal('navigator', {
      gpu: fakeGpu({
        requestAdapterInfo: () => Promise.resolve({ vendor: 'ARM', architecture: 'Valhall' }),
        requestDevice: () => Promise.resolve(device),
      }),
    });
    expect(await probeWebGpu()).toMatchObject({
      adapter: { vendor: 'arm', architecture: 'valhall' },
    });
  });

  it('prefers client hints for the platform, falling back to the UA string', async () => {
    vi.stubGlobal('navigator', {
      userAgent:
        'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36',
      userAgentData: {
        mobile: true,
        platform: 'Android',
        getHighEntropyValues: () => Promise.resolve({ architecture: 'arm' }),
      },
      gpu: fakeGpu({
        info: { vendor: '', architecture: '' },
        requestDevice: () => Promise.resolve({ destroy: () => undefined }),
      }),
    });
    const facts = await probeFacts();
    expect(facts.platform).toEqual({ os: 'android', architecture: 'arm', mobile: true });
    expect(await selectBackend()).toMatchObject({ backend: 'wasm', rule: 'arm-platform' });
  });

  it('resolves a named backend without probing, and refuses unknown names', async () => {
    expect(await selectBackend({ backend: 'webgpu' })).toEqual({
      backend: 'webgpu',
      reason: "requested (backend: 'webgpu')",
      rule: 'requested',
    });
    await expect(selectBackend({ backend: 'gpu' as 'webgpu' })).rejects.toThrow(
      /backend: expected 'auto', 'webgpu', 'wasm', 'cpu', got "gpu"/,
    );
  });
});
