/**
 * One pipeline per webnets program form, whatever the shapes it runs on. tfjs keys a
 * pipeline by the program's shaderKey plus, per input, whether its shape equals the
 * output's and which dimensions broadcast to it: those only change the
 * `get<Input>ByOutput*` getters it generates, which webnets' WGSL never calls. So one
 * kernel compiled into several pipelines whose live code is the same (FD-MobileNet's
 * separable conv twice, EfficientNet-B0's depthwise three times), and on SwiftShader each
 * costs seconds of load. Here the program's form (its own shaderKey, workgroup size, vector
 * widths, the inputs' and output's ranks and types, dispatch layout and flatness: everything
 * else its WGSL depends on) names one shader module and pipeline per device, and tfjs' other
 * keys for the same form get that pipeline.
 */
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import type { TensorInfo } from '@tensorflow/tfjs-core';

type Uniforms = Parameters<WebGPUBackend['runWebGPUProgram']>[3];

interface Compiled {
  module: GPUShaderModule;
  pipeline?: GPUComputePipeline | Promise<GPUComputePipeline>;
}

/** Per device: the form's module and pipeline (or the promise of it while it compiles). */
const compiledForms = new WeakMap<GPUDevice, Map<string, Compiled>>();

/** What, besides the dead getters, tfjs' WGSL for `program` depends on; null if it uses them. */
export function programForm(
  program: WebGPUProgram,
  ownKey: string,
  inputs: TensorInfo[],
  outShape: number[],
  dtype: string,
): string | null {
  if (program.getUserCode().includes('ByOutput')) return null;
  const dispatch = program.dispatch;
  return JSON.stringify([
    ownKey,
    program.workgroupSize,
    program.variableComponents,
    program.outputComponent,
    inputs.map((t) => [t.shape.length, t.dtype]),
    [outShape.length, dtype],
    program.dispatchLayout,
    dispatch[1] === 1 && dispatch[2] === 1,
  ]);
}

/**
 * backend.runWebGPUProgram, with the pipeline shared by every call of the same form: while
 * it runs (synchronously), the device's createShaderModule and createComputePipeline(Async)
 * return the form's module and pipeline where they exist. A pipeline that fails to compile
 * is forgotten, so the next call compiles it again as tfjs would.
 */
export function runSharedProgram(
  backend: WebGPUBackend,
  program: WebGPUProgram,
  inputs: TensorInfo[],
  dtype: 'float32',
  uniforms?: Uniforms,
): TensorInfo {
  const device = (backend as unknown as { device: GPUDevice }).device;
  let forms = compiledForms.get(device);
  if (!forms) compiledForms.set(device, (forms = new Map()));
  const known = forms;
  const methods = ['createShaderModule', 'createComputePipeline', 'createComputePipelineAsync'];
  const own = methods.filter((m) => Object.prototype.hasOwnProperty.call(device, m));
  const { createShaderModule, createComputePipeline, createComputePipelineAsync } = device;
  // tfjs replaces program.shaderKey with its own key (shapes included) before compiling.
  const ownKey = program.shaderKey;
  let form: string | null = null;
  /** The form's pipeline, else `make`'s, kept for the form; a sync caller never gets a promise. */
  const keep = <P extends Compiled['pipeline']>(make: () => P, sync: boolean): P => {
    const compiled = form === null ? undefined : known.get(form);
    if (!compiled) return make();
    const kept = compiled.pipeline;
    if (kept && !(sync && kept instanceof Promise)) return kept as P;
    const pipeline = make();
    if (kept) return pipeline;
    compiled.pipeline = pipeline;
    const key = form;
    if (pipeline instanceof Promise) {
      pipeline.then(
        (done) => {
          compiled.pipeline = done;
        },
        () => {
          if (key !== null && known.get(key) === compiled) known.delete(key);
        },
      );
    }
    return pipeline;
  };
  device.createShaderModule = (descriptor: GPUShaderModuleDescriptor) => {
    // Called once tfjs has reshaped the dispatch (flat or not).
    form = programForm(program, ownKey, inputs, program.outputShape, dtype);
    const compiled = form === null ? undefined : known.get(form);
    if (compiled) return compiled.module;
    const module = createShaderModule.call(device, descriptor);
    if (form !== null) known.set(form, { module });
    return module;
  };
  device.createComputePipeline = (descriptor: GPUComputePipelineDescriptor) =>
    keep(() => createComputePipeline.call(device, descriptor), true);
  device.createComputePipelineAsync = (descriptor: GPUComputePipelineDescriptor) =>
    keep(() => createComputePipelineAsync.call(device, descriptor), false);
  try {
    return backend.runWebGPUProgram(program, inputs, dtype, uniforms);
  } finally {
    const d = device as unknown as Record<string, unknown>;
    const originals = { createShaderModule, createComputePipeline, createComputePipelineAsync };
    for (const m of methods) {
      if (own.includes(m)) d[m] = originals[m as keyof typeof originals];
      else delete d[m];
    }
  }
}
