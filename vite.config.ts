import {
  copyFileSync,
  createReadStream,
  existsSync,
  mkdirSync,
  readdirSync,
  statSync,
} from 'node:fs';
import { dirname, extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Connect, Plugin } from 'vite';
import { defineConfig } from 'vite';

const root = dirname(fileURLToPath(import.meta.url));

/**
 * Cross-origin isolation: with these two headers `crossOriginIsolated` is true,
 * SharedArrayBuffer exists, and tfjs picks the multi-threaded WASM SIMD binary.
 */
export const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/**
 * Folders served as they are (no Vite transform), with isolation headers: the built SDK
 * (dist/webnets.js starts dist/webnets-worker.js and fetches the binaries beside itself, as
 * from any static folder; transforming the two bundles and their source maps took the dev
 * server tens of seconds on a busy machine), test data (read-only), converted packs, and for
 * `npm run bench` the ONNX exports and onnxruntime-web's own .mjs/.wasm files (it imports
 * them by URL at run time).
 */
export const staticMounts: Record<string, string> = {
  '/dist/': resolve(root, 'dist'),
  '/shared/': process.env.WEBNETS_SHARED ?? resolve(root, '../shared'),
  '/packs/': resolve(root, 'models/packs'),
  '/onnx/': resolve(root, 'models/onnx'),
  '/ort/': resolve(root, 'node_modules/onnxruntime-web/dist'),
};

const mimeTypes: Record<string, string> = {
  '.json': 'application/json',
  '.bin': 'application/octet-stream',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.f32': 'application/octet-stream',
  '.wasm': 'application/wasm',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.map': 'application/json',
  '.onnx': 'application/octet-stream',
  '.y4m': 'application/octet-stream',
};

function serveMounts(): Connect.NextHandleFunction {
  return (req, res, next) => {
    const url = decodeURIComponent((req.url ?? '').split('?')[0] ?? '');
    for (const [prefix, dir] of Object.entries(staticMounts)) {
      if (!url.startsWith(prefix)) continue;
      const file = normalize(join(dir, url.slice(prefix.length)));
      if (!file.startsWith(dir) || !existsSync(file) || !statSync(file).isFile()) {
        res.statusCode = 404;
        res.end(`not found: ${url}`);
        return;
      }
      for (const [k, v] of Object.entries(isolationHeaders)) res.setHeader(k, v);
      res.setHeader('Content-Type', mimeTypes[extname(file)] ?? 'application/octet-stream');
      res.setHeader('Content-Length', String(statSync(file).size));
      res.setHeader('Cache-Control', 'no-cache');
      createReadStream(file).pipe(res);
      return;
    }
    next();
  };
}

/** Serves the mounts in `vite` (dev) and `vite preview`, with isolation headers. */
function webnetsServer(): Plugin {
  return {
    name: 'webnets-server',
    configureServer(server) {
      server.middlewares.use(serveMounts());
    },
    configurePreviewServer(server) {
      server.middlewares.use(serveMounts());
    },
  };
}

/**
 * The sources mark the URLs that apps' bundlers must follow, and webnets' own build must
 * not (tfjs' WASM binaries in src/browser-platform.ts, the worker script in
 * src/runtime/worker/client.ts), with `@vite-ignore`. That comment must not ship (an app's
 * Vite would skip them too), so it is blanked (same length: the source map holds).
 */
function unmarkViteIgnore(): Plugin {
  const viteIgnore = '/* @vite-ignore */';
  return {
    name: 'webnets-unmark-vite-ignore',
    apply: 'build',
    enforce: 'post',
    renderChunk(code) {
      if (!code.includes(viteIgnore)) return null;
      return { code: code.replaceAll(viteIgnore, ' '.repeat(viteIgnore.length)), map: null };
    },
  };
}

/**
 * Every binary tfjs-backend-wasm has ships next to dist/webnets.js, and a chunk that runs
 * tfjs' WASM backend (dist/webnets.js, dist/webnets-worker.js) must name each one as
 * `new URL("./<binary>", import.meta.url)` (src/browser-platform.ts), the form apps'
 * bundlers follow to emit it. Fails the build when such a chunk lacks the form for one of
 * them, then copies them.
 */
function shipWasmBinaries(): Plugin {
  const from = resolve(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
  const binaries = readdirSync(from).filter((name) => name.endsWith('.wasm'));
  const literal = (name: string) =>
    new RegExp(
      `new URL\\(\\s*(["'])\\./${name.replace(/[.-]/g, '\\$&')}\\1\\s*,\\s*import\\.meta\\.url\\s*\\)`,
    );
  return {
    name: 'webnets-ship-wasm',
    apply: 'build',
    enforce: 'post',
    generateBundle(_options, bundle) {
      for (const chunk of Object.values(bundle)) {
        // tfjs' glue names its binaries: this chunk runs the WASM backend.
        if (chunk.type !== 'chunk' || !chunk.code.includes(binaries[0] as string)) continue;
        for (const name of binaries) {
          if (!literal(name).test(chunk.code)) {
            throw new Error(
              `webnets-ship-wasm: ${chunk.fileName} lacks new URL("./${name}", import.meta.url) written literally; apps' bundlers would not emit ${name}`,
            );
          }
        }
      }
    },
    writeBundle(options) {
      const outDir = options.dir ?? resolve(root, 'dist');
      mkdirSync(outDir, { recursive: true });
      for (const name of binaries) copyFileSync(join(from, name), join(outDir, name));
    },
  };
}

/** The workers dist/webnets.js starts: worker mode's, and the checkpoint converter's. */
const workerScripts = ['webnets-worker.js', 'webnets-convert.js'];

/** Each browser build (`--mode`): its entry and the file it writes into dist/. */
const browserEntries: Record<string, { entry: string; file: string }> = {
  production: { entry: 'src/browser.ts', file: 'webnets.js' },
  worker: { entry: 'src/worker.ts', file: 'webnets-worker.js' },
  convert: { entry: 'src/convert-worker.ts', file: 'webnets-convert.js' },
};

/**
 * dist/webnets.js must start each of its workers as `new Worker(new URL('./<script>',
 * import.meta.url), { type: 'module' })`, the form apps' bundlers follow to bundle the
 * worker (src/runtime/worker/client.ts and convert-worker/client.ts mark it `@vite-ignore`
 * so that this build does not bundle the workers into webnets.js itself). Fails the build
 * when the form is missing for one of them.
 */
function shipWorkerReference(): Plugin {
  const literal = (script: string) =>
    new RegExp(
      `new Worker\\(\\s*new URL\\(\\s*(["'])\\./${script.replace(/[.-]/g, '\\$&')}\\1\\s*,\\s*import\\.meta\\.url\\s*\\)\\s*,\\s*\\{\\s*type:\\s*(["'])module\\2\\s*\\}\\s*\\)`,
    );
  return {
    name: 'webnets-worker-reference',
    apply: 'build',
    enforce: 'post',
    generateBundle(_options, bundle) {
      const main = bundle['webnets.js'];
      if (main?.type !== 'chunk') return;
      for (const script of workerScripts) {
        if (!literal(script).test(main.code)) {
          throw new Error(
            `webnets-worker-reference: dist/webnets.js lacks new Worker(new URL('./${script}', import.meta.url), { type: 'module' }) written literally; apps' bundlers would not bundle the worker`,
          );
        }
      }
    },
  };
}

export default defineConfig(({ mode, command }) => ({
  root,
  // tfjs-backend-wasm's emscripten glue reads `typeof __filename` to find itself under
  // Node. No page has __filename, but webpack 5 folds `typeof __filename` to "string" in
  // ES modules without defining the name, and the glue then throws "ReferenceError:
  // __filename is not defined" in an app. The browser bundles say what a page has.
  define:
    command === 'build' && mode !== 'node'
      ? { __filename: 'undefined', __dirname: 'undefined' }
      : {},
  plugins: [
    webnetsServer(),
    ...(mode === 'node' ? [] : [unmarkViteIgnore(), shipWasmBinaries(), shipWorkerReference()]),
  ],
  server: {
    host: 'localhost',
    port: 5173,
    strictPort: false,
    headers: isolationHeaders,
    fs: { allow: [root] },
  },
  preview: { host: 'localhost', port: 4173, headers: isolationHeaders },
  build:
    mode === 'node'
      ? {
          // The Node build: the package's `node` export (index.js) and the CLI (cli.js, which
          // `npx webnets` runs when the TypeScript sources are not at hand), sharing chunks;
          // dependencies stay imports (tfjs' Node builds find their own files).
          ssr: true,
          outDir: 'dist/node',
          emptyOutDir: true,
          target: 'node20',
          rolldownOptions: {
            input: { index: resolve(root, 'src/node.ts'), cli: resolve(root, 'src/cli.ts') },
            output: { entryFileNames: '[name].js', format: 'es' },
          },
        }
      : {
          // The browser SDK: one self-contained ES module for <script type="module">, and
          // the module workers it starts: `--mode worker` for `load(id, { worker: true })`,
          // `--mode convert` for converting checkpoints (`load(id, { pretrained: true })`).
          lib: {
            entry: resolve(root, (browserEntries[mode] ?? browserEntries.production!).entry),
            formats: ['es'],
            fileName: () => (browserEntries[mode] ?? browserEntries.production!).file,
          },
          outDir: 'dist',
          emptyOutDir: false,
          target: 'es2022',
          sourcemap: true,
          // esbuild, not the default (oxc) minifier: tfjs' threaded WASM backend starts its
          // workers from `wasmFactoryThreadedSimd.toString()`, and oxc rewrites that
          // factory's `typeof _scriptDir !== "undefined" && _scriptDir` guard into a bare
          // reference to a variable of the enclosing closure, so every worker dies with
          // "ReferenceError: e is not defined" and tf.setBackend('wasm') never resolves
          // in a cross-origin-isolated page (caught by e2e/kernels.spec.ts).
          minify: 'esbuild',
          rolldownOptions: { output: { codeSplitting: false } },
        },
}));
