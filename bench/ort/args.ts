/** `npm run bench` options: parsed and checked with node:util parseArgs. */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { parseBrowser, type BrowserName } from '../lib/browser';
import { list, OptionError, wholeNumber } from '../lib/options';
import type { PageConfig } from './protocol';
import type { Settings } from './report';

export const DEFAULT_MODELS = [
  'fd-mobilenet-0.5x',
  'efficientnet-b0',
  'regnety-400mf',
  'regnetx-400mf',
];

export const usage = `Usage: npm run bench -- [options]
  --models a,b,…       model ids (default ${DEFAULT_MODELS.join(',')})
  --backends …         wasm<threads>, wasmauto (webnets threads: 'auto', ORT all cores),
                       webgpu (Chromium's) and/or webgpu-dawn (a real GPU in Node, no browser:
                       bench/dawn/, webnets' WebGPU kernels against tfjs' and WASM)
                       (default wasm1,wasm<all cores>,wasmauto)
  --webgpu             add the webgpu page to the backends (default or given)
  --runs N             timed runs per side (default 20)
  --warmup N           untimed runs per side first (default 20: SpiderMonkey and JavaScriptCore
                       reach their optimizing tier 10–20 inferences after load)
  --profile-runs N     profiled webnets runs for the per-op profile (default 3)
  --webnets-call C     what the webnets side times: predict (load + predict from dist/webnets.js,
                       what a user gets), forward (network.forward from the sources, the same
                       work as ORT's run), auto (predict if dist has load(), else forward)
  --browser NAME       chromium (default), firefox (Firefox ESR, WebDriver BiDi) or webkit
                       (WebKitGTK's MiniBrowser under Xvfb): the engine the pages run in
  --port N             port of the page server (default 5203)
  --timeout S          seconds a page may take for one model before it is given up (default 900)
  --skip-build         use dist/ as it is (no npm run build)`;

const positive = (name: string, value: string): number => wholeNumber(name, value, 1);

export const calls = ['auto', 'predict', 'forward'] as const;
export type WebnetsCall = (typeof calls)[number];

export function pageConfig(label: string, webnetsCall: PageConfig['webnetsCall']): PageConfig {
  const ortPath = '/ort/';
  const page = { label, ortPath, webnetsCall };
  if (label === 'webgpu') return { ...page, backend: 'webgpu', threads: 1, webnetsThreads: 1 };
  if (label === 'wasmauto') {
    // What a user gets by default; ORT with every core, as on the wasm<all cores> page.
    const threads = availableParallelism();
    return { ...page, backend: 'wasm', threads, webnetsThreads: 'auto' };
  }
  const m = /^wasm([1-9]\d*)$/.exec(label);
  if (!m) {
    throw new OptionError(
      `--backends: '${label}' is not a backend: expected wasm<threads> (wasm1, wasm2, …), wasmauto or webgpu`,
    );
  }
  const threads = Number(m[1]);
  return { ...page, backend: 'wasm', threads, webnetsThreads: threads };
}

export interface Options extends Settings {
  /** --backends named webgpu-dawn: bench/dawn/ runs too (in Node; not a Chromium page). */
  dawn: boolean;
  browser: BrowserName;
  port: number;
  build: boolean;
  /** Seconds a page may take for one model. */
  timeout: number;
}

/** The options, or null for --help. Throws an Error naming a bad option and its value. */
export function parse(argv: string[]): Options | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      models: { type: 'string' },
      backends: { type: 'string' },
      runs: { type: 'string', default: '20' },
      // Steady state, as a camera loop sees it: Firefox's and WebKit's optimizing tiers reach
      // the kernels 10–20 inferences after load (Chromium's sooner); both sides get the same.
      warmup: { type: 'string', default: '20' },
      'profile-runs': { type: 'string', default: '3' },
      port: { type: 'string', default: '5203' },
      'webnets-call': { type: 'string', default: 'auto' },
      timeout: { type: 'string', default: '900' },
      'skip-build': { type: 'boolean', default: false },
      browser: { type: 'string' },
      webgpu: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return null;
  const all = availableParallelism();
  const backends = list(
    values.backends,
    all > 1 ? ['wasm1', `wasm${all}`, 'wasmauto'] : ['wasm1', 'wasmauto'],
  );
  if (values.webgpu && !backends.includes('webgpu')) backends.push('webgpu');
  const call = values['webnets-call'] as WebnetsCall;
  if (!calls.includes(call)) {
    throw new OptionError(`--webnets-call is '${call}': expected ${calls.join(', ')}`);
  }
  const dawn = backends.includes('webgpu-dawn');
  const pages = backends.filter((b) => b !== 'webgpu-dawn');
  pages.forEach((b) => pageConfig(b, 'predict')); // validates
  return {
    dawn,
    webnetsCall: call,
    models: list(values.models, DEFAULT_MODELS),
    backends: pages,
    runs: positive('runs', values.runs),
    warmup: wholeNumber('warmup', values.warmup, 0),
    profileRuns: positive('profile-runs', values['profile-runs']),
    port: positive('port', values.port),
    timeout: positive('timeout', values.timeout),
    build: !values['skip-build'],
    browser: parseBrowser(values.browser),
  };
}
