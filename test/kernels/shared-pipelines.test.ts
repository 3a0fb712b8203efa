import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { runSharedProgram } from '../../src/kernels/shared-pipelines';

/** A device that counts what it is asked to create; its methods on the prototype, as a GPUDevice's. */
class CountingDevice {
  modules: string[] = [];
  pipelines: unknown[] = [];
  /** The next async compile rejects. */
  failNext = false;
  createShaderModule(d: { code: string }): object {
    this.modules.push(d.code);
    return { code: d.code };
  }
  createComputePipeline(d: { compute: { module: object } }): object {
    const p = { module: d.compute.module };
    this.pipelines.push(p);
    return p;
  }
  createComputePipelineAsync(d: { compute: { module: object } }): Promise<object> {
    const p = this.failNext
      ? Promise.reject(new Error('compile failed'))
      : Promise.resolve({ module: d.compute.module });
    this.failNext = false;
    this.pipelines.push(p);
    return p;
  }
}

/**
 * What tfjs-backend-webgpu 4.22's runWebGPUProgram does that matters here: it keys the
 * pipeline by the program's shaderKey and the inputs' shapes, replaces program.shaderKey with
 * that key, and on a miss builds the WGSL (getters per shape) and compiles it, asynchronously
 * in compile-only mode.
 */
function fakeBackend(device: CountingDevice, compileOnly: () => boolean) {
  const pipelineCache: Record<string, unknown> = {};
  const backend = {
    device,
    pipelineCache,
    runWebGPUProgram(program: WebGPUProgram, inputs: TensorInfo[]): TensorInfo {
      const shapes = [...inputs.map((t) => t.shape), program.outputShape];
      program.shaderKey = `${program.shaderKey}_${JSON.stringify(shapes)}`;
      if (!(program.shaderKey in pipelineCache)) {
        const code = `${shapes.map((s) => `fn getXByOutput${s.join('x')}() {}`).join('\n')}\n${program.getUserCode()}`;
        const module = device.createShaderModule({ code });
        pipelineCache[program.shaderKey] = compileOnly()
          ? device.createComputePipelineAsync({ compute: { module } })
          : device.createComputePipeline({ compute: { module } });
      }
      return { dataId: {}, shape: program.outputShape, dtype: 'float32' };
    },
  };
  return backend;
}

function program(key: string, outShape: number[], userCode = 'fn main(i : i32) {}'): WebGPUProgram {
  return {
    variableNames: ['x'],
    outputShape: outShape,
    shaderKey: key,
    dispatchLayout: { x: outShape.map((_, i) => i) },
    dispatch: [4, 1, 1],
    workgroupSize: [64, 1, 1],
    getUserCode: () => userCode,
  } as WebGPUProgram;
}

const input = (shape: number[]): TensorInfo => ({ dataId: {}, shape, dtype: 'float32' });

describe('runSharedProgram', () => {
  it('compiles one module and pipeline per program form, whatever the shapes; tfjs caches it under each of its keys', async () => {
    const device = new CountingDevice();
    const backend = fakeBackend(device, () => true);
    const run = (p: WebGPUProgram, shape: number[]) =>
      runSharedProgram(backend as unknown as WebGPUBackend, p, [input(shape)], 'float32');
    run(program('conv_relu', [1, 8, 8, 16]), [1, 8, 8, 16]);
    run(program('conv_relu', [1, 4, 4, 32]), [1, 8, 8, 16]);
    run(program('conv_relu', [1, 2, 2, 32]), [1, 2, 2, 32]);
    expect(device.modules).toHaveLength(1);
    expect(device.pipelines).toHaveLength(1);
    const cached = Object.values(backend.pipelineCache);
    expect(cached).toHaveLength(3);
    expect(new Set(cached).size).toBe(1);
    // Another form (key, rank) compiles its own.
    run(program('conv_silu', [1, 8, 8, 16]), [1, 8, 8, 16]);
    run(program('conv_relu', [8, 16]), [8, 16]);
    expect(device.pipelines).toHaveLength(3);
    // The device is left as it was: nothing of the wrappers stays on it.
    expect(Object.keys(device).sort()).toEqual(['failNext', 'modules', 'pipelines']);
    await Promise.all(device.pipelines);
  });

  it('compiles per shape a program whose WGSL reads the shape-dependent getters', () => {
    const device = new CountingDevice();
    const backend = fakeBackend(device, () => false);
    const reads = 'fn main(i : i32) { let v = getXByOutputIndex(i); }';
    for (const shape of [
      [1, 8, 8, 16],
      [1, 4, 4, 16],
    ]) {
      const p = program('add', shape, reads);
      runSharedProgram(backend as unknown as WebGPUBackend, p, [input(shape)], 'float32');
    }
    expect(device.pipelines).toHaveLength(2);
  });

  it('forgets a pipeline that failed to compile, and never hands a synchronous caller a promise', async () => {
    const device = new CountingDevice();
    let compileOnly = true;
    const backend = fakeBackend(device, () => compileOnly);
    const run = (shape: number[]) =>
      runSharedProgram(
        backend as unknown as WebGPUBackend,
        program('conv', shape),
        [input(shape)],
        'float32',
      );
    device.failNext = true;
    run([1, 8, 8, 16]);
    await expect(device.pipelines[0]).rejects.toThrow('compile failed');
    run([1, 4, 4, 16]); // compiled again, not the failed one
    expect(device.pipelines).toHaveLength(2);
    compileOnly = false;
    run([1, 2, 2, 16]); // the async one still pending: a pipeline of its own
    expect(device.pipelines).toHaveLength(3);
    expect(device.pipelines[2]).not.toBeInstanceOf(Promise);
    await device.pipelines[1];
    run([1, 1, 1, 16]); // compiled: shared
    expect(device.pipelines).toHaveLength(3);
    expect(backend.pipelineCache[Object.keys(backend.pipelineCache).at(-1)!]).not.toBeInstanceOf(
      Promise,
    );
  });
});
