/**
 * `npm run bench`: webnets against onnxruntime-web on the same networks, weights, input
 * and backend, in headless Chromium. See bench/README.md.
 *
 *   npm run bench -- [--models a,b] [--backends wasm1,wasm2,webgpu] [--runs N] [--warmup N]
 *                    [--profile-runs N] [--port 5203] [--skip-build]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium, type Browser } from '@playwright/test';
import { createServer } from 'vite';
import { chromiumArgs, chromiumPath } from '../playwright.config';
import { describeMachine, loadNow } from './machine';
import type { BenchPage } from './page';
import { ensurePack, jobPreprocessing, packDir, readOnnxMetas, type OnnxMeta } from './prepare';
import type { ModelJob, ModelResult, PageConfig } from './protocol';
import { renderReport } from './render';
import { summarize, type BenchReport, type PageRun, type Settings } from './report';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_MODELS = ['fd-mobilenet-0.5x', 'efficientnet-b0', 'regnety-400mf', 'regnetx-400mf'];

const usage = `Usage: npm run bench -- [options]
  --models a,b,…       model ids (default ${DEFAULT_MODELS.join(',')})
  --backends …         wasm<threads> and/or webgpu (default wasm1,wasm<all cores>)
  --runs N             timed runs per side (default 20)
  --warmup N           untimed runs per side first (default 3)
  --profile-runs N     profiled webnets runs for the per-op profile (default 3)
  --webnets-call C     what the webnets side times: predict (load + predict from dist/webnets.js,
                       what a user gets), forward (network.forward from the sources, the same
                       work as ORT's run), auto (predict if dist has load(), else forward)
  --port N             port of the page server (default 5203)
  --timeout S          seconds a page may take for one model before it is given up (default 900)
  --skip-build         use dist/ as it is (no npm run build)`;

function positive(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`--${name} is '${value}': expected a whole number ≥ 1`);
  }
  return n;
}

const calls = ['auto', 'predict', 'forward'] as const;
type WebnetsCall = (typeof calls)[number];

export function pageConfig(label: string, webnetsCall: PageConfig['webnetsCall']): PageConfig {
  const ortPath = '/ort/';
  if (label === 'webgpu') return { label, backend: 'webgpu', threads: 1, ortPath, webnetsCall };
  const m = /^wasm([1-9]\d*)$/.exec(label);
  if (!m) {
    throw new Error(
      `--backends: '${label}' is not a backend: expected wasm<threads> (wasm1, wasm2, …) or webgpu`,
    );
  }
  const threads = Number(m[1]);
  return { label, backend: 'wasm', threads, ortPath, webnetsCall };
}

function parse(
  argv: string[],
): (Settings & { port: number; build: boolean; timeout: number }) | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      models: { type: 'string' },
      backends: { type: 'string' },
      runs: { type: 'string', default: '20' },
      warmup: { type: 'string', default: '3' },
      'profile-runs': { type: 'string', default: '3' },
      port: { type: 'string', default: '5203' },
      'webnets-call': { type: 'string', default: 'auto' },
      timeout: { type: 'string', default: '900' },
      'skip-build': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return null;
  const list = (v: string | undefined, d: string[]): string[] =>
    v === undefined
      ? d
      : v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
  const all = availableParallelism();
  const backends = list(values.backends, all > 1 ? ['wasm1', `wasm${all}`] : ['wasm1']);
  const call = values['webnets-call'] as WebnetsCall;
  if (!calls.includes(call)) {
    throw new Error(`--webnets-call is '${call}': expected ${calls.join(', ')}`);
  }
  backends.forEach((b) => pageConfig(b, 'predict')); // validates
  return {
    webnetsCall: call,
    models: list(values.models, DEFAULT_MODELS),
    backends,
    runs: positive('runs', values.runs),
    warmup: Number.isInteger(Number(values.warmup)) ? Math.max(0, Number(values.warmup)) : 3,
    profileRuns: positive('profile-runs', values['profile-runs']),
    port: positive('port', values.port),
    timeout: positive('timeout', values.timeout),
    build: !values['skip-build'],
  };
}

function job(meta: OnnxMeta, settings: Settings, packError: string | null): ModelJob {
  return {
    id: meta.id,
    onnxUrl: `/onnx/${meta.id}.onnx`,
    packUrl: packError === null ? `/packs/bench/${meta.id}/model.json` : '',
    preprocessing: jobPreprocessing(root, meta),
    runs: settings.runs,
    warmup: settings.warmup,
    profileRuns: settings.profileRuns,
    reference: meta.reference
      ? { inputUrl: meta.reference.input, logits: meta.reference.logits }
      : null,
  };
}

/** A model whose page call threw: both sides marked with the error, the page goes on. */
function failedModel(j: ModelJob, err: unknown): ModelResult {
  const error = `the page failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
  return {
    id: j.id,
    inputSize: j.preprocessing.inputSize,
    macs: null,
    params: null,
    webnets: { error },
    ort: { error },
    agreement: null,
    ortVsPytorch: null,
    webnetsBackend: null,
    webnetsThreads: null,
  };
}

/** 'auto': predict when dist/webnets.js has load(), asked in a page of its own. */
async function resolveCall(
  browser: Browser,
  base: string,
  call: WebnetsCall,
): Promise<PageConfig['webnetsCall']> {
  if (call !== 'auto') return call;
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${base}/bench/page.html`);
    await page.waitForFunction(() => 'bench' in window);
    const { hasLoad, version } = await page.evaluate(() =>
      (window as unknown as { bench: BenchPage }).bench.probe(),
    );
    if (!hasLoad) {
      console.log(
        `bench: dist/webnets.js (webnets ${version}) has no load() yet: timing network.forward from the sources`,
      );
    }
    return hasLoad ? 'predict' : 'forward';
  } finally {
    await context.close();
  }
}

/** A page that stops answering (a WASM worker that died) must not hold the run forever. */
function withTimeout<T>(promise: Promise<T>, seconds: number, what: () => string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what()}: no answer in ${seconds} s (--timeout)`)),
      seconds * 1000,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function runPage(
  browser: Browser,
  base: string,
  config: PageConfig,
  jobs: ModelJob[],
  packErrors: Map<string, string>,
  timeoutS: number,
): Promise<PageRun> {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('console', (m) => {
    if (!m.text().startsWith('[vite]')) console.log(`  ${m.text()}`);
  });
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => {
    pageErrors.push(e.message);
    console.log(`  [page error] ${e.message}`);
  });
  const stuck = (what: string) => () =>
    `${what}${pageErrors.length ? ` (page errors: ${[...new Set(pageErrors)].join('; ')})` : ''}`;
  const run: PageRun = { config, facts: null, error: null, results: [] };
  try {
    await page.goto(`${base}/bench/page.html`);
    await page.waitForFunction(() => 'bench' in window);
    run.facts = await withTimeout(
      page.evaluate((c) => (window as unknown as { bench: BenchPage }).bench.setup(c), config),
      timeoutS,
      stuck('page setup'),
    );
    if (!run.facts.crossOriginIsolated) {
      throw new Error('the page is not cross-origin isolated (no COOP/COEP)');
    }
    for (const j of jobs) {
      const why = packErrors.get(j.id) ?? run.facts.webnetsMissing;
      const job = { ...j, packUrl: why ? '' : j.packUrl };
      const result = await withTimeout(
        page.evaluate((jb) => (window as unknown as { bench: BenchPage }).bench.runModel(jb), job),
        timeoutS,
        stuck(j.id),
      ).catch((err: unknown) => failedModel(j, err));
      if (why && 'error' in result.webnets) result.webnets = { error: `webnets: ${why}` };
      run.results.push(result);
      // A page that timed out is wedged: the remaining models would time out too.
      if ('error' in result.ort && result.ort.error.includes('--timeout')) {
        throw new Error(`gave up on this page after ${j.id} timed out`);
      }
    }
  } catch (err) {
    run.error = err instanceof Error ? err.message : String(err);
  } finally {
    await context.close();
  }
  return run;
}

async function main(argv: string[]): Promise<number> {
  const settings = parse(argv);
  if (settings === null) {
    console.log(usage);
    return 0;
  }
  let metas: OnnxMeta[];
  try {
    metas = readOnnxMetas(root, settings.models);
  } catch (err) {
    console.error(`bench: ${(err as Error).message}`);
    return 2;
  }
  if (settings.build) {
    console.log('bench: npm run build');
    const build = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
    if (build.status !== 0) return build.status ?? 1;
  }
  const packErrors = new Map<string, string>();
  for (const meta of metas) {
    const why = ensurePack(root, meta);
    if (why) {
      console.log(`bench: no webnets pack for ${meta.id} (${packDir(meta.id)}): ${why}`);
      packErrors.set(meta.id, why);
    }
  }
  const jobs = metas.map((m) => job(m, settings, packErrors.get(m.id) ?? null));

  const server = await createServer({
    configFile: join(root, 'vite.config.ts'),
    server: { port: settings.port, strictPort: true, host: 'localhost' },
    logLevel: 'warn',
    clearScreen: false,
    // Pre-bundle tfjs at start: bench/forward.ts imports it through the sources, and a
    // dependency Vite discovered mid-run would reload the page under the benchmark.
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
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: chromiumArgs,
    headless: true,
  });
  const base = `http://localhost:${settings.port}`;
  const date = new Date();
  const loadAtStart = loadNow();
  const pages: PageRun[] = [];
  try {
    const call = await resolveCall(browser, base, settings.webnetsCall);
    for (const label of settings.backends) {
      console.log(`bench: ${label}`);
      pages.push(
        await runPage(browser, base, pageConfig(label, call), jobs, packErrors, settings.timeout),
      );
    }
  } finally {
    await browser.close().catch(() => undefined);
    await server.close();
  }
  const report: BenchReport = {
    machine: describeMachine(root, browser.version(), date, loadAtStart),
    settings,
    pages,
    summary: summarize(pages, (id) => metas.find((m) => m.id === id)?.macs ?? null),
  };
  console.log(`\n${renderReport(report)}`);
  const dir = join(root, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const json = `${JSON.stringify(report, null, 1)}\n`;
  const stamp = date.toISOString().replace(/[:.]/g, '-');
  writeFileSync(join(dir, `${stamp}.json`), json);
  writeFileSync(join(dir, 'latest.json'), json);
  console.log(`\nbench: wrote bench/results/${stamp}.json and bench/results/latest.json`);
  return report.summary.failures.length > 0 ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
  return 1;
});
