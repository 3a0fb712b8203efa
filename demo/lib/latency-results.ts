/** The latency page's results: one row per (model, backend configuration), and the fits. */
import type { Column } from './export';
import type { LatencyFit, Predictor } from './fit';
import { PREDICTOR_SETS, fitLatency } from './fit';
import type { CellResult } from './latency-plan';
import { fpsFromLatency, summarize } from './stats';

export interface LatencyRow {
  modelId: string;
  configKey: string;
  configLabel: string;
  /** The backend the model ran on (from the model; matches the configuration's). */
  backend: string;
  /** What the model says about its backend, e.g. 'wasm-simd (2 threads): requested': the truth to check the configuration against. */
  backendReason: string;
  weights: 'pretrained' | 'synthetic';
  runs: number;
  medianMs: number;
  p95Ms: number;
  meanMs: number;
  timeToFirstMs: number;
  /** One inference at a time, back to back: 1000 / median. */
  fps: number;
  params: number;
  macs: number;
  activations: number;
  /** Published ImageNet top-1 (percent), null when none is published. */
  top1: number | null;
}

export function toRow(
  result: CellResult,
  configLabel: string,
  model: { complexity: { params: number; macs: number; activations: number }; top1: number | null },
): LatencyRow {
  const s = summarize(result.samplesMs);
  if (!s)
    throw new Error(`latency result for ${result.modelId} on ${result.configKey} has no samples`);
  return {
    modelId: result.modelId,
    configKey: result.configKey,
    configLabel,
    backend: result.backend,
    backendReason: result.backendReason,
    weights: result.synthetic ? 'synthetic' : 'pretrained',
    runs: s.count,
    medianMs: s.median,
    p95Ms: s.p95,
    meanMs: s.mean,
    timeToFirstMs: result.timeToFirstMs,
    fps: fpsFromLatency(s.median),
    params: model.complexity.params,
    macs: model.complexity.macs,
    activations: model.complexity.activations,
    top1: model.top1,
  };
}

export const CSV_COLUMNS: readonly Column<LatencyRow>[] = [
  { header: 'model', value: (r) => r.modelId },
  { header: 'config', value: (r) => r.configKey },
  { header: 'backend', value: (r) => r.backend },
  { header: 'backend_reason', value: (r) => r.backendReason },
  { header: 'weights', value: (r) => r.weights },
  { header: 'runs', value: (r) => r.runs },
  { header: 'median_ms', value: (r) => r.medianMs },
  { header: 'p95_ms', value: (r) => r.p95Ms },
  { header: 'mean_ms', value: (r) => r.meanMs },
  { header: 'first_prediction_ms', value: (r) => r.timeToFirstMs },
  { header: 'fps', value: (r) => r.fps },
  { header: 'params', value: (r) => r.params },
  { header: 'macs', value: (r) => r.macs },
  { header: 'activations', value: (r) => r.activations },
  { header: 'top1_percent', value: (r) => r.top1 },
];

export interface ConfigFits {
  configKey: string;
  configLabel: string;
  fits: { predictors: readonly Predictor[]; fit: LatencyFit | null; reason: string | null }[];
}

/** For each backend configuration, latency fitted to MACs, to activations, and to both. */
export function fitsByConfig(rows: readonly LatencyRow[]): ConfigFits[] {
  const groups = new Map<string, LatencyRow[]>();
  for (const r of rows) groups.set(r.configKey, [...(groups.get(r.configKey) ?? []), r]);
  return [...groups.entries()].map(([configKey, group]) => ({
    configKey,
    configLabel: (group[0] as LatencyRow).configLabel,
    fits: PREDICTOR_SETS.map((predictors) => {
      try {
        const samples = group.map((r) => ({
          macs: r.macs,
          activations: r.activations,
          latencyMs: r.medianMs,
        }));
        return { predictors, fit: fitLatency(samples, predictors), reason: null };
      } catch (error) {
        return {
          predictors,
          fit: null,
          reason: error instanceof Error ? error.message : String(error),
        };
      }
    }),
  }));
}
