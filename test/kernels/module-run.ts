/**
 * Runs a kernels module (one build from binary.generated.ts) on a bare WebAssembly
 * memory — no tfjs — so builds can be compared with each other: grouped conv with SiLU
 * and a residual, SiLU, squeeze-excitation, depthwise conv (border loops and padded).
 *
 * Run directly (`node --experimental-wasm-relaxed-simd --import tsx test/kernels/module-run.ts`),
 * it prints JSON comparing the relaxed-SIMD builds with the plain ones: Node 20 runs
 * relaxed SIMD only behind that flag, so test/kernels-build.test.ts spawns it.
 */
import { fileURLToPath } from 'node:url';
import { KERNEL_MODULES } from '../../src/kernels/wasm/binary.generated';

type Variant = keyof typeof KERNEL_MODULES;

export function moduleBytes(variant: Variant): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(KERNEL_MODULES[variant], 'base64'));
}

export function memoryFor(variant: Variant): WebAssembly.Memory {
  return variant.startsWith('threaded')
    ? new WebAssembly.Memory({ initial: 256, maximum: 65536, shared: true }) // as tfjs' threaded build
    : new WebAssembly.Memory({ initial: 256 });
}

/**
 * One build instantiated on a fresh memory, with a bump allocator (16-byte aligned) and
 * the constants table set up. poison: fill each allocation with NaN first, so output a
 * kernel never writes shows up.
 */
async function instantiate(variant: Variant, poison: boolean) {
  const memory = memoryFor(variant);
  const instance = await WebAssembly.instantiate(await WebAssembly.compile(moduleBytes(variant)), {
    env: { memory },
  });
  const k = instance.exports as Record<string, (...args: number[]) => number>;
  const f32 = new Float32Array(memory.buffer);
  let next = 0;
  const alloc = (floats: number, fill?: (i: number) => number): number => {
    const ptr = next;
    next += Math.ceil(floats / 4) * 16;
    if (poison) f32.fill(Number.NaN, ptr / 4, ptr / 4 + floats);
    if (fill) for (let i = 0; i < floats; i++) f32[ptr / 4 + i] = fill(i);
    return ptr;
  };
  const table = alloc(64);
  k.init_constants!(table);
  return { k, f32, alloc, table };
}

/** Outputs of a fixed set of kernel calls (deterministic inputs). */
export async function runKernelModule(variant: Variant): Promise<Float32Array> {
  const { k, f32, alloc, table } = await instantiate(variant, false);
  // grouped conv: x [1, 9, 9, 32], 2 groups of 16, stride 1, silu, + residual
  const x = alloc(9 * 9 * 32, (i) => Math.sin(i * 0.37));
  const w = alloc(9 * 16 * 32, (i) => Math.cos(i * 0.11) * 0.1);
  const bias = alloc(32, (i) => 0.01 * i);
  const res = alloc(9 * 9 * 32, (i) => Math.sin(i * 0.05));
  const conv = alloc(9 * 9 * 32);
  k.group_conv2d!(x, w, bias, res, conv, 1, 9, 9, 32, 32, 3, 1, 1, 2, 2, table, 0, 0, 1);
  const silu = alloc(9 * 9 * 32);
  k.silu!(x, silu, 9 * 9 * 32, table);
  // squeeze-excite on the conv output: C 32 → 6, relu, silu input
  const w1 = alloc(32 * 6, (i) => Math.sin(i) * 0.3);
  const b1 = alloc(6, (i) => 0.1 * i);
  const w2 = alloc(6 * 32, (i) => Math.cos(i) * 0.3);
  const b2 = alloc(32, () => 0.2);
  const [sums, gates, hidden] = [alloc(32), alloc(32), alloc(8)];
  const se = alloc(9 * 9 * 32);
  k.se_sums!(conv, se, sums, 1, 81, 32, 2, table, 0, 1);
  k.se_gates!(sums, 1, w1, b1, w2, b2, gates, hidden, 1, 81, 32, 6, 1, table);
  k.se_scale!(se, gates, se, 1, 81, 32, 0, 1);
  // depthwise 5×5 stride 1 with silu on x, once along the border loops, once padded
  const wd = alloc(25 * 32, (i) => Math.sin(i * 0.3) * 0.2);
  const dw = alloc(9 * 9 * 32);
  const dwPadded = alloc(9 * 9 * 32);
  const padScratch = alloc(13 * 13 * 32);
  k.depthwise_conv2d!(x, wd, bias, dw, 0, 1, 9, 9, 32, 5, 1, 2, 2, table, 0, 1);
  k.depthwise_pad!(x, padScratch, 1, 9, 9, 32, 2);
  k.depthwise_conv2d!(x, wd, bias, dwPadded, padScratch, 1, 9, 9, 32, 5, 1, 2, 2, table, 0, 1);
  const n = 9 * 9 * 32;
  return Float32Array.from(
    [conv, silu, se, dw, dwPadded].flatMap((ptr) => Array.from(f32.subarray(ptr / 4, ptr / 4 + n))),
  );
}

/** Largest |a − b| / (1 + |b|). */
export function maxRelativeDiff(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(
      worst,
      Math.abs((a[i] as number) - (b[i] as number)) / (1 + Math.abs(b[i] as number)),
    );
  }
  return worst;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const report: Record<string, { valid: boolean; diffVsPlain: number | null }> = {};
  for (const [relaxed, plain] of [
    ['relaxed-simd', 'simd'],
    ['threaded-relaxed-simd', 'threaded-simd'],
  ] as const) {
    const valid = WebAssembly.validate(moduleBytes(relaxed));
    const diff = valid
      ? maxRelativeDiff(await runKernelModule(relaxed), await runKernelModule(plain))
      : null;
    report[relaxed] = { valid, diffVsPlain: diff };
  }
  console.log(JSON.stringify(report));
}

/**
 * group_conv2d and depthwise_conv2d computed whole (part 0 of 1) and as `parts` slices
 * called out of order (as pool workers may run them): a 3×3 grouped conv (row slices), a
 * 1×1 conv (pixel slices; filter in place and packed) and a depthwise 3×3 (plain and pre-padded), batch 2: the
 * largest |whole − sliced|, 0 when slices tile the output.
 */
export async function sliceDifference(variant: Variant, parts: number): Promise<number> {
  const { k, f32, alloc, table } = await instantiate(variant, true);
  let worst = 0;
  // [kernel, stride, groups, packed]: RegNet's grouped 3×3 (stride 2), a dense 1×1 on a
  // filter in place and on a packed one (any weights do for slices).
  for (const [kernel, stride, groups, packed] of [
    [3, 2, 4, 0],
    [1, 1, 1, 0],
    [1, 1, 1, 1],
    [1, 1, 1, 2],
  ] as const) {
    const [batch, size, cin, cout] = [2, 11, 32, 48];
    const out = Math.floor((size + 2 * (kernel >> 1) - kernel) / stride) + 1;
    const n = batch * out * out * cout;
    const x = alloc(batch * size * size * cin, (i) => Math.sin(i * 0.37));
    const w = alloc(kernel * kernel * (cin / groups) * cout, (i) => Math.cos(i * 0.11) * 0.1);
    const bias = alloc(cout, (i) => 0.01 * i);
    const [whole, sliced] = [alloc(n), alloc(n)];
    const geometry = [batch, size, size, cin, cout, kernel, stride, kernel >> 1, groups, 1];
    k.group_conv2d!(x, w, bias, 0, whole, ...geometry, table, packed, 0, 1);
    for (let part = parts - 1; part >= 0; part--) {
      k.group_conv2d!(x, w, bias, 0, sliced, ...geometry, table, packed, part, parts);
    }
    for (let i = 0; i < n; i++) {
      worst = Math.max(worst, Math.abs(f32[whole / 4 + i]! - f32[sliced / 4 + i]!));
    }
  }
  // Depthwise 3×3 stride 2 (row slices), once along the border loops, once pre-padded.
  const [batch, size, c] = [2, 11, 24];
  const n = batch * 6 * 6 * c;
  const x = alloc(batch * size * size * c, (i) => Math.sin(i * 0.29));
  const wd = alloc(9 * c, (i) => Math.cos(i * 0.3) * 0.2);
  const bias = alloc(c, (i) => 0.02 * i);
  const padded = alloc(batch * (size + 2) * (size + 2) * c);
  k.depthwise_pad!(x, padded, batch, size, size, c, 1);
  for (const scratch of [0, padded]) {
    const [whole, sliced] = [alloc(n), alloc(n)];
    const geometry = [batch, size, size, c, 3, 2, 1, 2];
    k.depthwise_conv2d!(x, wd, bias, whole, scratch, ...geometry, table, 0, 1);
    for (let part = parts - 1; part >= 0; part--) {
      k.depthwise_conv2d!(x, wd, bias, sliced, scratch, ...geometry, table, part, parts);
    }
    for (let i = 0; i < n; i++) {
      worst = Math.max(worst, Math.abs(f32[whole / 4 + i]! - f32[sliced / 4 + i]!));
    }
  }
  return Math.max(worst, squeezeExciteSliceDifference(k, f32, alloc, table, parts));
}

/**
 * Squeeze-excitation's two passes split as the pool splits them — pixel slices, each
 * summing into its own row of partial sums, called out of order — against the whole passes:
 * batch 2 with slices across the images' boundary, 37 channels (a partial vector), SiLU
 * input activation (y written by the sums pass, then scaled in place) and none.
 */
function squeezeExciteSliceDifference(
  k: Record<string, (...args: number[]) => number>,
  f32: Float32Array,
  alloc: (floats: number, fill?: (i: number) => number) => number,
  table: number,
  parts: number,
): number {
  const [batch, hw, c, cs] = [2, 23, 37, 5];
  const n = batch * hw * c;
  const row = batch * 40; // batch × round4(c)
  const x = alloc(n, (i) => Math.sin(i * 0.41));
  const w1 = alloc(c * cs, (i) => Math.sin(i) * 0.3);
  const b1 = alloc(cs, (i) => 0.1 * i);
  const w2 = alloc(cs * c, (i) => Math.cos(i) * 0.3);
  const b2 = alloc(c, () => 0.2);
  let worst = 0;
  for (const inAct of [0, 2]) {
    const outputs = [1, parts].map((p) => {
      const [partials, gates, hidden, y] = [alloc(p * row), alloc(row), alloc(8), alloc(n)];
      for (let part = p - 1; part >= 0; part--) {
        k.se_sums!(x, y, partials, batch, hw, c, inAct, table, part, p);
      }
      k.se_gates!(partials, p, w1, b1, w2, b2, gates, hidden, batch, hw, c, cs, 1, table);
      for (let part = p - 1; part >= 0; part--) {
        k.se_scale!(inAct === 0 ? x : y, gates, y, batch, hw, c, part, p);
      }
      return y;
    });
    for (let i = 0; i < n; i++) {
      // Partial sums add in another order: equal to float32 rounding, not bit for bit.
      const [whole, sliced] = [f32[outputs[0]! / 4 + i]!, f32[outputs[1]! / 4 + i]!];
      worst = Math.max(worst, Math.abs(whole - sliced) > 1e-5 * (1 + Math.abs(whole)) ? 1 : 0);
      if (Number.isNaN(sliced)) worst = 1;
    }
  }
  return worst;
}
