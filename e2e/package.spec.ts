/**
 * webnets as a dependency, in Chromium: `npm pack` of this checkout put into fresh apps that
 * do what the README's Install section says and nothing more (no webnets configuration),
 * built by their own bundler, served from localhost, cross-origin isolated or not. Each
 * app's page classifies the cat photo with the FD-MobileNet 0.5× pack in the app's own
 * module worker, in the worker webnets starts for `worker: true` (which the app's bundler must
 * have emitted from webnets.js' `new Worker(new URL('./webnets-worker.js', import.meta.url))`)
 * and on the main thread; the test checks the answers and which of tfjs' WASM binaries each of
 * them fetched (by content: bundlers rename them).
 *
 * The apps (fixtures in e2e/package-apps/, completed with the README's snippets in a temp
 * folder, the tarball installed by npm):
 * - vite: Vite 8 (the repo's own version), `vite build` served by a static server, and the
 *   same app under Vite's dev server and its dependency optimizer;
 * - webpack: webpack 5 with no config file (`webpack --mode production`);
 * - static: no bundler, the tarball's dist/webnets.js and binaries in a folder beside the page.
 * A page runs the README snippets listed in `pageSnippets`, each logging one classification.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve } from 'node:path';
import type { Page } from '@playwright/test';
import { expect, test } from '@playwright/test';
import { wasmBinaryNames } from '../src/platform';
import {
  addPackAndPhoto,
  catLabel,
  npmInstall,
  packWebnets,
  readmeSnippet,
  repoRoot,
  sh,
  tempDir,
} from '../test/helpers/package';
import { isolationHeaders } from '../vite.config';

/**
 * The README snippets an app's page runs, each its own module, in this order (the workers
 * start first, so that a failure on the main thread cannot hide theirs).
 */
const pageSnippets = ['worker-page', 'worker-mode', 'app'];

interface Running {
  origin: string;
  stop: () => void;
}

/** One way an app is served. */
interface Server {
  name: string;
  start: (app: string, site: string[], isolated: boolean) => Promise<Running>;
}

interface App {
  name: string;
  /** Makes the app in `dir` (an empty temp folder): its files and webnets installed. */
  make: (dir: string, tarball: string) => Promise<void>;
  /** Builds the app; returns the folders to serve, first match wins. */
  build: (dir: string) => Promise<string[]>;
  servers: Server[];
}

/** A bundled app: the fixture, the tarball installed, the README's snippets as its sources. */
function bundledApp(fixture: string) {
  return async (dir: string, tarball: string): Promise<void> => {
    cpSync(join(import.meta.dirname, 'package-apps', fixture), dir, { recursive: true });
    await npmInstall(dir, tarball);
    mkdirSync(join(dir, 'src'));
    for (const name of pageSnippets)
      writeFileSync(join(dir, `src/${name}.js`), readmeSnippet(name));
    writeFileSync(
      join(dir, 'src/index.js'),
      pageSnippets.map((name) => `import './${name}.js';\n`).join(''),
    );
    writeFileSync(join(dir, 'src/worker.js'), readmeSnippet('worker'));
    addPackAndPhoto(join(dir, 'public'));
  };
}

const staticServer: Server = {
  name: 'built, on a static server',
  start: (_app, site, isolated) => serveStatic(site, isolated),
};

const viteDevServer: Server = {
  name: "on Vite's dev server",
  start: (app, _site, isolated) => startViteDev(app, isolated),
};

const apps: App[] = [
  {
    name: 'vite',
    make: bundledApp('vite'),
    build: async (dir) => {
      await sh('npm', ['run', 'build'], dir);
      return [join(dir, 'dist')];
    },
    servers: [staticServer, viteDevServer],
  },
  {
    name: 'webpack',
    make: bundledApp('webpack'),
    build: async (dir) => {
      await sh('npm', ['run', 'build'], dir);
      return [join(dir, 'dist'), join(dir, 'public')];
    },
    servers: [staticServer],
  },
  {
    name: 'static',
    make: async (dir, tarball) => {
      // What the README says to serve: the files at the top of the package's dist/, as the
      // tarball (or a CDN mirroring it) has them; its page, and the worker snippets with
      // webnets imported by path (worker mode starts webnets/webnets-worker.js).
      await sh('tar', ['-xzf', tarball, '-C', dir], dir);
      const dist = join(dir, 'package/dist');
      mkdirSync(join(dir, 'webnets'));
      for (const file of readdirSync(dist).filter((f) => statSync(join(dist, f)).isFile())) {
        cpSync(join(dist, file), join(dir, 'webnets', file));
      }
      const byPath = (snippet: string) =>
        snippet.replace("from 'webnets'", "from './webnets/webnets.js'");
      const page = readmeSnippet('static').replace(
        '<script type="module">',
        `<script type="module">\n${readmeSnippet('worker-page')}</script>\n` +
          `<script type="module">\n${byPath(readmeSnippet('worker-mode'))}</script>\n` +
          '<script type="module">',
      );
      writeFileSync(join(dir, 'index.html'), page);
      writeFileSync(join(dir, 'worker.js'), byPath(readmeSnippet('worker')));
      addPackAndPhoto(dir);
    },
    build: (dir) => Promise.resolve([dir]),
    servers: [staticServer],
  },
];

/** sha256 of each tfjs binary → its name: the apps serve them under names of their own. */
const binaryByHash = new Map(
  wasmBinaryNames.map((name) => [
    sha256(
      readFileSync(resolve(repoRoot, 'node_modules/@tensorflow/tfjs-backend-wasm/dist', name)),
    ),
    name,
  ]),
);

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

const mimeTypes: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.bin': 'application/octet-stream',
};

/**
 * A static server on a free port: the first of `roots` that has the path answers; paths
 * `hide` matches are not found.
 */
async function serveStatic(
  roots: string[],
  isolated: boolean,
  hide: (path: string) => boolean = () => false,
): Promise<Running> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const relative = path.endsWith('/') ? `${path}index.html` : path;
    for (const root of hide(path) ? [] : roots) {
      const file = normalize(join(root, relative));
      if (!file.startsWith(root) || !existsSync(file) || !statSync(file).isFile()) continue;
      if (isolated) for (const [k, v] of Object.entries(isolationHeaders)) res.setHeader(k, v);
      res.setHeader('Content-Type', mimeTypes[extname(file)] ?? 'application/octet-stream');
      res.end(readFileSync(file));
      return;
    }
    res.statusCode = 404;
    res.end(`not found: ${path}`);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, stop: () => server.close() };
}

/** `vite` (the dev server) in the app, on a free port; resolves once it listens. */
async function startViteDev(app: string, isolated: boolean): Promise<Running> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      'node_modules/vite/bin/vite.js',
      '--config',
      'vite.dev.config.js',
      '--port',
      '0',
      '--host',
      '127.0.0.1',
    ],
    {
      cwd: app,
      env: { ...process.env, WEBNETS_APP_ISOLATED: isolated ? '1' : '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const origin = await new Promise<string>((found, failed) => {
    const timer = setTimeout(() => failed(new Error(`vite dev did not start:\n${output}`)), 60_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      // eslint-disable-next-line no-control-regex
      const m = /Local:\s+(http:\/\/[\w.]+:\d+)/.exec(output.replace(/\x1b\[[0-9;]*m/g, ''));
      if (m) {
        clearTimeout(timer);
        found(m[1] as string);
      }
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', read);
    child.on('exit', (code) => failed(new Error(`vite dev exited (${code}):\n${output}`)));
  });
  return { origin, stop: () => child.kill() };
}

interface PageRun {
  results: string[];
  binaries: string[];
  errors: string[];
}

/** Opens the app's page; collects its classifications, the WASM binaries fetched, errors. */
async function runPage(page: Page, origin: string): Promise<PageRun> {
  const run: PageRun = { results: [], binaries: [], errors: [] };
  page.on('console', (msg) => {
    // Failed loads are reported below with their URL.
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) {
      run.errors.push(msg.text());
    } else if (msg.type() === 'log' && msg.text().startsWith(`${catLabel} `)) {
      run.results.push(msg.text());
    }
  });
  page.on('pageerror', (err) => run.errors.push(err.message));
  page.on('worker', (worker) =>
    worker.on('console', (msg) => {
      if (msg.type() === 'error') run.errors.push(`in a worker: ${msg.text()}`);
    }),
  );
  const bodies: Promise<void>[] = [];
  page.on('response', (response) => {
    if (response.status() >= 400 && !response.url().endsWith('/favicon.ico')) {
      run.errors.push(`HTTP ${response.status()} for ${response.url()}`);
    }
    if (!(response.headers()['content-type'] ?? '').includes('wasm')) return;
    bodies.push(
      response.body().then((body) => {
        const name = binaryByHash.get(sha256(body)) ?? `an unknown binary at ${response.url()}`;
        run.binaries.push(name);
        test.info().annotations.push({ type: 'wasm', description: `${name}: ${response.url()}` });
      }),
    );
  });
  await page.goto(`${origin}/`);
  // Until every snippet logged its result, or 10 s after the first error (so that the main
  // thread's failure and the worker's both show).
  const deadline = Date.now() + 120_000;
  let firstError = 0;
  while (run.results.length < pageSnippets.length && Date.now() < deadline) {
    if (run.errors.length > 0 && firstError === 0) firstError = Date.now();
    if (firstError > 0 && Date.now() - firstError > 10_000) break;
    await page.waitForTimeout(100);
  }
  await Promise.all(bodies);
  return run;
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

// Tests run in file order on one worker (a worker restarted after a failure repeats the
// beforeAll hooks).
let tarball = '';

test.beforeAll(async () => {
  test.setTimeout(120_000);
  tarball = await packWebnets(tempDir('pack'));
});

for (const app of apps) {
  test.describe(`${app.name} app`, () => {
    let dir = '';
    let site: string[] = [];

    test.beforeAll(async () => {
      test.setTimeout(600_000);
      dir = tempDir(`${app.name}-app`);
      await app.make(dir, tarball);
      site = await app.build(dir);
    });

    for (const server of app.servers) {
      for (const isolated of [false, true]) {
        const where = `${server.name}, ${isolated ? 'cross-origin isolated' : 'not isolated'}`;
        test(`classifies the photo on WASM in its module worker, in worker mode's and on the main thread (${where})`, async ({
          page,
        }) => {
          const running = await server.start(dir, site, isolated);
          try {
            const run = await runPage(page, running.origin);
            for (const result of run.results) {
              test.info().annotations.push({ type: 'result', description: result });
            }
            expect(run.errors, 'errors on the page or in its worker').toEqual([]);
            expect(run.results).toHaveLength(pageSnippets.length);
            for (const result of run.results) {
              // console.log(best.label, best.probability, backendReason)
              expect(result).toMatch(
                new RegExp(`^${catLabel} 0\\.\\d+ wasm-simd \\(\\d+ threads?(, [^)]*)?\\): `),
              );
            }
            // The two workers and the main thread each started tfjs' WASM backend from the
            // binary the page may run: threaded SIMD only when cross-origin isolated.
            const binary = isolated
              ? 'tfjs-backend-wasm-threaded-simd.wasm'
              : 'tfjs-backend-wasm-simd.wasm';
            expect(run.binaries).toEqual(pageSnippets.map(() => binary));
          } finally {
            running.stop();
          }
        });
      }
    }

    if (app.name === 'vite') {
      test('without its binaries served, the page says which URLs it tried and which option sets them', async ({
        page,
      }) => {
        const running = await serveStatic(site, false, (path) => path.endsWith('.wasm'));
        try {
          const run = await runPage(page, running.origin);
          expect(run.results).toEqual([]);
          const failure = run.errors.find((e) => e.includes('failed to initialize'));
          expect(failure).toMatch(
            new RegExp(
              '^wasm setup failed: the WASM backend failed to initialize: check that the \\.wasm binaries ' +
                '\\(tfjs-backend-wasm\\.wasm, tfjs-backend-wasm-simd\\.wasm, tfjs-backend-wasm-threaded-simd\\.wasm\\) ' +
                `are served at ${running.origin}/assets/tfjs-backend-wasm-\\w+\\.wasm, ` +
                `${running.origin}/assets/tfjs-backend-wasm-simd-\\w+\\.wasm, ` +
                `${running.origin}/assets/tfjs-backend-wasm-threaded-simd-\\w+\\.wasm ` +
                '\\(option wasmPaths\\), as application/wasm$',
            ),
          );
        } finally {
          running.stop();
        }
      });
    }

    if (app.name !== 'static') {
      test("emits all three of tfjs' WASM binaries with the built app", () => {
        const emitted = new Set<string>();
        for (const root of site) {
          for (const file of walk(root).filter((f) => f.endsWith('.wasm'))) {
            const name = binaryByHash.get(sha256(readFileSync(file)));
            if (name) emitted.add(name);
          }
        }
        expect([...emitted].sort()).toEqual([...wasmBinaryNames].sort());
      });
    }
  });
}
