/**
 * The benchmark page (driven by bench/ort/run.ts): for each network, webnets and
 * onnxruntime-web load the same weights on the same backend in this one page, get the same
 * input, are checked against each other, warmed up, then timed alternately (A/B, B/A, …)
 * so that drift on the shared machine hits both sides alike.
 */
import { agreement, centerCropNormalizedNchw } from './compare';
import {
  alternate,
  gapMs,
  memoryFacts,
  profileWebnets,
  tensorMemory,
  wasmThreads,
} from './measure';
import { fetchFloats, photoPixels } from './photo';
import type { ModelJob, ModelResult, PageConfig, PageFacts, RawProfile } from './protocol';
import type * as tfType from '@tensorflow/tfjs-core';
import type { Ort, OrtSide, Side, WebnetsLoadOptions, WebnetsSide } from './sides';
import { importOrt, importWebnets, loadOrt, loadWebnets } from './sides';

let config: PageConfig;
let ort: Ort;
/** The tfjs instance the webnets side runs on (dist's, or the sources' for 'forward'). */
let tf: typeof tfType;
/** Loads one webnets side the way this page measures it; null when it cannot. */
let loadSide:
  | ((
      id: string,
      options: WebnetsLoadOptions,
      image: { pixels: Float32Array; side: number },
      nchw: Float32Array,
    ) => Promise<WebnetsSide>)
  | null = null;

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));
const log = (text: string): void => console.log(`[${config.label}] ${text}`);

interface GpuInfo {
  vendor: string;
  architecture: string;
  description: string;
  isFallbackAdapter?: boolean;
}

async function gpuFacts(): Promise<PageFacts['gpu']> {
  const adapter = await navigator.gpu?.requestAdapter();
  if (!adapter) return null;
  // adapter.info is newer than the WebGPU typings tfjs brings.
  const info = (adapter as unknown as { info: GpuInfo }).info;
  const { vendor, architecture, description } = info;
  return { vendor, architecture, description, fallback: info.isFallbackAdapter ?? false };
}

/** Whether dist/webnets.js has load(): run in a page of its own, it leaves no tfjs behind elsewhere. */
async function probe(): Promise<{ version: string; hasLoad: boolean }> {
  const webnets = await importWebnets();
  return { version: webnets.version, hasLoad: typeof webnets.load === 'function' };
}

/**
 * 'predict': load() and predict() from dist/webnets.js, what a user gets. 'forward': the
 * network from the sources (bench/ort/forward.ts). Never both in one page: the two tfjs
 * copies would share tfjs' global engine and registries.
 */
async function setup(pageConfig: PageConfig): Promise<PageFacts> {
  config = pageConfig;
  ort = await importOrt(config);
  let version: string;
  let missing: string | null = null;
  if (config.webnetsCall === 'forward') {
    const forward = await import('./forward');
    tf = forward.tf;
    version = forward.VERSION;
    loadSide = (id, options, _image, nchw) => forward.loadForward(id, options, nchw);
  } else {
    const webnets = await importWebnets();
    tf = webnets.tf;
    version = webnets.version;
    if (typeof webnets.load === 'function') {
      loadSide = (id, options, image) => loadWebnets(webnets, id, options, image);
    } else {
      missing = `dist/webnets.js (webnets ${version}) exports no load(): build one with the runtime (git merge main; npm run build), or pass --webnets-call forward`;
    }
  }
  return {
    userAgent: navigator.userAgent,
    hardwareConcurrency: navigator.hardwareConcurrency,
    crossOriginIsolated,
    gpu: config.backend === 'webgpu' ? await gpuFacts() : null,
    webnetsVersion: version,
    webnetsCall: config.webnetsCall,
    webnetsMissing: missing,
  };
}

interface Started<S> {
  side: S;
  first: Float32Array;
  firstMs: number;
}

/** webnets: load (no cache) and the first prediction, timed together. */
async function startWebnets(
  load: NonNullable<typeof loadSide>,
  job: ModelJob,
  pixels: Float32Array,
  nchw: Float32Array,
  threads: number | 'auto' = config.webnetsThreads,
): Promise<Started<WebnetsSide>> {
  const { inputSize, resizeSize } = job.preprocessing;
  const start = performance.now();
  const side = await load(
    job.id,
    { weightsUrl: job.packUrl, backend: config.backend, threads, cache: false },
    { pixels, side: resizeSize },
    nchw,
  );
  try {
    const first = await side.run();
    const firstMs = performance.now() - start;
    const p = side.model.info.preprocessing;
    if (p.inputSize !== inputSize || p.resizeSize !== resizeSize) {
      throw new Error(
        `the model resizes to ${p.resizeSize} and crops ${p.inputSize}, the pack's model.json says ${resizeSize} and ${inputSize}`,
      );
    }
    return { side, first, firstMs };
  } catch (err) {
    await side.dispose();
    throw err;
  }
}

/** ORT: session creation and the first run, timed together. */
async function startOrt(job: ModelJob, nchw: Float32Array): Promise<Started<OrtSide>> {
  const start = performance.now();
  const side = await loadOrt(ort, job.onnxUrl, config.backend, nchw, job.preprocessing.inputSize);
  try {
    const first = await side.run();
    return { side, first, firstMs: performance.now() - start };
  } catch (err) {
    await side.dispose();
    throw err;
  }
}

async function attempt<T>(what: string, f: () => Promise<T>): Promise<T | { error: string }> {
  try {
    return await f();
  } catch (err) {
    log(`${what} failed: ${message(err)}`);
    return { error: `${what}: ${message(err)}` };
  }
}

/** Whether this page also times webnets with `threads: 1` (see ModelResult.webnetsOneThread): N-thread and 'auto' pages. */
function timesOneThread(): boolean {
  return config.backend === 'wasm' && config.threads > 1 && config.webnetsThreads !== 1;
}

/**
 * webnets again, loaded with `threads: 1` in this multi-thread page; its logits must be
 * those of the multi-thread side (same kernels, one thread).
 */
async function startOneThread(
  load: NonNullable<typeof loadSide>,
  job: ModelJob,
  pixels: Float32Array,
  nchw: Float32Array,
  reference: Float32Array,
): Promise<Started<WebnetsSide>> {
  const started = await startWebnets(load, job, pixels, nchw, 1);
  const { maxAbsDiff, maxAbsLogit } = agreement(started.first, reference);
  if (!(maxAbsDiff <= 1e-5 * maxAbsLogit)) {
    await started.side.dispose();
    throw new Error(`its logits differ from the ${config.label} side's by ${maxAbsDiff}`);
  }
  return started;
}

async function runModel(job: ModelJob): Promise<ModelResult<RawProfile>> {
  const { inputSize, resizeSize, mean, std } = job.preprocessing;
  const pixels = await photoPixels(resizeSize);
  const nchw = centerCropNormalizedNchw(pixels, resizeSize, inputSize, mean, std);
  const result: ModelResult<RawProfile> = {
    id: job.id,
    inputSize,
    macs: null,
    params: null,
    webnets: { error: 'not run' },
    ort: { error: 'not run' },
    agreement: null,
    ortVsPytorch: null,
    webnetsBackend: null,
    webnetsThreads: null,
    webnetsOneThread: null,
  };

  log(`${job.id}: webnets load + first prediction`);
  const load = job.packUrl ? loadSide : null;
  const w: Started<WebnetsSide> | { error: string } =
    load === null
      ? { error: 'webnets: no pack, or no way to load it (see the page facts)' }
      : await attempt('webnets', () => startWebnets(load, job, pixels, nchw));
  const one: Started<WebnetsSide> | { error: string } | null =
    load !== null && 'side' in w && timesOneThread()
      ? await attempt('webnets threads: 1', () => startOneThread(load, job, pixels, nchw, w.first))
      : null;
  let oneLoaded = one !== null && 'side' in one ? one.side : null;
  const disposeOne = async (): Promise<void> => {
    const side = oneLoaded;
    oneLoaded = null;
    await side?.dispose();
  };
  log(`${job.id}: ORT session + first prediction`);
  const o = await attempt('onnxruntime-web', () => startOrt(job, nchw));
  try {
    if ('side' in w) {
      result.macs = w.side.model.info.complexity.macs;
      result.params = w.side.model.info.complexity.params;
    } else {
      result.webnets = w;
    }
    if ('side' in o) {
      if (job.reference) {
        const logits = await o.side.runOn(await fetchFloats(job.reference.inputUrl));
        result.ortVsPytorch = agreement(logits, job.reference.logits);
      }
    } else {
      result.ort = o;
    }
    if ('side' in w && 'side' in o) result.agreement = agreement(w.first, o.first);

    const sides: Side[] = [w, o, one].flatMap((s) => (s && 'side' in s ? [s.side] : []));
    log(`${job.id}: ${job.warmup} warm-ups and ${job.runs} timed runs per side, alternating`);
    // tf has no backend until webnets loaded a model: measure its memory only then.
    const before = 'side' in w ? tensorMemory(tf) : null;
    const times = await alternate(sides, job, gapMs(config.threads));
    if ('side' in w) {
      // After the timed runs: a pooled network decides by its first inferences whether its
      // kernels split (src/backend/split-gauge.ts), and its label says how they ran.
      result.webnetsBackend = w.side.model.backendReason;
      result.webnetsThreads =
        config.backend === 'wasm' ? wasmThreads(tf, w.side.model.backendReason) : null;
    }
    const after = 'side' in w ? tensorMemory(tf) : null;
    // The 1-thread side's weights count neither in resident memory nor in the profile's peak.
    await disposeOne();
    if ('side' in w && before && after) {
      const resident = tensorMemory(tf).numBytes;
      log(`${job.id}: profiling webnets (${job.profileRuns} inferences)`);
      const { peakBytes, ...profiled } = await profileWebnets(
        tf,
        w.side,
        job.profileRuns,
        config.backend,
      );
      result.webnets = {
        ms: times[sides.indexOf(w.side)] as number[],
        firstPredictionMs: w.firstMs,
        memory: memoryFacts(before, after, peakBytes, resident),
        profile: profiled,
      };
    }
    if ('side' in o) {
      result.ort = { ms: times[sides.indexOf(o.side)] as number[], firstPredictionMs: o.firstMs };
    }
    if (one !== null) {
      result.webnetsOneThread =
        'side' in one ? { ms: times[sides.indexOf(one.side)] as number[] } : one;
    }
  } finally {
    await disposeOne();
    if ('side' in w) await w.side.dispose();
    if ('side' in o) await o.side.dispose();
  }
  return result;
}

export interface BenchPage {
  probe(): Promise<{ version: string; hasLoad: boolean }>;
  setup(config: PageConfig): Promise<PageFacts>;
  runModel(job: ModelJob): Promise<ModelResult<RawProfile>>;
}

(window as unknown as { bench: BenchPage }).bench = { probe, setup, runModel };
