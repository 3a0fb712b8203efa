/**
 * Counts what an inference asks of the GPU, from the WebGPU API itself: the same counts
 * issue 21 names (dispatches, buffer writes, submits, readbacks, pipelines compiled).
 * Wraps the methods on the interface objects' prototypes, so every device sees them.
 */

export interface GpuCounts {
  dispatches: number;
  writeBuffers: number;
  submits: number;
  readbacks: number;
  pipelines: number;
}

const COUNTED: [keyof GpuCounts, string, string[]][] = [
  ['dispatches', 'GPUComputePassEncoder', ['dispatchWorkgroups', 'dispatchWorkgroupsIndirect']],
  ['writeBuffers', 'GPUQueue', ['writeBuffer']],
  ['submits', 'GPUQueue', ['submit']],
  ['readbacks', 'GPUBuffer', ['mapAsync']],
  ['pipelines', 'GPUDevice', ['createComputePipeline', 'createComputePipelineAsync']],
];

/** Shader modules made, and how many of them enable f16 (float16 weights: kernels/half.ts). */
export interface ShaderCounts {
  modules: number;
  f16: number;
}

/** Counts the shader modules made on any device of `globals`' GPUDevice. */
export function countShaderModules(globals: Record<string, unknown>): {
  reset(): void;
  read(): ShaderCounts;
} {
  let counts: ShaderCounts = { modules: 0, f16: 0 };
  const proto = (globals.GPUDevice as { prototype?: Record<string, unknown> } | undefined)
    ?.prototype;
  const original = proto?.createShaderModule;
  if (proto === undefined || typeof original !== 'function') {
    throw new Error('WebGPU has no GPUDevice.createShaderModule to count shader modules on');
  }
  proto.createShaderModule = function (this: unknown, descriptor: { code: string }): unknown {
    counts.modules++;
    if (/^\s*enable\s+f16\s*;/m.test(descriptor.code)) counts.f16++;
    return (original as (d: unknown) => unknown).call(this, descriptor);
  };
  return {
    reset: () => void (counts = { modules: 0, f16: 0 }),
    read: () => ({ ...counts }),
  };
}

export interface GpuCounter {
  reset(): void;
  read(): GpuCounts;
}

const zero = (): GpuCounts => ({
  dispatches: 0,
  writeBuffers: 0,
  submits: 0,
  readbacks: 0,
  pipelines: 0,
});

/** Wraps the counted methods of `globals`' interface objects (Dawn's, or a page's window). */
export function countGpuCalls(globals: Record<string, unknown>): GpuCounter {
  let counts = zero();
  for (const [key, interfaceName, methods] of COUNTED) {
    const proto = (globals[interfaceName] as { prototype?: Record<string, unknown> } | undefined)
      ?.prototype;
    if (proto === undefined) throw new Error(`WebGPU has no ${interfaceName} to count ${key} on`);
    for (const method of methods) {
      const original = proto[method];
      if (typeof original !== 'function') continue;
      proto[method] = function (this: unknown, ...args: unknown[]): unknown {
        counts[key]++;
        return (original as (...a: unknown[]) => unknown).apply(this, args);
      };
    }
  }
  return {
    reset: () => {
      counts = zero();
    },
    read: () => ({ ...counts }),
  };
}
