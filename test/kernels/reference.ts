/**
 * Straightforward float64 references for the custom kernels: loops that read like the
 * definitions in src/kernels/<kernel>/index.ts, independent of tfjs and of the kernels' blocking.
 */
import type { KernelActivation } from '../../src/kernels';

export function activate(v: number, act: KernelActivation): number {
  if (act === 'relu') return Math.max(v, 0);
  if (act === 'silu') return v / (1 + Math.exp(-v));
  return v;
}

export interface ConvCase {
  batch: number;
  height: number;
  width: number;
  inChannels: number;
  outChannels: number;
  kernel: number;
  stride: number;
  groups: number;
  activation: KernelActivation;
}

/** [N, H, W, Cin, Cout, k, stride, groups, activation] → ConvCase (compact test tables). */
export type ConvRow = [
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  KernelActivation,
];

export function convCase([
  batch,
  height,
  width,
  inChannels,
  outChannels,
  kernel,
  stride,
  groups,
  activation,
]: ConvRow): ConvCase {
  return { batch, height, width, inChannels, outChannels, kernel, stride, groups, activation };
}

export function outSize(c: ConvCase): [number, number] {
  const pad = Math.floor(c.kernel / 2);
  return [
    Math.floor((c.height + 2 * pad - c.kernel) / c.stride) + 1,
    Math.floor((c.width + 2 * pad - c.kernel) / c.stride) + 1,
  ];
}

/** x NHWC, w [k, k, Cin/groups, Cout], bias [Cout]; pad ⌊k/2⌋. */
export function refGroupConv(
  c: ConvCase,
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array,
  residual?: Float32Array,
): Float64Array {
  const { batch, height, width, inChannels: cin, outChannels: cout, kernel: k, stride, groups } = c;
  const pad = Math.floor(k / 2);
  const [oh, ow] = outSize(c);
  const gIn = cin / groups;
  const gOut = cout / groups;
  const y = new Float64Array(batch * oh * ow * cout);
  for (let b = 0; b < batch; b++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let co = 0; co < cout; co++) {
          const g = Math.floor(co / gOut);
          let sum = bias[co] as number;
          for (let ky = 0; ky < k; ky++) {
            const iy = oy * stride - pad + ky;
            if (iy < 0 || iy >= height) continue;
            for (let kx = 0; kx < k; kx++) {
              const ix = ox * stride - pad + kx;
              if (ix < 0 || ix >= width) continue;
              for (let ci = 0; ci < gIn; ci++) {
                const xv = x[((b * height + iy) * width + ix) * cin + g * gIn + ci] as number;
                sum += xv * (w[((ky * k + kx) * gIn + ci) * cout + co] as number);
              }
            }
          }
          const at = ((b * oh + oy) * ow + ox) * cout + co;
          y[at] = activate(sum + (residual ? (residual[at] as number) : 0), c.activation);
        }
  return y;
}

export function refSqueezeExcite(
  shape: [number, number, number, number],
  x: Float32Array,
  w1: Float32Array,
  b1: Float32Array,
  w2: Float32Array,
  b2: Float32Array,
  act: 'relu' | 'silu',
  inputAct: 'linear' | 'silu',
): Float64Array {
  const [batch, h, w, c] = shape;
  const cs = b1.length;
  const hw = h * w;
  const y = new Float64Array(x.length);
  for (let b = 0; b < batch; b++) {
    const xa = (i: number, ch: number): number =>
      activate(x[(b * hw + i) * c + ch] as number, inputAct);
    const mean = Array.from({ length: c }, (_, ch) => {
      let s = 0;
      for (let i = 0; i < hw; i++) s += xa(i, ch);
      return s / hw;
    });
    const hidden = Array.from({ length: cs }, (_, j) => {
      let s = b1[j] as number;
      for (let ch = 0; ch < c; ch++) s += (mean[ch] as number) * (w1[ch * cs + j] as number);
      return activate(s, act);
    });
    for (let ch = 0; ch < c; ch++) {
      let s = b2[ch] as number;
      for (let j = 0; j < cs; j++) s += (hidden[j] as number) * (w2[j * c + ch] as number);
      const gate = 1 / (1 + Math.exp(-s));
      for (let i = 0; i < hw; i++) y[(b * hw + i) * c + ch] = xa(i, ch) * gate;
    }
  }
  return y;
}

/** x NHWC, w [k, k, C, 1] (tfjs' depthwise layout), bias [C]; pad ⌊k/2⌋. */
export function refDepthwise(
  shape: [number, number, number, number],
  k: number,
  stride: number,
  act: KernelActivation,
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array,
): Float64Array {
  const [batch, height, width, c] = shape;
  const pad = Math.floor(k / 2);
  const oh = Math.floor((height + 2 * pad - k) / stride) + 1;
  const ow = Math.floor((width + 2 * pad - k) / stride) + 1;
  const y = new Float64Array(batch * oh * ow * c);
  for (let b = 0; b < batch; b++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let ch = 0; ch < c; ch++) {
          let sum = bias[ch] as number;
          for (let ky = 0; ky < k; ky++) {
            const iy = oy * stride - pad + ky;
            if (iy < 0 || iy >= height) continue;
            for (let kx = 0; kx < k; kx++) {
              const ix = ox * stride - pad + kx;
              if (ix < 0 || ix >= width) continue;
              const xv = x[((b * height + iy) * width + ix) * c + ch] as number;
              sum += xv * (w[(ky * k + kx) * c + ch] as number);
            }
          }
          y[((b * oh + oy) * ow + ox) * c + ch] = activate(sum, act);
        }
  return y;
}
