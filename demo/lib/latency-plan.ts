/**
 * The latency page's plan and its protocol with the runner page.
 *
 * tfjs fixes the WASM backend's thread count when that backend initializes, once per
 * JavaScript realm; and a page's first backend leaves state behind (compiled shaders,
 * allocated buffers) that would flatter whatever runs next. So each (model, backend
 * configuration) cell runs in a fresh same-origin iframe (`latency-run.html`, isolated
 * like the page) that loads the model, times it, reports through postMessage, and is
 * removed. Every cell's "time to first prediction" thus includes the backend's start-up
 * in a fresh page, as a user's first visit would.
 */

import type { CheckpointChoice } from './pretrained';
import { checkpointChoiceQuery, parseCheckpointChoice } from './pretrained';

export type BackendName = 'webgpu' | 'wasm' | 'cpu';

export interface BackendConfig {
  /** Stable key for tables and files: 'webgpu', 'wasm-1', 'wasm-8', 'cpu'. */
  key: string;
  backend: BackendName;
  /** WASM threads (1 = single-threaded); absent for other backends. */
  threads?: number;
  label: string;
}

export interface DeviceBackends {
  /** A WebGPU adapter was granted. */
  webgpu: boolean;
  /** `crossOriginIsolated`: threaded WASM needs SharedArrayBuffer. */
  isolated: boolean;
  /** `navigator.hardwareConcurrency`. */
  cores: number;
}

/** Every configuration this device can run; cpu (plain JS, slow) only on request. */
export function backendConfigs(device: DeviceBackends, includeCpu: boolean): BackendConfig[] {
  const configs: BackendConfig[] = [];
  if (device.webgpu) configs.push({ key: 'webgpu', backend: 'webgpu', label: 'WebGPU' });
  configs.push({ key: 'wasm-1', backend: 'wasm', threads: 1, label: 'WASM · 1 thread' });
  const cores = Math.max(1, Math.floor(device.cores));
  if (device.isolated && cores > 1) {
    configs.push({
      key: `wasm-${cores}`,
      backend: 'wasm',
      threads: cores,
      label: `WASM · ${cores} threads`,
    });
  }
  if (includeCpu) configs.push({ key: 'cpu', backend: 'cpu', label: 'CPU (JavaScript)' });
  return configs;
}

export interface RunSettings {
  warmup: number;
  runs: number;
}

export interface Cell {
  modelId: string;
  config: BackendConfig;
  /** The pack's model.json; null = no pack. */
  weightsUrl: string | null;
  /**
   * Without a pack: the checkpoint whose converted pack the page cached (`load(id, {
   * pretrained: true })` reads it from IndexedDB); null = synthetic weights.
   */
  pretrained: CheckpointChoice | null;
}

export interface CellModel {
  id: string;
  weightsUrl: string | null;
  pretrained?: CheckpointChoice | null;
}

/** Cells backend by backend, each backend's models from first to last as chosen. */
export function planCells(models: readonly CellModel[], configs: readonly BackendConfig[]): Cell[] {
  return configs.flatMap((config) =>
    models.map((m) => ({
      modelId: m.id,
      config,
      weightsUrl: m.weightsUrl,
      pretrained: m.weightsUrl === null ? (m.pretrained ?? null) : null,
    })),
  );
}

/** The runner page's query string for one cell. */
export function runnerQuery(cell: Cell, settings: RunSettings): string {
  const q = new URLSearchParams({
    model: cell.modelId,
    key: cell.config.key,
    backend: cell.config.backend,
    warmup: String(settings.warmup),
    runs: String(settings.runs),
  });
  if (cell.config.threads !== undefined) q.set('threads', String(cell.config.threads));
  if (cell.weightsUrl !== null) q.set('weights', cell.weightsUrl);
  if (cell.pretrained !== null) {
    q.set('pretrained', '1');
    for (const [name, value] of checkpointChoiceQuery(cell.pretrained)) q.append(name, value);
  }
  return q.toString();
}

export interface RunnerParams extends RunSettings {
  model: string;
  key: string;
  backend: BackendName;
  threads: number | undefined;
  weightsUrl: string | null;
  pretrained: CheckpointChoice | null;
}

function intParam(q: URLSearchParams, name: string, min: number): number {
  const raw = q.get(name);
  const n = Number(raw);
  if (raw === null || !Number.isInteger(n) || n < min) {
    throw new Error(
      `latency runner: '${name}' must be an integer ≥ ${min}, got ${JSON.stringify(raw)}`,
    );
  }
  return n;
}

/** Parses and checks the runner page's query string (see `runnerQuery`). */
export function parseRunnerQuery(search: string): RunnerParams {
  const q = new URLSearchParams(search);
  const model = q.get('model');
  if (!model) throw new Error("latency runner: 'model' is missing");
  const backend = q.get('backend');
  if (backend !== 'webgpu' && backend !== 'wasm' && backend !== 'cpu') {
    throw new Error(
      `latency runner: 'backend' must be webgpu, wasm or cpu, got ${JSON.stringify(backend)}`,
    );
  }
  return {
    model,
    key: q.get('key') ?? backend,
    backend,
    threads: q.has('threads') ? intParam(q, 'threads', 1) : undefined,
    weightsUrl: q.get('weights'),
    pretrained: q.get('pretrained') === '1' ? parseCheckpointChoice(search) : null,
    warmup: intParam(q, 'warmup', 0),
    runs: intParam(q, 'runs', 1),
  };
}

/** What one cell measured. */
export interface CellResult {
  modelId: string;
  configKey: string;
  /** The backend the model actually ran on, and why (from the model object). */
  backend: string;
  backendReason: string;
  synthetic: boolean;
  /** From `load()` to the first prediction's scores: backend start-up, weights, first run. */
  timeToFirstMs: number;
  /** Each timed `classify` after the warm-up, in order. */
  samplesMs: number[];
}

export const RUNNER_MESSAGE_SOURCE = 'webnets-latency-runner';

export type RunnerMessage =
  | {
      source: typeof RUNNER_MESSAGE_SOURCE;
      type: 'progress';
      phase: 'loading' | 'warmup' | 'timing';
      done: number;
      total: number;
    }
  | { source: typeof RUNNER_MESSAGE_SOURCE; type: 'result'; result: CellResult }
  | { source: typeof RUNNER_MESSAGE_SOURCE; type: 'error'; message: string };

/** True for messages the runner page posts (anything else on the window is ignored). */
export function isRunnerMessage(data: unknown): data is RunnerMessage {
  if (typeof data !== 'object' || data === null) return false;
  const m = data as Record<string, unknown>;
  if (m.source !== RUNNER_MESSAGE_SOURCE) return false;
  switch (m.type) {
    case 'progress':
      return typeof m.done === 'number' && typeof m.total === 'number';
    case 'result': {
      const r = m.result as Record<string, unknown> | null;
      return (
        typeof r === 'object' &&
        r !== null &&
        Array.isArray(r.samplesMs) &&
        typeof r.timeToFirstMs === 'number'
      );
    }
    case 'error':
      return typeof m.message === 'string';
    default:
      return false;
  }
}
