/**
 * From raw page results to the numbers people read: per model and backend, medians and
 * p95s of each side, webnets/ORT, GFLOP/s, first-prediction times, memory, agreement;
 * webnets' thread scaling; issue 7's targets. Pure: bench/ort/run.ts does the I/O.
 */
import { relativeError } from './compare';
import type { Machine } from './machine';
import type { ModelResult, PageConfig, PageFacts, WebnetsProfile } from './protocol';
import { median } from '../../src/numeric';
import { gflops, p95, pairedRatios, ratio } from '../lib/stats';

/** Logits of the two sides may differ by this much relative to the largest logit (float32 both). */
export const AGREEMENT_TOLERANCE = 1e-3;

export interface PageRun {
  config: PageConfig;
  facts: PageFacts | null;
  /** Set when the page itself failed (nothing ran). */
  error: string | null;
  results: ModelResult[];
}

export interface Settings {
  models: string[];
  backends: string[];
  runs: number;
  warmup: number;
  profileRuns: number;
  webnetsCall: 'auto' | 'predict' | 'forward';
}

export interface SideSummary {
  medianMs: number;
  p95Ms: number;
  firstPredictionMs: number;
  gflops: number | null;
}

export interface Row {
  model: string;
  backend: string;
  webnets: SideSummary | null;
  ort: SideSummary | null;
  /** webnets median / ORT median: below 1, webnets is faster. */
  ratio: number | null;
  /** webnets / ORT round by round (each round times both, back to back): median and IQR. */
  pairedRatio: { q25: number; median: number; q75: number } | null;
  /** webnets against ORT: max |Δ| / max |logit|, and whether the top-1 classes match. */
  relativeError: number | null;
  top1Agrees: boolean | null;
  /** ORT against PyTorch on the reference photo (the ONNX export's own check). */
  ortVsPytorch: number | null;
  peakBytes: number | null;
  residentBytes: number | null;
  growthBytes: number | null;
  growthTensors: number | null;
  wasmHeapGrowth: number | null;
  profile: WebnetsProfile | null;
  errors: string[];
}

export interface Scaling {
  model: string;
  /** The most threads measured (the 'all threads' configuration). */
  threads: number;
  /** t(1 thread) / t(N threads), medians of the two pages: above 1, more threads help. */
  webnets: number | null;
  /**
   * The same in the N-thread page, round by round (webnets loaded there again with
   * threads: 1, timed in the same rounds): median and IQR. Drift between the two pages'
   * minutes does not enter it.
   */
  webnetsSamePage: { q25: number; median: number; q75: number } | null;
  /** t(1 thread) / t(threads: 'auto'), from the wasmauto page (null without one). */
  webnetsAuto: number | null;
  /** The same in the wasmauto page, round by round (as webnetsSamePage). */
  webnetsAutoSamePage: { q25: number; median: number; q75: number } | null;
  ort: number | null;
  /** Threads tfjs really ran on the N-thread page (it may use fewer than asked). */
  webnetsThreadsUsed: number | null;
  /** Threads webnets ran the model with under 'auto' (null without a wasmauto page). */
  webnetsAutoThreads: number | null;
}

export interface Summary {
  rows: Row[];
  scaling: Scaling[];
  /** Rows whose sides disagree beyond AGREEMENT_TOLERANCE, or that failed. */
  failures: string[];
}

/** A network as the benchmark made it: its weights, and the ONNX file's size. */
export interface ModelMade {
  id: string;
  weights: string;
  onnxBytes: number;
}

export interface BenchReport {
  machine: Machine;
  settings: Settings;
  models: ModelMade[];
  pages: PageRun[];
  summary: Summary;
}

function side(
  result: ModelResult['webnets'] | ModelResult['ort'],
  macs: number | null,
): SideSummary | null {
  if ('error' in result || result.ms.length === 0) return null;
  const medianMs = median(result.ms);
  return {
    medianMs,
    p95Ms: p95(result.ms),
    firstPredictionMs: result.firstPredictionMs,
    gflops: macs === null ? null : gflops(macs, medianMs),
  };
}

export function summarizeRow(backend: string, r: ModelResult, macsFallback: number | null): Row {
  const macs = r.macs ?? macsFallback;
  const w = side(r.webnets, macs);
  const o = side(r.ort, macs);
  const wm = 'memory' in r.webnets ? r.webnets.memory : null;
  const heapGrowth =
    wm?.wasmHeapAfter != null && wm.wasmHeapBefore != null
      ? wm.wasmHeapAfter - wm.wasmHeapBefore
      : null;
  return {
    model: r.id,
    backend,
    webnets: w,
    ort: o,
    ratio: w && o ? ratio(w.medianMs, o.medianMs) : null,
    pairedRatio: 'ms' in r.webnets && 'ms' in r.ort ? pairedRatios(r.webnets.ms, r.ort.ms) : null,
    relativeError: r.agreement ? relativeError(r.agreement) : null,
    top1Agrees: r.agreement ? r.agreement.top1[0] === r.agreement.top1[1] : null,
    ortVsPytorch: r.ortVsPytorch ? relativeError(r.ortVsPytorch) : null,
    peakBytes: wm?.peakBytes ?? null,
    residentBytes: wm?.residentBytes ?? null,
    growthBytes: wm?.growthBytes ?? null,
    growthTensors: wm?.growthTensors ?? null,
    wasmHeapGrowth: heapGrowth,
    profile: 'profile' in r.webnets ? r.webnets.profile : null,
    errors: [r.webnets, r.ort, r.webnetsOneThread].flatMap((s) =>
      s !== null && 'error' in s ? [s.error] : [],
    ),
  };
}

/**
 * 1 thread against the most threads measured, per model, from the wasmN rows; and against
 * webnets' 'auto' from the wasmauto page, when there is one.
 */
export function threadScaling(rows: Row[], pages: PageRun[]): Scaling[] {
  const configs = pages.map((p) => p.config).filter((c) => c.backend === 'wasm');
  const auto = configs.find((c) => c.webnetsThreads === 'auto');
  const wasm = configs.filter((c) => c !== auto);
  const one = wasm.find((c) => c.threads === 1);
  const most = wasm.reduce<PageConfig | null>(
    (m, c) => (m && m.threads >= c.threads ? m : c),
    null,
  );
  if (!one || !most || most.threads === 1) return [];
  const models = [...new Set(rows.map((r) => r.model))];
  const find = (model: string, label: string): Row | undefined =>
    rows.find((r) => r.model === model && r.backend === label);
  const result = (model: string, label: string | undefined): ModelResult | undefined =>
    pages.find((p) => p.config.label === label)?.results.find((r) => r.id === model);
  const threadsUsed = (model: string, label: string | undefined): number | null =>
    result(model, label)?.webnetsThreads ?? null;
  const samePage = (model: string, label: string): Scaling['webnetsSamePage'] => {
    const r = result(model, label);
    const one = r?.webnetsOneThread;
    return r && one && 'ms' in one && 'ms' in r.webnets ? pairedRatios(one.ms, r.webnets.ms) : null;
  };
  return models.map((model) => {
    const a = find(model, one.label);
    const b = find(model, most.label);
    const speedup = (x?: SideSummary | null, y?: SideSummary | null): number | null =>
      x && y ? ratio(x.medianMs, y.medianMs) : null;
    return {
      model,
      threads: most.threads,
      webnets: speedup(a?.webnets, b?.webnets),
      webnetsSamePage: samePage(model, most.label),
      webnetsAuto: auto ? speedup(a?.webnets, find(model, auto.label)?.webnets) : null,
      webnetsAutoSamePage: auto ? samePage(model, auto.label) : null,
      ort: speedup(a?.ort, b?.ort),
      webnetsThreadsUsed: threadsUsed(model, most.label),
      webnetsAutoThreads: auto ? threadsUsed(model, auto.label) : null,
    };
  });
}

interface Failure {
  model: string;
  backend: string;
  what: string;
}

/** Row errors and disagreements; the same failure on several backends is said once. */
function rowFailures(row: Row): Failure[] {
  const at = (what: string): Failure => ({ model: row.model, backend: row.backend, what });
  const failures = row.errors.map(at);
  if (row.relativeError !== null && !(row.relativeError <= AGREEMENT_TOLERANCE)) {
    failures.push(
      at(
        `webnets and ORT disagree: max |Δ| / max |logit| = ${row.relativeError} > ${AGREEMENT_TOLERANCE}`,
      ),
    );
  }
  if (row.ortVsPytorch !== null && !(row.ortVsPytorch <= AGREEMENT_TOLERANCE)) {
    failures.push(at(`ORT disagrees with PyTorch: ${row.ortVsPytorch} > ${AGREEMENT_TOLERANCE}`));
  }
  return failures;
}

function mergeFailures(failures: Failure[]): string[] {
  const merged = new Map<string, { model: string; what: string; backends: string[] }>();
  for (const f of failures) {
    const key = `${f.model}\n${f.what}`;
    const entry = merged.get(key) ?? { model: f.model, what: f.what, backends: [] };
    if (!entry.backends.includes(f.backend)) entry.backends.push(f.backend);
    merged.set(key, entry);
  }
  return [...merged.values()].map((e) => `${e.model} on ${e.backends.join(', ')}: ${e.what}`);
}

export function summarize(pages: PageRun[], macsOf: (id: string) => number | null): Summary {
  const rows = pages.flatMap((page) =>
    page.results.map((r) => summarizeRow(page.config.label, r, macsOf(r.id))),
  );
  const failures = [
    ...pages.flatMap((p) => (p.error ? [`${p.config.label}: ${p.error}`] : [])),
    ...mergeFailures(rows.flatMap(rowFailures)),
  ];
  return { rows, scaling: threadScaling(rows, pages), failures };
}
