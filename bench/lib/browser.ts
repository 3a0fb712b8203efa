/**
 * The benchmark pages' server and browsers: Vite serving the repository (cross-origin
 * isolated, the mounts of vite.config.ts), and a driven browser: headless Chromium through
 * Playwright, Firefox ESR through puppeteer-core over WebDriver BiDi, or WebKitGTK's
 * MiniBrowser through WebKitWebDriver (plain W3C WebDriver) under Xvfb. The benchmarks drive
 * a page through `DrivenPage`, the same on each engine (`--browser`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser } from '@playwright/test';
import { createServer, type ViteDevServer } from 'vite';
import { chromiumArgs, chromiumPath, findChromium } from '../../playwright.config';
import { OptionError } from './options';
import { root } from './paths';

/** Vite serving the repository's pages (bench/<tool>/page.html) on localhost:`port`, listening. */
export async function startServer(port: number): Promise<ViteDevServer> {
  const server = await createServer({
    configFile: join(root, 'vite.config.ts'),
    // No file watching, no HMR: an edit in the repository during a run would reload the
    // page under the benchmark, which then waits out --timeout for an answer that never comes.
    server: { port, strictPort: true, host: 'localhost', hmr: false, watch: null },
    logLevel: 'warn',
    clearScreen: false,
    // Pre-bundle tfjs at start: bench/ort/forward.ts and bench/ab's page import it through the
    // sources, and a dependency Vite discovered mid-run would reload the page under the benchmark.
    optimizeDeps: {
      include: [
        '@tensorflow/tfjs-core',
        '@tensorflow/tfjs-backend-cpu',
        '@tensorflow/tfjs-backend-wasm',
        '@tensorflow/tfjs-backend-webgpu',
      ],
    },
  });
  await server.listen();
  return server;
}

/**
 * Runs `use` with Vite serving the repository on localhost:`port` and a headless Chromium
 * (/usr/bin/chromium or $WEBNETS_CHROMIUM); closes both after, however `use` ends.
 */
export async function withChromium<T>(
  port: number,
  use: (browser: Browser, base: string) => Promise<T>,
): Promise<T> {
  const server = await startServer(port);
  try {
    const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
    try {
      return await use(browser, `http://localhost:${port}`);
    } finally {
      await browser.close().catch(() => undefined);
    }
  } finally {
    await server.close();
  }
}

/** The engines the benchmarks run on: `--browser`. */
export const BROWSERS = ['chromium', 'firefox', 'webkit'] as const;
export type BrowserName = (typeof BROWSERS)[number];

/** `--browser`'s value: one of BROWSERS (default chromium); throws naming the option. */
export function parseBrowser(value: string | undefined): BrowserName {
  if (value === undefined) return 'chromium';
  const name = value.trim().toLowerCase();
  if (!(BROWSERS as readonly string[]).includes(name)) {
    throw new OptionError(`--browser is '${value}': expected ${BROWSERS.join(', ')}`);
  }
  return name as BrowserName;
}

/** The programs a browser needs, by role, and what to do when one is missing. */
export interface BrowserFiles {
  paths: Record<string, string>;
  /** How to get what is missing; null when every program is there. */
  missing: string | null;
}

/**
 * Where `name`'s programs are (each overridable by an environment variable) and, when one
 * is missing, a message naming it and how to install it.
 */
export function findBrowser(
  name: BrowserName,
  env: Record<string, string | undefined> = process.env,
  exists: (path: string) => boolean = existsSync,
): BrowserFiles {
  if (name === 'chromium') {
    const { path, missing } = findChromium(env, exists);
    return { paths: { chromium: path }, missing };
  }
  const wanted: [role: string, variable: string, fallback: string][] =
    name === 'firefox'
      ? [['firefox', 'WEBNETS_FIREFOX', '/usr/bin/firefox-esr']]
      : [
          ['driver', 'WEBNETS_WEBKIT_DRIVER', '/usr/bin/WebKitWebDriver'],
          [
            'minibrowser',
            'WEBNETS_MINIBROWSER',
            '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser',
          ],
          ['xvfb', 'WEBNETS_XVFB', '/usr/bin/Xvfb'],
        ];
  const install =
    name === 'firefox'
      ? "install Debian's Firefox ESR (apt-get install -y firefox-esr) or set WEBNETS_FIREFOX to a Firefox binary"
      : "install WebKitGTK's driver and a virtual display (apt-get install -y webkit2gtk-driver xvfb xauth), or set WEBNETS_WEBKIT_DRIVER, WEBNETS_MINIBROWSER and WEBNETS_XVFB";
  const paths: Record<string, string> = {};
  const absent: string[] = [];
  for (const [role, variable, fallback] of wanted) {
    const path = env[variable] ?? fallback;
    paths[role] = path;
    if (!exists(path)) absent.push(`${path}${env[variable] ? ` (${variable})` : ''}`);
  }
  const missing =
    absent.length === 0 ? null : `--browser ${name}: no ${absent.join(', no ')}: ${install}.`;
  return { paths, missing };
}

/** A page in a driven browser: what the benchmarks do with one, on every engine. */
export interface DrivenPage {
  goto(url: string): Promise<void>;
  /** Resolves once `expression` (JavaScript) is truthy in the page. */
  waitFor(expression: string, timeoutMs?: number): Promise<void>;
  /** Runs `fn(arg)` in the page (its source text: it may use only its argument and the page). */
  evaluate<A, R>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R>;
  /** What the page logs to its console (WebKit: from the page's load on, in batches). */
  onConsole(listener: (text: string) => void): void;
  /** The page's uncaught errors. */
  onError(listener: (message: string) => void): void;
  close(): Promise<void>;
}

/** A running browser: fresh pages (each in a context of its own), and its name and version. */
export interface DrivenBrowser {
  name: BrowserName;
  /** The engine and its version, e.g. 'Firefox 153.0' (goes into the results). */
  version: string;
  newPage(): Promise<DrivenPage>;
  close(): Promise<void>;
}

async function launchChromium(): Promise<DrivenBrowser> {
  const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
  return {
    name: 'chromium',
    version: `Chromium ${browser.version()}`,
    async newPage() {
      const context = await browser.newContext();
      const page = await context.newPage();
      return {
        goto: async (url) => void (await page.goto(url)),
        waitFor: async (expression, timeout = 120_000) =>
          void (await page.waitForFunction(expression, null, { timeout })),
        evaluate: (fn, arg) => page.evaluate(fn as never, arg) as never,
        onConsole: (listener) => page.on('console', (m) => listener(m.text())),
        onError: (listener) => page.on('pageerror', (e) => listener(e.message)),
        close: () => context.close(),
      };
    },
    close: () => browser.close(),
  };
}

/**
 * Copies a page result so that no object appears twice in it: WebDriver BiDi sends a repeated
 * object as a reference, which puppeteer-core 24 turns into an empty object (tf.profile's
 * records share their shape arrays across inferences). Source text, run in the page (a
 * function of this module would carry tsx's name helpers there).
 */
const UNSHARED = `(value) => {
  const copy = (v) => Array.isArray(v) ? v.map(copy)
    : v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype
      ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, copy(x)]))
      : v;
  return copy(value);
}`;

async function launchFirefox(executablePath: string): Promise<DrivenBrowser> {
  const puppeteer = (await import('puppeteer-core')).default;
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath,
    protocol: 'webDriverBiDi',
    headless: true,
  });
  const version = (await browser.version()).replace(/^firefox\//i, 'Firefox ');
  return {
    name: 'firefox',
    version,
    async newPage() {
      const context = await browser.createBrowserContext();
      const page = await context.newPage();
      return {
        goto: async (url) => void (await page.goto(url)),
        waitFor: async (expression, timeout = 120_000) =>
          void (await page.waitForFunction(expression, { timeout })),
        evaluate: (fn, arg) =>
          page.evaluate(
            async (source: string, copier: string, a: unknown) =>
              ((0, eval)(`(${copier})`) as (v: unknown) => unknown)(
                await ((0, eval)(`(${source})`) as (x: unknown) => unknown)(a),
              ),
            fn.toString(),
            UNSHARED,
            arg,
          ) as never,
        onConsole: (listener) => page.on('console', (m) => listener(m.text())),
        onError: (listener) =>
          page.on('pageerror', (e: unknown) =>
            listener(e instanceof Error ? e.message : String(e)),
          ),
        close: () => context.close(),
      };
    },
    close: () => browser.close(),
  };
}

/** A free TCP port on localhost (for WebKitWebDriver). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.once('error', reject);
    server.listen(0, 'localhost', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Starts Xvfb on a display it picks (-displayfd); resolves with ':N'. */
function startXvfb(xvfb: string, children: ChildProcess[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      xvfb,
      ['-displayfd', '3', '-screen', '0', '1280x800x24', '-nolisten', 'tcp'],
      {
        stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
      },
    );
    children.push(child);
    let errors = '';
    child.stderr?.on('data', (d: Buffer) => (errors += d.toString()));
    const fd3 = child.stdio[3] as NodeJS.ReadableStream;
    fd3.once('data', (d: Buffer) => resolve(`:${d.toString().trim()}`));
    child.once('exit', (code) => reject(new Error(`Xvfb exited (${code}): ${errors.trim()}`)));
  });
}

/** One W3C WebDriver command over HTTP (node:http: no client timeout on long commands). */
function webDriver(port: number, method: string, path: string, body?: unknown): Promise<unknown> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: 'localhost',
        port,
        method,
        path,
        headers: payload
          ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
          : {},
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => {
          const parsed = JSON.parse(text || '{}') as {
            value?: { error?: string; message?: string } | unknown;
          };
          const value = parsed.value as { error?: string; message?: string } | undefined;
          if (
            (res.statusCode ?? 500) >= 400 ||
            (value && typeof value === 'object' && value.error)
          ) {
            reject(
              new Error(
                `WebDriver ${method} ${path}: ${value?.error ?? res.statusCode}: ${value?.message ?? text}`,
              ),
            );
          } else resolve(parsed.value);
        });
      },
    );
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

/**
 * In a WebDriver page: console lines and uncaught errors go to a buffer the driver drains
 * (plain WebDriver has no console events, and no init scripts: installed after each load).
 */
const WEBDRIVER_HOOKS = `
if (!window.__driven) {
  const driven = { log: [], errors: [], results: {} };
  window.__driven = driven;
  for (const level of ['log', 'info', 'warn', 'error']) {
    const original = console[level].bind(console);
    console[level] = (...args) => { driven.log.push(args.map(String).join(' ')); original(...args); };
  }
  addEventListener('error', (e) => driven.errors.push(e.message));
  addEventListener('unhandledrejection', (e) => driven.errors.push(String(e.reason && e.reason.message || e.reason)));
}`;

async function launchWebKit(paths: Record<string, string>): Promise<DrivenBrowser> {
  const children: ChildProcess[] = [];
  const stop = (): void => {
    for (const child of children.reverse()) child.kill();
  };
  try {
    const display = await startXvfb(paths.xvfb as string, children);
    const port = await freePort();
    const driver = spawn(paths.driver as string, [`--port=${port}`], {
      env: { ...process.env, DISPLAY: display },
      stdio: 'ignore',
    });
    children.push(driver);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const ready = await webDriver(port, 'GET', '/status').then(
        (v) => (v as { ready?: boolean }).ready === true,
        () => false,
      );
      if (ready) break;
      if (Date.now() > deadline) throw new Error('WebKitWebDriver did not answer in 20 s');
      await new Promise((r) => setTimeout(r, 200));
    }
    let version = 'WebKitGTK';
    const browser: DrivenBrowser = {
      name: 'webkit',
      get version() {
        return version;
      },
      async newPage() {
        // One session per page: a fresh MiniBrowser (WebKitWebDriver runs one session at a time).
        const session = (await webDriver(port, 'POST', '/session', {
          capabilities: {
            alwaysMatch: {
              'webkitgtk:browserOptions': { binary: paths.minibrowser, args: ['--automation'] },
            },
          },
        })) as { sessionId: string; capabilities: { browserVersion?: string } };
        version = `WebKitGTK ${session.capabilities.browserVersion ?? '?'}`;
        const base = `/session/${session.sessionId}`;
        await webDriver(port, 'POST', `${base}/timeouts`, { script: 3_600_000 });
        const run = (script: string, args: unknown[] = []): Promise<unknown> =>
          webDriver(port, 'POST', `${base}/execute/sync`, { script, args });
        const consoles: ((text: string) => void)[] = [];
        const errors: ((message: string) => void)[] = [];
        let calls = 0;
        /** Drains the page's buffered console lines and errors to the listeners. */
        const drain = async (
          id: number | null,
        ): Promise<{ value?: unknown; error?: string } | null> => {
          const got = (await run(
            `const d = window.__driven; if (!d) return { log: [], errors: [], result: null };
             const id = arguments[0]; const result = id === null ? null : (d.results[id] ?? null);
             if (result) delete d.results[id];
             return { log: d.log.splice(0), errors: d.errors.splice(0), result };`,
            [id],
          )) as {
            log: string[];
            errors: string[];
            result: { value?: unknown; error?: string } | null;
          };
          for (const line of got.log) for (const l of consoles) l(line);
          for (const message of got.errors) for (const l of errors) l(message);
          return got.result;
        };
        return {
          async goto(url) {
            await webDriver(port, 'POST', `${base}/url`, { url });
            await run(WEBDRIVER_HOOKS);
          },
          async waitFor(expression, timeout = 120_000) {
            const end = Date.now() + timeout;
            while (!(await run(`return Boolean(${expression});`))) {
              if (Date.now() > end)
                throw new Error(`waiting for ${expression}: ${timeout} ms passed`);
              await new Promise((r) => setTimeout(r, 200));
            }
          },
          // Started, then polled: the page's console reaches the listeners while it runs.
          async evaluate(fn, arg) {
            const id = ++calls;
            await run(
              `const [source, arg, id] = arguments; const d = window.__driven;
               Promise.resolve().then(() => (0, eval)('(' + source + ')')(arg)).then(
                 (value) => { d.results[id] = { value: value === undefined ? null : value }; },
                 (e) => { d.results[id] = { error: String(e && e.message || e) }; });`,
              [fn.toString(), arg, id],
            );
            for (;;) {
              const result = await drain(id);
              if (result?.error !== undefined) throw new Error(result.error);
              if (result) return result.value as never;
              await new Promise((r) => setTimeout(r, 250));
            }
          },
          onConsole: (listener) => void consoles.push(listener),
          onError: (listener) => void errors.push(listener),
          async close() {
            await drain(null).catch(() => undefined);
            await webDriver(port, 'DELETE', base).catch(() => undefined);
          },
        };
      },
      async close() {
        stop();
      },
    };
    return browser;
  } catch (err) {
    stop();
    throw err;
  }
}

/** Starts `name` (its programs checked first: a missing one fails saying how to install it). */
export async function launchBrowser(name: BrowserName): Promise<DrivenBrowser> {
  const { paths, missing } = findBrowser(name);
  if (missing) throw new Error(missing);
  if (name === 'chromium') return launchChromium();
  if (name === 'firefox') return launchFirefox(paths.firefox as string);
  return launchWebKit(paths);
}

/**
 * Runs `use` with Vite serving the repository on localhost:`port` and browser `name`;
 * closes both after, however `use` ends.
 */
export async function withBrowser<T>(
  name: BrowserName,
  port: number,
  use: (browser: DrivenBrowser, base: string) => Promise<T>,
): Promise<T> {
  const server = await startServer(port);
  try {
    const browser = await launchBrowser(name);
    try {
      return await use(browser, `http://localhost:${port}`);
    } finally {
      await browser.close().catch(() => undefined);
    }
  } finally {
    await server.close();
  }
}
