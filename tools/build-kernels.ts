/**
 * `npm run build:kernels`: compiles the C kernels (the .c files of src/kernels/, each in
 * its kernel's folder, and the shared ones in src/kernels/wasm/) into four WebAssembly
 * modules — tfjs' unshared memory (SIMD build) or shared memory (threaded SIMD build) ×
 * plain or relaxed SIMD — checks that each can live inside tfjs' memory
 * (tools/wasm-inspect.ts), and writes them base64-encoded into
 * src/kernels/wasm/binary.generated.ts, so the SDK bundle and Node get them with no file
 * to serve. The compiler is @yowasp/clang, LLVM's clang and wasm-ld compiled to
 * WebAssembly, pinned as a devDependency: the build needs nothing but Node and
 * `npm install`, and gives the same bytes on every machine (the compiler sees only the
 * sources' contents, by relative path, in a virtual file system). The generated module is
 * committed; the unit test test/kernels-build.test.ts rebuilds it and fails if it is stale.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as Yowasp from '@yowasp/clang';
import type { Command, Tree } from '@yowasp/clang';
import { MODULE_EXPORTS } from '../src/kernels/wasm/module';
import { checkGuestModule, RELAXED_MADD } from './wasm-inspect';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The kernels' folder: each kernel's C source in its subfolder, shared ones (simd.h) in wasm/. */
export const SOURCE_DIR = join(root, 'src/kernels');
/** Where the shared headers are, relative to SOURCE_DIR. */
const INCLUDE_DIR = 'wasm';
export const GENERATED_PATH = join(root, 'src/kernels/wasm/binary.generated.ts');

/**
 * Compiler flags of every build. No libc (-nostdlib, -fno-builtin keeps clang from
 * turning loops into memset calls). Atomics and bulk memory, which the shared-memory link
 * requires, for all: the C uses neither atomics nor thread-locals, so each source compiles
 * to the same code for both memories and is compiled once per SIMD level.
 */
const COMPILE_FLAGS = [
  '--target=wasm32',
  '-O3',
  '-msimd128',
  '-matomics',
  '-mbulk-memory',
  '-fno-builtin',
  '-nostdlib',
  '-Wall',
  '-Werror',
  `-I${INCLUDE_DIR}`,
];

/** Relaxed SIMD for its FMA (see madd in simd.h). */
const RELAXED_FLAGS = ['-mrelaxed-simd', '-DWEBNETS_RELAXED'];

/**
 * wasm-ld flags of every build: no entry point, memory imported from tfjs; a zero stack
 * placed first, so a stack frame that slipped past the checks would underflow address 0
 * and trap instead of overwriting tfjs' heap; no names or custom sections.
 */
const LINK_FLAGS = [
  '--no-entry',
  '--import-memory',
  '-z',
  'stack-size=0',
  '--stack-first',
  '--strip-all',
];

/** tfjs' threaded build has a shared memory of at most 4 GiB: the import must match. */
const SHARED_LINK_FLAGS = ['--shared-memory', '--max-memory=4294967296'];

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

interface Toolchain {
  clang: Command;
  wasmLd: Command;
  /** The compiler's version line and the package it came from, for the generated header. */
  version: string;
}

/** Loads the pinned toolchain; throws saying to run `npm install` when it is missing. */
async function loadToolchain(): Promise<Toolchain> {
  let yowasp: typeof Yowasp;
  try {
    yowasp = await import('@yowasp/clang');
  } catch (e) {
    throw new Error(
      `the WASM kernels are built with the devDependency @yowasp/clang, which is not ` +
        `installed (${(e as Error).message.split('\n')[0]}): run \`npm install\``,
      { cause: e },
    );
  }
  await yowasp.runLLVM(undefined, {}, { fetchProgress: () => {} }); // no command: load its modules, quietly
  const clang = yowasp.commands.clang;
  const versionLine = (await runTool(clang, ['--version'], {}, 'clang --version')).output;
  const pkg = (yowasp as unknown as { version?: unknown }).version;
  return {
    clang,
    wasmLd: yowasp.commands['wasm-ld'],
    version: `@yowasp/clang ${String(pkg)}: ${versionLine.split('\n')[0]?.trim() ?? '?'}`,
  };
}

/** Runs one tool on a virtual file tree; returns the tree after it and what it printed. */
async function runTool(
  tool: Command,
  args: string[],
  files: Tree,
  label: string,
): Promise<{ files: Tree; output: string }> {
  let output = '';
  const print = (bytes: Uint8Array | null): void => {
    if (bytes) output += new TextDecoder().decode(bytes);
  };
  try {
    const after = await tool(args, files, { stdout: print, stderr: print, decodeASCII: false });
    return { files: after ?? {}, output };
  } catch (e) {
    throw new Error(`${label} failed:\n${output || (e as Error).message}`, { cause: e });
  }
}

function fileBytes(tree: Tree, name: string, label: string): Uint8Array {
  const file = tree[name];
  if (!(file instanceof Uint8Array)) throw new Error(`${label}: produced no ${name}`);
  return file;
}

/** Links one variant from its SIMD level's objects and checks the result. */
async function linkVariant(tools: Toolchain, objects: Tree, variant: Variant): Promise<Uint8Array> {
  const { shared, relaxed } = VARIANTS[variant];
  const label = `kernels (${variant})`;
  const args = [...LINK_FLAGS, ...(shared ? SHARED_LINK_FLAGS : []), '-o', 'kernels.wasm'];
  const linked = await runTool(
    tools.wasmLd,
    [...args, ...Object.keys(objects).sort()],
    objects,
    `wasm-ld, ${label}`,
  );
  const bytes = fileBytes(linked.files, 'kernels.wasm', label);
  const facts = checkGuestModule(bytes, label, shared);
  const missing = EXPORTS.filter((name) => !facts.exports.includes(name));
  if (missing.length > 0) throw new Error(`${label}: missing exports ${missing.join(', ')}`);
  if (facts.simdOpcodes.has(RELAXED_MADD) !== relaxed) {
    throw new Error(`${label}: relaxed_madd ${relaxed ? 'missing' : 'present'}`);
  }
  return bytes;
}

/** The C sources and headers under SOURCE_DIR, relative paths with '/', sorted. */
function sourcePaths(): string[] {
  return readdirSync(SOURCE_DIR, { recursive: true, encoding: 'utf8' })
    .map((f) => f.split('\\').join('/'))
    .filter((f) => f.endsWith('.c') || f.endsWith('.h'))
    .sort();
}

/** The sources as the compiler's virtual working directory: one folder of the tree per '/'. */
function sourceTree(paths: string[]): Tree {
  const tree: Tree = {};
  for (const path of paths) {
    const parts = path.split('/');
    let dir = tree;
    for (const part of parts.slice(0, -1)) dir = (dir[part] ??= {}) as Tree;
    dir[parts[parts.length - 1] as string] = new Uint8Array(readFileSync(join(SOURCE_DIR, path)));
  }
  return tree;
}

/** Each source's object file: clang -c writes it by the source's base name, so those must differ. */
function objectNames(cFiles: string[]): string[] {
  const names = cFiles.map((c) => basename(c).replace(/\.c$/, '.o'));
  const twice = names.filter((n, i) => names.indexOf(n) !== i);
  if (twice.length > 0) {
    throw new Error(`kernels: C sources in different folders share a name (${twice.join(', ')})`);
  }
  return names;
}

export async function buildKernels(): Promise<KernelBinaries> {
  const tools = await loadToolchain();
  const paths = sourcePaths();
  const sources = sourceTree(paths);
  const cFiles = paths.filter((f) => f.endsWith('.c'));
  const oFiles = objectNames(cFiles);
  const modules: Partial<Record<Variant, Uint8Array>> = {};
  for (const relaxed of [false, true]) {
    const flags = [...COMPILE_FLAGS, ...(relaxed ? RELAXED_FLAGS : []), '-c', ...cFiles];
    const compiled = await runTool(
      tools.clang,
      flags,
      sources,
      `clang, ${relaxed ? 'relaxed-SIMD' : 'SIMD'} objects`,
    );
    const objects: Tree = Object.fromEntries(
      oFiles.map((o, i) => [o, fileBytes(compiled.files, o, `clang ${cFiles[i] ?? ''}`)]),
    );
    for (const variant of (Object.keys(VARIANTS) as Variant[]).filter(
      (v) => VARIANTS[v].relaxed === relaxed,
    )) {
      modules[variant] = await linkVariant(tools, objects, variant);
    }
  }
  return { compiler: tools.version, modules: modules as Record<Variant, Uint8Array> };
}

export function generatedModule(b: KernelBinaries): string {
  const entries = (Object.keys(VARIANTS) as Variant[]).map(
    (v) =>
      `  // ${b.modules[v].length} bytes\n  '${v}':\n    '${Buffer.from(b.modules[v]).toString('base64')}',`,
  );
  return [
    `// Generated by \`npm run build:kernels\` (tools/build-kernels.ts) from the C sources of src/kernels/`,
    `// with ${b.compiler}.`,
    '// Do not edit: change the C and rebuild.',
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
  const binaries = await buildKernels();
  writeFileSync(GENERATED_PATH, generatedModule(binaries));
  const sizes = Object.entries(binaries.modules).map(([v, m]) => `${v} ${m.length}`);
  console.log(
    `build:kernels: ${sizes.join(', ')} bytes (${binaries.compiler}) -> ${GENERATED_PATH}`,
  );
}
