/**
 * `npx tsx bench/dawn/kit.ts --out DIR [--node]`: the Dawn benchmark as a folder that runs
 * with `node` alone on a GPU machine that has no npm, no registry and no checkout (a lent
 * cloud GPU, a lab machine): the benchmark bundled into one file (esbuild), tfjs' WASM
 * binaries, and Dawn's Node binding for linux-x64. `--node` adds this Node's own binary,
 * xz-compressed, for machines without Node. Run there:
 *   node --experimental-wasm-relaxed-simd DIR/dawn-bench.mjs --wasm-dir DIR/wasm [options]
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { wasmBinaryNames } from '../../src/platform';
import { OptionError, runMain } from '../lib/options';
import { root } from '../lib/paths';
import { DAWN_PACKAGE } from './gpu';

const DAWN_FILES = ['package.json', 'index.js', 'dist/linux-x64/dawn.node'];

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { out: { type: 'string' }, node: { type: 'boolean', default: false } },
  });
  if (values.out === undefined) throw new OptionError('--out DIR is required: where the kit goes');
  const out = resolve(values.out);
  const dawn = join(root, 'node_modules/webgpu');
  for (const file of DAWN_FILES) {
    if (!existsSync(join(dawn, file))) {
      throw new Error(
        `node_modules/webgpu/${file} is missing: run \`npm install --no-save ${DAWN_PACKAGE}\` first`,
      );
    }
  }
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, 'wasm'), { recursive: true });
  await build({
    entryPoints: [join(root, 'bench/dawn/main.ts')],
    outfile: join(out, 'dawn-bench.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['webgpu'],
    // tfjs' Node code calls require() and reads __dirname; an ES module has neither.
    banner: {
      js: [
        "import { createRequire as __wnRequire } from 'node:module';",
        "import { dirname as __wnDirname } from 'node:path';",
        "import { fileURLToPath as __wnPath } from 'node:url';",
        'const require = __wnRequire(import.meta.url);',
        'const __filename = __wnPath(import.meta.url);',
        'const __dirname = __wnDirname(__filename);',
      ].join('\n'),
    },
    logLevel: 'warning',
  });
  for (const file of wasmBinaryNames) {
    copyFileSync(
      join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist', file),
      join(out, 'wasm', file),
    );
  }
  for (const file of DAWN_FILES) {
    const to = join(out, 'node_modules/webgpu', file);
    mkdirSync(join(to, '..'), { recursive: true });
    copyFileSync(join(dawn, file), to);
  }
  if (values.node) {
    const xz = execFileSync('xz', ['-T0', '-6', '-c', process.execPath], { maxBuffer: 2 ** 30 });
    writeFileSync(join(out, 'node.xz'), xz);
  }
  const commit = (() => {
    try {
      return execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
        cwd: root,
        encoding: 'utf8',
      }).trim();
    } catch {
      return 'unknown';
    }
  })();
  writeFileSync(join(out, 'COMMIT'), `${commit}\n`);
  const mb = (f: string): string => (statSync(join(out, f)).size / 2 ** 20).toFixed(1);
  console.log(
    `bench/dawn/kit: ${out}: dawn-bench.mjs ${mb('dawn-bench.mjs')} MB, dawn.node ${mb('node_modules/webgpu/dist/linux-x64/dawn.node')} MB` +
      (values.node ? `, node.xz ${mb('node.xz')} MB` : '') +
      `\nrun there: WEBNETS_COMMIT=${commit} node --experimental-wasm-relaxed-simd ${out}/dawn-bench.mjs --wasm-dir ${out}/wasm`,
  );
  return 0;
}

await runMain('bench/dawn/kit', () => main(process.argv.slice(2)));
