/**
 * The committed WASM kernels module (src/kernels/wasm/binary.generated.ts) is current —
 * a rebuild from the C sources of src/kernels/ gives the same bytes — and safe to instantiate on
 * tfjs' memory: it imports that memory and writes nothing but what it is handed.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { KERNEL_MODULES } from '../src/kernels/wasm/binary.generated';
import {
  buildKernels,
  EXPORTS,
  GENERATED_PATH,
  generatedModule,
  VARIANTS,
} from '../tools/build-kernels';
import type { Variant } from '../tools/build-kernels';
import { checkGuestModule, RELAXED_MADD } from '../tools/wasm-inspect';
import { ACTIVATION_CODES } from '../src/kernels';
import { checkActivationCodes } from '../src/kernels/wasm/module';
import {
  maxRelativeDiff,
  memoryFor,
  moduleBytes,
  runKernelModule,
  sliceDifference,
} from './kernels/module-run';

const variants = Object.keys(VARIANTS) as Variant[];

/** A minimal module importing env.memory, with one extra section and one function body. */
function tinyModule(body: number[], extraSections: number[][] = []): Uint8Array {
  const section = (id: number, bytes: number[]): number[] => [id, bytes.length, ...bytes];
  const name = (s: string): number[] => [s.length, ...Array.from(s, (c) => c.charCodeAt(0))];
  const code = [0x00, ...body, 0x0b]; // no locals, body, end
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [1, 0x60, 0, 0]), // type: () -> ()
    ...section(2, [1, ...name('env'), ...name('memory'), 0x02, 0x00, 0x00]), // memory, min 0
    ...section(3, [1, 0]),
    ...section(6, [1, 0x7f, 0x01, 0x41, 0x00, 0x0b]), // mutable i32 global (a stack pointer)
    ...extraSections.flat(),
    ...section(10, [1, code.length, ...code]),
  ]);
}

describe('WASM kernels module', () => {
  it.each(variants)(
    "committed %s build imports tfjs' memory and has no data or stack",
    (variant) => {
      const { shared, relaxed } = VARIANTS[variant];
      const facts = checkGuestModule(moduleBytes(variant), variant, shared);
      expect(facts.exports.sort()).toEqual([...EXPORTS].sort());
      expect(facts.simdOpcodes.has(RELAXED_MADD)).toBe(relaxed);
      if (!relaxed) expect(WebAssembly.validate(moduleBytes(variant))).toBe(true);
    },
  );

  it.each(['simd', 'threaded-simd'] as const)(
    'the %s build exports its activation codes, and they are the TypeScript table; setup refuses codes that differ',
    async (variant) => {
      const memory = memoryFor(variant);
      const { instance } = await WebAssembly.instantiate(moduleBytes(variant), { env: { memory } });
      const codes = Object.keys(ACTIVATION_CODES).map((name) =>
        (instance.exports[`activation_${name}`] as () => number)(),
      );
      expect(codes).toEqual(Object.values(ACTIVATION_CODES));
      expect(() => checkActivationCodes(instance.exports, variant)).not.toThrow();
      const swapped = {
        activation_linear: () => 0,
        activation_relu: () => 2,
        activation_silu: () => 1,
      };
      expect(() => checkActivationCodes(swapped, 'a foreign build')).toThrow(
        "webnets WASM kernels (a foreign build): the module's activation code for 'relu' is 2, src/kernels/kernel.ts says 1: rebuild the module (npm run build:kernels)",
      );
      expect(() => checkActivationCodes({}, 'an old build')).toThrow(/'linear' is missing/);
    },
  );

  it('the checker rejects stack frames and data segments, and accepts a clean module', () => {
    const vectorOps = [
      0x41,
      0x00,
      0xfd,
      0x00,
      0x04,
      0x00,
      0xfd,
      0x0c,
      ...new Array(16).fill(0x23),
      0x1a,
      0x1a,
    ];
    expect(() => checkGuestModule(tinyModule(vectorOps), 'clean', false)).not.toThrow();
    expect(() => checkGuestModule(tinyModule([0x23, 0x00, 0x1a]), 'stack', false)).toThrow(
      /stack: unsafe to share tfjs' memory: accesses globals 1 time\(s\)/,
    );
    const data = [11, 7, 1, 0x00, 0x41, 0x10, 0x0b, 1, 0x2a]; // one active segment at 16
    expect(() => checkGuestModule(tinyModule([], [data]), 'data', false)).toThrow(
      /has 1 data segment/,
    );
    expect(() => checkGuestModule(tinyModule([]), 'shared', true)).toThrow(/memory must be shared/);
  });

  it.each([2, 3, 7, 40])(
    'group and depthwise convs and squeeze-excitation in %i slices (any order, as pool threads run them) equal the whole op',
    async (parts) => {
      // NaN-filled outputs: a pixel no slice wrote would show as NaN.
      expect(await sliceDifference('simd', parts)).toBe(0);
      expect(await sliceDifference('threaded-simd', parts)).toBe(0);
    },
  );

  it("the threaded build runs on a shared memory shaped like tfjs' (max 4 GiB) and matches the unshared one", async () => {
    const unshared = await runKernelModule('simd');
    expect(unshared.some((v) => v !== 0)).toBe(true);
    const n = 9 * 9 * 32; // the depthwise conv, computed along its border loops and on a padded copy
    expect(maxRelativeDiff(unshared.subarray(3 * n, 4 * n), unshared.subarray(4 * n, 5 * n))).toBe(
      0,
    );
    expect(Array.from(await runKernelModule('threaded-simd'))).toEqual(Array.from(unshared));
  });

  it('the relaxed-SIMD (FMA) builds validate and match the plain ones (Node with --experimental-wasm-relaxed-simd)', () => {
    const out = execFileSync(
      process.execPath,
      ['--experimental-wasm-relaxed-simd', '--import', 'tsx', 'test/kernels/module-run.ts'],
      { encoding: 'utf8' },
    );
    const report = JSON.parse(out.trim().split('\n').pop() ?? '{}') as Record<
      string,
      { valid: boolean; diffVsPlain: number }
    >;
    for (const variant of ['relaxed-simd', 'threaded-relaxed-simd']) {
      expect(report[variant]?.valid, `${variant} validates`).toBe(true);
      expect(report[variant]?.diffVsPlain, `${variant} vs plain SIMD`).toBeLessThan(1e-5);
    }
  });

  it('rebuilds from the C sources of src/kernels/ to exactly the committed module (with the pinned @yowasp/clang)', async () => {
    const built = await buildKernels(); // throws, saying to run `npm install`, when the toolchain is missing
    const current = readFileSync(GENERATED_PATH, 'utf8');
    const stale = variants.filter(
      (v) => Buffer.compare(Buffer.from(built.modules[v]), Buffer.from(moduleBytes(v))) !== 0,
    );
    expect(
      stale.length === 0 && current === generatedModule(built),
      `${GENERATED_PATH} is stale (${stale.join(', ') || 'text'}) for ${built.compiler}: run ` +
        `\`npm run build:kernels\` and commit it (committed header: ${current.split('\n')[1] ?? '?'})`,
    ).toBe(true);
    expect(Object.keys(KERNEL_MODULES).sort()).toEqual([...variants].sort());
  }, 300_000); // the compiler runs as WebAssembly: ~30 s on a 2-core machine, twice that under load
});
