/**
 * Squeeze-excitation's gates as one tfjs-backend-webgpu program: one workgroup per image
 * averages each channel over the map, runs the reduce conv (+ activation) into workgroup
 * memory and the expand conv + sigmoid into the [N, C] output. The channel means wait in
 * the output buffer itself (each image's row, overwritten by its gates), so a map of any
 * width needs no more workgroup memory than the squeezed vector.
 */
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { runSharedProgram } from '../shared-pipelines';
import type { WeightPrecision } from '../half';
import {
  FLAT_WORKGROUP_WGSL,
  activationWgsl,
  precisionDirective,
  weightProductWgsl,
  weightReaderWgsl,
} from '../wgsl';

/** The squeezed vector's workgroup array (4 KiB of the 16 KiB every adapter offers). */
export const MAX_SQUEEZED = 1024;

const THREADS = 256;

class SqueezeExciteGatesProgram implements WebGPUProgram {
  variableNames = ['x', 'reduceWeight', 'reduceBias', 'expandWeight', 'expandBias'];
  workgroupSize: [number, number, number] = [THREADS, 1, 1];
  outputShape: number[];
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  shaderKey: string;

  constructor(
    batch: number,
    channels: number,
    readonly activation: 'relu' | 'silu',
    readonly precision: WeightPrecision = 'float32',
  ) {
    this.outputShape = [batch, channels];
    this.dispatchLayout = { x: [0, 1] };
    this.dispatch = [batch, 1, 1];
    this.shaderKey = `webnets_se_gates_${activation}_${precision}`;
  }

  getUserCode(): string {
    const p = this.precision;
    const reduce = weightProductWgsl('result[n * C + c]', 'reduceAt(c * S + s)', p);
    const expand = weightProductWgsl('hidden[s]', 'expandAt(s * C + c)', p);
    return `
      ${precisionDirective(p)}
      ${weightReaderWgsl('reduceAt', 'reduceWeight', p)}
      ${weightReaderWgsl('expandAt', 'expandWeight', p)}
      ${activationWgsl('activate', this.activation)}
      ${FLAT_WORKGROUP_WGSL}

      var<workgroup> hidden : array<f32, ${MAX_SQUEEZED}>;

      fn main(index : i32) {
        let n = flatWorkgroup();
        let lid = i32(localIndex);
        let C = uniforms.xShape[3];
        let P = uniforms.xShape[1] * uniforms.xShape[2];
        let S = uniforms.expandWeightShape[0];
        let valid = n < uniforms.xShape[0];
        if (valid) {
          for (var c = lid; c < C; c += ${THREADS}) {
            var sum = 0.0;
            let base = n * P * C + c;
            for (var p = 0; p < P; p++) { sum += x[base + p * C]; }
            result[n * C + c] = sum / f32(P);
          }
        }
        storageBarrier();
        workgroupBarrier();
        if (valid) {
          for (var s = lid; s < S; s += ${THREADS}) {
            var v = reduceBias[s];
            for (var c = 0; c < C; c++) { v += ${reduce}; }
            hidden[s] = activate(v);
          }
        }
        storageBarrier();
        workgroupBarrier();
        if (valid) {
          for (var c = lid; c < C; c += ${THREADS}) {
            var v = expandBias[c];
            for (var s = 0; s < S; s++) { v += ${expand}; }
            result[n * C + c] = 1.0 / (1.0 + exp(-v));
          }
        }
      }
    `;
  }
}

/** Runs the gates program on checked inputs [x, reduceWeight, reduceBias, expandWeight, expandBias]. */
export function runGatesProgram(
  backend: WebGPUBackend,
  inputs: TensorInfo[],
  g: { batch: number; channels: number; pixels: number; squeezed: number },
  activation: 'relu' | 'silu',
  precision: WeightPrecision = 'float32',
): TensorInfo {
  const program = new SqueezeExciteGatesProgram(g.batch, g.channels, activation, precision);
  return runSharedProgram(backend, program, inputs, 'float32');
}
