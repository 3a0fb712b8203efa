import { copyFileSync, createReadStream, existsSync, mkdirSync, statSync } from 'node:fs';
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

/** Folders outside the Vite root that pages read: test data (read-only) and converted packs. */
export const staticMounts: Record<string, string> = {
  '/shared/': process.env.WEBNETS_SHARED ?? resolve(root, '../shared'),
  '/packs/': resolve(root, 'models/packs'),
};

const mimeTypes: Record<string, string> = {
  '.json': 'application/json',
  '.bin': 'application/octet-stream',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.f32': 'application/octet-stream',
  '.wasm': 'application/wasm',
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

/** The tfjs WASM binaries ship next to dist/webnets.js; the runtime finds them via import.meta.url. */
function copyWasmBinaries(): Plugin {
  const names = [
    'tfjs-backend-wasm.wasm',
    'tfjs-backend-wasm-simd.wasm',
    'tfjs-backend-wasm-threaded-simd.wasm',
  ];
  return {
    name: 'webnets-copy-wasm',
    apply: 'build',
    writeBundle(options) {
      const outDir = options.dir ?? resolve(root, 'dist');
      mkdirSync(outDir, { recursive: true });
      const from = resolve(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
      for (const name of names) copyFileSync(join(from, name), join(outDir, name));
    },
  };
}

export default defineConfig(({ mode }) => ({
  root,
  plugins: [webnetsServer(), ...(mode === 'cli' ? [] : [copyWasmBinaries()])],
  server: {
    host: 'localhost',
    port: 5173,
    strictPort: false,
    headers: isolationHeaders,
    fs: { allow: [root] },
  },
  preview: { host: 'localhost', port: 4173, headers: isolationHeaders },
  build:
    mode === 'cli'
      ? {
          // The Node CLI: `npx webnets` uses it when the TypeScript sources are not at hand.
          ssr: resolve(root, 'src/cli.ts'),
          outDir: 'dist/node',
          emptyOutDir: true,
          target: 'node20',
          rolldownOptions: { output: { entryFileNames: 'cli.js', format: 'es' } },
        }
      : {
          // The browser SDK: one self-contained ES module for <script type="module">.
          lib: {
            entry: resolve(root, 'src/index.ts'),
            formats: ['es'],
            fileName: () => 'webnets.js',
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
