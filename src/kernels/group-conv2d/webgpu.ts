/**
 * The grouped conv as a tfjs-backend-webgpu program (WGSL). One invocation computes one
 * output element: straightforward, and what the 'webgpu' backend needs to run RegNet
 * without the depthwise-multiplier composition (which writes Cin·gOut channels).
 *
 * tfjs builds the shader around `getUserCode()`: it declares the `x`, `W`, `bias` (and
 * `residual`) storage buffers, a `uniforms` struct (`xShape`, `wShape`, `outShape`, `size` and the
 * `pad`, `stride`, `groups` declared here), `getX(b, r, c, d)`-style accessors,
 * `getOutputCoords()` and `setOutputAtIndex()`, and calls `main(index)`.
 */
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { KernelActivation } from '../kernel';

const WORKGROUP = 64;

/** WGSL for each activation; silu as v / (1 + e^-v) stays finite for any v. */
const ACTIVATION_WGSL: Record<KernelActivation, string> = {
  linear: 'return v;',
  relu: 'return max(v, 0.0);',
  silu: 'return v / (1.0 + exp(-v));',
};

class GroupConv2DProgram implements WebGPUProgram {
  variableNames = ['x', 'W', 'bias'];
  uniforms = 'pad : i32, stride : i32, groups : i32,';
  workgroupSize: [number, number, number] = [WORKGROUP, 1, 1];
  size = true;
  outputShape: number[];
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  shaderKey: string;

  constructor(
    outputShape: number[],
    readonly activation: KernelActivation,
    readonly hasResidual: boolean,
  ) {
    this.outputShape = outputShape;
    if (hasResidual) this.variableNames.push('residual');
    this.dispatchLayout = { x: outputShape.map((_, i) => i) };
    const size = outputShape.reduce((a, b) => a * b, 1);
    this.dispatch = [Math.ceil(size / WORKGROUP), 1, 1];
    this.shaderKey = `webnets_group_conv2d_${activation}_${hasResidual}`;
  }

  getUserCode(): string {
    return `
      fn activate(v : f32) -> f32 { ${ACTIVATION_WGSL[this.activation]} }

      fn main(index : i32) {
        if (index >= uniforms.size) { return; }
        let coords = getOutputCoords();
        let co = coords[3];
        let k = uniforms.wShape[0];
        let gIn = uniforms.wShape[2];
        let ciBase = (co / (uniforms.outShape[3] / uniforms.groups)) * gIn;
        let iy0 = coords[1] * uniforms.stride - uniforms.pad;
        let ix0 = coords[2] * uniforms.stride - uniforms.pad;
        var value = 0.0;
        for (var ky = 0; ky < k; ky++) {
          let iy = iy0 + ky;
          if (iy < 0 || iy >= uniforms.xShape[1]) { continue; }
          for (var kx = 0; kx < k; kx++) {
            let ix = ix0 + kx;
            if (ix < 0 || ix >= uniforms.xShape[2]) { continue; }
            for (var ci = 0; ci < gIn; ci++) {
              value += getX(coords[0], iy, ix, ciBase + ci) * getW(ky, kx, ci, co);
            }
          }
        }
        value += getBias(co);
        ${this.hasResidual ? 'value += residual[index]; // shaped like the output' : ''}
        setOutputAtIndex(index, activate(value));
      }
    `;
  }
}

/** Runs the grouped conv program (compiled and cached by tfjs, by shaderKey) on checked inputs. */
export function runGroupConvProgram(
  backend: WebGPUBackend,
  inputs: { x: TensorInfo; filter: TensorInfo; bias: TensorInfo; residual?: TensorInfo },
  g: { outShape: number[]; pad: number; stride: number; groups: number },
  activation: KernelActivation,
): TensorInfo {
  const { x, filter, bias, residual } = inputs;
  const program = new GroupConv2DProgram(g.outShape, activation, residual !== undefined);
  const uniforms = [g.pad, g.stride, g.groups].map((v) => ({ type: 'int32', data: [v] }));
  const programInputs = residual ? [x, filter, bias, residual] : [x, filter, bias];
  return backend.runWebGPUProgram(program, programInputs, 'float32', uniforms);
}
