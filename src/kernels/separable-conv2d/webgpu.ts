/**
 * A k×k grouped (or depthwise) conv followed by a 1×1 dense conv, in one tfjs-backend-webgpu
 * program: the intermediate map never leaves the workgroup. A workgroup takes a tile of
 * output pixels and a chunk of 256 output channels: it computes the first conv for the
 * tile's pixels over all its channels into workgroup memory (+ bias, activation), then the
 * 1×1 conv for 4 pixels × 4 output channels per item from vec4 reads (each 1×1 weight read
 * once per 4 pixels), + bias [+ residual], activation. The first conv is recomputed per
 * chunk: gIn·k² multiply-adds per intermediate value against the 1×1 conv's Cmid per output.
 * Channel counts are multiples of 4 (the kernel's checks).
 */
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { runSharedProgram } from '../shared-pipelines';
import type { WeightPrecision } from '../half';
import type { KernelActivation } from '../kernel';
import {
  FLAT_WORKGROUP_WGSL,
  activationWgsl,
  pointwiseStepWgsl,
  precisionDirective,
  weightProductWgsl,
  weightReaderWgsl,
} from '../wgsl';

/**
 * Floats of workgroup memory for the intermediate tile: 4 KiB of the 16 KiB every adapter
 * offers, since SwiftShader pays for workgroup memory by its size on every workgroup, in
 * compiling and in running (16 KiB made FD-MobileNet's load 4× slower there).
 */
export const MAX_TILE_FLOATS = 1024;
/** At most this many output pixels per workgroup. */
const MAX_TILE_PIXELS = 16;
const THREADS = 64;
/** Output channels per workgroup: 64 threads × 4. */
const CHUNK = 256;

/** Output pixels per workgroup for `midChannels` intermediate channels (≥ 1 when they fit). */
export function tilePixels(midChannels: number): number {
  return Math.min(MAX_TILE_PIXELS, Math.floor(MAX_TILE_FLOATS / midChannels));
}

class SeparableConv2DProgram implements WebGPUProgram {
  variableNames = ['x', 'dw', 'dwBias', 'pw', 'pwBias'];
  variableComponents = [1, 1, 1, 4, 4];
  outputComponent = 4;
  uniforms = 'pad : i32, stride : i32, groups : i32, tile : i32, chunks : i32,';
  workgroupSize: [number, number, number] = [THREADS, 1, 1];
  outputShape: number[];
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  shaderKey: string;

  constructor(
    outputShape: number[],
    tiles: number,
    chunks: number,
    readonly activation: KernelActivation,
    readonly outActivation: KernelActivation,
    readonly hasResidual: boolean,
    readonly precision: WeightPrecision = 'float32',
  ) {
    this.outputShape = outputShape;
    // Float16 weights: pw's 4 halves per vec2<i32>.
    if (precision === 'float16') this.variableComponents[3] = 2;
    if (hasResidual) {
      this.variableNames.push('residual');
      this.variableComponents.push(4);
    }
    this.dispatchLayout = { x: outputShape.map((_, i) => i) };
    this.dispatch = [tiles * chunks, 1, 1];
    this.shaderKey = `webnets_separable_conv2d_${activation}_${outActivation}_${hasResidual}_${precision}`;
  }

  getUserCode(): string {
    const quad = [0, 1, 2, 3];
    const product = weightProductWgsl('x[xAt + j]', 'dwAt(wAt + j * Cmid)', this.precision);
    return `
      ${precisionDirective(this.precision)}
      ${weightReaderWgsl('dwAt', 'dw', this.precision)}
      ${activationWgsl('activateMid', this.activation)}
      ${activationWgsl('activateOut', this.outActivation, 'vec4<f32>')}
      ${FLAT_WORKGROUP_WGSL}

      var<workgroup> mid : array<vec4<f32>, ${MAX_TILE_FLOATS / 4}>;

      fn main(index : i32) {
        let wg = flatWorkgroup();
        let lid = i32(localIndex);
        let T = uniforms.tile;
        let first = (wg / uniforms.chunks) * T;
        let chunk = wg % uniforms.chunks;
        let H = uniforms.xShape[1];
        let W = uniforms.xShape[2];
        let Cin = uniforms.xShape[3];
        let OH = uniforms.outShape[1];
        let OW = uniforms.outShape[2];
        let total = uniforms.outShape[0] * OH * OW;
        let cout4 = uniforms.outShape[3] / 4;
        let Cmid = uniforms.pwShape[2];
        let cmid4 = Cmid / 4;
        let k = uniforms.dwShape[0];
        let gIn = uniforms.dwShape[2];
        let midPerGroup = Cmid / uniforms.groups;
        for (var i = lid; i < T * Cmid; i += ${THREADS}) {
          let p = first + i / Cmid;
          let cm = i % Cmid;
          var v = 0.0;
          if (p < total) {
            let n = p / (OH * OW);
            let r = p % (OH * OW);
            let iy0 = (r / OW) * uniforms.stride - uniforms.pad;
            let ix0 = (r % OW) * uniforms.stride - uniforms.pad;
            let ciBase = (cm / midPerGroup) * gIn;
            for (var ky = 0; ky < k; ky++) {
              let iy = iy0 + ky;
              if (iy < 0 || iy >= H) { continue; }
              for (var kx = 0; kx < k; kx++) {
                let ix = ix0 + kx;
                if (ix < 0 || ix >= W) { continue; }
                let xAt = ((n * H + iy) * W + ix) * Cin + ciBase;
                let wAt = (ky * k + kx) * gIn * Cmid + cm;
                for (var j = 0; j < gIn; j++) {
                  v += ${product};
                }
              }
            }
            v = activateMid(v + dwBias[cm]);
          }
          mid[i / 4][i % 4] = v;
        }
        workgroupBarrier();
        // Each item: 4 pixels of the tile × 4 output channels of this chunk.
        let quads = (T + 3) / 4;
        for (var item = lid; item < quads * ${CHUNK / 4}; item += ${THREADS}) {
          let co4 = chunk * ${CHUNK / 4} + item % ${CHUNK / 4};
          let t0 = (item / ${CHUNK / 4}) * 4;
          if (co4 < cout4) {
            ${quad.map((q) => `let m${q} = min(t0 + ${q}, T - 1) * cmid4;`).join('\n            ')}
            ${quad.map((q) => `var acc${q} = vec4<f32>(0.0);`).join('\n            ')}
            for (var c4 = 0; c4 < cmid4; c4++) {
              ${pointwiseStepWgsl(
                'pw',
                quad.map((q) => `mid[m${q} + c4]`),
                '0',
                this.precision,
              )}
            }
            let b = pwBias[co4];
            ${quad
              .map(
                (q) => `if (t0 + ${q} < T && first + t0 + ${q} < total) {
              let o = (first + t0 + ${q}) * cout4 + co4;
              result[o] = activateOut(acc${q} + b${this.hasResidual ? ' + residual[o]' : ''});
            }`,
              )
              .join('\n            ')}
          }
        }
      }
    `;
  }
}

/** Runs the separable program on checked inputs [x, dw, dwBias, pw, pwBias, residual?]. */
export function runSeparableProgram(
  backend: WebGPUBackend,
  inputs: TensorInfo[],
  g: { outShape: number[]; midChannels: number; pad: number; stride: number; groups: number },
  activation: KernelActivation,
  outActivation: KernelActivation,
  precision: WeightPrecision = 'float32',
): TensorInfo {
  const [batch = 0, outHeight = 0, outWidth = 0, outChannels = 0] = g.outShape;
  const tile = tilePixels(g.midChannels);
  const tiles = Math.ceil((batch * outHeight * outWidth) / tile);
  const chunks = Math.ceil(outChannels / CHUNK);
  const program = new SeparableConv2DProgram(
    g.outShape,
    tiles,
    chunks,
    activation,
    outActivation,
    inputs.length === 6,
    precision,
  );
  const uniforms = [g.pad, g.stride, g.groups, tile, chunks].map((v) => ({
    type: 'int32',
    data: [v],
  }));
  return runSharedProgram(backend, program, inputs, 'float32', uniforms);
}
