import { describe, expect, it } from 'vitest';
import { parse } from '../../bench/ort/args';
import { countGpuCalls } from '../../bench/dawn/count';
import { importDawn, requestDawnAdapter, type DawnBinding } from '../../bench/dawn/gpu';
import { maxRelDiff, parseDawnArgs } from '../../bench/dawn/run';

/** A binding whose GPU answers requestAdapter with `adapter`, as Dawn does on a GPU-less machine. */
function binding(adapter: unknown): DawnBinding {
  return {
    create: () => ({ requestAdapter: () => Promise.resolve(adapter) }) as unknown as GPU,
    globals: {},
  };
}

describe('npm run bench -- --backends webgpu-dawn', () => {
  it('runs bench/dawn beside the Chromium pages, which it is not one of', () => {
    expect(parse(['--backends', 'webgpu-dawn'])).toMatchObject({ dawn: true, backends: [] });
    expect(parse(['--backends', 'wasm1,webgpu-dawn'])).toMatchObject({
      dawn: true,
      backends: ['wasm1'],
    });
    expect(parse(['--backends', 'wasm1'])?.dawn).toBe(false);
  });

  it('says how to install the Dawn binding when it is missing', async () => {
    const missing = Object.assign(new Error("Cannot find package 'webgpu'"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    await expect(importDawn(() => Promise.reject(missing))).rejects.toThrow(
      /needs Dawn's Node binding, which is not installed: run `npm install --no-save webgpu@0\.6\.2`/,
    );
    await expect(importDawn(() => Promise.resolve({ default: {} }))).rejects.toThrow(
      /not Dawn's Node binding/,
    );
  });

  it('fails clearly where Dawn finds no adapter (a machine without a GPU driver)', async () => {
    await expect(requestDawnAdapter(binding(null))).rejects.toThrow(
      /Dawn found no GPU adapter on this machine.*Vulkan on Linux.*--backends webgpu/s,
    );
    await expect(requestDawnAdapter(binding(null), { compatibility: true })).rejects.toThrow(
      /no OpenGL ES adapter for --dawn-compatibility.*EGL_PLATFORM=surfaceless/,
    );
  });

  it('describes the adapter it found', async () => {
    const adapter = {
      info: { vendor: 'nvidia', architecture: 'hopper', device: '', description: 'NVIDIA H200' },
      features: new Set(['timestamp-query', 'shader-f16']),
    };
    const found = await requestDawnAdapter(binding(adapter));
    expect(found).toMatchObject({
      description: 'NVIDIA H200',
      featureLevel: 'core',
      features: ['shader-f16', 'timestamp-query'],
    });
  });

  it('checks its own options, naming the value', () => {
    expect(parseDawnArgs([], '/r')).toMatchObject({ runs: 30, out: '/r/bench/results' });
    expect(() => parseDawnArgs(['--sides', 'webgpu,cuda'], '/r')).toThrow(/'cuda' is not a side/);
    expect(() => parseDawnArgs(['--models', 'resnet-50'], '/r')).toThrow(/resnet-50/);
    expect(() => parseDawnArgs(['--runs', '0'], '/r')).toThrow(/--runs is '0'/);
  });

  it('counts the GPU calls of an inference from the API', () => {
    class GPUComputePassEncoder {
      dispatchWorkgroups(): number {
        return 1;
      }
    }
    class GPUQueue {
      writeBuffer(): void {}
      submit(): void {}
    }
    class GPUBuffer {
      mapAsync(): Promise<void> {
        return Promise.resolve();
      }
    }
    class GPUDevice {
      createComputePipeline(): void {}
    }
    const counter = countGpuCalls({ GPUComputePassEncoder, GPUQueue, GPUBuffer, GPUDevice });
    const pass = new GPUComputePassEncoder();
    expect(pass.dispatchWorkgroups()).toBe(1); // still calls through
    pass.dispatchWorkgroups();
    new GPUQueue().writeBuffer();
    void new GPUBuffer().mapAsync();
    expect(counter.read()).toEqual({
      dispatches: 2,
      writeBuffers: 1,
      submits: 0,
      readbacks: 1,
      pipelines: 0,
    });
    counter.reset();
    expect(counter.read().dispatches).toBe(0);
    expect(() => countGpuCalls({})).toThrow(/no GPUComputePassEncoder/);
  });

  it('compares logits relative to the largest reference logit', () => {
    const ref = new Float32Array([1, -4, 2]);
    expect(maxRelDiff(new Float32Array([1, -4, 2]), ref)).toBe(0);
    expect(maxRelDiff(new Float32Array([1.4, -4, 2]), ref)).toBeCloseTo(0.1, 6);
  });
});
