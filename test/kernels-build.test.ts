/**
 * The committed WASM kernels module (src/kernels/wasm/binary.generated.ts) is current —
 * a rebuild from src/kernels/wasm/c/ gives the same bytes — and safe to instantiate on
 * tfjs' memory: it imports that memory and writes nothing but what it is handed.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SIMD_WASM_BASE64, THREADED_SIMD_WASM_BASE64 } from '../src/kernels/wasm/binary.generated';
import { buildKernels, EXPORTS, GENERATED_PATH, generatedModule } from '../tools/build-kernels';
import { checkGuestModule } from '../tools/wasm-inspect';

const committed = {
  simd: new Uint8Array(Buffer.from(SIMD_WASM_BASE64, 'base64')),
  threadedSimd: new Uint8Array(Buffer.from(THREADED_SIMD_WASM_BASE64, 'base64')),
};

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
  it("committed binaries import tfjs' memory (unshared / shared) and have no data or stack", () => {
    for (const [label, bytes, shared] of [
      ['simd', committed.simd, false],
      ['threaded-simd', committed.threadedSimd, true],
    ] as const) {
      const facts = checkGuestModule(bytes, label, shared);
      expect(facts.exports.sort()).toEqual([...EXPORTS].sort());
      expect(WebAssembly.validate(bytes)).toBe(true);
    }
  });

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

  it("the threaded build runs on a shared memory shaped like tfjs' (max 4 GiB) and matches the SIMD build", async () => {
    const run = async (bytes: Uint8Array, memory: WebAssembly.Memory): Promise<Float32Array> => {
      const instance = await WebAssembly.instantiate(
        await WebAssembly.compile(new Uint8Array(bytes)),
        { env: { memory } },
      );
      const k = instance.exports as Record<string, (...args: number[]) => void>;
      const f32 = new Float32Array(memory.buffer);
      // constants at 0, x [1, 5, 5, 16] at byte 1024, w [3, 3, 8, 16], bias, then y [1, 3, 3, 16]
      const [x, w, b, y] = [1024, 1024 + 400 * 4, 1024 + 1552 * 4, 1024 + 1568 * 4];
      for (let i = 0; i < 1568; i++) f32[x / 4 + i] = Math.sin(i * 0.37);
      k.init_constants?.(0);
      k.group_conv2d?.(x, w, b, y, 1, 5, 5, 16, 16, 3, 2, 1, 2, 2, 0);
      k.silu?.(y, y + 144 * 4, 144, 0);
      return f32.slice(y / 4, y / 4 + 288);
    };
    const unshared = await run(committed.simd, new WebAssembly.Memory({ initial: 1 }));
    const sharedMemory = new WebAssembly.Memory({ initial: 256, maximum: 65536, shared: true });
    expect(sharedMemory.buffer).toBeInstanceOf(SharedArrayBuffer);
    const shared = await run(committed.threadedSimd, sharedMemory);
    expect(Array.from(shared)).toEqual(Array.from(unshared));
    expect(unshared.some((v) => v !== 0)).toBe(true);
  });

  it('rebuilds from src/kernels/wasm/c/ to exactly the committed module (needs clang + wasm-ld)', () => {
    const built = buildKernels(); // throws, saying how to install clang and lld, when they are missing
    const current = readFileSync(GENERATED_PATH, 'utf8');
    const sameBytes =
      Buffer.compare(Buffer.from(built.simd), Buffer.from(committed.simd)) === 0 &&
      Buffer.compare(Buffer.from(built.threadedSimd), Buffer.from(committed.threadedSimd)) === 0;
    expect(
      sameBytes && current === generatedModule(built),
      `${GENERATED_PATH} is stale for ${built.compiler}: run \`npm run build:kernels\` and commit it ` +
        `(committed header: ${current.split('\n')[1] ?? '?'})`,
    ).toBe(true);
  });
});
