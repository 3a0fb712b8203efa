/**
 * The global average pool and the classifier in one tfjs-backend-webgpu program:
 * y[n, o] = bias[o] + Σ_c mean_hw(x[n, :, :, c]) · weight[c, o]. A workgroup takes one
 * image and OUTPUTS classes; its threads first average a chunk of channels into workgroup
 * memory (each workgroup redoes the pool, a few reads per weight it reads), then each
 * thread sums a quarter of the chunk's channels for one class; the quarters are added at
 * the end. As many workgroups as the classifier has chunks of OUTPUTS classes, so the
 * weight, which is all of the time, is read by as many threads as a matrix product would use.
 */
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { runSharedProgram } from '../shared-pipelines';
import type { WeightPrecision } from '../half';
import {
  FLAT_WORKGROUP_WGSL,
  precisionDirective,
  weightProductWgsl,
  weightReaderWgsl,
} from '../wgsl';

/** Classes per workgroup. */
const OUTPUTS = 64;
/** Threads per class: each sums every SLICES-th channel. */
const SLICES = 4;
const THREADS = OUTPUTS * SLICES;
/**
 * Channels averaged at a time into workgroup memory (1 KiB). Small on purpose: the pipeline's
 * compile time grows with its workgroup array (SwiftShader compiled this shader 2–4× faster
 * at 256 floats than at 1024), while the extra barriers of a wider classifier cost little.
 */
const CHANNEL_CHUNK = 256;

class PoolLinearProgram implements WebGPUProgram {
  variableNames = ['x', 'W', 'bias'];
  workgroupSize: [number, number, number] = [THREADS, 1, 1];
  outputShape: number[];
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  shaderKey: string;

  constructor(
    batch: number,
    classes: number,
    readonly precision: WeightPrecision = 'float32',
  ) {
    this.shaderKey = `webnets_pool_linear_${precision}`;
    this.outputShape = [batch, classes];
    this.dispatchLayout = { x: [0, 1] };
    this.dispatch = [batch * Math.ceil(classes / OUTPUTS), 1, 1];
  }

  getUserCode(): string {
    const product = weightProductWgsl('means[c]', 'weightAt((c0 + c) * O + o)', this.precision);
    return `
      ${precisionDirective(this.precision)}
      ${weightReaderWgsl('weightAt', 'W', this.precision)}
      ${FLAT_WORKGROUP_WGSL}

      var<workgroup> means : array<f32, ${CHANNEL_CHUNK}>;
      var<workgroup> partial : array<f32, ${THREADS}>;

      fn main(index : i32) {
        let lid = i32(localIndex);
        let N = uniforms.xShape[0];
        let P = uniforms.xShape[1] * uniforms.xShape[2];
        let C = uniforms.xShape[3];
        let O = uniforms.outShape[1];
        let chunks = (O + ${OUTPUTS - 1}) / ${OUTPUTS};
        let wg = flatWorkgroup();
        let n = wg / chunks;
        let o = (wg % chunks) * ${OUTPUTS} + lid % ${OUTPUTS};
        let slice = lid / ${OUTPUTS};
        let valid = n < N;
        var acc = 0.0;
        for (var c0 = 0; c0 < C; c0 += ${CHANNEL_CHUNK}) {
          let cn = min(${CHANNEL_CHUNK}, C - c0);
          if (valid) {
            for (var c = lid; c < cn; c += ${THREADS}) {
              var sum = 0.0;
              let base = n * P * C + c0 + c;
              for (var p = 0; p < P; p++) { sum += x[base + p * C]; }
              means[c] = sum / f32(P);
            }
          }
          workgroupBarrier();
          if (valid && o < O) {
            for (var c = slice; c < cn; c += ${SLICES}) { acc += ${product}; }
          }
          workgroupBarrier();
        }
        partial[lid] = acc;
        workgroupBarrier();
        if (valid && o < O && slice == 0) {
          var y = bias[o];
          for (var s = 0; s < ${SLICES}; s++) { y += partial[lid + s * ${OUTPUTS}]; }
          result[n * O + o] = y;
        }
      }
    `;
  }
}

/** Runs the program on checked inputs x [N, H, W, C], weight [C, O] (float16 pairs: [C, O/2]), bias [O]. */
export function runPoolLinearProgram(
  backend: WebGPUBackend,
  inputs: [TensorInfo, TensorInfo, TensorInfo],
  g: { batch: number; classes: number },
  precision: WeightPrecision = 'float32',
): TensorInfo {
  const program = new PoolLinearProgram(g.batch, g.classes, precision);
  return runSharedProgram(backend, program, inputs, 'float32');
}
