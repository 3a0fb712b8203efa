/**
 * WGSL the WebGPU kernels share: the activations, and the flat index of the workgroup a
 * tfjs program runs in (tfjs reshapes a long 1-D dispatch into 2-D or 3-D past the
 * adapter's per-dimension limit, so a kernel that works per workgroup asks for it here).
 */
import type { WeightPrecision } from './half';
import type { KernelActivation } from './kernel';

/**
 * The directive a precision needs: `enable f16;` for float16 weights. WGSL wants it before
 * every declaration, and tfjs puts its own first: the device webnets opens moves it to the
 * top of the module (backend/webgpu.ts `hoistEnableDirectives`).
 */
export function precisionDirective(precision: WeightPrecision): string {
  return precision === 'float16' ? 'enable f16;' : '';
}

/**
 * `fn <name>(i : i32) -> T`: element i of weight buffer `buffer` by its values' flat index:
 * a float32 buffer's f32, or a float16-pairs one's (half.ts) f16.
 */
export function weightReaderWgsl(name: string, buffer: string, precision: WeightPrecision): string {
  return precision === 'float16'
    ? `fn ${name}(i : i32) -> f16 { return bitcast<vec2<f16>>(${buffer}[i >> 1u])[i & 1]; }`
    : `fn ${name}(i : i32) -> f32 { return ${buffer}[i]; }`;
}

/**
 * An f32 activation `x` times a weight `w` read by weightReaderWgsl, as f32: with float16
 * weights the product is made in f16 (the caller's sum stays f32).
 */
export function weightProductWgsl(x: string, w: string, precision: WeightPrecision): string {
  return precision === 'float16' ? `f32(f16(${x}) * ${w})` : `${x} * ${w}`;
}

/**
 * `fn <name>(v : T) -> T` for an activation, T f32 or vec4<f32>; SiLU as v / (1 + e^-v)
 * stays finite for any v.
 */
export function activationWgsl(
  name: string,
  activation: KernelActivation,
  type: 'f32' | 'vec4<f32>' = 'f32',
): string {
  const body: Record<KernelActivation, string> = {
    linear: 'return v;',
    relu: `return max(v, ${type}(0.0));`,
    silu: 'return v / (1.0 + exp(-v));',
  };
  return `fn ${name}(v : ${type}) -> ${type} { ${body[activation]} }`;
}

/** `fn flatWorkgroup() -> i32`: the workgroup's index in a dispatch tfjs may have reshaped. */
export const FLAT_WORKGROUP_WGSL = `
  fn flatWorkgroup() -> i32 {
    return i32(workgroupId.z * numWorkgroups.x * numWorkgroups.y +
               workgroupId.y * numWorkgroups.x + workgroupId.x);
  }`;

/**
 * One input-channel step of a 1×1 conv on vec4s, the inner loop both the pointwise and the
 * fused separable kernels run: input channels c4·4 … c4·4+3 of each pixel (`reads[r]`, a vec4
 * expression) times the four weight rows of output channels co4·4 … co4·4+3 in `weights`
 * (rows of `cout4` vec4s, from vec4 `offset` on), added to `acc<r>`. Expects `c4`, `co4` and
 * `cout4` in scope. With float16 weights `weights` holds vec2<i32> (4 halves each, read as
 * vec4<f16>): the step's four products and their sum are f16, added to the f32 `acc<r>`.
 */
export function pointwiseStepWgsl(
  weights: string,
  reads: string[],
  offset = '0',
  precision: WeightPrecision = 'float32',
): string {
  const half = precision === 'float16';
  const rows = [0, 1, 2, 3].map((i) => {
    const read = `${weights}[row + ${i} * cout4]`;
    return `let w${i} = ${half ? `bitcast<vec4<f16>>(${read})` : read};`;
  });
  const sums = reads.map((read, r) => {
    const sum = `x${r}.x * w0 + x${r}.y * w1 + x${r}.z * w2 + x${r}.w * w3`;
    return `let x${r} = ${half ? `vec4<f16>(${read})` : read};
    acc${r} += ${half ? `vec4<f32>(${sum})` : sum};`;
  });
  return [`let row = ${offset} + c4 * 4 * cout4 + co4;`, ...rows, ...sums].join('\n    ');
}
