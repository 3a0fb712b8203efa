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
import { runSharedProgram } from '../shared-pipelines';
import type { WeightPrecision } from '../half';
import type { KernelActivation } from '../kernel';
import {
  activationWgsl,
  pointwiseStepWgsl,
  precisionDirective,
  weightProductWgsl,
  weightReaderWgsl,
} from '../wgsl';

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
    readonly precision: WeightPrecision = 'float32',
  ) {
    this.outputShape = outputShape;
    if (hasResidual) this.variableNames.push('residual');
    if (hasScale) this.variableNames.push('scale');
    this.dispatchLayout = { x: outputShape.map((_, i) => i) };
    const size = outputShape.reduce((a, b) => a * b, 1);
    this.dispatch = [Math.ceil(size / WORKGROUP), 1, 1];
    this.shaderKey = `webnets_group_conv2d_${activation}_${hasResidual}_${hasScale}_${precision}`;
  }

  getUserCode(): string {
    const read = this.hasScale
      ? 'getX(coords[0], iy, ix, ci) * scale[coords[0] * uniforms.xShape[3] + ci]'
      : 'getX(coords[0], iy, ix, ci)';
    const weight = 'weightAt(((ky * k + kx) * gIn + i) * uniforms.outShape[3] + co)';
    return `
      ${precisionDirective(this.precision)}
      ${activationWgsl('activate', this.activation)}
      ${weightReaderWgsl('weightAt', 'W', this.precision)}

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
              value += ${weightProductWgsl(read, weight, this.precision)};
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

/**
 * `fn shortcutPixel(p) -> i32`: the pixel of `shortcutX` under output pixel p (flat), sampled
 * every `uniforms.shortcutStride`-th pixel (a projection shortcut's strided 1×1 conv).
 */
export const shortcutPixelWgsl = `
  fn shortcutPixel(p : i32) -> i32 {
    let OH = uniforms.outShape[1];
    let OW = uniforms.outShape[2];
    let n = p / (OH * OW);
    let r = p % (OH * OW);
    let s = uniforms.shortcutStride;
    return (n * uniforms.shortcutXShape[1] + (r / OW) * s) * uniforms.shortcutXShape[2] + (r % OW) * s;
  }`;

/**
 * A 1×1 dense conv (stride 1) whose channel counts are multiples of 4, as a matrix product
 * [pixels, Cin] · [Cin, Cout]: each invocation computes 4 pixels × 4 output channels from
 * vec4 loads (16 multiply-adds per 8 loads where the element-wise program does 1 per 2, with
 * its index arithmetic). Same inputs, uniforms and epilogue as GroupConv2DProgram. With a
 * shortcut (`shortcutX`, `shortcutW` [1, 1, Cs, Cout], uniform `shortcutStride`), the same
 * invocation adds a second 1×1 conv of shortcutX sampled at every stride-th pixel: a
 * residual block's projection shortcut, summed where its output would have been read back.
 */
class PointwiseConvProgram implements WebGPUProgram {
  variableNames = ['x', 'W', 'bias'];
  variableComponents: number[];
  outputComponent = 4;
  uniforms?: string;
  workgroupSize: [number, number, number] = [WORKGROUP, 1, 1];
  outputShape: number[];
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  shaderKey: string;

  constructor(
    outputShape: number[],
    readonly activation: KernelActivation,
    readonly hasResidual: boolean,
    readonly hasScale: boolean,
    readonly hasShortcut = false,
    readonly precision: WeightPrecision = 'float32',
  ) {
    this.outputShape = outputShape;
    if (hasResidual) this.variableNames.push('residual');
    if (hasScale) this.variableNames.push('scale');
    if (hasShortcut) {
      this.variableNames.push('shortcutX', 'shortcutW');
      this.uniforms = 'shortcutStride : i32,';
    }
    // Float16 weights: 4 halves per vec2<i32>.
    const weights = ['W', 'shortcutW'];
    const weightComponents = precision === 'float16' ? 2 : 4;
    this.variableComponents = this.variableNames.map((v) =>
      weights.includes(v) ? weightComponents : 4,
    );
    this.dispatchLayout = { x: outputShape.map((_, i) => i) };
    const [n = 0, h = 0, w = 0, c = 0] = outputShape;
    const invocations = Math.ceil((n * h * w) / 4) * (c / 4);
    this.dispatch = [Math.ceil(invocations / WORKGROUP), 1, 1];
    this.shaderKey = `webnets_pointwise_conv2d_${activation}_${hasResidual}_${hasScale}_${hasShortcut}_${precision}`;
  }

  /** The shortcut's 1×1 conv added to acc0…acc3 (shortcutX's pixel under each output pixel). */
  private shortcutWgsl(rows: number[]): string {
    if (!this.hasShortcut) return '';
    const pixel = (r: number) => `let q${r} = shortcutPixel(p${r});`;
    return `${rows.map(pixel).join('\n        ')}
        let cs4 = uniforms.shortcutXShape[3] / 4;
        for (var c4 = 0; c4 < cs4; c4++) {
          ${pointwiseStepWgsl(
            'shortcutW',
            rows.map((r) => `shortcutX[q${r} * cs4 + c4]`),
            '0',
            this.precision,
          )}
        }`;
  }

  getUserCode(): string {
    const pixelRead = (r: number) => {
      const read = `x[p${r} * cin4 + c4]`;
      return this.hasScale ? `${read} * scale[(p${r} / hw) * cin4 + c4]` : read;
    };
    const rows = [0, 1, 2, 3];
    const shortcutPixel = this.hasShortcut ? shortcutPixelWgsl : '';
    return `
      ${precisionDirective(this.precision)}
      ${activationWgsl('activate', this.activation, 'vec4<f32>')}
      ${shortcutPixel}

      fn main(index : i32) {
        let cout4 = uniforms.outShape[3] / 4;
        let cin4 = uniforms.xShape[3] / 4;
        let hw = uniforms.xShape[1] * uniforms.xShape[2];
        let pixels = uniforms.xShape[0] * hw;
        let co4 = index % cout4;
        let p = (index / cout4) * 4;
        if (p >= pixels) { return; }
        ${rows.map((r) => `let p${r} = min(p + ${r}, pixels - 1);`).join('\n        ')}
        ${rows.map((r) => `var acc${r} = vec4<f32>(0.0);`).join('\n        ')}
        for (var c4 = 0; c4 < cin4; c4++) {
          ${pointwiseStepWgsl('W', rows.map(pixelRead), '0', this.precision)}
        }
        ${this.shortcutWgsl(rows)}
        let b = bias[co4];
        ${rows
          .map(
            (r) => `if (p + ${r} < pixels) {
          let o = (p + ${r}) * cout4 + co4;
          result[o] = activate(acc${r} + b${this.hasResidual ? ' + residual[o]' : ''});
        }`,
          )
          .join('\n        ')}
      }
    `;
  }
}

/** The conv's geometry as the programs see it (the output shape NHWC). */
interface ProgramGeometry {
  kernel: number;
  inChannels: number;
  outShape: number[];
  pad: number;
  stride: number;
  groups: number;
}

/** Whether the conv (its values' geometry) can run as PointwiseConvProgram. */
function isPointwise(g: ProgramGeometry): boolean {
  const cout = g.outShape[3] ?? 0;
  return (
    g.kernel === 1 &&
    g.stride === 1 &&
    g.pad === 0 &&
    g.groups === 1 &&
    g.inChannels % 4 === 0 &&
    cout % 4 === 0
  );
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
  g: ProgramGeometry,
  activation: KernelActivation,
  precision: WeightPrecision = 'float32',
): TensorInfo {
  const { x, filter, bias, residual, scale } = inputs;
  const [hasResidual, hasScale] = [residual !== undefined, scale !== undefined];
  const program = isPointwise(g)
    ? new PointwiseConvProgram(g.outShape, activation, hasResidual, hasScale, false, precision)
    : new GroupConv2DProgram(g.outShape, activation, hasResidual, hasScale, precision);
  const uniforms = [g.pad, g.stride, g.groups].map((v) => ({ type: 'int32', data: [v] }));
  const programInputs = [
    x,
    filter,
    bias,
    ...(residual ? [residual] : []),
    ...(scale ? [scale] : []),
  ];
  return runSharedProgram(backend, program, programInputs, 'float32', uniforms);
}

/**
 * Runs the pointwise program with a projection shortcut on checked inputs: act(x · W + bias
 * + shortcutX[::stride, ::stride] · shortcutW), bias holding both convs' biases, x read
 * through `scale` where given.
 */
export function runProjectedConvProgram(
  backend: WebGPUBackend,
  inputs: {
    x: TensorInfo;
    filter: TensorInfo;
    bias: TensorInfo;
    shortcutX: TensorInfo;
    shortcutFilter: TensorInfo;
    scale?: TensorInfo;
  },
  outShape: number[],
  shortcutStride: number,
  activation: KernelActivation,
  precision: WeightPrecision = 'float32',
): TensorInfo {
  const { x, filter, bias, shortcutX, shortcutFilter, scale } = inputs;
  const hasScale = scale !== undefined;
  const program = new PointwiseConvProgram(outShape, activation, false, hasScale, true, precision);
  const programInputs = [x, filter, bias, ...(scale ? [scale] : []), shortcutX, shortcutFilter];
  const uniforms = [{ type: 'int32', data: [shortcutStride] }];
  return runSharedProgram(backend, program, programInputs, 'float32', uniforms);
}
