/**
 * WGSL the WebGPU kernels share: the activations, and the flat index of the workgroup a
 * tfjs program runs in (tfjs reshapes a long 1-D dispatch into 2-D or 3-D past the
 * adapter's per-dimension limit, so a kernel that works per workgroup asks for it here).
 */
import type { KernelActivation } from './kernel';

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
 * `cout4` in scope.
 */
export function pointwiseStepWgsl(weights: string, reads: string[], offset = '0'): string {
  const rows = [0, 1, 2, 3].map((i) => `let w${i} = ${weights}[row + ${i} * cout4];`);
  const sums = reads.map(
    (read, r) => `let x${r} = ${read};
    acc${r} += x${r}.x * w0 + x${r}.y * w1 + x${r}.z * w2 + x${r}.w * w3;`,
  );
  return [`let row = ${offset} + c4 * 4 * cout4 + co4;`, ...rows, ...sums].join('\n    ');
}
