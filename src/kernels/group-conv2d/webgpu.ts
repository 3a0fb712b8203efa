/**
 * The grouped conv as a tfjs-backend-webgpu program (WGSL): dense (groups 1), grouped and
 * depthwise (groups = C, the [k, k, C, 1] filter read as [k, k, 1, C]: the same bytes).
 * One invocation computes one output element, its epilogue fused: + bias [+ residual],
 * activation. An optional `scale` [N, Cin] multiplies the input channels as they are read:
 * squeeze-excitation's gates (squeeze-excite-gates/) folded into the conv after it, so the
 * gated map is never written.
 *
 * tfjs builds the shader around `getUserCode()`: it declares the `x`, `W`, `bias` (and
 * `residual`, `scale`) storage buffers, a `uniforms` struct (`xShape`, `wShape`, `outShape`,
 * `size` and the `pad`, `stride`, `groups` declared here), `getX(b, r, c, d)`-style
 * accessors, `getOutputCoords()` and `setOutputAtIndex()`, and calls `main(index)`.
 */
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { KernelActivation } from '../kernel';
import { activationWgsl } from '../wgsl';

const WORKGROUP = 64;

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
    readonly hasScale: boolean,
  ) {
    this.outputShape = outputShape;
    if (hasResidual) this.variableNames.push('residual');
    if (hasScale) this.variableNames.push('scale');
    this.dispatchLayout = { x: outputShape.map((_, i) => i) };
    const size = outputShape.reduce((a, b) => a * b, 1);
    this.dispatch = [Math.ceil(size / WORKGROUP), 1, 1];
    this.shaderKey = `webnets_group_conv2d_${activation}_${hasResidual}_${hasScale}`;
  }

  getUserCode(): string {
    const read = this.hasScale
      ? 'getX(coords[0], iy, ix, ci) * scale[coords[0] * uniforms.xShape[3] + ci]'
      : 'getX(coords[0], iy, ix, ci)';
    return `
      ${activationWgsl('activate', this.activation)}

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
            for (var i = 0; i < gIn; i++) {
              let ci = ciBase + i;
              value += ${read} * getW(ky, kx, i, co);
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
  inputs: {
    x: TensorInfo;
    filter: TensorInfo;
    bias: TensorInfo;
    residual?: TensorInfo;
    scale?: TensorInfo;
  },
  g: { outShape: number[]; pad: number; stride: number; groups: number },
  activation: KernelActivation,
): TensorInfo {
  const { x, filter, bias, residual, scale } = inputs;
  const program = new GroupConv2DProgram(
    g.outShape,
    activation,
    residual !== undefined,
    scale !== undefined,
  );
  const uniforms = [g.pad, g.stride, g.groups].map((v) => ({ type: 'int32', data: [v] }));
  const programInputs = [
    x,
    filter,
    bias,
    ...(residual ? [residual] : []),
    ...(scale ? [scale] : []),
  ];
  return backend.runWebGPUProgram(program, programInputs, 'float32', uniforms);
}
