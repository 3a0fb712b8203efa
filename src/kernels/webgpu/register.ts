/**
 * webnets' WGSL kernels, registered with tfjs' 'webgpu' backend. Kernels run through
 * `backend.runWebGPUProgram`, which compiles (and caches, by shaderKey) the program.
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { tf } from '../../tf';
import type { GroupConv2DAttrs } from '../names';
import { GROUP_CONV2D } from '../names';
import { groupConvGeometry } from '../shapes';
import { GroupConv2DProgram } from './group-conv';

let registered = false;

interface KernelArgs {
  inputs: Record<string, TensorInfo | undefined>;
  backend: unknown;
  attrs?: Record<string, unknown>;
}

function groupConv2d({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const g = groupConvGeometry(inputs, attrs ?? {});
  if (g.packed) throw new Error(`${GROUP_CONV2D}: packed filters are for the wasm kernel only`);
  const { x, filter, bias } = inputs as Record<'x' | 'filter' | 'bias', TensorInfo>;
  const program = new GroupConv2DProgram(
    [g.batch, g.outHeight, g.outWidth, g.outChannels],
    (attrs as unknown as GroupConv2DAttrs).activation,
    inputs.residual !== undefined,
  );
  const uniforms = [g.pad, g.stride, g.groups].map((v) => ({ type: 'int32', data: [v] }));
  const programInputs = inputs.residual ? [x, filter, bias, inputs.residual] : [x, filter, bias];
  return (backend as WebGPUBackend).runWebGPUProgram(program, programInputs, 'float32', uniforms);
}

/** Registers the WGSL kernels (once); the 'webgpu' backend must be initialized. */
export async function registerWebGpuKernels(): Promise<boolean> {
  if (!tf.findBackend('webgpu')) {
    throw new Error(
      'registerWebGpuKernels: the webgpu backend is not initialized: await tf.setBackend("webgpu") first',
    );
  }
  if (!registered) {
    tf.registerKernel({
      kernelName: GROUP_CONV2D,
      backendName: 'webgpu',
      kernelFunc: groupConv2d as tf.KernelFunc,
    });
    registered = true;
  }
  return true;
}
