/**
 * `npm run build:kernels`: compiles the C kernels (the .c files of src/kernels/, each in
 * its kernel's folder, and the shared ones in src/kernels/wasm/) with clang +
 * wasm-ld into two WebAssembly modules — one for tfjs' unshared memory (SIMD build), one
 * for its shared memory (threaded SIMD build) — checks that each can live inside tfjs'
 * memory (tools/wasm-inspect.ts), and writes them base64-encoded into
 * src/kernels/wasm/binary.generated.ts, so the SDK bundle and Node get them with no file
 * to serve. The generated module is committed (CI machines have no clang); the unit test
 * test/kernels-build.test.ts rebuilds it and fails if it is stale.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MODULE_EXPORTS } from '../src/kernels/wasm/module';
import {
  checkGuestModule,
  PROTOTYPE_F32X4_FMA,
  RELAXED_MADD,
  rewriteSimdOpcode,
} from './wasm-inspect';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The kernels' folder: each kernel's C source in its subfolder, shared ones (simd.h) in wasm/. */
export const SOURCE_DIR = join(root, 'src/kernels');
const INCLUDE_DIR = join(SOURCE_DIR, 'wasm');
export const GENERATED_PATH = join(root, 'src/kernels/wasm/binary.generated.ts');

const INSTALL_HINT =
  'The WASM kernels are built with clang and wasm-ld: on Debian/Ubuntu run ' +
  '`apt-get install -y clang lld` (clang 14 or newer with the wasm32 target).';

/**
 * Flags shared by both builds. No libc (-nostdlib, -fno-builtin keeps clang from
 * turning loops into memset calls), no entry point, memory imported from tfjs; a zero
 * stack placed first, so a stack frame that slipped past the checks would underflow
 * address 0 and trap instead of overwriting tfjs' heap.
 */
const COMMON_FLAGS = [
  '--target=wasm32',
  '-O3',
  '-msimd128',
  '-fno-builtin',
  '-nostdlib',
  '-Wall',
  '-Werror',
  '-Wl,--no-entry',
  '-Wl,--import-memory',
  '-Wl,-z,stack-size=0',
  '-Wl,--stack-first',
  '-Wl,--strip-all',
];

/** tfjs' threaded build has a shared memory of at most 4 GiB: the import must match. */
const SHARED_FLAGS = [
  '-matomics',
  '-mbulk-memory',
  '-Wl,--shared-memory',
  '-Wl,--max-memory=4294967296',
];

/** Relaxed SIMD for its FMA (see madd in simd.h); opcodes rewritten after linking. */
const RELAXED_FLAGS = ['-mrelaxed-simd', '-DWEBNETS_RELAXED'];

/** The four builds: tfjs' memory unshared or shared × plain SIMD or relaxed SIMD (FMA). */
export const VARIANTS = {
  simd: { shared: false, relaxed: false },
  'threaded-simd': { shared: true, relaxed: false },
  'relaxed-simd': { shared: false, relaxed: true },
  'threaded-relaxed-simd': { shared: true, relaxed: true },
} as const;
export type Variant = keyof typeof VARIANTS;

/** The exports every build must have: those the TypeScript side calls (src/kernels/wasm/module.ts). */
export const EXPORTS: readonly string[] = MODULE_EXPORTS;

export interface KernelBinaries {
  compiler: string;
  modules: Record<Variant, Uint8Array>;
}

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The clang version line; throws with the install command when clang or wasm-ld is missing. */
export function findToolchain(): string {
  let version: string;
  try {
    version = run('clang', ['--version']).split('\n')[0] ?? 'clang';
    run('wasm-ld', ['--version']);
  } catch (e) {
    throw new Error(
      `clang or wasm-ld not found (${(e as Error).message.split('\n')[0]}). ${INSTALL_HINT}`,
      { cause: e },
    );
  }
  return version.trim();
}

function compile(sources: string[], flags: string[], label: string): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'webnets-kernels-'));
  const out = join(dir, `${label}.wasm`);
  try {
    execFileSync('clang', [...COMMON_FLAGS, `-I${INCLUDE_DIR}`, ...flags, '-o', out, ...sources], {
      cwd: SOURCE_DIR,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new Uint8Array(readFileSync(out));
  } catch (e) {
    const stderr = (e as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(
      `clang failed building the ${label} kernels:\n${stderr || (e as Error).message}\n${INSTALL_HINT}`,
      { cause: e },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Compiles one variant, rewrites its prototype FMA opcodes, and checks the result. */
function buildVariant(sources: string[], variant: Variant): Uint8Array {
  const { shared, relaxed } = VARIANTS[variant];
  const flags = [...(shared ? SHARED_FLAGS : []), ...(relaxed ? RELAXED_FLAGS : [])];
  let bytes = compile(sources, flags, variant);
  if (relaxed) {
    const rewritten = rewriteSimdOpcode(bytes, PROTOTYPE_F32X4_FMA, RELAXED_MADD);
    if (rewritten.count === 0) throw new Error(`kernels (${variant}): no f32x4.fma to rewrite`);
    bytes = rewritten.bytes;
  }
  const facts = checkGuestModule(bytes, `kernels (${variant})`, shared);
  const missing = EXPORTS.filter((name) => !facts.exports.includes(name));
  if (missing.length > 0)
    throw new Error(`kernels (${variant}): missing exports ${missing.join(', ')}`);
  if (facts.simdOpcodes.has(RELAXED_MADD) !== relaxed) {
    throw new Error(`kernels (${variant}): relaxed_madd ${relaxed ? 'missing' : 'present'}`);
  }
  return bytes;
}

export function buildKernels(): KernelBinaries {
  const compiler = findToolchain();
  const sources = readdirSync(SOURCE_DIR, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.c'))
    .sort();
  const modules = Object.fromEntries(
    (Object.keys(VARIANTS) as Variant[]).map((v) => [v, buildVariant(sources, v)]),
  ) as Record<Variant, Uint8Array>;
  return { compiler, modules };
}

export function generatedModule(b: KernelBinaries): string {
  const entries = (Object.keys(VARIANTS) as Variant[]).map(
    (v) =>
      `  // ${b.modules[v].length} bytes\n  '${v}':\n    '${Buffer.from(b.modules[v]).toString('base64')}',`,
  );
  return [
    `// Generated by \`npm run build:kernels\` (tools/build-kernels.ts) from the C sources of src/kernels/`,
    `// with ${b.compiler}. Do not edit: change the C and rebuild.`,
    '',
    '/**',
    " * The kernels module, base64, per build: for tfjs' unshared memory (its SIMD build) or",
    ' * shared memory (threaded build), with plain SIMD or relaxed SIMD (FMA).',
    ' */',
    'export const KERNEL_MODULES = {',
    ...entries,
    '} as const;',
    '',
  ].join('\n');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const binaries = buildKernels();
  writeFileSync(GENERATED_PATH, generatedModule(binaries));
  const sizes = Object.entries(binaries.modules).map(([v, m]) => `${v} ${m.length}`);
  console.log(
    `build:kernels: ${sizes.join(', ')} bytes (${binaries.compiler}) -> ${GENERATED_PATH}`,
  );
}
