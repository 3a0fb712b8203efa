/**
 * A k×k grouped (or depthwise) conv followed by a 1×1 dense conv, in one tfjs-backend-webgpu
 * program: the intermediate map never leaves the workgroup. A workgroup takes a tile of
 * output pixels and a chunk of 64 output channels: it computes the first conv for the
 * tile's pixels over all its channels into workgroup memory (+ bias, activation), then each
 * thread one output channel of the chunk for every pixel of the tile (each 1×1 weight read
 * once per tile), + bias [+ residual], activation. The first conv is recomputed per chunk:
 * k² multiply-adds per intermediate value against the 1×1 conv's Cmid per output.
 */
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { KernelActivation } from '../kernel';
import { FLAT_WORKGROUP_WGSL, activationWgsl } from '../wgsl';

/** Floats of workgroup memory for the intermediate tile (16 KiB: what every adapter offers). */
export const MAX_TILE_FLOATS = 4096;
/** At most this many output pixels per workgroup. */
const MAX_TILE_PIXELS = 16;
const THREADS = 64;

/** Output pixels per workgroup for `midChannels` intermediate channels (≥ 1 when they fit). */
export function tilePixels(midChannels: number): number {
  return Math.min(MAX_TILE_PIXELS, Math.floor(MAX_TILE_FLOATS / midChannels));
}

class SeparableConv2DProgram implements WebGPUProgram {
  variableNames = ['x', 'dw', 'dwBias', 'pw', 'pwBias'];
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
  ) {
    this.outputShape = outputShape;
    if (hasResidual) this.variableNames.push('residual');
    this.dispatchLayout = { x: outputShape.map((_, i) => i) };
    this.dispatch = [tiles * chunks, 1, 1];
    this.shaderKey = `webnets_separable_conv2d_${activation}_${outActivation}_${hasResidual}`;
  }

  getUserCode(): string {
    return `
      ${activationWgsl('activateMid', this.activation)}
      ${activationWgsl('activateOut', this.outActivation)}
      ${FLAT_WORKGROUP_WGSL}

      var<workgroup> mid : array<f32, ${MAX_TILE_FLOATS}>;

      fn main(index : i32) {
        let wg = flatWorkgroup();
        let lid = i32(localIndex);
        let T = uniforms.tile;
        let first = (wg / uniforms.chunks) * T;
        let chunk = wg % uniforms.chunks;
        let OH = uniforms.outShape[1];
        let OW = uniforms.outShape[2];
        let total = uniforms.outShape[0] * OH * OW;
        let Cout = uniforms.outShape[3];
        let Cmid = uniforms.dwShape[3];
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
              if (iy < 0 || iy >= uniforms.xShape[1]) { continue; }
              for (var kx = 0; kx < k; kx++) {
                let ix = ix0 + kx;
                if (ix < 0 || ix >= uniforms.xShape[2]) { continue; }
                for (var j = 0; j < gIn; j++) {
                  v += getX(n, iy, ix, ciBase + j) * getDw(ky, kx, j, cm);
                }
              }
            }
            v = activateMid(v + dwBias[cm]);
          }
          mid[i] = v;
        }
        workgroupBarrier();
        let co = chunk * ${THREADS} + lid;
        if (co < Cout) {
          var acc : array<f32, ${MAX_TILE_PIXELS}>;
          for (var cm = 0; cm < Cmid; cm++) {
            let w = pw[cm * Cout + co];
            for (var t = 0; t < T; t++) { acc[t] += mid[t * Cmid + cm] * w; }
          }
          for (var t = 0; t < T; t++) {
            let p = first + t;
            if (p < total) {
              let o = p * Cout + co;
              var v = acc[t] + pwBias[co];
              ${this.hasResidual ? 'v += residual[o];' : ''}
              result[o] = activateOut(v);
            }
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
): TensorInfo {
  const [batch = 0, outHeight = 0, outWidth = 0, outChannels = 0] = g.outShape;
  const tile = tilePixels(g.midChannels);
  const tiles = Math.ceil((batch * outHeight * outWidth) / tile);
  const chunks = Math.ceil(outChannels / THREADS);
  const program = new SeparableConv2DProgram(
    g.outShape,
    tiles,
    chunks,
    activation,
    outActivation,
    inputs.length === 6,
  );
  const uniforms = [g.pad, g.stride, g.groups, tile, chunks].map((v) => ({
    type: 'int32',
    data: [v],
  }));
  return backend.runWebGPUProgram(program, inputs, 'float32', uniforms);
}
