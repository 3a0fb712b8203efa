/** Driving the benchmark page in a browser: one fresh page per backend configuration. */
import type { DrivenBrowser } from '../lib/browser';
import type { WebnetsCall } from './args';
import type { BenchPage } from './page';
import { webnetsProfile } from './profile';
import type { ModelJob, ModelResult, PageConfig, RawProfile } from './protocol';
import type { PageRun } from './report';

/** The page's result with its raw kernel profile summed up per op type. */
function withOpTimes(result: ModelResult<RawProfile>): ModelResult {
  const { webnets } = result;
  if ('error' in webnets) return { ...result, webnets };
  return { ...result, webnets: { ...webnets, profile: webnetsProfile(webnets.profile) } };
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
    webnetsOneThread: null,
  };
}

/** 'auto': predict when dist/webnets.js has load(), asked in a page of its own. */
export async function resolveCall(
  browser: DrivenBrowser,
  base: string,
  call: WebnetsCall,
): Promise<PageConfig['webnetsCall']> {
  if (call !== 'auto') return call;
  const page = await browser.newPage();
  try {
    await page.goto(`${base}/bench/ort/page.html`);
    await page.waitFor("'bench' in window");
    const { hasLoad, version } = await page.evaluate(
      () => (window as unknown as { bench: BenchPage }).bench.probe(),
      null,
    );
    if (!hasLoad) {
      console.log(
        `bench: dist/webnets.js (webnets ${version}) has no load() yet: timing network.forward from the sources`,
      );
    }
    return hasLoad ? 'predict' : 'forward';
  } finally {
    await page.close();
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

export async function runPage(
  browser: DrivenBrowser,
  base: string,
  config: PageConfig,
  jobs: ModelJob[],
  timeoutS: number,
): Promise<PageRun> {
  const page = await browser.newPage();
  page.onConsole((text) => {
    if (!text.startsWith('[vite]')) console.log(`  ${text}`);
  });
  const pageErrors: string[] = [];
  page.onError((message) => {
    pageErrors.push(message);
    console.log(`  [page error] ${message}`);
  });
  const stuck = (what: string) => () =>
    `${what}${pageErrors.length ? ` (page errors: ${[...new Set(pageErrors)].join('; ')})` : ''}`;
  const run: PageRun = { config, facts: null, error: null, results: [] };
  try {
    await page.goto(`${base}/bench/ort/page.html`);
    await page.waitFor("'bench' in window");
    run.facts = await withTimeout(
      page.evaluate((c) => (window as unknown as { bench: BenchPage }).bench.setup(c), config),
      timeoutS,
      stuck('page setup'),
    );
    if (!run.facts.crossOriginIsolated) {
      throw new Error('the page is not cross-origin isolated (no COOP/COEP)');
    }
    for (const j of jobs) {
      const why = run.facts.webnetsMissing;
      const job = { ...j, packUrl: why ? '' : j.packUrl };
      const result = await withTimeout(
        page.evaluate((jb) => (window as unknown as { bench: BenchPage }).bench.runModel(jb), job),
        timeoutS,
        stuck(j.id),
      ).then(withOpTimes, (err: unknown) => failedModel(j, err));
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
    await page.close();
  }
  return run;
}
