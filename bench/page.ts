/**
 * The benchmark page (driven by bench/run.ts): for each network, webnets and
 * onnxruntime-web load the same weights on the same backend in this one page, get the same
 * input, are checked against each other, warmed up, then timed alternately (A/B, B/A, …)
 * so that drift on the shared machine hits both sides alike.
 */
import { agreement, centerCropNormalizedNchw } from './compare';
import { opTimes, type KernelRecord } from './profile';
import { median } from './stats';
import type {
  MemoryFacts,
  ModelJob,
  ModelResult,
  PageConfig,
  PageFacts,
  WebnetsProfile,
} from './protocol';
import type * as tfType from '@tensorflow/tfjs-core';
import type { Ort, OrtSide, Side, WebnetsLoadOptions, WebnetsSide } from './sides';
import { importOrt, importWebnets, loadOrt, loadWebnets } from './sides';

/** The input picture: a real photo, so FD-MobileNet's pretrained weights give a real answer. */
const PHOTO = '/shared/images/chelsea.png';

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
 * network from the sources (bench/forward.ts). Never both in one page: the two tfjs
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

/** The photo's centre square scaled to side × side: HWC float32 0–255 RGB. */
async function photoPixels(side: number): Promise<Float32Array> {
  const response = await fetch(PHOTO);
  if (!response.ok) throw new Error(`${PHOTO}: HTTP ${response.status}`);
  const bitmap = await createImageBitmap(await response.blob());
  const square = Math.min(bitmap.width, bitmap.height);
  const canvas = new OffscreenCanvas(side, side);
  const context = canvas.getContext('2d');
  if (!context) throw new Error('OffscreenCanvas: no 2d context');
  const [sx, sy] = [(bitmap.width - square) / 2, (bitmap.height - square) / 2];
  context.drawImage(bitmap, sx, sy, square, square, 0, 0, side, side);
  bitmap.close();
  const rgba = context.getImageData(0, 0, side, side).data;
  const hwc = new Float32Array(side * side * 3);
  for (let i = 0; i < side * side; i++) {
    for (let c = 0; c < 3; c++) hwc[i * 3 + c] = rgba[i * 4 + c] as number;
  }
  return hwc;
}

async function fetchFloats(url: string): Promise<Float32Array> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return new Float32Array(await response.arrayBuffer());
}

async function timed<T>(f: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await f();
  return { value, ms: performance.now() - start };
}

/** The tfjs WASM module, when the webnets side runs on WASM. */
function wasmModule():
  { HEAPU8?: Uint8Array; tfjs?: { getThreadsCount?: () => number } } | undefined {
  return (tf.backend() as { wasm?: ReturnType<typeof wasmModule> }).wasm;
}

function wasmHeapBytes(): number | null {
  return wasmModule()?.HEAPU8?.byteLength ?? null;
}

/**
 * The XNNPACK threads tfjs really runs: tfjs-backend-wasm 4.22 caps what setThreadsCount
 * asks at navigator.hardwareConcurrency / 2, so 'wasm2' on a 2-core machine runs 1 thread.
 */
function wasmThreads(): number | null {
  return wasmModule()?.tfjs?.getThreadsCount?.() ?? null;
}

/** Warm-ups, then `runs` rounds alternating which side goes first. */
async function alternate(sides: Side[], job: ModelJob): Promise<number[][]> {
  for (let i = 0; i < job.warmup; i++) for (const side of sides) await side.run();
  const ms = sides.map((): number[] => []);
  for (let round = 0; round < job.runs; round++) {
    const order = round % 2 === 0 ? sides : [...sides].reverse();
    for (const side of order) {
      const { ms: t } = await timed(() => side.run());
      (ms[sides.indexOf(side)] as number[]).push(t);
    }
  }
  return ms;
}

async function profile(
  side: WebnetsSide,
  job: ModelJob,
): Promise<WebnetsProfile & { peakBytes: number }> {
  // tfjs otherwise reads every kernel's output back to look for NaNs while profiling.
  const check = tf.env().getBool('CHECK_COMPUTATION_FOR_ERRORS');
  tf.env().set('CHECK_COMPUTATION_FOR_ERRORS', false);
  const runs: KernelRecord[][] = [];
  const walls: number[] = [];
  let peakBytes = 0;
  try {
    for (let i = 0; i < job.profileRuns; i++) {
      const { value: info, ms } = await timed(() => tf.profile(() => side.run()));
      runs.push(info.kernels as KernelRecord[]);
      walls.push(ms);
      peakBytes = Math.max(peakBytes, info.peakBytes);
    }
  } finally {
    tf.env().set('CHECK_COMPUTATION_FOR_ERRORS', check);
  }
  const ops = opTimes(runs);
  return {
    wallMs: median(walls),
    kernelMs: ops.reduce((sum, op) => sum + op.ms, 0),
    ops,
    peakBytes,
    note:
      config.backend === 'wasm'
        ? 'WASM kernels run synchronously: kernel times are wall-clock per kernel'
        : 'WebGPU kernel times come from GPU timestamp queries when the adapter has them',
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
): Promise<Started<WebnetsSide>> {
  const { inputSize, resizeSize } = job.preprocessing;
  const start = performance.now();
  const side = await load(
    job.id,
    { weightsUrl: job.packUrl, backend: config.backend, threads: config.threads, cache: false },
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

function memoryFacts(
  before: { numBytes: number; numTensors: number; heap: number | null },
  after: { numBytes: number; numTensors: number; heap: number | null },
  peakBytes: number,
): MemoryFacts {
  return {
    residentBytes: before.numBytes,
    peakBytes,
    growthBytes: after.numBytes - before.numBytes,
    growthTensors: after.numTensors - before.numTensors,
    wasmHeapBefore: before.heap,
    wasmHeapAfter: after.heap,
  };
}

function tensorMemory(): { numBytes: number; numTensors: number; heap: number | null } {
  const { numBytes, numTensors } = tf.memory();
  return { numBytes, numTensors, heap: wasmHeapBytes() };
}

async function runModel(job: ModelJob): Promise<ModelResult> {
  const { inputSize, resizeSize, mean, std } = job.preprocessing;
  const pixels = await photoPixels(resizeSize);
  const nchw = centerCropNormalizedNchw(pixels, resizeSize, inputSize, mean, std);
  const result: ModelResult = {
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
  };

  log(`${job.id}: webnets load + first prediction`);
  const load = job.packUrl ? loadSide : null;
  const w: Started<WebnetsSide> | { error: string } =
    load === null
      ? { error: 'webnets: no pack, or no way to load it (see the page facts)' }
      : await attempt('webnets', () => startWebnets(load, job, pixels, nchw));
  log(`${job.id}: ORT session + first prediction`);
  const o = await attempt('onnxruntime-web', () => startOrt(job, nchw));
  try {
    if ('side' in w) {
      result.macs = w.side.model.info.complexity.macs;
      result.params = w.side.model.info.complexity.params;
      result.webnetsBackend = w.side.model.backendReason;
      result.webnetsThreads = config.backend === 'wasm' ? wasmThreads() : null;
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

    const sides: Side[] = [w, o].flatMap((s) => ('side' in s ? [s.side] : []));
    log(`${job.id}: ${job.warmup} warm-ups and ${job.runs} timed runs per side, alternating`);
    // tf has no backend until webnets loaded a model: measure its memory only then.
    const before = 'side' in w ? tensorMemory() : null;
    const times = await alternate(sides, job);
    const after = 'side' in w ? tensorMemory() : null;
    if ('side' in w && before && after) {
      log(`${job.id}: profiling webnets (${job.profileRuns} inferences)`);
      const { peakBytes, ...profiled } = await profile(w.side, job);
      result.webnets = {
        ms: times[sides.indexOf(w.side)] as number[],
        firstPredictionMs: w.firstMs,
        memory: memoryFacts(before, after, peakBytes),
        profile: profiled,
      };
    }
    if ('side' in o) {
      result.ort = { ms: times[sides.indexOf(o.side)] as number[], firstPredictionMs: o.firstMs };
    }
  } finally {
    if ('side' in w) await w.side.dispose();
    if ('side' in o) await o.side.dispose();
  }
  return result;
}

export interface BenchPage {
  probe(): Promise<{ version: string; hasLoad: boolean }>;
  setup(config: PageConfig): Promise<PageFacts>;
  runModel(job: ModelJob): Promise<ModelResult>;
}

(window as unknown as { bench: BenchPage }).bench = { probe, setup, runModel };
